// fp32 GEMV kernels for decoding (see gemv.h for why they exist).
//
// The unit of work is a tile: RW weight rows times RX activation rows, one vector accumulator per
// (weight row, activation row) pair. Per column step each of the RW weight vectors and each of the
// RX activation vectors is loaded once, and RW * RX multiply-adds are issued.
// - One activation row (N < kMultiRowN): tiles are ONE weight row wide, so each thread reads W as
//   one sequential stream: 4 or 8 rows side by side (4-8 streams 1-3 KB apart) ran at half the
//   bandwidth, 10 vs 20 GB/s on one core for N = 1, and made N = 4 slower per step than 4 single
//   decodes (2-core EPYC, 2026-12, kernel sweep and an engine benchmark; docs/kv_cache.md).
// - Batches (N >= kMultiRowN) are bound by the FMA units, not by memory: a 1 x 8 tile issues 9
//   loads per 8 FMAs and the loads and the horizontal sums (one per pair) limit it. 3 weight rows
//   x 8 (AVX-512, 24 of the 32 registers) or 3 x 4 (AVX2, 12 of 16) halve the loads per FMA:
//   71 -> 109 GFLOP/s on one core of an AVX-512 Xeon for N = 16 (`llm bench gemv`).
// Every pair is computed the same way in every tile shape: one accumulator over the full vector
// steps, the same horizontal reduction, then the scalar tail columns in order with an explicit
// fma. That makes y[n, r] independent of N and of the tiling (gemv.h, "Determinism").
#include "core/infer/gemv.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "core/tensor/eigen_util.h"  // LLM_OMP_FOR_IF
#include "core/util/prefetch.h"

#if defined(_OPENMP)
#include <omp.h>
#endif

#if defined(__AVX512F__)
#include <immintrin.h>
#define LLM_GEMV_AVX512 1
#elif defined(__AVX2__) && defined(__FMA__)
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

#if LLM_GEMV_AVX512 || LLM_GEMV_AVX2
// ((v0+v4) + (v1+v5)) + ((v2+v6) + (v3+v7))
inline float hsum8(__m256 a) {
  const __m128 A = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  const __m128 h = _mm_hadd_ps(A, A);
  return _mm_cvtss_f32(_mm_hadd_ps(h, h));
}
#endif

