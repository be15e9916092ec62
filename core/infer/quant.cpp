// Weight-only int8 quantization and its matmul kernels (docs/quantization.md).
//
// Layout: W.q (rows, cols) int8 row-major, W.scale (rows, G) with G = cols / group.
// Both kernels compute, for every activation row n and weight row r,
//   y[n, r] = sum_g s_w[r, g] * ( sum_{c in g} q[r, c] * x[n, c] )              (q8 x f32)
//   y[n, r] = sum_g s_w[r, g] * s_x[n, g] * ( sum_{c in g} q[r, c] * qx[n, c] )  (q8 x q8)
// The inner sum of q8 x q8 is exact int32 arithmetic; one float multiply-add per group.
//
// Three code paths picked at compile time: AVX2+FMA (__AVX2__, native -march=native), wasm
// SIMD128 (__wasm_simd128__, em++ -msimd128), and scalar. The scalar q8 x f32 reference
// (matmul_q8_f32_ref) accumulates in double and is what tests hold the SIMD paths to.
#include "core/infer/quant.h"
#include "core/infer/gemv.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "core/tensor/eigen_util.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define LLM_Q8_AVX2 1
#elif defined(__wasm_simd128__)
#include <wasm_simd128.h>
#define LLM_Q8_WASM 1
#endif

