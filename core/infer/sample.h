// Picking the next token from a row of logits (V). The full sampler (top-k/p, min-p, penalties)
// grows here with the inference engine; this is the temperature core it builds on.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/util/rng.h"

namespace llm {

inline int32_t argmax(const float* logits, int V) {
  int32_t best = 0;
  for (int i = 1; i < V; i++)
    if (logits[i] > logits[best]) best = i;
  return best;
}

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
