// Models for the Model lab: build one from a ModelConfig JSON, count its parameters and memory,
// and run a short input through it to read every layer's attention probabilities (heatmaps).
//   const m = new M.Model(configJson, seed);  m.paramCount();  m.memoryJson(B, T);  m.attentionJson(ids)
//   M.sessionAttentionJson(text)  the same on the current (trained) model with the current tokenizer
#include <emscripten/bind.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/model/config.h"
#include "core/model/transformer.h"
#include "core/tensor/ops.h"
#include "wasm/js_util.h"
#include "wasm/session.h"

using namespace emscripten;
using json = nlohmann::json;

namespace llm::web {
namespace {

// Records the outputs of every q_proj / k_proj during one forward (delegating the computation to
// the model's own hook when there is one, e.g. LoRA), so the probabilities can be recomputed.
class CaptureQK : public LinearHook<float> {
 public:
  explicit CaptureQK(LinearHook<float>* inner) : inner_(inner) {}
  std::vector<std::vector<float>> q, k;  // per layer: (T, H*hd) and (T, KVH*hd)
  TensorT<float> linear(Graph<float>& g, const TensorT<float>& x, const std::string& name, const TensorT<float>* w,
                        const TensorT<float>* bias) override {
    TensorT<float> y = inner_ ? inner_->linear(g, x, name, w, bias) : llm::linear(g, x, *w, bias);
    auto ends = [&](const char* s) { return name.size() >= std::strlen(s) && name.compare(name.size() - std::strlen(s), std::string::npos, s) == 0; };
    if (ends("q_proj")) q.emplace_back(y.data, y.data + y.numel());
    if (ends("k_proj")) k.emplace_back(y.data, y.data + y.numel());
    return y;
  }

