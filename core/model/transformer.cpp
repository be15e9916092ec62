#include "core/model/transformer.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace llm {

template <class T>
Transformer<T>::Transformer(const ModelConfig& c, bool linear_weights) : cfg(c) {
  cfg.validate();
  const int64_t C = cfg.dim, V = cfg.vocab_size, F = cfg.hidden(), hd = cfg.head_dim();
  const int64_t H = cfg.n_heads, KVH = cfg.kv_heads();
  const bool ln_bias = cfg.norm == "layernorm" && cfg.bias;
  auto norm_params = [&](const std::string& p) {
    params.declare(p + ".weight", {C});
    if (ln_bias) params.declare(p + ".bias", {C});
  };
  auto linear_params = [&](const std::string& p, int64_t out, int64_t in) {
    if (linear_weights) params.declare(p + ".weight", {out, in});
    if (cfg.bias) params.declare(p + ".bias", {out});
  };
  params.declare("model.embed_tokens.weight", {V, C});
  if (cfg.pos == "learned") params.declare("model.embed_positions.weight", {cfg.max_seq_len, C});
  for (int l = 0; l < cfg.n_layers; l++) {
    const std::string p = layer_prefix(l);
    norm_params(p + "input_layernorm");
    linear_params(p + "self_attn.q_proj", H * hd, C);
    linear_params(p + "self_attn.k_proj", KVH * hd, C);
    linear_params(p + "self_attn.v_proj", KVH * hd, C);
    linear_params(p + "self_attn.o_proj", C, H * hd);
    norm_params(p + "post_attention_layernorm");
    if (cfg.ffn == "swiglu") linear_params(p + "mlp.gate_proj", F, C);
    linear_params(p + "mlp.up_proj", F, C);
    linear_params(p + "mlp.down_proj", C, F);
  }
  norm_params("model.norm");
  if (!cfg.tie_embeddings) params.declare("lm_head.weight", {V, C});
  params.finalize();

  if (cfg.pos == "rope") {
    std::vector<double> cs, sn;
    rope_tables(cfg.max_seq_len, int(hd), cfg.rope_theta, cs, sn);
    rope_cos_.assign(cs.begin(), cs.end());
    rope_sin_.assign(sn.begin(), sn.end());
  } else if (cfg.pos == "sinusoidal") {
    std::vector<double> s = sinusoidal_table(cfg.max_seq_len, int(C));
    sinus_.assign(s.begin(), s.end());
  } else if (cfg.pos == "alibi") {
    std::vector<double> s = alibi_slopes(int(H));
    slopes_.assign(s.begin(), s.end());
  }
}

template <class T>
void Transformer<T>::init(uint64_t seed) {
  Rng rng(seed);
  const double std0 = cfg.init_std, std_res = cfg.init_std / std::sqrt(2.0 * cfg.n_layers);
  for (size_t i = 0; i < params.infos().size(); i++) {
    const ParamInfo& p = params.infos()[i];
    TensorT<T> t = params.view(i);
    const bool is_bias = p.name.size() > 5 && p.name.compare(p.name.size() - 5, 5, ".bias") == 0;
    const bool is_norm = p.name.find("layernorm") != std::string::npos || p.name.rfind("model.norm", 0) == 0;
    if (is_bias) {
      for (int64_t j = 0; j < t.numel(); j++) t.data[j] = T(0);
    } else if (is_norm) {
      const T v = cfg.norm == "qwen2_rmsnorm" ? T(0) : T(1);
      for (int64_t j = 0; j < t.numel(); j++) t.data[j] = v;
    } else {
      const bool residual = p.name.find("o_proj") != std::string::npos || p.name.find("down_proj") != std::string::npos;
      const double s = residual ? std_res : std0;
      for (int64_t j = 0; j < t.numel(); j++) t.data[j] = T(rng.normal() * s);
    }
  }
}

template <class T>
TensorT<T> Transformer<T>::norm(Graph<T>& g, const TensorT<T>& x, const std::string& p) {
  TensorT<T> w = param(p + ".weight");
  if (cfg.norm == "layernorm") {
    if (cfg.bias) {
      TensorT<T> b = param(p + ".bias");
      return layernorm(g, x, w, &b, T(cfg.norm_eps));
    }
    return layernorm(g, x, w, static_cast<const TensorT<T>*>(nullptr), T(cfg.norm_eps));
  }
  return rmsnorm(g, x, w, T(cfg.norm_eps), cfg.norm == "qwen2_rmsnorm");
}

template <class T>
TensorT<T> Transformer<T>::param(const std::string& name) {
  TensorT<T> t = params.get(name);
  if (frozen) t.grad = nullptr;
  return t;
}

template <class T>
TensorT<T> Transformer<T>::proj(Graph<T>& g, const TensorT<T>& x, const std::string& p) {
  const bool has_w = params.has(p + ".weight");
  TensorT<T> w, b;
  if (has_w) w = param(p + ".weight");
  if (cfg.bias) b = param(p + ".bias");
  const TensorT<T>* bp = cfg.bias ? &b : nullptr;
  if (linear_hook) return linear_hook->linear(g, x, p, has_w ? &w : nullptr, bp);
  if (!has_w) throw std::runtime_error("Transformer: " + p + ".weight is not in params and no linear_hook is set");
  return linear(g, x, w, bp);
}

