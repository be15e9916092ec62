// bf16 = the top 16 bits of an fp32 (docs/mixed_precision.md). Conversions and the rounding used
// by mixed-precision GEMMs: operands rounded to bf16, products accumulated in fp32.
#pragma once
#include <cstdint>
#include <cstring>

namespace llm {

// fp32 -> bf16 bits, round to nearest even; NaN stays a (quiet) NaN
inline uint16_t f32_to_bf16_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7F800000u) == 0x7F800000u && (u & 0x007FFFFFu)) return uint16_t((u >> 16) | 0x40);
  return uint16_t((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}
inline float bf16_bits_to_f32(uint16_t b) {
  const uint32_t u = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
// the fp32 value nearest-even representable in bf16
inline float round_bf16(float f) { return bf16_bits_to_f32(f32_to_bf16_bits(f)); }

// dst (n) = round_bf16(src) (dst may equal src)
inline void round_bf16(const float* src, float* dst, int64_t n) {
#pragma omp parallel for schedule(static) if (n > (1 << 16))
  for (int64_t i = 0; i < n; i++) dst[i] = round_bf16(src[i]);
}

}  // namespace llm
