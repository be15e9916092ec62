// 64-bit hashing for dedup and n-gram statistics.
//
// hash64 reads 8 bytes at a time and mixes with multiply/xor-shift rounds, then
// finishes with the splitmix64 finalizer (full avalanche: every input bit flips
// each output bit with probability ~1/2). It is not cryptographic: it only has
// to spread text uniformly so that collisions among N documents stay near the
// birthday bound N^2 / 2^65 (about 3e-8 for a million documents).
#pragma once
#include <cstdint>
#include <cstring>
#include <string_view>

namespace llm {

inline uint64_t mix64(uint64_t x) {  // splitmix64 finalizer
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  return x;
}

inline uint64_t hash64(std::string_view s, uint64_t seed = 0) {
  const uint64_t k = 0x9E3779B97F4A7C15ull;
  uint64_t h = mix64(seed ^ (s.size() * k));
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);  // unaligned load; byte order only changes the hash values
    h = (h ^ mix64(w + k)) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
    p += 8;
    n -= 8;
  }
  if (n) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ mix64(w + k + n)) * 0xC4CEB9FE1A85EC53ull;
  }
  return mix64(h);
}

// Order-dependent combination, for hashing sequences of hashes (n-grams).
inline uint64_t hash_combine(uint64_t h, uint64_t v) {
  return mix64(h * 0x9E3779B97F4A7C15ull + v + 0x632BE59BD9B4E019ull);
}

}  // namespace llm