namespace llm {

namespace {

#ifdef _OPENMP
// Rows are split over OpenMP threads only when the product is big enough to pay for the fork.
constexpr int64_t kParallelWork = int64_t(1) << 16;
#endif

void check_matrix(const QuantMatrix& W, int64_t N, const char* where) {
  if (N < 0) throw std::invalid_argument(std::string(where) + ": N must be >= 0, got " + std::to_string(N));
  if (W.group <= 0 || W.cols % W.group != 0)
    throw std::invalid_argument(std::string(where) + ": group " + std::to_string(W.group) +
                                " does not divide cols " + std::to_string(W.cols));
  if (int64_t(W.q.size()) != W.rows * W.cols || int64_t(W.scale.size()) != W.rows * (W.cols / W.group))
    throw std::invalid_argument(std::string(where) + ": QuantMatrix buffers do not match rows " +
                                std::to_string(W.rows) + " x cols " + std::to_string(W.cols));
}

// Symmetric per-group quantization of n values: s = max|v| / 127, q = round(v / s).
// Returns s (0 for an all-zero group, then q = 0). Written to vectorize without -ffast-math:
// max|v| is an integer max over the bit patterns with the sign cleared (same order as the
// values for non-negative floats), and rounding adds and subtracts 1.5 * 2^23, which leaves
// the nearest integer (ties to even) in float arithmetic on every IEEE platform.
inline float group_absmax(const float* v, int n) {
  uint32_t amax_bits = 0;
  for (int i = 0; i < n; i++) {
    uint32_t b;
    std::memcpy(&b, v + i, 4);
    b &= 0x7FFFFFFFu;
    amax_bits = b > amax_bits ? b : amax_bits;
  }
  float amax;
  std::memcpy(&amax, &amax_bits, 4);
  return amax;
}
inline float round_q8(float v, float inv) {  // v * inv rounded to an integer in [-127, 127]
  const float r = (v * inv + 12582912.f) - 12582912.f;
  return r > 127.f ? 127.f : (r < -127.f ? -127.f : r);
}
inline float quantize_group(const float* v, int n, int8_t* q) {
  const float amax = group_absmax(v, n), s = amax / 127.f;
  if (s == 0.f) {
    std::fill(q, q + n, int8_t(0));
    return 0.f;
  }
  const float inv = 127.f / amax;
  for (int i = 0; i < n; i++) q[i] = int8_t(int32_t(round_q8(v[i], inv)));
  return s;
}
// out = s * q with (s, q) = quantize_group(v): the values int8 activations stand for
inline void fake_quantize_group(const float* v, int n, float* out) {
  const float amax = group_absmax(v, n), s = amax / 127.f;
  const float inv = s == 0.f ? 0.f : 127.f / amax;
  for (int i = 0; i < n; i++) out[i] = s * round_q8(v[i], inv);
}

// ------------------------------------------------------------------------------------------
// Kernels. Each computes NR outputs at once: out[k] = dot(weight row k, activation row), for
// NR consecutive weight rows (q + k * C, scales s + k * G). Several rows per call share every
// activation load and give the CPU NR independent accumulation chains (one chain per row would
// stall on the FMA latency at every group boundary).
// ------------------------------------------------------------------------------------------
#if LLM_Q8_AVX2
inline float hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
// 8 int8 at p -> 8 floats
inline __m256 load8_i8_ps(const int8_t* p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}
// 32 int8 products summed into 8 int32 lanes. maddubs multiplies unsigned x signed bytes:
// feed it |w| and x * sign(w) (same products). A pair sum is at most 2 * 127 * 127 = 32258
// < 32767 (no -128 anywhere), so nothing saturates.
inline __m256i dot32_i8(__m256i w, __m256i x) {
  const __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
  return _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
}
inline __m128i dot16_i8(__m128i w, __m128i x) {
  const __m128i p16 = _mm_maddubs_epi16(_mm_sign_epi8(w, w), _mm_sign_epi8(x, w));
  return _mm_madd_epi16(p16, _mm_set1_epi16(1));
}

template <int NR>
void dot_q8_f32(const int8_t* q, const float* s, const float* x, int64_t C, int group, float* out) {
  const int64_t G = C / group;
  __m256 acc[NR];
  float tail[NR];
  for (int k = 0; k < NR; k++) { acc[k] = _mm256_setzero_ps(); tail[k] = 0.f; }
  for (int64_t g = 0; g < G; g++) {
    const int64_t c0 = g * group;
    __m256 a[NR];
    for (int k = 0; k < NR; k++) a[k] = _mm256_setzero_ps();
    int c = 0;
    for (; c + 8 <= group; c += 8) {
      const __m256 xv = _mm256_loadu_ps(x + c0 + c);
      for (int k = 0; k < NR; k++) a[k] = _mm256_fmadd_ps(load8_i8_ps(q + k * C + c0 + c), xv, a[k]);
    }
    for (int k = 0; k < NR; k++) {
      acc[k] = _mm256_fmadd_ps(a[k], _mm256_set1_ps(s[k * G + g]), acc[k]);
      float t = 0.f;  // columns past the last multiple of 8 (group % 8 != 0)
      for (int cc = c; cc < group; cc++) t += float(q[k * C + c0 + cc]) * x[c0 + cc];
      tail[k] += s[k * G + g] * t;
    }
  }
  for (int k = 0; k < NR; k++) out[k] = hsum256(acc[k]) + tail[k];
}

template <int NR>
void dot_q8_q8(const int8_t* q, const float* sw, const int8_t* qx, const float* sx, int64_t C, int group,
               float* out) {
  const int64_t G = C / group;
  __m256 acc[NR];
  float tail[NR];
  for (int k = 0; k < NR; k++) { acc[k] = _mm256_setzero_ps(); tail[k] = 0.f; }
  for (int64_t g = 0; g < G; g++) {
    const int64_t c0 = g * group;
    __m256i isum[NR];  // (8) int32 partial sums of this group, per row
    for (int k = 0; k < NR; k++) isum[k] = _mm256_setzero_si256();
    int c = 0;
    for (; c + 32 <= group; c += 32) {
      const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qx + c0 + c));
      for (int k = 0; k < NR; k++) {
        const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + k * C + c0 + c));
        isum[k] = _mm256_add_epi32(isum[k], dot32_i8(wv, xv));
      }
    }
    if (c + 16 <= group) {
      const __m128i xv = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qx + c0 + c));
      for (int k = 0; k < NR; k++) {
        const __m128i wv = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + k * C + c0 + c));
        isum[k] = _mm256_add_epi32(isum[k], _mm256_inserti128_si256(_mm256_setzero_si256(), dot16_i8(wv, xv), 0));
      }
      c += 16;
    }
    for (int k = 0; k < NR; k++) {
      const float sg = sw[k * G + g] * sx[g];
      acc[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[k]), _mm256_set1_ps(sg), acc[k]);
      int32_t t = 0;
      for (int cc = c; cc < group; cc++) t += int32_t(q[k * C + c0 + cc]) * int32_t(qx[c0 + cc]);
      tail[k] += sg * float(t);
    }
  }
  for (int k = 0; k < NR; k++) out[k] = hsum256(acc[k]) + tail[k];
}

