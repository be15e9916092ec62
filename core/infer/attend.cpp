// Decode attention inner loops (see attend.h).
//
// attn_scores keeps q in registers (hd <= 128 floats: up to 16 AVX2 vectors) and walks 4 keys at
// a time, one accumulator per key, reduced horizontally at the end. attn_accum keeps o in
// registers across all n value rows: one FMA per vector per row, in key order.
#include "core/infer/attend.h"

#include <vector>

#include "core/util/half.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define LLM_ATT_AVX2 1
#elif defined(__wasm_simd128__)
#include <wasm_simd128.h>
#define LLM_ATT_WASM 1
#endif

namespace llm {

namespace {
// The plain loops run on fp32 rows only; fp16 rows are converted (exactly) into a scratch copy
// first. One loop for both types means one compiled instruction sequence: with two template
// instances g++ -march=native contracted a * b + c into an FMA in one and not in the other, and
// the fp16 path no longer gave the fp32 path's bits on the converted rows.
__attribute__((noinline)) void scores_ref(const float* q, const float* K, int64_t stride, int n, int hd, float scale,
                                          float* s) {
  for (int j = 0; j < n; j++) {
    float d = 0.f;
    for (int i = 0; i < hd; i++) d += q[i] * K[j * stride + i];
    s[j] = d * scale;
  }
}

__attribute__((noinline)) void accum_ref(const float* p, const float* V, int64_t stride, int n, int hd, float* o) {
  for (int j = 0; j < n; j++)
    for (int i = 0; i < hd; i++) o[i] += p[j] * V[j * stride + i];
}

// (n, hd) fp16 rows, `stride` apart -> (n, hd) contiguous fp32 rows in a per-thread scratch
const float* widen_rows(const uint16_t* X, int64_t stride, int n, int hd) {
  thread_local std::vector<float> buf;
  if (buf.size() < size_t(n) * size_t(hd)) buf.resize(size_t(n) * size_t(hd));
  for (int j = 0; j < n; j++)
    for (int i = 0; i < hd; i++) buf[size_t(j) * hd + i] = f16_to_f32(X[j * stride + i]);
  return buf.data();
}

void scores_ref(const float* q, const uint16_t* K, int64_t stride, int n, int hd, float scale, float* s) {
  scores_ref(q, widen_rows(K, stride, n, hd), hd, n, hd, scale, s);
}

void accum_ref(const float* p, const uint16_t* V, int64_t stride, int n, int hd, float* o) {
  accum_ref(p, widen_rows(V, stride, n, hd), hd, n, hd, o);
}
}  // namespace

void attn_scores_ref(const float* q, const float* K, int64_t stride, int n, int hd, float scale, float* s) {
  scores_ref(q, K, stride, n, hd, scale, s);
}
void attn_accum_ref(const float* p, const float* V, int64_t stride, int n, int hd, float* o) {
  accum_ref(p, V, stride, n, hd, o);
}
void attn_scores_ref(const float* q, const uint16_t* K, int64_t stride, int n, int hd, float scale, float* s) {
  scores_ref(q, K, stride, n, hd, scale, s);
}
void attn_accum_ref(const float* p, const uint16_t* V, int64_t stride, int n, int hd, float* o) {
  accum_ref(p, V, stride, n, hd, o);
}

#if LLM_ATT_AVX2
namespace {
inline float hsum(__m256 a) {
  const __m128 A = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  const __m128 h = _mm_hadd_ps(A, A);
  return _mm_cvtss_f32(_mm_hadd_ps(h, h));
}

// 8 K/V values as fp32: fp32 rows load, fp16 rows convert (F16C, exact), so an fp16 row gives
// the numbers the fp32 kernel gives on the converted row
inline __m256 ld8(const float* p) { return _mm256_loadu_ps(p); }
#if defined(__F16C__)
inline __m256 ld8(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
#else
inline __m256 ld8(const uint16_t* p) {
  alignas(32) float f[8];
  for (int i = 0; i < 8; i++) f[i] = f16_to_f32(p[i]);
  return _mm256_load_ps(f);
}
#endif

// NV = hd / 8 as a compile-time constant: q (or o) stays in NV registers and the per-key loop is
// straight-line code (a runtime NV left a compare-and-branch before every vector)
template <int NV, class T>
void scores_nv(const float* q, const T* K, int64_t stride, int n, float scale, float* s) {
  __m256 qv[NV];
  for (int v = 0; v < NV; v++) qv[v] = _mm256_loadu_ps(q + 8 * v);
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    const T *k0 = K + j * stride, *k1 = k0 + stride, *k2 = k1 + stride, *k3 = k2 + stride;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int v = 0; v < NV; v++) {
      a0 = _mm256_fmadd_ps(qv[v], ld8(k0 + 8 * v), a0);
      a1 = _mm256_fmadd_ps(qv[v], ld8(k1 + 8 * v), a1);
      a2 = _mm256_fmadd_ps(qv[v], ld8(k2 + 8 * v), a2);
      a3 = _mm256_fmadd_ps(qv[v], ld8(k3 + 8 * v), a3);
    }
    s[j] = hsum(a0) * scale, s[j + 1] = hsum(a1) * scale, s[j + 2] = hsum(a2) * scale, s[j + 3] = hsum(a3) * scale;
  }
  for (; j < n; j++) {  // same per-key arithmetic as inside the 4-key loop
    const T* k0 = K + j * stride;
    __m256 a0 = _mm256_setzero_ps();
    for (int v = 0; v < NV; v++) a0 = _mm256_fmadd_ps(qv[v], ld8(k0 + 8 * v), a0);
    s[j] = hsum(a0) * scale;
  }
}

template <int NV, class T>
void accum_nv(const float* p, const T* V, int64_t stride, int n, float* o) {
  __m256 ov[NV];
  for (int v = 0; v < NV; v++) ov[v] = _mm256_loadu_ps(o + 8 * v);
  for (int j = 0; j < n; j++) {
    const __m256 w = _mm256_set1_ps(p[j]);
    const T* vr = V + j * stride;
    for (int v = 0; v < NV; v++) ov[v] = _mm256_fmadd_ps(w, ld8(vr + 8 * v), ov[v]);
  }
  for (int v = 0; v < NV; v++) _mm256_storeu_ps(o + 8 * v, ov[v]);
}

#if defined(__AVX512F__)
// AVX-512, hd a multiple of 16: 16 keys at a time, one accumulator per key, and the 16 sums
// reduced TOGETHER by a transpose-add tree (5 levels of shuffles shared by all 16 keys) instead
// of one horizontal sum per key, which cost more than the key's 3 FMAs. Every key's 16 lanes
// go through the same tree ((l0..3 + l8..11) + (l4..7 + l12..15), then the 4 lanes of the
// 128-bit result as (e0 + e2) + (e1 + e3)) whichever of the 16 slots it sits in, and a tile
// with fewer than 16 keys computes zeros in the empty slots: so s[j] depends only on q and K_j,
// not on n or where the block boundaries fall (Attend.BlockSplitsChangeNoBit).
inline __m512 ld16(const float* p) { return _mm512_loadu_ps(p); }
inline __m512 ld16(const uint16_t* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

// a[k] (16 lanes each) -> out lane k = sum of a[k]'s lanes, k < 16
inline __m512 reduce16(__m512 a[16]) {
  __m512 b[8], c[4];
  for (int i = 0; i < 8; i++)  // (key 2i, 2i+1) x 2 quarters each: quarters q0+q2 | q1+q3
    b[i] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], 0x44),
                         _mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], 0xEE));
  for (int i = 0; i < 4; i++)  // quarter t of c[i] = key 4i + t (4 partial sums)
    c[i] = _mm512_add_ps(_mm512_shuffle_f32x4(b[2 * i], b[2 * i + 1], 0x88),
                         _mm512_shuffle_f32x4(b[2 * i], b[2 * i + 1], 0xDD));
  const __m512 d0 = _mm512_add_ps(_mm512_unpacklo_ps(c[0], c[1]), _mm512_unpackhi_ps(c[0], c[1]));
  const __m512 d1 = _mm512_add_ps(_mm512_unpacklo_ps(c[2], c[3]), _mm512_unpackhi_ps(c[2], c[3]));
  const __m512d e0 = _mm512_unpacklo_pd(_mm512_castps_pd(d0), _mm512_castps_pd(d1));
  const __m512d e1 = _mm512_unpackhi_pd(_mm512_castps_pd(d0), _mm512_castps_pd(d1));
  const __m512 e = _mm512_add_ps(_mm512_castpd_ps(e0), _mm512_castpd_ps(e1));  // lane 4t + i = key 4i + t
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  return _mm512_permutexvar_ps(order, e);
}