template <class T>
std::vector<LinearInfo> Transformer<T>::linear_layers(bool with_head) const {
  const int64_t C = cfg.dim, F = cfg.hidden(), hd = cfg.head_dim(), H = cfg.n_heads, KVH = cfg.kv_heads();
  std::vector<LinearInfo> out;
  for (int l = 0; l < cfg.n_layers; l++) {
    const std::string p = layer_prefix(l);
    out.push_back({p + "self_attn.q_proj", H * hd, C});
    out.push_back({p + "self_attn.k_proj", KVH * hd, C});
    out.push_back({p + "self_attn.v_proj", KVH * hd, C});
    out.push_back({p + "self_attn.o_proj", C, H * hd});
    if (cfg.ffn == "swiglu") out.push_back({p + "mlp.gate_proj", F, C});
    out.push_back({p + "mlp.up_proj", F, C});
    out.push_back({p + "mlp.down_proj", C, F});
  }
  if (with_head) out.push_back({"lm_head", int64_t(cfg.vocab_size), C});
  return out;
}

template <class T>
TensorT<T> Transformer<T>::forward(Graph<T>& g, const int32_t* tokens, int B, int Tn, Rng* rng,
                                   const int32_t* doc_start) {
  return head(g, forward_hidden(g, tokens, B, Tn, rng, doc_start));  // (N, V)
}

template <class T>
TensorT<T> Transformer<T>::head(Graph<T>& g, const TensorT<T>& hidden) {
  TensorT<T> w = param(cfg.tie_embeddings ? "model.embed_tokens.weight" : "lm_head.weight");  // (V, C)
  if (linear_hook) return linear_hook->linear(g, hidden, "lm_head", &w, nullptr);
  return matmul(g, hidden, w, false, true);  // (N, V)
}

template <class T>
TensorT<T> Transformer<T>::forward_hidden(Graph<T>& g, const int32_t* tokens, int B, int Tn, Rng* rng,
                                          const int32_t* doc_start) {
  if (Tn > cfg.max_seq_len)
    throw std::runtime_error("forward: sequence length " + std::to_string(Tn) + " exceeds max_seq_len " +
                             std::to_string(cfg.max_seq_len));
  const int64_t N = int64_t(B) * Tn, C = cfg.dim;
  const int H = cfg.n_heads, KVH = cfg.kv_heads(), hd = cfg.head_dim();
  const float pdrop = float(cfg.dropout);
  Rng fallback(0);
  Rng& r = rng ? *rng : fallback;

  TensorT<T> h = embedding(g, param("model.embed_tokens.weight"), tokens, N);  // (N, C)
  if (cfg.pos == "learned" || cfg.pos == "sinusoidal") {
    TensorT<T> P;  // (max_seq_len, C): the learned table, or the constant sinusoid (no grad)
    if (cfg.pos == "learned") {
      P = param("model.embed_positions.weight");
    } else {
      P.data = sinus_.data();
      P.shape = Shape{int64_t(cfg.max_seq_len), C};
    }
    if (doc_start) {
      // packed documents: each one's positions restart at 0 (t - doc_start[t]), as when it is
      // run alone; RoPE and ALiBi need nothing, their scores depend only on t - j
      static_assert(sizeof(T) >= sizeof(int32_t), "position ids are stored in the graph's T arena");
      int32_t* pid = reinterpret_cast<int32_t*>(g.scratch(size_t(N)));  // (N) lives as long as the graph
      for (int64_t n = 0; n < N; n++) {
        const int t = int(n % Tn);
        pid[n] = t - std::min(t, std::max(0, int(doc_start[n])));
      }
      h = add(g, h, embedding(g, P, pid, N));
    } else {
      P.shape = Shape{Tn, C};  // rows 0..T-1
      h = add_bcast(g, h, P);
    }
  }
  h = dropout(g, h, pdrop, r);
  const T* slopes = cfg.pos == "alibi" ? slopes_.data() : nullptr;
  layer_out.clear();

  for (int l = 0; l < cfg.n_layers; l++) {
    const std::string p = layer_prefix(l);
    TensorT<T> a = norm(g, h, p + "input_layernorm");  // (N, C)
    TensorT<T> q = proj(g, a, p + "self_attn.q_proj");  // (N, H*hd)
    TensorT<T> k = proj(g, a, p + "self_attn.k_proj");  // (N, KVH*hd)
    TensorT<T> v = proj(g, a, p + "self_attn.v_proj");  // (N, KVH*hd)
    if (cfg.pos == "rope") {
      q = rope(g, q, B, Tn, H, hd, rope_cos_.data(), rope_sin_.data(), 0);
      k = rope(g, k, B, Tn, KVH, hd, rope_cos_.data(), rope_sin_.data(), 0);
    }
    TensorT<T> att = attention(g, q, k, v, B, Tn, H, KVH, slopes, doc_start);  // (N, H*hd)
    TensorT<T> o = proj(g, att, p + "self_attn.o_proj");           // (N, C)
    h = add(g, h, dropout(g, o, pdrop, r));

    TensorT<T> m = norm(g, h, p + "post_attention_layernorm");  // (N, C)
    TensorT<T> f;                                                // (N, F)
    if (cfg.ffn == "swiglu")
      f = swiglu(g, proj(g, m, p + "mlp.gate_proj"), proj(g, m, p + "mlp.up_proj"));
    else
      f = gelu(g, proj(g, m, p + "mlp.up_proj"));
    TensorT<T> d = proj(g, f, p + "mlp.down_proj");  // (N, C)
    h = add(g, h, dropout(g, d, pdrop, r));
    layer_out.push_back(h);
  }
  return norm(g, h, "model.norm");  // (N, C)
}

template <class T>
std::string Transformer<T>::describe() const {
  const double n = double(params.size());
  char buf[64];
  snprintf(buf, sizeof buf, "%.3fM", n / 1e6);
  return cfg.summary() + " | parameters: " + std::to_string(params.size()) + " (" + buf + ")";
}

template class Transformer<float>;
template class Transformer<double>;

}  // namespace llm