#if LLM_GEMV_AVX512
using Vec = __m512;
constexpr int kLanes = 16, kRW = 3, kRX = 8;
inline Vec vzero() { return _mm512_setzero_ps(); }
inline Vec vload(const float* p) { return _mm512_loadu_ps(p); }
inline void vstore(float* p, Vec v) { _mm512_storeu_ps(p, v); }
inline Vec vfma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
constexpr int kPV = 3, kPX = 8;  // panels of 3 vectors (48 outputs) x 8 activation rows: 24 accumulators
inline Vec vset1(float v) { return _mm512_set1_ps(v); }
inline Vec vmul(Vec a, Vec b) { return _mm512_mul_ps(a, b); }
inline Vec vload_i8(const int8_t* p) {  // 16 int8 -> 16 floats
  return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
}
#define LLM_GEMV_Q8 1
// lanes i and i+8 first, then hsum8
inline float vsum(Vec a) {
  const __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1));
  return hsum8(_mm256_add_ps(_mm512_castps512_ps256(a), hi));
}
inline float madd(float a, float b, float s) { return std::fma(a, b, s); }  // tail columns
// vsum of 8 accumulators at once, bit for bit: the same pairs are added (lanes i and i+8, then
// i and i+4, then (0+1) + (2+3)), but 8 rows share each shuffle and add, 2 shuffles + 1 add per
// row instead of 6 + 4.
inline void vsum8(const Vec* a, float* s) {
  Vec h[4], q[2];
  for (int k = 0; k < 4; k++)  // (a[2k] | a[2k+1]): per row lanes i + i+8, 8 each
    h[k] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * k], a[2 * k + 1], 0x44), _mm512_shuffle_f32x4(a[2 * k], a[2 * k + 1], 0xEE));
  for (int k = 0; k < 2; k++)  // 4 rows per vector, quarter r = row r: i + i+4
    q[k] = _mm512_add_ps(_mm512_shuffle_f32x4(h[2 * k], h[2 * k + 1], 0x88), _mm512_shuffle_f32x4(h[2 * k], h[2 * k + 1], 0xDD));
  // in each quarter: (0+1), (2+3) of q[0]'s row, then of q[1]'s row
  const Vec u = _mm512_add_ps(_mm512_shuffle_ps(q[0], q[1], _MM_SHUFFLE(2, 0, 2, 0)), _mm512_shuffle_ps(q[0], q[1], _MM_SHUFFLE(3, 1, 3, 1)));
  const Vec v = _mm512_add_ps(_mm512_shuffle_ps(u, u, _MM_SHUFFLE(2, 0, 2, 0)), _mm512_shuffle_ps(u, u, _MM_SHUFFLE(3, 1, 3, 1)));
  alignas(64) float t[16];
  _mm512_store_ps(t, v);  // quarter r: row r of q[0] (a[r]) in lane 4r, of q[1] (a[4 + r]) in lane 4r + 1
  for (int r = 0; r < 4; r++) s[r] = t[4 * r], s[4 + r] = t[4 * r + 1];
}
#elif LLM_GEMV_AVX2
using Vec = __m256;
constexpr int kLanes = 8, kRW = 3, kRX = 4;
inline Vec vzero() { return _mm256_setzero_ps(); }
inline Vec vload(const float* p) { return _mm256_loadu_ps(p); }
inline void vstore(float* p, Vec v) { _mm256_storeu_ps(p, v); }
inline Vec vfma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
constexpr int kPV = 3, kPX = 4;  // 24 outputs x 4 rows: 12 accumulators + 3 weights + 1 broadcast
inline Vec vset1(float v) { return _mm256_set1_ps(v); }
inline Vec vmul(Vec a, Vec b) { return _mm256_mul_ps(a, b); }
inline Vec vload_i8(const int8_t* p) {  // 8 int8 -> 8 floats
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}
#define LLM_GEMV_Q8 1
inline float vsum(Vec a) { return hsum8(a); }
inline float madd(float a, float b, float s) { return std::fma(a, b, s); }
// vsum of 4 accumulators at once, bit for bit (lanes i + i+4, then (0+1) + (2+3)), sharing shuffles
inline void vsum4(const Vec* a, float* s) {
  const Vec h0 = _mm256_add_ps(_mm256_permute2f128_ps(a[0], a[1], 0x20), _mm256_permute2f128_ps(a[0], a[1], 0x31));
  const Vec h1 = _mm256_add_ps(_mm256_permute2f128_ps(a[2], a[3], 0x20), _mm256_permute2f128_ps(a[2], a[3], 0x31));
  const Vec u = _mm256_add_ps(_mm256_shuffle_ps(h0, h1, _MM_SHUFFLE(2, 0, 2, 0)), _mm256_shuffle_ps(h0, h1, _MM_SHUFFLE(3, 1, 3, 1)));
  const Vec v = _mm256_add_ps(_mm256_shuffle_ps(u, u, _MM_SHUFFLE(2, 0, 2, 0)), _mm256_shuffle_ps(u, u, _MM_SHUFFLE(3, 1, 3, 1)));
  alignas(32) float t[8];
  _mm256_store_ps(t, v);  // half 0: a[0] in lane 0, a[2] in lane 1; half 1: a[1] in lane 4, a[3] in lane 5
  s[0] = t[0], s[2] = t[1], s[1] = t[4], s[3] = t[5];
}
#elif LLM_GEMV_WASM
// SIMD128 has no fused multiply-add in em++ 3.1.6 (relaxed SIMD came later): mul then add.
// One weight row per tile: a single-threaded wasm decode is bound by memory, not by the ALUs.
using Vec = v128_t;
constexpr int kLanes = 4, kRW = 1, kRX = 8;
inline Vec vzero() { return wasm_f32x4_splat(0.f); }
inline Vec vload(const float* p) { return wasm_v128_load(p); }
inline void vstore(float* p, Vec v) { wasm_v128_store(p, v); }
inline Vec vfma(Vec a, Vec b, Vec c) { return wasm_f32x4_add(c, wasm_f32x4_mul(a, b)); }
inline Vec vset1(float v) { return wasm_f32x4_splat(v); }
constexpr int kPV = 3, kPX = 4;
inline float vsum(Vec a) {
  return (wasm_f32x4_extract_lane(a, 0) + wasm_f32x4_extract_lane(a, 1)) +
         (wasm_f32x4_extract_lane(a, 2) + wasm_f32x4_extract_lane(a, 3));
}
inline float madd(float a, float b, float s) { return s + a * b; }
#else
// scalar: the reference loop, RW * RX of them interleaved
using Vec = float;
constexpr int kLanes = 1, kRW = 1, kRX = 8;
inline Vec vzero() { return 0.f; }
inline Vec vload(const float* p) { return *p; }
inline void vstore(float* p, Vec v) { *p = v; }
inline Vec vfma(Vec a, Vec b, Vec c) { return c + a * b; }
inline Vec vset1(float v) { return v; }
constexpr int kPV = 8, kPX = 4;
inline float vsum(Vec a) { return a; }
inline float madd(float a, float b, float s) { return s + a * b; }
#endif