 private:
  LinearHook<float>* inner_;
};

// {layers, heads, kvHeads, T, probs: [layer][head] = flat (T, T) row-major, row = query}
std::string attention_json(Transformer<float>& m, const std::vector<int32_t>& ids) {
  const ModelConfig& c = m.cfg;
  const int Tn = int(ids.size());
  if (Tn == 0) throw std::runtime_error("attention: the input has no tokens");
  if (Tn > c.max_seq_len)
    throw std::runtime_error("attention: " + std::to_string(Tn) + " tokens exceed max_seq_len " + std::to_string(c.max_seq_len));
  for (int32_t id : ids)
    if (id < 0 || id >= c.vocab_size) throw std::runtime_error("attention: token id " + std::to_string(id) + " is outside the vocabulary");
  CaptureQK cap(m.linear_hook);
  LinearHook<float>* saved = m.linear_hook;
  m.linear_hook = &cap;
  Graph<float> g;
  g.grad_enabled = false;
  try {
    m.forward(g, ids.data(), 1, Tn);
  } catch (...) {
    m.linear_hook = saved;
    throw;
  }
  m.linear_hook = saved;

  const int H = c.n_heads, KVH = c.kv_heads(), hd = c.head_dim();
  std::vector<double> cos_t, sin_t;
  if (c.pos == "rope") rope_tables(c.max_seq_len, hd, c.rope_theta, cos_t, sin_t);
  const std::vector<double> slopes = c.pos == "alibi" ? alibi_slopes(H) : std::vector<double>();
  auto rope_row = [&](float* x, int t) {  // one head's (hd) vector at position t, rotate_half pairing
    const int half = hd / 2;
    for (int i = 0; i < half; i++) {
      const double co = cos_t[size_t(t) * half + i], si = sin_t[size_t(t) * half + i];
      const double a = x[i], b = x[i + half];
      x[i] = float(a * co - b * si);
      x[i + half] = float(b * co + a * si);
    }
  };
  json layers = json::array();
  for (int l = 0; l < c.n_layers; l++) {
    std::vector<float>& q = cap.q.at(size_t(l));  // (T, H*hd)
    std::vector<float>& k = cap.k.at(size_t(l));  // (T, KVH*hd)
    if (c.pos == "rope") {
      for (int t = 0; t < Tn; t++) {
        for (int h = 0; h < H; h++) rope_row(&q[size_t(t) * H * hd + size_t(h) * hd], t);
        for (int h = 0; h < KVH; h++) rope_row(&k[size_t(t) * KVH * hd + size_t(h) * hd], t);
      }
    }
    json heads = json::array();
    const double sc = 1.0 / std::sqrt(double(hd));
    for (int h = 0; h < H; h++) {
      const int kh = h / (H / KVH);  // grouped-query: H/KVH query heads share one KV head
      std::vector<float> P(size_t(Tn) * Tn, 0.f);  // (T, T), zero above the diagonal
      for (int i = 0; i < Tn; i++) {
        double mx = -1e300;
        std::vector<double> s(size_t(i) + 1);
        for (int j = 0; j <= i; j++) {
          double d = 0;
          const float* qi = &q[size_t(i) * H * hd + size_t(h) * hd];
          const float* kj = &k[size_t(j) * KVH * hd + size_t(kh) * hd];
          for (int e = 0; e < hd; e++) d += double(qi[e]) * kj[e];
          d *= sc;
          if (!slopes.empty()) d -= slopes[size_t(h)] * double(i - j);
          s[size_t(j)] = d;
          mx = std::max(mx, d);
        }
        double z = 0;
        for (int j = 0; j <= i; j++) z += (s[size_t(j)] = std::exp(s[size_t(j)] - mx));
        for (int j = 0; j <= i; j++) P[size_t(i) * Tn + j] = float(s[size_t(j)] / z);
      }
      json row = json::array();
      for (float p : P) row.push_back(std::round(p * 1e4f) / 1e4f);  // 4 digits: smaller messages
      heads.push_back(std::move(row));
    }
    layers.push_back(std::move(heads));
  }
  return json{{"layers", c.n_layers}, {"heads", H}, {"kvHeads", KVH}, {"T", Tn}, {"probs", layers}}.dump();
}

// parameter count by group and memory of training / inference, in bytes
std::string memory_json(const Transformer<float>& m, int B, int Tn) {
  const ModelConfig& c = m.cfg;
  int64_t emb = 0, attn = 0, ffn = 0, norms = 0, head = 0, pos = 0;
  for (const ParamInfo& p : m.params.infos()) {
    const int64_t n = p.shape.numel();
    const std::string& s = p.name;
    if (s.find("embed_tokens") != std::string::npos) emb += n;
    else if (s.find("embed_positions") != std::string::npos) pos += n;
    else if (s.find("self_attn") != std::string::npos) attn += n;
    else if (s.find("mlp") != std::string::npos) ffn += n;
    else if (s.find("lm_head") != std::string::npos) head += n;
    else norms += n;
  }
  const int64_t P = m.num_params();
  const int64_t kv_per_token = int64_t(2) * c.n_layers * c.kv_heads() * c.head_dim() * 4;
  // activations saved for backward, a rough count per token: per layer ~ (10 C + 3 F) floats plus
  // the (H, T) attention row; and the logits (V) with their softmax
  const int64_t act = int64_t(B) * Tn *
                      (int64_t(c.n_layers) * (10 * c.dim + 3 * c.hidden() + int64_t(c.n_heads) * Tn) + 2 * int64_t(c.vocab_size)) * 4;
  return json{{"params", P},
              {"groups", {{"embedding", emb}, {"positions", pos}, {"attention", attn}, {"ffn", ffn}, {"norms", norms}, {"head", head}}},
              {"weightsBytes", P * 4},
              {"gradsBytes", P * 4},
              {"adamBytes", P * 8},
              {"activationBytes", act},
              {"kvBytesPerToken", kv_per_token},
              {"kvBytesFullContext", kv_per_token * c.max_seq_len},
              {"config", json::parse(c.to_json())}}
      .dump();
}

class JsModel {
 public:
  JsModel(const std::string& config_json, double seed) {
    guarded([&] {
      m_ = std::make_unique<Transformer<float>>(ModelConfig::from_json(config_json));
      m_->init(uint64_t(seed));
    });
  }
  double paramCount() const { return double(m_->num_params()); }
  std::string configJson() const { return m_->cfg.to_json(); }
  std::string memoryJson(int B, int Tn) const { return guarded([&] { return memory_json(*m_, B, Tn); }); }
  std::string attentionJson(const val& ids) { return guarded([&] { return attention_json(*m_, ints_from_js(ids)); }); }

 private:
  std::unique_ptr<Transformer<float>> m_;
};

std::string session_attention_json(const std::string& text) {
  return guarded([&] {
    std::vector<int32_t> ids = tokenizer().encode(text, true);
    const int maxT = std::min(64, model_config().max_seq_len);
    if (int(ids.size()) > maxT) ids.resize(size_t(maxT));  // a heatmap wider than 64 is unreadable
    json j = json::parse(attention_json(model(), ids));
    json pieces = json::array();
    for (int32_t id : ids) pieces.push_back(tokenizer().decode({id}));
    j["ids"] = ids;
    j["pieces"] = pieces;
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
  });
}

std::string session_memory_json(int B, int Tn) { return guarded([&] { return memory_json(model(), B, Tn); }); }

}  // namespace
}  // namespace llm::web

EMSCRIPTEN_BINDINGS(llm_model) {
  using namespace llm::web;
  class_<JsModel>("Model")
      .constructor<std::string, double>()
      .function("paramCount", &JsModel::paramCount)
      .function("configJson", &JsModel::configJson)
      .function("memoryJson", &JsModel::memoryJson)
      .function("attentionJson", &JsModel::attentionJson);
  function("sessionAttentionJson", &session_attention_json);
  function("sessionMemoryJson", &session_memory_json);
}