// Fast paths for group % 32 == 0 (every group a whole number of 32-column blocks): no tail
// code, and per 32 columns each row keeps two FMA chains (int8 x fp32) or one integer chain
// (int8 x int8) while NR rows run side by side.
template <int NR>
void dot_q8_f32_b32(const int8_t* q, const float* s, const float* x, int64_t C, int group, float* out) {
  const int64_t G = C / group;
  __m256 acc[NR];
  for (int k = 0; k < NR; k++) acc[k] = _mm256_setzero_ps();
  for (int64_t g = 0; g < G; g++) {
    __m256 a0[NR], a1[NR];
    for (int k = 0; k < NR; k++) a0[k] = a1[k] = _mm256_setzero_ps();
    for (int64_t c = g * group; c < (g + 1) * group; c += 32) {
      for (int k = 0; k < NR; k++) {
        const int8_t* w = q + k * C + c;
        a0[k] = _mm256_fmadd_ps(load8_i8_ps(w), _mm256_loadu_ps(x + c), a0[k]);
        a1[k] = _mm256_fmadd_ps(load8_i8_ps(w + 8), _mm256_loadu_ps(x + c + 8), a1[k]);
        a0[k] = _mm256_fmadd_ps(load8_i8_ps(w + 16), _mm256_loadu_ps(x + c + 16), a0[k]);
        a1[k] = _mm256_fmadd_ps(load8_i8_ps(w + 24), _mm256_loadu_ps(x + c + 24), a1[k]);
      }
    }
    for (int k = 0; k < NR; k++)
      acc[k] = _mm256_fmadd_ps(_mm256_add_ps(a0[k], a1[k]), _mm256_set1_ps(s[k * G + g]), acc[k]);
  }
  for (int k = 0; k < NR; k++) out[k] = hsum256(acc[k]);
}

template <int NR>
void dot_q8_q8_b32(const int8_t* q, const float* sw, const int8_t* qx, const float* sx, int64_t C, int group,
                   float* out) {
  const int64_t G = C / group;
  __m256 acc[NR];
  for (int k = 0; k < NR; k++) acc[k] = _mm256_setzero_ps();
  for (int64_t g = 0; g < G; g++) {
    __m256i isum[NR];
    for (int k = 0; k < NR; k++) isum[k] = _mm256_setzero_si256();
    for (int64_t c = g * group; c < (g + 1) * group; c += 32) {
      const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qx + c));
      for (int k = 0; k < NR; k++)
        isum[k] = _mm256_add_epi32(
            isum[k], dot32_i8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + k * C + c)), xv));
    }
    const float sxg = sx[g];
    for (int k = 0; k < NR; k++)
      acc[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[k]), _mm256_set1_ps(sw[k * G + g] * sxg), acc[k]);
  }
  for (int k = 0; k < NR; k++) out[k] = hsum256(acc[k]);
}

#elif LLM_Q8_WASM
inline float hsum128(v128_t v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 2) +
         wasm_f32x4_extract_lane(v, 3);
}

template <int NR>
void dot_q8_f32(const int8_t* q, const float* s, const float* x, int64_t C, int group, float* out) {
  const int64_t G = C / group;
  v128_t acc[NR];
  float tail[NR];
  for (int k = 0; k < NR; k++) { acc[k] = wasm_f32x4_splat(0.f); tail[k] = 0.f; }
  for (int64_t g = 0; g < G; g++) {
    const int64_t c0 = g * group;
    v128_t a[NR];
    for (int k = 0; k < NR; k++) a[k] = wasm_f32x4_splat(0.f);
    int c = 0;
    for (; c + 8 <= group; c += 8) {
      const v128_t x0 = wasm_v128_load(x + c0 + c), x1 = wasm_v128_load(x + c0 + c + 4);
      for (int k = 0; k < NR; k++) {
        const v128_t w16 = wasm_i16x8_load8x8(q + k * C + c0 + c);  // 8 int8 -> i16x8
        const v128_t lo = wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(w16));
        const v128_t hi = wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(w16));
        a[k] = wasm_f32x4_add(a[k], wasm_f32x4_add(wasm_f32x4_mul(lo, x0), wasm_f32x4_mul(hi, x1)));
      }
    }
    for (int k = 0; k < NR; k++) {
      acc[k] = wasm_f32x4_add(acc[k], wasm_f32x4_mul(a[k], wasm_f32x4_splat(s[k * G + g])));
      float t = 0.f;
      for (int cc = c; cc < group; cc++) t += float(q[k * C + c0 + cc]) * x[c0 + cc];
      tail[k] += s[k * G + g] * t;
    }
  }
  for (int k = 0; k < NR; k++) out[k] = hsum128(acc[k]) + tail[k];
}