// Batches from this many activation rows on use kRW-wide tiles (compute bound); below, one row.
constexpr int64_t kMultiRowN = 4;

// y[j * ys + i] = w row i . x row j  for i < RW, j < RX.  w: RW rows of `in`; x: RX rows of `in`.
template <int RW, int RX>
inline void tile(const float* w, int64_t in, const float* x, float* y, int64_t ys) {
  Vec acc[RW][RX];
  for (int i = 0; i < RW; i++)
    for (int j = 0; j < RX; j++) acc[i][j] = vzero();
  int64_t c = 0;
  for (; c + kLanes <= in; c += kLanes) {
    Vec wv[RW];
    for (int i = 0; i < RW; i++) wv[i] = vload(w + i * in + c);
    for (int j = 0; j < RX; j++) {
      const Vec xv = vload(x + j * in + c);
      for (int i = 0; i < RW; i++) acc[i][j] = vfma(wv[i], xv, acc[i][j]);
    }
  }
  for (int i = 0; i < RW; i++) {
    float s[RX];
#if LLM_GEMV_AVX512
    if constexpr (RX == 8) vsum8(acc[i], s);
    else
#elif LLM_GEMV_AVX2
    if constexpr (RX == 4) vsum4(acc[i], s);
    else
#endif
      for (int j = 0; j < RX; j++) s[j] = vsum(acc[i][j]);
    for (int j = 0; j < RX; j++) {
      // in % kLanes columns, in order, rounded alike in every tile shape
      for (int64_t cc = c; cc < in; cc++) s[j] = madd(w[i * in + cc], x[j * in + cc], s[j]);
      y[j * ys + i] = s[j];
    }
  }
}

#if LLM_GEMV_Q8
// Weight rows per int8 tile. AVX2 takes 2: 3 rows x 4 activation rows want 12 accumulators, 3
// scales, 3 widened weights and an activation vector, 19 of the 16 registers. 16-stream engine
// step with --quantize, GEMVs 3.25-3.43 -> 2.71-3.12 ms (3 alternated pairs, Zen 3, 2026-12-03).
// (Still slower than the fp32 panels' ~2.4 ms at 16 rows: docs/quantization.md.)
#if LLM_GEMV_AVX2
constexpr int kRWQ = 2;
#else
constexpr int kRWQ = kRW;
#endif

