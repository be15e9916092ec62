// Decoder-only Pre-LN transformer; every switch comes from ModelConfig (docs/transformer.md).
//
//   h = embed(tokens) [+ learned | sinusoidal positions]
//   per layer:  h = h + Wo · attn(rope?(Wq·norm1(h)), rope?(Wk·norm1(h)), Wv·norm1(h))   (ALiBi bias inside)
//               h = h + ffn(norm2(h))            ffn = down(silu(gate) * up) | down(gelu(up))
//   logits = norm_f(h) · lm_head^T             (lm_head = embed when tied)
#pragma once
#include <string>
#include <vector>

#include "core/model/config.h"
#include "core/tensor/ops.h"
#include "core/tensor/params.h"

namespace llm {

// A replacement for the model's linear layers, consulted by every projection when set
// (core/align/lora.h: LoRA adapters on top, NF4 base weights underneath). nullptr: plain
// x W^T (+ b), no cost.
template <class T>
class LinearHook {
 public:
  virtual ~LinearHook() = default;
  // x (N, in) -> (N, out) for the layer `name` ("model.layers.0.self_attn.q_proj"). w and bias
  // are the model's own views (frozen ones carry no grad); w is nullptr when the model was built
  // without linear weights (QLoRA keeps them in NF4), bias is nullptr without cfg.bias.
  virtual TensorT<T> linear(Graph<T>& g, const TensorT<T>& x, const std::string& name, const TensorT<T>* w,
                            const TensorT<T>* bias) = 0;
};

// one linear layer of the model: name prefix (without ".weight") and its (out, in) shape
struct LinearInfo {
  std::string name;
  int64_t out = 0, in = 0;
};

template <class T>
class Transformer {
 public:
  // linear_weights = false leaves the (out, in) weights of the projections out of params; a
  // linear_hook must then provide them (QLoRA). Embeddings, norms, biases and the head stay.
  explicit Transformer(const ModelConfig& cfg, bool linear_weights = true);

  // GPT-2 init: N(0, init_std); residual projections (o_proj, down_proj) scaled by 1/sqrt(2*n_layers);
  // biases 0; norm weights 1 (0 for qwen2_rmsnorm, whose weight is used as 1 + w).
  void init(uint64_t seed);

  // tokens (B*T) -> logits (B*T, V). rng drives dropout when g.training. doc_start (B*T) or
  // nullptr confines attention to each packed document (see attention()) and, for learned or
  // sinusoidal positions, restarts each document's positions at 0.
  TensorT<T> forward(Graph<T>& g, const int32_t* tokens, int B, int Tn, Rng* rng = nullptr,
                     const int32_t* doc_start = nullptr);
  // The same up to the final norm: (B*T, C) hidden states (reward / value heads read these).
  TensorT<T> forward_hidden(Graph<T>& g, const int32_t* tokens, int B, int Tn, Rng* rng = nullptr,
                            const int32_t* doc_start = nullptr);
  // hidden (N, C) -> logits (N, V) through lm_head (or the tied embedding)
  TensorT<T> head(Graph<T>& g, const TensorT<T>& hidden);

  // Optional linear-layer hook (not owned); see LinearHook.
  LinearHook<T>* linear_hook = nullptr;
  // true: no gradient flows into params (they are handed to the ops without grad buffers), so
  // only a hook's own parameters (LoRA adapters) train, and backward skips every weight gradient.
  bool frozen = false;
  // every projection of the model, in layer order (q, k, v, o, [gate,] up, down), and with
  // with_head the output layer "lm_head" (V, C) last (it also goes through linear_hook)
  std::vector<LinearInfo> linear_layers(bool with_head = false) const;

  ModelConfig cfg;
  ParamStore<T> params;
  // the residual stream after each layer, (B*T, C) each, from the last forward (valid until the
  // graph is reset): the per-layer telemetry reads activation RMS/max from here
  std::vector<TensorT<T>> layer_out;
  int64_t num_params() const { return int64_t(params.size()); }
  std::string describe() const;  // config + parameter count, for the log

  // parameter names (HF Llama-style; docs/layout.md)
  static std::string layer_prefix(int l) { return "model.layers." + std::to_string(l) + "."; }

 private:
  std::vector<T> rope_cos_, rope_sin_;  // (max_seq_len, hd/2)
  std::vector<T> sinus_;                // (max_seq_len, dim)
  std::vector<T> slopes_;               // (n_heads)
  TensorT<T> norm(Graph<T>& g, const TensorT<T>& x, const std::string& prefix);
  TensorT<T> proj(Graph<T>& g, const TensorT<T>& x, const std::string& prefix);
  TensorT<T> param(const std::string& name);  // params.get without the grad when frozen
};

}  // namespace llm