template <int NV, class T>
void scores16(const float* q, const T* K, int64_t stride, int n, float scale, float* s) {
  __m512 qv[NV];
  for (int v = 0; v < NV; v++) qv[v] = _mm512_loadu_ps(q + 16 * v);
  const __m512 sc = _mm512_set1_ps(scale);
  for (int j = 0; j < n; j += 16) {
    const int m = n - j < 16 ? n - j : 16;
    __m512 a[16];
    for (int k = 0; k < 16; k++) {
      a[k] = _mm512_setzero_ps();
      if (k < m)
        for (int v = 0; v < NV; v++) a[k] = _mm512_fmadd_ps(qv[v], ld16(K + (j + k) * stride + 16 * v), a[k]);
    }
    _mm512_mask_storeu_ps(s + j, __mmask16((1u << m) - 1u), _mm512_mul_ps(reduce16(a), sc));
  }
}
#endif

template <class T>
void scores(const float* q, const T* K, int64_t stride, int n, int hd, float scale, float* s) {
#if defined(__AVX512F__)
  switch (hd) {
    case 16: return scores16<1>(q, K, stride, n, scale, s);
    case 32: return scores16<2>(q, K, stride, n, scale, s);
    case 48: return scores16<3>(q, K, stride, n, scale, s);
    case 64: return scores16<4>(q, K, stride, n, scale, s);
    case 80: return scores16<5>(q, K, stride, n, scale, s);
    case 96: return scores16<6>(q, K, stride, n, scale, s);
    case 128: return scores16<8>(q, K, stride, n, scale, s);
    default: break;
  }
#endif
  switch (hd) {
    case 8: return scores_nv<1>(q, K, stride, n, scale, s);
    case 16: return scores_nv<2>(q, K, stride, n, scale, s);
    case 24: return scores_nv<3>(q, K, stride, n, scale, s);
    case 32: return scores_nv<4>(q, K, stride, n, scale, s);
    case 40: return scores_nv<5>(q, K, stride, n, scale, s);
    case 48: return scores_nv<6>(q, K, stride, n, scale, s);
    case 64: return scores_nv<8>(q, K, stride, n, scale, s);
    case 80: return scores_nv<10>(q, K, stride, n, scale, s);
    case 96: return scores_nv<12>(q, K, stride, n, scale, s);
    case 128: return scores_nv<16>(q, K, stride, n, scale, s);
    default: return scores_ref(q, K, stride, n, hd, scale, s);
  }
}