template <int NR>
void dot_q8_q8(const int8_t* q, const float* sw, const int8_t* qx, const float* sx, int64_t C, int group,
               float* out) {
  const int64_t G = C / group;
  v128_t acc[NR];
  float tail[NR];
  for (int k = 0; k < NR; k++) { acc[k] = wasm_f32x4_splat(0.f); tail[k] = 0.f; }
  for (int64_t g = 0; g < G; g++) {
    const int64_t c0 = g * group;
    v128_t isum[NR];
    for (int k = 0; k < NR; k++) isum[k] = wasm_i32x4_splat(0);
    int c = 0;
    for (; c + 16 <= group; c += 16) {  // widen to i16, then i32x4.dot adds adjacent products
      const v128_t xv = wasm_v128_load(qx + c0 + c);
      const v128_t xlo = wasm_i16x8_extend_low_i8x16(xv), xhi = wasm_i16x8_extend_high_i8x16(xv);
      for (int k = 0; k < NR; k++) {
        const v128_t wv = wasm_v128_load(q + k * C + c0 + c);
        isum[k] = wasm_i32x4_add(isum[k], wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(wv), xlo));
        isum[k] = wasm_i32x4_add(isum[k], wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(wv), xhi));
      }
    }
    for (int k = 0; k < NR; k++) {
      const float sg = sw[k * G + g] * sx[g];
      acc[k] = wasm_f32x4_add(acc[k], wasm_f32x4_mul(wasm_f32x4_convert_i32x4(isum[k]), wasm_f32x4_splat(sg)));
      int32_t t = 0;
      for (int cc = c; cc < group; cc++) t += int32_t(q[k * C + c0 + cc]) * int32_t(qx[c0 + cc]);
      tail[k] += sg * float(t);
    }
  }
  for (int k = 0; k < NR; k++) out[k] = hsum128(acc[k]) + tail[k];
}

#else  // scalar

template <int NR>
void dot_q8_f32(const int8_t* q, const float* s, const float* x, int64_t C, int group, float* out) {
  const int64_t G = C / group;
  for (int k = 0; k < NR; k++) {
    float acc = 0.f;
    for (int64_t g = 0; g < G; g++) {
      float t = 0.f;
      for (int64_t c = g * group; c < (g + 1) * group; c++) t += float(q[k * C + c]) * x[c];
      acc += s[k * G + g] * t;
    }
    out[k] = acc;
  }
}

template <int NR>
void dot_q8_q8(const int8_t* q, const float* sw, const int8_t* qx, const float* sx, int64_t C, int group,
               float* out) {
  const int64_t G = C / group;
  for (int k = 0; k < NR; k++) {
    float acc = 0.f;
    for (int64_t g = 0; g < G; g++) {
      int32_t t = 0;
      for (int64_t c = g * group; c < (g + 1) * group; c++) t += int32_t(q[k * C + c]) * int32_t(qx[c]);
      acc += sw[k * G + g] * sx[g] * float(t);
    }
    out[k] = acc;
  }
}
#endif

// Weight rows go in blocks of kRowBlock (one kernel call), blocks in chunks of kRowChunk rows
// (one OpenMP work item). Inside a chunk the activation rows are the outer loop: the chunk's
// weights (kRowChunk * C bytes, 4.5 KB to 12 KB for C = 288 to 768) stay in L1 while all N
// activation rows pass, so W is read from memory once whatever N is. For N = 1 (decode) this
// is a GEMV streaming W exactly once.
constexpr int64_t kRowBlock = 4;
constexpr int64_t kRowChunk = 16;

