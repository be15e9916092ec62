// Deterministic random numbers, identical on every platform (native and wasm):
// we never use std::*_distribution, whose output differs between standard libraries.
#pragma once
#include <cmath>
#include <cstdint>

namespace llm {

struct Rng {
  uint64_t state;
  explicit Rng(uint64_t seed = 1) : state(seed) {}
  // splitmix64: full-period, passes BigCrush, one add + three xor-shift-multiplies.
  uint64_t next_u64() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint32_t next_u32() { return uint32_t(next_u64() >> 32); }
  // uniform in [0, 1) with 24 random bits (exactly representable in float)
  float uniform() { return float(next_u64() >> 40) * (1.0f / 16777216.0f); }
  double uniform_double() { return double(next_u64() >> 11) * (1.0 / 9007199254740992.0); }
  // uniform integer in [0, n)
  uint64_t below(uint64_t n) { return n ? next_u64() % n : 0; }
  // standard normal via Box-Muller (one value per call; simple and reproducible)
  double normal() {
    double u1 = uniform_double(), u2 = uniform_double();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
};

}  // namespace llm