template <class T>
void accum(const float* p, const T* V, int64_t stride, int n, int hd, float* o) {
  switch (hd) {
    case 8: return accum_nv<1>(p, V, stride, n, o);
    case 16: return accum_nv<2>(p, V, stride, n, o);
    case 24: return accum_nv<3>(p, V, stride, n, o);
    case 32: return accum_nv<4>(p, V, stride, n, o);
    case 40: return accum_nv<5>(p, V, stride, n, o);
    case 48: return accum_nv<6>(p, V, stride, n, o);
    case 64: return accum_nv<8>(p, V, stride, n, o);
    case 80: return accum_nv<10>(p, V, stride, n, o);
    case 96: return accum_nv<12>(p, V, stride, n, o);
    case 128: return accum_nv<16>(p, V, stride, n, o);
    default: return accum_ref(p, V, stride, n, hd, o);
  }
}
}  // namespace

#elif LLM_ATT_WASM
namespace {
constexpr int kMaxVec = 32;  // hd <= 128
inline float hsum(v128_t a) {
  return (wasm_f32x4_extract_lane(a, 0) + wasm_f32x4_extract_lane(a, 1)) +
         (wasm_f32x4_extract_lane(a, 2) + wasm_f32x4_extract_lane(a, 3));
}
// 4 K/V values as fp32 (fp16 rows convert one by one: SIMD128 has no fp16 conversion)
inline v128_t ld4(const float* p) { return wasm_v128_load(p); }
inline v128_t ld4(const uint16_t* p) {
  return wasm_f32x4_make(f16_to_f32(p[0]), f16_to_f32(p[1]), f16_to_f32(p[2]), f16_to_f32(p[3]));
}

template <class T>
void scores(const float* q, const T* K, int64_t stride, int n, int hd, float scale, float* s) {
  const int nv = hd / 4;
  if (nv > kMaxVec || hd % 4) return scores_ref(q, K, stride, n, hd, scale, s);
  v128_t qv[kMaxVec];
  for (int v = 0; v < nv; v++) qv[v] = wasm_v128_load(q + 4 * v);
  int j = 0;
  for (; j + 2 <= n; j += 2) {
    const T *k0 = K + j * stride, *k1 = k0 + stride;
    v128_t a0 = wasm_f32x4_splat(0.f), a1 = a0;
    for (int v = 0; v < nv; v++) {
      a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(qv[v], ld4(k0 + 4 * v)));
      a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(qv[v], ld4(k1 + 4 * v)));
    }
    s[j] = hsum(a0) * scale, s[j + 1] = hsum(a1) * scale;
  }
  for (; j < n; j++) {
    const T* k0 = K + j * stride;
    v128_t a0 = wasm_f32x4_splat(0.f);
    for (int v = 0; v < nv; v++) a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(qv[v], ld4(k0 + 4 * v)));
    s[j] = hsum(a0) * scale;
  }
}

