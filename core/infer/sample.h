// Plain temperature sampling with a caller-owned Rng, used by the character-level trainer's
// samples (core/train/char_trainer.cpp). The full sampler (penalties, top-k/p, min-p, logprobs) is
// Sampler in core/infer/sampler.h.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/infer/sampler.h"  // argmax
#include "core/util/rng.h"

namespace llm {

// temperature <= 0 means greedy
inline int32_t sample_temperature(const float* logits, int V, float temperature, Rng& rng) {
  if (temperature <= 0.f) return argmax(logits, V);
  float mx = logits[0];
  for (int i = 1; i < V; i++) mx = std::max(mx, logits[i]);
  std::vector<double> p(V);
  double s = 0;
  for (int i = 0; i < V; i++) s += (p[i] = std::exp(double(logits[i] - mx) / temperature));
  double u = rng.uniform_double() * s;
  for (int i = 0; i < V; i++) {
    u -= p[i];
    if (u <= 0) return i;
  }
  return V - 1;
}

}  // namespace llm