// tile() for int8 weight rows q (RW rows of `in`) with one scale per `group` columns (s: RW rows
// of G): each weight vector is widened and scaled once as it is loaded, then meets the RX
// activation rows as in tile(). group is a multiple of kLanes, so no tail columns and one scale
// per vector; every pair is the same chain in every tile shape (independent of N).
template <int RW, int RX>
inline void tile_q8(const int8_t* q, const float* s, int64_t G, int group, int64_t in, const float* x, float* y,
                    int64_t ys) {
  Vec acc[RW][RX];
  for (int i = 0; i < RW; i++)
    for (int j = 0; j < RX; j++) acc[i][j] = vzero();
  for (int64_t g = 0; g < G; g++) {
    Vec sc[RW];
    for (int i = 0; i < RW; i++) sc[i] = vset1(s[i * G + g]);
    for (int64_t c = g * group; c < (g + 1) * group; c += kLanes) {
      Vec wv[RW];
      for (int i = 0; i < RW; i++) wv[i] = vmul(vload_i8(q + i * in + c), sc[i]);
      for (int j = 0; j < RX; j++) {
        const Vec xv = vload(x + j * in + c);
        for (int i = 0; i < RW; i++) acc[i][j] = vfma(wv[i], xv, acc[i][j]);
      }
    }
  }
  for (int i = 0; i < RW; i++) {
    float sm[RX];
#if LLM_GEMV_AVX512
    if constexpr (RX == 8) vsum8(acc[i], sm);
    else
#elif LLM_GEMV_AVX2
    if constexpr (RX == 4) vsum4(acc[i], sm);
    else
#endif
      for (int j = 0; j < RX; j++) sm[j] = vsum(acc[i][j]);
    for (int j = 0; j < RX; j++) y[j * ys + i] = sm[j];
  }
}
#endif

// All N activation rows against one block of weights (starting at y), in tiles of MaxRX rows
// and then 4, 2, 1 for the rest. Tile is a callable (x rows, y, Int<RX>) running one tile.
template <int RX>
using IntC = std::integral_constant<int, RX>;
template <int MaxRX = kRX, class Tile>
inline void each_tile(int64_t N, int64_t in, int64_t out, const float* x, float* y, const Tile& t) {
  int64_t n = 0;
  for (; n + MaxRX <= N; n += MaxRX) t(x + n * in, y + n * out, IntC<MaxRX>{});
  if (MaxRX > 4 && n + 4 <= N) t(x + n * in, y + n * out, IntC<4>{}), n += 4;
  if (n + 2 <= N) t(x + n * in, y + n * out, IntC<2>{}), n += 2;
  if (n < N) t(x + n * in, y + n * out, IntC<1>{});
}
template <int RW>
inline void rows(const float* w, int64_t out, int64_t in, const float* x, int64_t N, float* y) {
  each_tile(N, in, out, x, y, [&](const float* xt, float* yt, auto rx) { tile<RW, decltype(rx)::value>(w, in, xt, yt, out); });
}

// ---------------------------------------------------------------- panels
// Panel layout (gemv.h): P = kPV vectors of consecutive output rows, stored column by column, so
// one column step of a panel is kPV contiguous vector loads and each activation value is
// broadcast once per column: y[n, p0 .. p0+P) accumulates in registers over the columns in
// order, with no horizontal sums and no scattered stores (the dot-product tiles above spend a
// third of their time on those).
constexpr int64_t kP = int64_t(kPV) * kLanes;
inline int64_t panels_of(int64_t out) { return (out + kP - 1) / kP; }
// One activation row has only kPV multiply-add chains per panel, too few for the FMA latency:
// it walks kN1P panels side by side (kN1P * kPV chains, kN1P memory streams). AVX2, 2 panels:
// one row through `small`'s 25 matrices 1.09 -> 0.85 ms (medians of 150 sweeps alternated with
// the other variants on 2 cores of a Zen 3 EPYC, 2026-12-03; 8-wide panels x 4 gave the same).
// Not measured on AVX-512 or in wasm, so those keep one panel.
#if LLM_GEMV_AVX2
constexpr int kN1P = 2;
#else
constexpr int kN1P = 1;
#endif

