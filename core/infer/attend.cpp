// Decode attention inner loops (see attend.h).
//
// attn_scores keeps q in registers (hd <= 128 floats: up to 16 AVX2 vectors) and walks 4 keys at
// a time, one accumulator per key, reduced horizontally at the end. attn_accum keeps o in
// registers across all n value rows: one FMA per vector per row, in key order.
#include "core/infer/attend.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define LLM_ATT_AVX2 1
#elif defined(__wasm_simd128__)
#include <wasm_simd128.h>
#define LLM_ATT_WASM 1
#endif

namespace llm {

void attn_scores_ref(const float* q, const float* K, int64_t stride, int n, int hd, float scale, float* s) {
  for (int j = 0; j < n; j++) {
    float d = 0.f;
    for (int i = 0; i < hd; i++) d += q[i] * K[j * stride + i];
    s[j] = d * scale;
  }
}

void attn_accum_ref(const float* p, const float* V, int64_t stride, int n, int hd, float* o) {
  for (int j = 0; j < n; j++)
    for (int i = 0; i < hd; i++) o[i] += p[j] * V[j * stride + i];
}

#if LLM_ATT_AVX2
namespace {
inline float hsum(__m256 a) {
  const __m128 A = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  const __m128 h = _mm_hadd_ps(A, A);
  return _mm_cvtss_f32(_mm_hadd_ps(h, h));
}

// NV = hd / 8 as a compile-time constant: q (or o) stays in NV registers and the per-key loop is
// straight-line code (a runtime NV left a compare-and-branch before every vector)
template <int NV>
void scores_nv(const float* q, const float* K, int64_t stride, int n, float scale, float* s) {
  __m256 qv[NV];
  for (int v = 0; v < NV; v++) qv[v] = _mm256_loadu_ps(q + 8 * v);
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    const float *k0 = K + j * stride, *k1 = k0 + stride, *k2 = k1 + stride, *k3 = k2 + stride;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int v = 0; v < NV; v++) {
      a0 = _mm256_fmadd_ps(qv[v], _mm256_loadu_ps(k0 + 8 * v), a0);
      a1 = _mm256_fmadd_ps(qv[v], _mm256_loadu_ps(k1 + 8 * v), a1);
      a2 = _mm256_fmadd_ps(qv[v], _mm256_loadu_ps(k2 + 8 * v), a2);
      a3 = _mm256_fmadd_ps(qv[v], _mm256_loadu_ps(k3 + 8 * v), a3);
    }
    s[j] = hsum(a0) * scale, s[j + 1] = hsum(a1) * scale, s[j + 2] = hsum(a2) * scale, s[j + 3] = hsum(a3) * scale;
  }
  for (; j < n; j++) {  // same per-key arithmetic as inside the 4-key loop
    const float* k0 = K + j * stride;
    __m256 a0 = _mm256_setzero_ps();
    for (int v = 0; v < NV; v++) a0 = _mm256_fmadd_ps(qv[v], _mm256_loadu_ps(k0 + 8 * v), a0);
    s[j] = hsum(a0) * scale;
  }
}

template <int NV>
void accum_nv(const float* p, const float* V, int64_t stride, int n, float* o) {
  __m256 ov[NV];
  for (int v = 0; v < NV; v++) ov[v] = _mm256_loadu_ps(o + 8 * v);
  for (int j = 0; j < n; j++) {
    const __m256 w = _mm256_set1_ps(p[j]);
    const float* vr = V + j * stride;
    for (int v = 0; v < NV; v++) ov[v] = _mm256_fmadd_ps(w, _mm256_loadu_ps(vr + 8 * v), ov[v]);
  }
  for (int v = 0; v < NV; v++) _mm256_storeu_ps(o + 8 * v, ov[v]);
}
}  // namespace

void attn_scores(const float* q, const float* K, int64_t stride, int n, int hd, float scale, float* s) {
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
    default: return attn_scores_ref(q, K, stride, n, hd, scale, s);
  }
}

void attn_accum(const float* p, const float* V, int64_t stride, int n, int hd, float* o) {
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
    default: return attn_accum_ref(p, V, stride, n, hd, o);
  }
}

#elif LLM_ATT_WASM
namespace {
constexpr int kMaxVec = 32;  // hd <= 128
inline float hsum(v128_t a) {
  return (wasm_f32x4_extract_lane(a, 0) + wasm_f32x4_extract_lane(a, 1)) +
         (wasm_f32x4_extract_lane(a, 2) + wasm_f32x4_extract_lane(a, 3));
}
}  // namespace

void attn_scores(const float* q, const float* K, int64_t stride, int n, int hd, float scale, float* s) {
  const int nv = hd / 4;
  if (nv > kMaxVec || hd % 4) return attn_scores_ref(q, K, stride, n, hd, scale, s);
  v128_t qv[kMaxVec];
  for (int v = 0; v < nv; v++) qv[v] = wasm_v128_load(q + 4 * v);
  int j = 0;
  for (; j + 2 <= n; j += 2) {
    const float *k0 = K + j * stride, *k1 = k0 + stride;
    v128_t a0 = wasm_f32x4_splat(0.f), a1 = a0;
    for (int v = 0; v < nv; v++) {
      a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(qv[v], wasm_v128_load(k0 + 4 * v)));
      a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(qv[v], wasm_v128_load(k1 + 4 * v)));
    }
    s[j] = hsum(a0) * scale, s[j + 1] = hsum(a1) * scale;
  }
  for (; j < n; j++) {
    const float* k0 = K + j * stride;
    v128_t a0 = wasm_f32x4_splat(0.f);
    for (int v = 0; v < nv; v++) a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(qv[v], wasm_v128_load(k0 + 4 * v)));
    s[j] = hsum(a0) * scale;
  }
}

void attn_accum(const float* p, const float* V, int64_t stride, int n, int hd, float* o) {
  const int nv = hd / 4;
  if (nv > kMaxVec || hd % 4) return attn_accum_ref(p, V, stride, n, hd, o);
  v128_t ov[kMaxVec];
  for (int v = 0; v < nv; v++) ov[v] = wasm_v128_load(o + 4 * v);
  for (int j = 0; j < n; j++) {
    const v128_t w = wasm_f32x4_splat(p[j]);
    const float* vr = V + j * stride;
    for (int v = 0; v < nv; v++) ov[v] = wasm_f32x4_add(ov[v], wasm_f32x4_mul(w, wasm_v128_load(vr + 4 * v)));
  }
  for (int v = 0; v < nv; v++) wasm_v128_store(o + 4 * v, ov[v]);
}

#else
void attn_scores(const float* q, const float* K, int64_t stride, int n, int hd, float scale, float* s) {
  attn_scores_ref(q, K, stride, n, hd, scale, s);
}
void attn_accum(const float* p, const float* V, int64_t stride, int n, int hd, float* o) {
  attn_accum_ref(p, V, stride, n, hd, o);
}
#endif

}  // namespace llm