template <class T>
void accum(const float* p, const T* V, int64_t stride, int n, int hd, float* o) {
  const int nv = hd / 4;
  if (nv > kMaxVec || hd % 4) return accum_ref(p, V, stride, n, hd, o);
  v128_t ov[kMaxVec];
  for (int v = 0; v < nv; v++) ov[v] = wasm_v128_load(o + 4 * v);
  for (int j = 0; j < n; j++) {
    const v128_t w = wasm_f32x4_splat(p[j]);
    const T* vr = V + j * stride;
    for (int v = 0; v < nv; v++) ov[v] = wasm_f32x4_add(ov[v], wasm_f32x4_mul(w, ld4(vr + 4 * v)));
  }
  for (int v = 0; v < nv; v++) wasm_v128_store(o + 4 * v, ov[v]);
}
}  // namespace

#else
namespace {
template <class T>
void scores(const float* q, const T* K, int64_t stride, int n, int hd, float scale, float* s) {
  scores_ref(q, K, stride, n, hd, scale, s);
}
template <class T>
void accum(const float* p, const T* V, int64_t stride, int n, int hd, float* o) {
  accum_ref(p, V, stride, n, hd, o);
}
}  // namespace
#endif

void attn_scores(const float* q, const float* K, int64_t stride, int n, int hd, float scale, float* s) {
  scores(q, K, stride, n, hd, scale, s);
}
void attn_accum(const float* p, const float* V, int64_t stride, int n, int hd, float* o) { accum(p, V, stride, n, hd, o); }
void attn_scores(const float* q, const uint16_t* K, int64_t stride, int n, int hd, float scale, float* s) {
  scores(q, K, stride, n, hd, scale, s);
}
void attn_accum(const float* p, const uint16_t* V, int64_t stride, int n, int hd, float* o) { accum(p, V, stride, n, hd, o); }

}  // namespace llm