// Calls rows(r, nr, n) for the nr (<= kRowBlock) weight rows from r and activation row n.
template <class Rows>
void over_rows(int64_t R, int64_t N, int64_t C, const Rows& rows) {
  const int64_t chunks = (R + kRowChunk - 1) / kRowChunk;
  (void)C;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (R * C * N >= kParallelWork)
#endif
  for (int64_t ch = 0; ch < chunks; ch++) {
    const int64_t r0 = ch * kRowChunk, r1 = std::min(R, r0 + kRowChunk);
    for (int64_t n = 0; n < N; n++)
      for (int64_t r = r0; r < r1; r += kRowBlock) rows(r, std::min(kRowBlock, r1 - r), n);
  }
}

// Many activation rows (prefill, big decode batches): the product is compute bound, where a
// cache-blocked GEMM beats row-by-row dot products even after paying to widen the weights.
// Each work item dequantizes kGemmRows weight rows into a small fp32 buffer (kGemmRows x C,
// 144 KB for C = 288) and multiplies with Eigen; the full fp32 matrix never exists. Without
// OpenMP nesting Eigen runs single-threaded inside each item.
constexpr int64_t kGemmMinN = 8;
constexpr int64_t kQ8GemvMinN = 4, kQ8GemvMaxN = 32;  // rows for gemv_q8 (when the build has it)
constexpr int64_t kGemmRows = 128;

// w (rows, C) = s * q, group by group (vectorizes: one scale per inner loop)
void dequant_rows(const int8_t* q, const float* s, int64_t rows, int64_t C, int group, float* w) {
  const int64_t G = C / group;
  for (int64_t i = 0; i < rows * G; i++) {
    const float sc = s[i];
    const int8_t* qg = q + i * group;
    float* wg = w + i * group;
    for (int c = 0; c < group; c++) wg[c] = sc * float(qg[c]);
  }
}

// y (N, R) = xf (N, C) . dequant(W)^T
void gemm_dequant(const float* xf, int64_t N, const QuantMatrix& W, float* y) {
  const int64_t R = W.rows, C = W.cols, G = C / W.group;
  const int64_t chunks = (R + kGemmRows - 1) / kGemmRows;
  CMapR<float> X(xf, N, C);
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (R * C * N >= kParallelWork)
#endif
  for (int64_t ch = 0; ch < chunks; ch++) {
    const int64_t r0 = ch * kGemmRows, nr = std::min(kGemmRows, R - r0);
    std::vector<float> wf(size_t(nr * C));  // (nr, C) dequantized rows r0 .. r0 + nr
    dequant_rows(W.q.data() + r0 * C, W.scale.data() + r0 * G, nr, C, W.group, wf.data());
    SMapR<float> Y(y + r0, N, nr, Eigen::OuterStride<>(R));  // columns r0 .. r0 + nr of y
    Y.noalias() = X * CMapR<float>(wf.data(), nr, C).transpose();
  }
}

}  // namespace

QuantMatrix quantize_int8(const float* w, int64_t rows, int64_t cols, int group) {
  if (rows < 0 || cols <= 0)
    throw std::invalid_argument("quantize_int8: bad shape " + std::to_string(rows) + " x " + std::to_string(cols));
  if (group <= 0 || cols % group != 0)
    throw std::invalid_argument("quantize_int8: group " + std::to_string(group) + " does not divide cols " +
                                std::to_string(cols));
  QuantMatrix m;
  m.rows = rows;
  m.cols = cols;
  m.group = group;
  const int64_t G = cols / group;
  m.q.resize(size_t(rows * cols));      // (rows, cols)
  m.scale.resize(size_t(rows * G));     // (rows, G)
  for (int64_t r = 0; r < rows; r++) {
    for (int64_t c = 0; c < cols; c++)
      if (!std::isfinite(w[r * cols + c]))
        throw std::invalid_argument("quantize_int8: w[" + std::to_string(r) + ", " + std::to_string(c) +
                                    "] is not finite");
    for (int64_t g = 0; g < G; g++)
      m.scale[r * G + g] = quantize_group(w + r * cols + g * group, group, m.q.data() + r * cols + g * group);
  }
  return m;
}

void dequantize_int8(const QuantMatrix& m, float* w) {
  check_matrix(m, 0, "dequantize_int8");
  const int64_t G = m.cols / m.group;
  (void)G;
  dequant_rows(m.q.data(), m.scale.data(), m.rows, m.cols, m.group, w);
}

