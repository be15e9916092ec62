// IEEE 754 binary16 ("fp16") <-> fp32, for the fp16 KV cache (docs/kv_cache.md, "fp16 KV").
//
// f32_to_f16 rounds to nearest, ties to even, with fp16 subnormals, overflow to infinity and
// NaN kept NaN: exactly what x86 F16C (vcvtps2ph, round-to-nearest) does, so a native build
// (which converts rows with F16C) and the wasm build (which uses these scalar functions) store
// the same bits. f16_to_f32 is exact (every fp16 value is an fp32 value).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__F16C__)
#include <immintrin.h>
#endif

namespace llm {

inline float f16_to_f32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  uint32_t x;
  if (e == 0) {  // zero or subnormal: m * 2^-24, exact in fp32
    float v = float(m) * 0x1p-24f;
    std::memcpy(&x, &v, 4);
    x |= sign;
  } else if (e == 31) {
    x = sign | 0x7f800000u | (m << 13);  // inf / NaN (payload kept)
  } else {
    x = sign | ((e + 112u) << 23) | (m << 13);  // rebias 15 -> 127
  }
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

inline uint16_t f32_to_f16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint16_t sign = uint16_t((x >> 16) & 0x8000u);
  const uint32_t ax = x & 0x7fffffffu;
  if (ax > 0x7f800000u) return uint16_t(sign | 0x7e00u | ((ax >> 13) & 0x3ffu));  // NaN, made quiet
  if (ax >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // >= 65520 (and inf): infinity
  if (ax < 0x38800000u) {
    // below 2^-14: an fp16 subnormal m * 2^-24 (m = 1024 is the smallest normal, same bits);
    // |f| * 2^24 < 1024 is exact, nearbyint rounds it half to even
    float a;
    std::memcpy(&a, &ax, 4);
    return uint16_t(sign | uint16_t(std::nearbyint(a * 0x1p24f)));
  }
  // normal: rebias the exponent (127 -> 15), round the 13 dropped mantissa bits half to even
  // (a carry out of the mantissa correctly bumps the exponent)
  return uint16_t(sign | ((ax - 0x38000000u + 0xfffu + ((ax >> 13) & 1u)) >> 13));
}

// n floats -> fp16 (F16C 8 at a time when the build has it; same bits either way)
inline void f32_to_f16_row(const float* x, uint16_t* h, int64_t n) {
  int64_t i = 0;
#if defined(__F16C__)
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(h + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
#endif
  for (; i < n; i++) h[i] = f32_to_f16(x[i]);
}

}  // namespace llm
