// fp32 GEMV kernels for decoding (see gemv.h for why they exist).
//
// The unit of work is a tile: ONE weight row times RX activation rows. Each (row, activation)
// pair keeps K = 4 vector accumulators over interleaved vector steps (accumulator k takes steps
// k, k+4, ...), so a pair has 4 independent FMA chains and a tile 4 * RX; every weight vector is
// loaded once and used RX times.
//   N == 1: tiles of 1 x 1, one weight row after another; N >= 2: tiles of 1 x 2 (and one 1 x 1).
// Why one row at a time (measured on a 2-core EPYC, 2026-12, kernel sweep and `llm bench decode`):
// each thread then reads ONE sequential stream of W. Tiles of 8 rows side by side (8 streams
// 1-3 KB apart) ran at half the bandwidth, 10 vs 20 GB/s on one core, although they had as many
// FMA chains. For batches, 1 x 2 with 4 chains per pair beat 4 x 2, 1 x 4 and 2 x 4 tiles with
// one chain per pair by 1.1-1.5x (N = 4..16), and needs only 8 accumulator registers (AVX2 has 16).
// Every pair is computed the same way in every tile shape: the 4 accumulators over the whole
// 4-vector blocks, leftover whole vectors into accumulator 0, the sum ((a0 + a1) + a2) + a3,
// the same horizontal reduction, then the scalar tail columns in order with an explicit fma.
// That makes y[n, r] independent of N and of the tiling (gemv.h, "Determinism").
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

constexpr int kAcc = 4;  // accumulators per (weight row, activation row) pair

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
  constexpr int64_t V = 8;
  __m256 acc[RX][kAcc];
  for (int j = 0; j < RX; j++)
    for (int k = 0; k < kAcc; k++) acc[j][k] = _mm256_setzero_ps();
  int64_t c = 0;
  for (; c + V * kAcc <= in; c += V * kAcc)
    for (int k = 0; k < kAcc; k++) {
      const __m256 wv = _mm256_loadu_ps(w + c + V * k);
      for (int j = 0; j < RX; j++) acc[j][k] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x + j * in + c + V * k), acc[j][k]);
    }
  for (; c + V <= in; c += V) {  // whole vectors past the last 4-vector block
    const __m256 wv = _mm256_loadu_ps(w + c);
    for (int j = 0; j < RX; j++) acc[j][0] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x + j * in + c), acc[j][0]);
  }
  for (int j = 0; j < RX; j++) {
    __m256 a = acc[j][0];
    for (int k = 1; k < kAcc; k++) a = _mm256_add_ps(a, acc[j][k]);
    float s = hsum(a);
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
  constexpr int64_t V = 4;
  v128_t acc[RX][kAcc];
  for (int j = 0; j < RX; j++)
    for (int k = 0; k < kAcc; k++) acc[j][k] = wasm_f32x4_splat(0.f);
  int64_t c = 0;
  for (; c + V * kAcc <= in; c += V * kAcc)
    for (int k = 0; k < kAcc; k++) {
      const v128_t wv = wasm_v128_load(w + c + V * k);
      for (int j = 0; j < RX; j++)
        acc[j][k] = wasm_f32x4_add(acc[j][k], wasm_f32x4_mul(wv, wasm_v128_load(x + j * in + c + V * k)));
    }
  for (; c + V <= in; c += V) {
    const v128_t wv = wasm_v128_load(w + c);
    for (int j = 0; j < RX; j++) acc[j][0] = wasm_f32x4_add(acc[j][0], wasm_f32x4_mul(wv, wasm_v128_load(x + j * in + c)));
  }
  for (int j = 0; j < RX; j++) {
    v128_t a = acc[j][0];
    for (int k = 1; k < kAcc; k++) a = wasm_f32x4_add(a, acc[j][k]);
    float s = hsum(a);
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
  if (N == 1) {
    LLM_OMP_FOR_IF(par)
    for (int64_t r = 0; r < out; r++) tile<1>(W + r * in, in, x, y + r, out);
    return;
  }
  LLM_OMP_FOR_IF(par)
  for (int64_t r = 0; r < out; r++) {
    const float* w = W + r * in;  // (in): stays in L1 while the N activation rows pass
    int64_t n = 0;
    for (; n + 2 <= N; n += 2) tile<2>(w, in, x + n * in, y + n * out + r, out);
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