void matmul_q8_f32(const float* x, int64_t N, const QuantMatrix& W, float* y) {
  check_matrix(W, N, "matmul_q8_f32");
  const int64_t R = W.rows, C = W.cols, G = C / W.group;
  const int group = W.group;
  // Decode batches: a block of weight rows widened once in registers meets all N activation rows
  // (gemv.cpp); the row-block dot kernels below would widen every weight again for each row, and
  // the GEMM's packing does not pay for 32 rows or fewer.
  if (N >= kQ8GemvMinN && N <= kQ8GemvMaxN && gemv_q8_supported(group))
    return gemv_q8(W.q.data(), W.scale.data(), group, R, C, x, N, y);
  if (N >= kGemmMinN) return gemm_dequant(x, N, W, y);
  const int8_t* q = W.q.data();
  const float* s = W.scale.data();
  over_rows(R, N, C, [&](int64_t r, int64_t nr, int64_t n) {
    const float* xn = x + n * C;  // (C) activation row n
    float* out = y + n * R + r;   // (nr) outputs
    if (nr == kRowBlock) {
#if LLM_Q8_AVX2
      if (group % 32 == 0) return dot_q8_f32_b32<kRowBlock>(q + r * C, s + r * G, xn, C, group, out);
#endif
      return dot_q8_f32<kRowBlock>(q + r * C, s + r * G, xn, C, group, out);
    }
    for (int64_t k = 0; k < nr; k++) dot_q8_f32<1>(q + (r + k) * C, s + (r + k) * G, xn, C, group, out + k);
  });
}

void matmul_q8_q8(const float* x, int64_t N, const QuantMatrix& W, float* y) {
  check_matrix(W, N, "matmul_q8_q8");
  const int64_t R = W.rows, C = W.cols, G = C / W.group;
  const int group = W.group;
  if (N >= kGemmMinN) {
    // the same product in GEMM form: dequant(W) times the int8-rounded activations
    std::vector<float> xf(size_t(N * C));  // (N, C)
    for (int64_t i = 0; i < N * G; i++) fake_quantize_group(x + i * group, group, xf.data() + i * group);
    return gemm_dequant(xf.data(), N, W, y);
  }
  // activations quantized with the weights' grouping: qx (N, C), sx (N, G)
  std::vector<int8_t> qx(size_t(N * C));
  std::vector<float> sx(size_t(N * G));
  for (int64_t i = 0; i < N * G; i++) sx[i] = quantize_group(x + i * group, group, qx.data() + i * group);
  const int8_t* q = W.q.data();
  const float* s = W.scale.data();
  over_rows(R, N, C, [&](int64_t r, int64_t nr, int64_t n) {
    const int8_t* xq = qx.data() + n * C;  // (C)
    const float* xs = sx.data() + n * G;   // (G)
    float* out = y + n * R + r;            // (nr)
    if (nr == kRowBlock) {
#if LLM_Q8_AVX2
      if (group % 32 == 0) return dot_q8_q8_b32<kRowBlock>(q + r * C, s + r * G, xq, xs, C, group, out);
#endif
      return dot_q8_q8<kRowBlock>(q + r * C, s + r * G, xq, xs, C, group, out);
    }
    for (int64_t k = 0; k < nr; k++) dot_q8_q8<1>(q + (r + k) * C, s + (r + k) * G, xq, xs, C, group, out + k);
  });
}

void matmul_q8_f32_ref(const float* x, int64_t N, const QuantMatrix& W, float* y) {
  check_matrix(W, N, "matmul_q8_f32_ref");
  const int64_t R = W.rows, C = W.cols, G = C / W.group;
  for (int64_t n = 0; n < N; n++)
    for (int64_t r = 0; r < R; r++) {
      double acc = 0;
      for (int64_t g = 0; g < G; g++) {
        double t = 0;
        for (int64_t c = g * W.group; c < (g + 1) * W.group; c++) t += double(W.q[r * C + c]) * double(x[n * C + c]);
        acc += double(W.scale[r * G + g]) * t;
      }
      y[n * R + r] = float(acc);
    }
}

}  // namespace llm
