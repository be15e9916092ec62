// fp32 GEMV kernels for decoding (see gemv.h for why they exist).
//
// The unit of work is a tile: RW consecutive weight rows times RX activation rows, one vector
// accumulator per (weight row, activation row) pair. Per column step every weight vector is
// loaded once and used RX times, every activation vector loaded once and used RW times. RW * RX
// independent accumulators hide the FMA latency (4 cycles, 2 per cycle on current x86: 8 chains).
//   N == 1: tiles of 8 x 1  (8 chains; W is the only stream)
//   N >= 2: tiles of 4 x 2  (8 chains; each W load feeds two FMAs)
// Every pair is computed the same way in every tile shape: one accumulator over the full vector
// steps, the same horizontal reduction, then the scalar tail columns in order. That makes
// y[n, r] independent of N and of the tiling (gemv.h, "Determinism").
#include "core/infer/gemv.h"

#include <algorithm>

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
// 4 sums at once: [sum(a), sum(b), sum(c), sum(d)]. Per vector the order is
// ((v0+v4) + (v1+v5)) + ((v2+v6) + (v3+v7)) — hsum1 below uses exactly the same order.
inline __m128 hsum4(__m256 a, __m256 b, __m256 c, __m256 d) {
  const __m128 A = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  const __m128 B = _mm_add_ps(_mm256_castps256_ps128(b), _mm256_extractf128_ps(b, 1));
  const __m128 C = _mm_add_ps(_mm256_castps256_ps128(c), _mm256_extractf128_ps(c, 1));
  const __m128 D = _mm_add_ps(_mm256_castps256_ps128(d), _mm256_extractf128_ps(d, 1));
  return _mm_hadd_ps(_mm_hadd_ps(A, B), _mm_hadd_ps(C, D));
}
inline float hsum1(__m256 a) {
  const __m128 A = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  const __m128 h = _mm_hadd_ps(A, A);
  return _mm_cvtss_f32(_mm_hadd_ps(h, h));
}

// y[j * ys + k] = W row k . x row j  for k < RW, j < RX.  w: RW rows of `in`; x: RX rows of `in`.
template <int RW, int RX>
inline void tile(const float* w, int64_t in, const float* x, float* y, int64_t ys) {
  __m256 acc[RW][RX];
  for (int k = 0; k < RW; k++)
    for (int j = 0; j < RX; j++) acc[k][j] = _mm256_setzero_ps();
  int64_t c = 0;
  for (; c + 8 <= in; c += 8) {
    __m256 xv[RX];
    for (int j = 0; j < RX; j++) xv[j] = _mm256_loadu_ps(x + j * in + c);
    for (int k = 0; k < RW; k++) {
      const __m256 wv = _mm256_loadu_ps(w + k * in + c);
      for (int j = 0; j < RX; j++) acc[k][j] = _mm256_fmadd_ps(wv, xv[j], acc[k][j]);
    }
  }
  for (int j = 0; j < RX; j++) {
    float s[RW];
    int k = 0;
    for (; k + 4 <= RW; k += 4) _mm_storeu_ps(s + k, hsum4(acc[k][j], acc[k + 1][j], acc[k + 2][j], acc[k + 3][j]));
    for (; k < RW; k++) s[k] = hsum1(acc[k][j]);
    for (k = 0; k < RW; k++) {
      for (int64_t cc = c; cc < in; cc++) s[k] += w[k * in + cc] * x[j * in + cc];  // in % 8 columns
      y[j * ys + k] = s[k];
    }
  }
}
#elif LLM_GEMV_WASM
// SIMD128 has no fused multiply-add in em++ 3.1.6 (relaxed SIMD came later): mul then add.
inline float hsum1(v128_t a) {
  return (wasm_f32x4_extract_lane(a, 0) + wasm_f32x4_extract_lane(a, 1)) +
         (wasm_f32x4_extract_lane(a, 2) + wasm_f32x4_extract_lane(a, 3));
}
template <int RW, int RX>
inline void tile(const float* w, int64_t in, const float* x, float* y, int64_t ys) {
  v128_t acc[RW][RX];
  for (int k = 0; k < RW; k++)
    for (int j = 0; j < RX; j++) acc[k][j] = wasm_f32x4_splat(0.f);
  int64_t c = 0;
  for (; c + 4 <= in; c += 4) {
    v128_t xv[RX];
    for (int j = 0; j < RX; j++) xv[j] = wasm_v128_load(x + j * in + c);
    for (int k = 0; k < RW; k++) {
      const v128_t wv = wasm_v128_load(w + k * in + c);
      for (int j = 0; j < RX; j++) acc[k][j] = wasm_f32x4_add(acc[k][j], wasm_f32x4_mul(wv, xv[j]));
    }
  }
  for (int j = 0; j < RX; j++)
    for (int k = 0; k < RW; k++) {
      float s = hsum1(acc[k][j]);
      for (int64_t cc = c; cc < in; cc++) s += w[k * in + cc] * x[j * in + cc];  // in % 4 columns
      y[j * ys + k] = s;
    }
}
#else
// scalar: the reference loop, RW * RX of them interleaved
template <int RW, int RX>
inline void tile(const float* w, int64_t in, const float* x, float* y, int64_t ys) {
  float acc[RW][RX] = {};
  for (int64_t c = 0; c < in; c++)
    for (int k = 0; k < RW; k++)
      for (int j = 0; j < RX; j++) acc[k][j] += w[k * in + c] * x[j * in + c];
  for (int j = 0; j < RX; j++)
    for (int k = 0; k < RW; k++) y[j * ys + k] = acc[k][j];
}
#endif

}  // namespace

void gemv_f32(const float* W, int64_t out, int64_t in, const float* x, int64_t N, float* y) {
  if (out <= 0 || N <= 0) return;
  const bool par = out * in * N >= kParallelWork;
  if (N == 1) {
    constexpr int64_t RW = 8;
    const int64_t nb = (out + RW - 1) / RW;
    LLM_OMP_FOR_IF(par)
    for (int64_t b = 0; b < nb; b++) {
      const int64_t r0 = b * RW;
      if (r0 + RW <= out) {
        tile<RW, 1>(W + r0 * in, in, x, y + r0, out);
      } else {
        for (int64_t r = r0; r < out; r++) tile<1, 1>(W + r * in, in, x, y + r, out);
      }
    }
    return;
  }
  constexpr int64_t RW = 4;
  const int64_t nb = (out + RW - 1) / RW;
  LLM_OMP_FOR_IF(par)
  for (int64_t b = 0; b < nb; b++) {
    const int64_t r0 = b * RW;
    const float* w = W + r0 * in;  // (RW, in): stays in L1 while the N activation rows pass
    if (r0 + RW <= out) {
      int64_t n = 0;
      for (; n + 2 <= N; n += 2) tile<RW, 2>(w, in, x + n * in, y + n * out + r0, out);
      if (n < N) tile<RW, 1>(w, in, x + n * in, y + n * out + r0, out);
    } else {
      for (int64_t r = r0; r < out; r++)
        for (int64_t n = 0; n < N; n++) tile<1, 1>(W + r * in, in, x + n * in, y + n * out + r, out);
    }
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
