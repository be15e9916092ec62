// fp32 GEMV kernels for decoding (see gemv.h for why they exist).
//
// The unit of work is a tile: one weight row times RX activation rows, one vector accumulator
// per (weight row, activation row) pair. Per column step the weight vector is loaded once and
// used RX times.
// Tiles are always ONE weight row wide, so each thread reads W as one sequential stream: 4 or 8
// rows side by side (4-8 streams 1-3 KB apart) ran at half the bandwidth, 10 vs 20 GB/s on one
// core for N = 1, and made N = 4 slower per step than 4 single decodes (measured on a 2-core
// EPYC, 2026-12, kernel sweep and an engine benchmark; docs/kv_cache.md). Batches take tiles of
// 1 x 8 activation rows (8 FMA chains, 9 loads per 8 FMAs), then 1 x 4, 1 x 2, 1 x 1.
// Every pair is computed the same way in every tile shape: one accumulator over the full vector
// steps, the same horizontal reduction, then the scalar tail columns in order with an explicit
// fma. That makes y[n, r] independent of N and of the tiling (gemv.h, "Determinism").
#include "core/infer/gemv.h"

#include <algorithm>
#include <cmath>

#include "core/tensor/eigen_util.h"  // LLM_OMP_FOR_IF

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define LLM_GEMV_AVX2 1
#elif defined(__wasm_simd128__)
#include <wasm_simd128.h>
#define LLM_GEMV_WASM 1
#endif

namespace llm {

namespace {

// Threads pay off above this many multiply-adds (an OpenMP fork/join costs a few microseconds,
// about what one core needs for 32K multiply-adds streamed from memory).
constexpr int64_t kParallelWork = int64_t(1) << 15;

#if LLM_GEMV_AVX2
// ((v0+v4) + (v1+v5)) + ((v2+v6) + (v3+v7))
inline float hsum(__m256 a) {
  const __m128 A = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  const __m128 h = _mm_hadd_ps(A, A);
  return _mm_cvtss_f32(_mm_hadd_ps(h, h));
}

// y[j * ys] = w . x row j  for j < RX.  w: one row of `in`; x: RX rows of `in`.
template <int RX>
inline void tile(const float* w, int64_t in, const float* x, float* y, int64_t ys) {
  __m256 acc[RX];
  for (int j = 0; j < RX; j++) acc[j] = _mm256_setzero_ps();
  int64_t c = 0;
  for (; c + 8 <= in; c += 8) {
    const __m256 wv = _mm256_loadu_ps(w + c);
    for (int j = 0; j < RX; j++) acc[j] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x + j * in + c), acc[j]);
  }
  for (int j = 0; j < RX; j++) {
    float s = hsum(acc[j]);
    // in % 8 columns; an explicit fma so every tile shape rounds the tail alike
    for (int64_t cc = c; cc < in; cc++) s = std::fma(w[cc], x[j * in + cc], s);
    y[j * ys] = s;
  }
}
#elif LLM_GEMV_WASM
// SIMD128 has no fused multiply-add in em++ 3.1.6 (relaxed SIMD came later): mul then add.
inline float hsum(v128_t a) {
  return (wasm_f32x4_extract_lane(a, 0) + wasm_f32x4_extract_lane(a, 1)) +
         (wasm_f32x4_extract_lane(a, 2) + wasm_f32x4_extract_lane(a, 3));
}
template <int RX>
inline void tile(const float* w, int64_t in, const float* x, float* y, int64_t ys) {
  v128_t acc[RX];
  for (int j = 0; j < RX; j++) acc[j] = wasm_f32x4_splat(0.f);
  int64_t c = 0;
  for (; c + 4 <= in; c += 4) {
    const v128_t wv = wasm_v128_load(w + c);
    for (int j = 0; j < RX; j++) acc[j] = wasm_f32x4_add(acc[j], wasm_f32x4_mul(wv, wasm_v128_load(x + j * in + c)));
  }
  for (int j = 0; j < RX; j++) {
    float s = hsum(acc[j]);
    for (int64_t cc = c; cc < in; cc++) s += w[cc] * x[j * in + cc];  // in % 4 columns
    y[j * ys] = s;
  }
}
#else
// scalar: the reference loop, RX of them interleaved
template <int RX>
inline void tile(const float* w, int64_t in, const float* x, float* y, int64_t ys) {
  float acc[RX] = {};
  for (int64_t c = 0; c < in; c++)
    for (int j = 0; j < RX; j++) acc[j] += w[c] * x[j * in + c];
  for (int j = 0; j < RX; j++) y[j * ys] = acc[j];
}
#endif

}  // namespace

void gemv_f32(const float* W, int64_t out, int64_t in, const float* x, int64_t N, float* y) {
  if (out <= 0 || N <= 0) return;
  const bool par = out * in * N >= kParallelWork;
  LLM_OMP_FOR_IF(par)
  for (int64_t r = 0; r < out; r++) {
    const float* w = W + r * in;  // (in): one row of W, in L1 while the N activation rows pass
    int64_t n = 0;
    for (; n + 8 <= N; n += 8) tile<8>(w, in, x + n * in, y + n * out + r, out);
    if (n + 4 <= N) tile<4>(w, in, x + n * in, y + n * out + r, out), n += 4;
    if (n + 2 <= N) tile<2>(w, in, x + n * in, y + n * out + r, out), n += 2;
    if (n < N) tile<1>(w, in, x + n * in, y + n * out + r, out);
  }
}

void gemv_f32_ref(const float* W, int64_t out, int64_t in, const float* x, int64_t N, float* y) {
  for (int64_t n = 0; n < N; n++)
    for (int64_t r = 0; r < out; r++) {
      float s = 0.f;
      for (int64_t c = 0; c < in; c++) s += W[r * in + c] * x[n * in + c];
      y[n * out + r] = s;
    }
}

}  // namespace llm
