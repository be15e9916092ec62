#include "core/model/checkpoint.h"

#include <set>
#include <stdexcept>

#include "core/util/safetensors.h"
#include "core/util/strict_json.h"

namespace llm {

bool is_gpt2_style(const ModelConfig& c) {
  return c.ffn == "gelu_mlp" && c.norm == "layernorm" && c.pos == "learned" && c.bias && c.tie_embeddings &&
         c.kv_heads() == c.n_heads;
}
bool is_llama_compatible(const ModelConfig& c) {
  return c.ffn == "swiglu" && c.norm == "rmsnorm" && c.pos == "rope";
}

static std::vector<int64_t> dims(const Shape& s) { return std::vector<int64_t>(s.d.begin(), s.d.begin() + s.ndim); }

// ---- GPT-2 layout: (in, out) Conv1D weights, q/k/v fused into c_attn ----
namespace {
struct Gpt2Map {
  std::string gpt2, ours;  // 1:1 renames (no transpose)
};
std::vector<Gpt2Map> gpt2_renames(const ModelConfig& c) {
  std::vector<Gpt2Map> r{{"transformer.wte.weight", "model.embed_tokens.weight"},
                         {"transformer.wpe.weight", "model.embed_positions.weight"},
                         {"transformer.ln_f.weight", "model.norm.weight"},
                         {"transformer.ln_f.bias", "model.norm.bias"}};
  for (int l = 0; l < c.n_layers; l++) {
    const std::string g = "transformer.h." + std::to_string(l) + ".", o = Transformer<float>::layer_prefix(l);
    for (const char* wb : {"weight", "bias"}) {
      r.push_back({g + "ln_1." + wb, o + "input_layernorm." + wb});
      r.push_back({g + "ln_2." + wb, o + "post_attention_layernorm." + wb});
      r.push_back({g + "attn.c_proj.bias", o + "self_attn.o_proj.bias"});
      r.push_back({g + "mlp.c_fc.bias", o + "mlp.up_proj.bias"});
      r.push_back({g + "mlp.c_proj.bias", o + "mlp.down_proj.bias"});
    }
  }
  return r;
}
// (out, in) row-major -> (in, out)
std::vector<float> transpose(const float* w, int64_t out, int64_t in) {
  std::vector<float> t(size_t(out * in));
  for (int64_t o = 0; o < out; o++)
    for (int64_t i = 0; i < in; i++) t[size_t(i * out + o)] = w[o * in + i];
  return t;
}
}  // namespace

std::vector<uint8_t> save_weights(const Transformer<float>& mc) {
  Transformer<float>& m = const_cast<Transformer<float>&>(mc);  // views only; nothing is modified
  SafeTensorsWriter w;
  w.set_metadata("format", "pt");
  w.set_metadata("llm_config", m.cfg.to_json());
  if (!is_gpt2_style(m.cfg)) {
    for (size_t i = 0; i < m.params.infos().size(); i++) {
      const ParamInfo& p = m.params.infos()[i];
      w.add_f32(p.name, dims(p.shape), m.params.view(i).data);
    }
    return w.finish();
  }
  const ModelConfig& c = m.cfg;
  const int64_t C = c.dim, F = c.hidden();
  std::set<std::string> seen;
  for (auto& r : gpt2_renames(c)) {
    if (seen.count(r.gpt2) || !m.params.has(r.ours)) continue;
    seen.insert(r.gpt2);
    TensorT<float> t = m.params.get(r.ours);
    w.add_f32(r.gpt2, dims(t.shape), t.data);
  }
  for (int l = 0; l < c.n_layers; l++) {
    const std::string g = "transformer.h." + std::to_string(l) + ".", o = Transformer<float>::layer_prefix(l);
    std::vector<float> qkv;  // (3C, C) stacked q, k, v rows, then transposed to (C, 3C)
    std::vector<float> qkv_b;
    for (const char* n : {"q_proj", "k_proj", "v_proj"}) {
      TensorT<float> t = m.params.get(o + "self_attn." + n + ".weight");
      qkv.insert(qkv.end(), t.data, t.data + t.numel());
      TensorT<float> b = m.params.get(o + "self_attn." + n + ".bias");
      qkv_b.insert(qkv_b.end(), b.data, b.data + b.numel());
    }
    std::vector<float> ca = transpose(qkv.data(), 3 * C, C);
    w.add_f32(g + "attn.c_attn.weight", {C, 3 * C}, ca.data());
    w.add_f32(g + "attn.c_attn.bias", {3 * C}, qkv_b.data());
    auto tw = [&](const std::string& ours, const std::string& theirs, int64_t out, int64_t in) {
      std::vector<float> t = transpose(m.params.get(ours).data, out, in);
      w.add_f32(theirs, {in, out}, t.data());
    };
    tw(o + "self_attn.o_proj.weight", g + "attn.c_proj.weight", C, C);
    tw(o + "mlp.up_proj.weight", g + "mlp.c_fc.weight", F, C);
    tw(o + "mlp.down_proj.weight", g + "mlp.c_proj.weight", C, F);
  }
  return w.finish();
}

void load_weights(Transformer<float>& m, const uint8_t* bytes, size_t size, const std::string& what) {
  SafeTensorsReader r(bytes, size, what);
  std::set<std::string> used;
  auto copy = [&](const std::string& name, TensorT<float> dst) {
    std::vector<float> v = r.floats(name, dims(dst.shape));
    std::copy(v.begin(), v.end(), dst.data);
    used.insert(name);
  };
  const bool gpt2 = r.has("transformer.wte.weight");
  if (gpt2 != is_gpt2_style(m.cfg))
    throw std::runtime_error(what + ": tensor names are " + (gpt2 ? "GPT-2" : "Llama") +
                             "-style but config.json describes a " + (gpt2 ? "non-GPT-2" : "GPT-2") +
                             " model; use the config.json saved with these weights");
  if (!gpt2) {
    for (size_t i = 0; i < m.params.infos().size(); i++) copy(m.params.infos()[i].name, m.params.view(i));
    // HF Llama checkpoints with tied embeddings sometimes still carry lm_head.weight
    if (m.cfg.tie_embeddings && r.has("lm_head.weight")) used.insert("lm_head.weight");
  } else {
    const ModelConfig& c = m.cfg;
    const int64_t C = c.dim, F = c.hidden();
    for (auto& rn : gpt2_renames(c))
      if (m.params.has(rn.ours) && !used.count(rn.gpt2)) copy(rn.gpt2, m.params.get(rn.ours));
    auto tr = [&](const std::string& theirs, const std::string& ours, int64_t out, int64_t in) {
      std::vector<float> v = r.floats(theirs, {in, out});
      std::vector<float> t = transpose(v.data(), in, out);  // (in, out) -> (out, in)
      std::copy(t.begin(), t.end(), m.params.get(ours).data);
      used.insert(theirs);
    };
    for (int l = 0; l < c.n_layers; l++) {
      const std::string g = "transformer.h." + std::to_string(l) + ".", o = Transformer<float>::layer_prefix(l);
      std::vector<float> ca = r.floats(g + "attn.c_attn.weight", {C, 3 * C});
      std::vector<float> cb = r.floats(g + "attn.c_attn.bias", {3 * C});
      std::vector<float> qkv = transpose(ca.data(), C, 3 * C);  // (3C, C)
      const char* names[3] = {"q_proj", "k_proj", "v_proj"};
      for (int j = 0; j < 3; j++) {
        std::copy(qkv.begin() + j * C * C, qkv.begin() + (j + 1) * C * C,
                  m.params.get(o + "self_attn." + names[j] + ".weight").data);
        std::copy(cb.begin() + j * C, cb.begin() + (j + 1) * C, m.params.get(o + "self_attn." + names[j] + ".bias").data);
      }
      used.insert(g + "attn.c_attn.weight");
      used.insert(g + "attn.c_attn.bias");
      tr(g + "attn.c_proj.weight", o + "self_attn.o_proj.weight", C, C);
      tr(g + "mlp.c_fc.weight", o + "mlp.up_proj.weight", F, C);
      tr(g + "mlp.c_proj.weight", o + "mlp.down_proj.weight", C, F);
    }
  }
  for (const std::string& n : r.names()) {
    if (used.count(n)) continue;
    // GPT-2 checkpoints from transformers carry constant mask buffers; they hold no weights
    if (gpt2 && (n.find(".attn.bias") != std::string::npos || n.find(".attn.masked_bias") != std::string::npos ||
                 n == "lm_head.weight"))
      continue;
    throw std::runtime_error(what + ": unexpected tensor '" + n +
                             "' that this model config has no place for (does config.json match the weights?)");
  }
}

std::string hf_config_json(const ModelConfig& c) {
  json j;
  if (is_gpt2_style(c)) {
    j = {{"architectures", {"GPT2LMHeadModel"}},
         {"model_type", "gpt2"},
         {"n_embd", c.dim},
         {"n_layer", c.n_layers},
         {"n_head", c.n_heads},
         {"n_positions", c.max_seq_len},
         {"n_ctx", c.max_seq_len},
         {"n_inner", c.hidden()},
         {"vocab_size", c.vocab_size},
         {"layer_norm_epsilon", c.norm_eps},
         {"activation_function", "gelu_new"},
         {"tie_word_embeddings", true},
         {"torch_dtype", "float32"}};
  } else {
    j = {{"architectures", {is_llama_compatible(c) ? "LlamaForCausalLM" : "LlmFromScratchForCausalLM"}},
         {"model_type", is_llama_compatible(c) ? "llama" : "llm-from-scratch"},
         {"hidden_size", c.dim},
         {"intermediate_size", c.hidden()},
         {"num_hidden_layers", c.n_layers},
         {"num_attention_heads", c.n_heads},
         {"num_key_value_heads", c.kv_heads()},
         {"vocab_size", c.vocab_size},
         {"max_position_embeddings", c.max_seq_len},
         {"rms_norm_eps", c.norm_eps},
         {"rope_theta", c.rope_theta},
         {"tie_word_embeddings", c.tie_embeddings},
         {"attention_bias", c.bias},
         {"mlp_bias", c.bias},
         {"hidden_act", c.ffn == "swiglu" ? "silu" : "gelu_pytorch_tanh"},
         {"torch_dtype", "float32"}};
  }
  j["llm"] = json::parse(c.to_json());
  return j.dump(2);
}

ModelConfig config_from_hf_json(const std::string& text) {
  json j = parse_json(text, "config.json");
  if (!j.is_object()) throw std::runtime_error("config.json: expected a JSON object");
  if (j.contains("llm")) return ModelConfig::from_json(j["llm"].dump());
  ModelConfig c;
  const std::string type = j.value("model_type", "");
  try {
    if (type == "llama") {
      c.dim = j.at("hidden_size");
      c.ffn_hidden = j.at("intermediate_size");
      c.n_layers = j.at("num_hidden_layers");
      c.n_heads = j.at("num_attention_heads");
      c.n_kv_heads = j.value("num_key_value_heads", c.n_heads);
      c.vocab_size = j.at("vocab_size");
      c.max_seq_len = j.value("max_position_embeddings", 2048);
      c.norm_eps = j.value("rms_norm_eps", 1e-6);
      c.rope_theta = j.value("rope_theta", 10000.0);
      c.tie_embeddings = j.value("tie_word_embeddings", false);
      c.bias = j.value("attention_bias", false);
    } else if (type == "gpt2") {
      c.dim = j.at("n_embd");
      c.n_layers = j.at("n_layer");
      c.n_heads = j.at("n_head");
      c.n_kv_heads = c.n_heads;
      c.max_seq_len = j.value("n_positions", 1024);
      c.vocab_size = j.at("vocab_size");
      c.ffn_hidden = j.contains("n_inner") && !j["n_inner"].is_null() ? j["n_inner"].get<int>() : 4 * c.dim;
      c.norm_eps = j.value("layer_norm_epsilon", 1e-5);
      c.ffn = "gelu_mlp";
      c.norm = "layernorm";
      c.pos = "learned";
      c.bias = true;
      c.tie_embeddings = true;
    } else {
      throw std::runtime_error("config.json: model_type '" + type +
                               "' is not supported (expected llama or gpt2, or an \"llm\" block)");
    }
  } catch (const json::exception& e) {
    throw std::runtime_error(std::string("config.json: missing or mistyped key: ") + e.what());
  }
  c.validate();
  return c;
}

}  // namespace llm
