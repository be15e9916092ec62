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

template <class T>
class Transformer {
 public:
  explicit Transformer(const ModelConfig& cfg);

  // GPT-2 init: N(0, init_std); residual projections (o_proj, down_proj) scaled by 1/sqrt(2*n_layers);
  // biases 0; norm weights 1 (0 for qwen2_rmsnorm, whose weight is used as 1 + w).
  void init(uint64_t seed);

  // tokens (B*T) -> logits (B*T, V). rng drives dropout when g.training. doc_start (B*T) or
  // nullptr confines attention to each packed document (see attention()).
  TensorT<T> forward(Graph<T>& g, const int32_t* tokens, int B, int Tn, Rng* rng = nullptr,
                     const int32_t* doc_start = nullptr);

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
};

}  // namespace llm
