// Small random models for the inference tests: every parameter random (biases and norm weights
// too, so a missing bias or a wrong norm shows), larger than GPT-2 init so logits are peaked and
// greedy choices are stable against float rounding.
#pragma once
#include <memory>
#include <vector>

#include "core/model/transformer.h"
#include "core/util/rng.h"

namespace llm {
namespace testutil {

inline ModelConfig tiny_cfg(const std::string& pos = "rope", int n_heads = 4, int n_kv_heads = 2) {
  ModelConfig c;
  c.dim = 32;
  c.n_layers = 2;
  c.n_heads = n_heads;
  c.n_kv_heads = n_kv_heads;
  c.vocab_size = 61;
  c.max_seq_len = 64;
  c.pos = pos;
  return c;
}

inline std::unique_ptr<Transformer<float>> random_model(const ModelConfig& c, uint64_t seed, double std = 0.3) {
  auto m = std::make_unique<Transformer<float>>(c);
  Rng rng(seed);
  for (const ParamInfo& p : m->params.infos()) {
    float* d = m->params.values() + p.offset;
    const bool norm = p.name.find("layernorm") != std::string::npos || p.name.rfind("model.norm", 0) == 0;
    const bool bias = p.name.size() > 5 && p.name.compare(p.name.size() - 5, 5, ".bias") == 0;
    for (int64_t i = 0; i < p.shape.numel(); i++) {
      const double r = rng.normal();
      d[i] = float(norm && !bias ? (c.norm == "qwen2_rmsnorm" ? 0.2 * r : 1.0 + 0.2 * r) : std * r);
    }
  }
  return m;
}

// (n) standard normal floats (kernel tests: GEMV, attention)
inline std::vector<float> randn(size_t n, uint64_t seed) {
  Rng r(seed);
  std::vector<float> v(n);
  for (float& x : v) x = float(r.normal());
  return v;
}

inline std::vector<int32_t> random_tokens(int n, int V, uint64_t seed) {
  Rng rng(seed);
  std::vector<int32_t> t(static_cast<size_t>(n));
  for (auto& x : t) x = int32_t(rng.below(uint64_t(V)));
  return t;
}

}  // namespace testutil
}  // namespace llm