// A value the compiler must keep in a register. With all 16 AVX2 registers in use (12
// accumulators, 3 weights, 1 broadcast) g++ 12 folded the weight loads into the FMAs, loading
// each weight vector once per activation row: 16 loads per 12 FMAs instead of 7, 48 -> 94
// GFLOP/s hot in L1 for one 24 x 4 tile on a Zen 3 core once pinned; 16-row GEMVs of `small`
// 2.60 -> 2.43 ms (medians of 150 alternated sweeps, 2 cores, 2026-12-03).
inline Vec pin(Vec v) {
#if LLM_GEMV_AVX512 || LLM_GEMV_AVX2
  asm("" : "+v"(v));
#endif
  return v;
}

// y[j * ys + p0 + k] (k < ncols) for RX activation rows, from one panel wp (in, P). pf, pf_bytes:
// this tile's share of the next panel, asked for (into L2: a panel is larger than L1) a line at
// a time, spread evenly over the columns (pf_bytes may be 0).
template <int RX>
inline void panel_tile(const float* wp, int64_t in, const float* x, float* y, int64_t ys, int64_t ncols,
                       const char* pf, int64_t pf_bytes) {
  Vec acc[RX][kPV];
  for (int j = 0; j < RX; j++)
    for (int v = 0; v < kPV; v++) acc[j][v] = vzero();
  // bytes of [pf, pf + pf_bytes) asked for so far (a line at a time), and due after column c:
  // (c + 1) * pace / 256 (fixed point: no division in the loop)
  int64_t asked = 0;
  const int64_t pace = pf_bytes * 256 / in;
  for (int64_t c = 0; c < in; c++) {
    const float* wc = wp + c * kP;
    for (const int64_t due = ((c + 1) * pace) >> 8; asked < due; asked += 64) __builtin_prefetch(pf + asked, 0, 2);
    Vec wv[kPV];
    for (int v = 0; v < kPV; v++) wv[v] = pin(vload(wc + v * kLanes));
    for (int j = 0; j < RX; j++) {
      const Vec xb = vset1(x[j * in + c]);
      for (int v = 0; v < kPV; v++) acc[j][v] = vfma(wv[v], xb, acc[j][v]);
    }
  }
  for (int j = 0; j < RX; j++) {
    if (ncols == kP) {
      for (int v = 0; v < kPV; v++) vstore(y + j * ys + v * kLanes, acc[j][v]);
    } else {  // the last panel of a matrix whose out is not a multiple of P
      float t[kP];
      for (int v = 0; v < kPV; v++) vstore(t + v * kLanes, acc[j][v]);
      for (int64_t k = 0; k < ncols; k++) y[j * ys + k] = t[k];
    }
  }
}

// One activation row x against NP consecutive panels wp, wp + in * P, ... (y: NP * P outputs,
// the last panel's ncols of them). Each output is the same chain as in panel_tile.
template <int NP>
inline void panel_row_tile(const float* wp, int64_t in, const float* x, float* y, int64_t ncols) {
  Vec acc[NP][kPV];
  for (int k = 0; k < NP; k++)
    for (int v = 0; v < kPV; v++) acc[k][v] = vzero();
  for (int64_t c = 0; c < in; c++) {
    const Vec xb = vset1(x[c]);
    for (int k = 0; k < NP; k++)
      for (int v = 0; v < kPV; v++) acc[k][v] = vfma(vload(wp + (k * in + c) * kP + v * kLanes), xb, acc[k][v]);
  }
  for (int k = 0; k < NP; k++) {
    float t[kP];
    for (int v = 0; v < kPV; v++) vstore(t + v * kLanes, acc[k][v]);
    const int64_t nc = k == NP - 1 ? ncols : kP;
    for (int64_t i = 0; i < nc; i++) y[k * kP + i] = t[i];
  }
}

// y (out) = W x for one row: panels [p0, p1) in groups of kN1P, the rest one at a time with
// panel_tile (the batch kernel's one-row tile: the same chain)
inline void panels_one_row(const float* Wp, int64_t out, int64_t in, const float* x, float* y, int64_t p0, int64_t p1) {
  int64_t p = p0;
  auto ncols = [&](int64_t last) { return std::min(kP, out - last * kP); };
  for (; p + kN1P <= p1; p += kN1P) panel_row_tile<kN1P>(Wp + p * in * kP, in, x, y + p * kP, ncols(p + kN1P - 1));
  for (; p < p1; p++) panel_tile<1>(Wp + p * in * kP, in, x, y + p * kP, out, ncols(p), nullptr, 0);
}

}  // namespace

void gemv_f32(const float* W, int64_t out, int64_t in, const float* x, int64_t N, float* y) {
  if (out <= 0 || N <= 0) return;
  const bool par = out * in * N >= kParallelWork;
  const int64_t rw = N >= kMultiRowN ? kRW : 1;  // weight rows per tile
  const int64_t groups = (out + rw - 1) / rw;    // split over threads in contiguous ranges
  LLM_OMP_FOR_IF(par)
  for (int64_t g = 0; g < groups; g++) {
    const int64_t r0 = g * rw;
    // Batches (compute bound, several rows per tile): ask for the next tile's weight rows now,
    // so they arrive while this tile computes; the hardware prefetcher alone left the tiles
    // waiting on W. 16-stream forward of `small` 5.0-5.7 -> 4.6-5.3 ms (4-8%, alternate steps
    // with and without in one process, 2026-12-02). One stream (1-row tiles) reads W as a
    // plain sequential stream, which the hardware prefetcher already covers.
    if (rw > 1 && r0 + 2 * rw <= out) {
      prefetch_bytes(W + (r0 + rw) * in, size_t(rw * in) * sizeof(float));
    }
    if (rw == kRW && r0 + kRW <= out) {
      rows<kRW>(W + r0 * in, out, in, x, N, y + r0);
    } else {  // one row per tile, and the last out % kRW rows of a batch
      for (int64_t r = r0; r < std::min(out, r0 + rw); r++) rows<1>(W + r * in, out, in, x, N, y + r);
    }
  }
}

int64_t panel_width() { return kP; }

size_t panel_floats(int64_t out, int64_t in) { return size_t(panels_of(out) * in * kP); }

void pack_panels(const float* W, int64_t out, int64_t in, float* Wp) {
  for (int64_t p = 0; p < panels_of(out); p++)
    for (int64_t c = 0; c < in; c++)
      for (int64_t k = 0; k < kP; k++) {
        const int64_t r = p * kP + k;
        Wp[(p * in + c) * kP + k] = r < out ? W[r * in + c] : 0.f;
      }
}

void panel_row(const float* Wp, int64_t in, int64_t r, float* row) {
  const float* p = Wp + (r / kP) * in * kP + r % kP;
  for (int64_t c = 0; c < in; c++) row[c] = p[c * kP];
}

void matmul_panels_f32(const float* Wp, int64_t out, int64_t in, const float* x, int64_t N, float* y) {
  if (out <= 0 || N <= 0) return;
  const int64_t np = panels_of(out);
  const bool par = out * in * N >= kParallelWork;
  if (N == 1 && kN1P > 1) {
    // one contiguous range of panels per thread (groups of kN1P inside it: an even split of the
    // panels, where whole groups would leave one thread a group more)
#if defined(_OPENMP)
#pragma omp parallel if (par)
    {
      const int64_t t = omp_get_thread_num(), T = omp_get_num_threads();
      panels_one_row(Wp, out, in, x, y, np * t / T, np * (t + 1) / T);
    }
#else
    panels_one_row(Wp, out, in, x, y, 0, np);
#endif
    return;
  }
  LLM_OMP_FOR_IF(par)
  for (int64_t p = 0; p < np; p++) {
    const float* wp = Wp + p * in * kP;
    const int64_t p0 = p * kP, ncols = std::min(kP, out - p0);
    // A batch reads a panel once from memory and again from cache for every further tile. Each
    // tile asks for its share (by rows) of the next panel, so the whole panel's compute covers
    // its arrival: asking for all of it during the last tile alone wanted the bytes faster than
    // memory gives them (16-row GEMVs of `small`, medians of 150 alternated sweeps on a Zen 3:
    // 1.72-1.92 -> 1.44-2.10 ms; the lower quartile 1.58-1.83 -> 1.35-1.56, 2026-12-03). One
    // row reads a panel once, as a stream the hardware prefetcher follows.
    const char* next = (N > kPX && p + 1 < np) ? reinterpret_cast<const char*>(wp + in * kP) : nullptr;
    const int64_t next_bytes = next ? in * kP * int64_t(sizeof(float)) : 0;
    each_tile<kPX>(N, in, out, x, y + p0, [&](const float* xt, float* yt, auto rx) {
      constexpr int RX = decltype(rx)::value;
      const int64_t n = (xt - x) / in, b0 = next_bytes * n / N, b1 = next_bytes * (n + RX) / N;
      panel_tile<RX>(wp, in, xt, yt, out, ncols, next ? next + b0 : nullptr, b1 - b0);
    });
  }
}

void matmul_panels_ref(const float* W, int64_t out, int64_t in, const float* x, int64_t N, float* y) {
  for (int64_t n = 0; n < N; n++)
    for (int64_t r = 0; r < out; r++) {
      float s = 0.f;
      for (int64_t c = 0; c < in; c++) s = madd(W[r * in + c], x[n * in + c], s);
      y[n * out + r] = s;
    }
}

bool gemv_q8_supported(int group) {
#if LLM_GEMV_Q8
  return group > 0 && group % kLanes == 0;
#else
  (void)group;
  return false;
#endif
}

void gemv_q8(const int8_t* q, const float* scale, int group, int64_t out, int64_t in, const float* x, int64_t N,
             float* y) {
#if LLM_GEMV_Q8
  if (out <= 0 || N <= 0) return;
  if (!gemv_q8_supported(group) || in % group != 0)
    throw std::invalid_argument("gemv_q8: group " + std::to_string(group) + " must divide in (" + std::to_string(in) +
                                ") and be a multiple of " + std::to_string(kLanes));
  const int64_t G = in / group;
  const bool par = out * in * N >= kParallelWork;
  const int64_t groups = (out + kRWQ - 1) / kRWQ;
  LLM_OMP_FOR_IF(par)
  for (int64_t gi = 0; gi < groups; gi++) {
    const int64_t r0 = gi * kRWQ;
    if (r0 + 2 * kRWQ <= out) prefetch_bytes(q + (r0 + kRWQ) * in, size_t(kRWQ * in));  // as gemv_f32
    auto block = [&](auto rw) {
      constexpr int RW = decltype(rw)::value;
      each_tile(N, in, out, x, y + r0, [&](const float* xt, float* yt, auto rx) {
        tile_q8<RW, decltype(rx)::value>(q + r0 * in, scale + r0 * G, G, group, in, xt, yt, out);
      });
    };
    if (r0 + kRWQ <= out)
      block(IntC<kRWQ>{});
    else
      for (int64_t r = r0; r < out; r++) {  // the last out % kRWQ rows, one at a time
        each_tile(N, in, out, x, y + r, [&](const float* xt, float* yt, auto rx) {
          tile_q8<1, decltype(rx)::value>(q + r * in, scale + r * G, G, group, in, xt, yt, out);
        });
      }
  }
#else
  (void)q, (void)scale, (void)group, (void)out, (void)in, (void)x, (void)N, (void)y;
  throw std::logic_error("gemv_q8: this build has no SIMD int8 GEMV (check gemv_q8_supported first)");
#endif
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
