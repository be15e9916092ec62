// Packed-panel fp32 GEMM with a 4 x 8 register-blocked microkernel (gemm_simd128.h).
//
// Loop nest (BLIS naming), for C (M, N) += op(A) (M, K) op(B) (K, N):
//   for jc in N step NC:                 B block (KC, NC) packed once, reused by every row block
//     for pc in K step KC:
//       pack op(B)[pc:pc+KC, jc:jc+NC] into NR-wide panels, k-major: Bp[panel][k][0..NR)
//       for ic in M step MC:
//         pack op(A)[ic:ic+MC, pc:pc+KC] into MR-tall panels, k-major: Ap[panel][k][0..MR)
//         for jr, ir: microkernel C[ir:ir+MR, jr:jr+NR] += Ap panel . Bp panel
// A B panel (KC*NR floats = 8 KB) stays in L1 while the A panels of a row block stream from L2.
// Ragged edges are zero-padded when packing, so the microkernel always runs a full 4 x 8 tile;
// edge tiles go through a small buffer and only the valid part is written back.
#include "core/tensor/gemm_simd128.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "core/tensor/parallel.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

namespace llm {

namespace {

constexpr int MR = 4, NR = 8;                     // register tile of C
constexpr int64_t KC = 256, MC = 128, NC = 2048;  // cache blocks (see the top comment)

// Ap (kc, MR) panel, Bp (kc, NR) panel -> acc (MR, NR) = Ap^T Bp, row-major
#if defined(__wasm_simd128__)
inline void micro_kernel(int64_t kc, const float* Ap, const float* Bp, float* acc) {
  v128_t c00 = wasm_f32x4_splat(0.f), c01 = c00, c10 = c00, c11 = c00;
  v128_t c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (int64_t p = 0; p < kc; p++) {
    const v128_t b0 = wasm_v128_load(Bp), b1 = wasm_v128_load(Bp + 4);
    v128_t a = wasm_v128_load32_splat(Ap);
    c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a, b0));
    c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a, b1));
    a = wasm_v128_load32_splat(Ap + 1);
    c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(a, b0));
    c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(a, b1));
    a = wasm_v128_load32_splat(Ap + 2);
    c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(a, b0));
    c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(a, b1));
    a = wasm_v128_load32_splat(Ap + 3);
    c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(a, b0));
    c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(a, b1));
    Ap += MR;
    Bp += NR;
  }
  wasm_v128_store(acc + 0, c00), wasm_v128_store(acc + 4, c01);
  wasm_v128_store(acc + 8, c10), wasm_v128_store(acc + 12, c11);
  wasm_v128_store(acc + 16, c20), wasm_v128_store(acc + 20, c21);
  wasm_v128_store(acc + 24, c30), wasm_v128_store(acc + 28, c31);
}
constexpr const char* kKernel = "simd128";
#else
inline void micro_kernel(int64_t kc, const float* Ap, const float* Bp, float* acc) {
  float c[MR * NR] = {};
  for (int64_t p = 0; p < kc; p++, Ap += MR, Bp += NR)
    for (int r = 0; r < MR; r++)
      for (int j = 0; j < NR; j++) c[r * NR + j] += Ap[r] * Bp[j];
  std::memcpy(acc, c, sizeof c);
}
constexpr const char* kKernel = "scalar";
#endif

// op(A)[i0:i0+mc, k0:k0+kc] -> ceil(mc/MR) panels of (kc, MR), rows past mc are 0
void pack_a(bool ta, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc, float* Ap) {
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int m = int(std::min<int64_t>(MR, mc - ir));
    for (int64_t p = 0; p < kc; p++, Ap += MR) {
      const int64_t k = k0 + p;
      int r = 0;
      if (ta) {  // op(A)(i, k) = A[k*lda + i]: the MR values are contiguous
        const float* src = A + k * lda + i0 + ir;
        for (; r < m; r++) Ap[r] = src[r];
      } else {
        const float* src = A + (i0 + ir) * lda + k;
        for (; r < m; r++) Ap[r] = src[r * lda];
      }
      for (; r < MR; r++) Ap[r] = 0.f;
    }
  }
}

// op(B)[k0:k0+kc, j0:j0+nc] -> ceil(nc/NR) panels of (kc, NR), columns past nc are 0
void pack_b(bool tb, const float* B, int64_t ldb, int64_t k0, int64_t kc, int64_t j0, int64_t nc, float* Bp) {
  for (int64_t jr = 0; jr < nc; jr += NR) {
    const int n = int(std::min<int64_t>(NR, nc - jr));
    for (int64_t p = 0; p < kc; p++, Bp += NR) {
      const int64_t k = k0 + p;
      int j = 0;
      if (tb) {  // op(B)(k, j) = B[j*ldb + k]
        const float* src = B + (j0 + jr) * ldb + k;
        for (; j < n; j++) Bp[j] = src[j * ldb];
      } else {   // row k of B: the NR values are contiguous
        const float* src = B + k * ldb + j0 + jr;
        for (; j < n; j++) Bp[j] = src[j];
      }
      for (; j < NR; j++) Bp[j] = 0.f;
    }
  }
}

// one thread's share: the whole loop nest on a sub-matrix of C
void gemm_serial(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
                 int64_t ldb, float* C, int64_t ldc, bool accumulate) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate)
      for (int64_t i = 0; i < M; i++) std::fill(C + i * ldc, C + i * ldc + N, 0.f);
    return;
  }
  const int64_t kcap = std::min(KC, K);
  const int64_t mcap = (std::min(MC, M) + MR - 1) / MR * MR, ncap = (std::min(NC, N) + NR - 1) / NR * NR;
  std::unique_ptr<float[]> Ap(new float[size_t(mcap * kcap)]);  // (mc/MR panels, kc, MR)
  std::unique_ptr<float[]> Bp(new float[size_t(ncap * kcap)]);  // (nc/NR panels, kc, NR)
  alignas(16) float acc[MR * NR];                                 // (MR, NR) one tile's product
  for (int64_t jc = 0; jc < N; jc += NC) {
    const int64_t nc = std::min(NC, N - jc);
    for (int64_t pc = 0; pc < K; pc += KC) {
      const int64_t kc = std::min(KC, K - pc);
      const bool add = accumulate || pc > 0;  // later K blocks add onto the first one's result
      pack_b(tb, B, ldb, pc, kc, jc, nc, Bp.get());
      for (int64_t ic = 0; ic < M; ic += MC) {
        const int64_t mc = std::min(MC, M - ic);
        pack_a(ta, A, lda, ic, mc, pc, kc, Ap.get());
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int n = int(std::min<int64_t>(NR, nc - jr));
          const float* bp = Bp.get() + jr * kc;
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int m = int(std::min<int64_t>(MR, mc - ir));
            micro_kernel(kc, Ap.get() + ir * kc, bp, acc);
            float* c = C + (ic + ir) * ldc + jc + jr;
            for (int r = 0; r < m; r++) {
              float* cr = c + r * ldc;
              const float* ar = acc + r * NR;
              if (add)
                for (int j = 0; j < n; j++) cr[j] += ar[j];
              else
                for (int j = 0; j < n; j++) cr[j] = ar[j];
            }
          }
        }
      }
    }
  }
}

}  // namespace

void gemm_f32(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
              int64_t ldb, float* C, int64_t ldc, bool accumulate) {
  // Split C over threads along its longer side, in whole register tiles; below ~1 MFLOP a
  // thread hand-off costs more than it saves. Each chunk is an independent GEMM on a slice of C.
  const int threads = parallel_threads();
  if (threads <= 1 || double(M) * N * K < 5e5) {
    gemm_serial(ta, tb, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
    return;
  }
  if (N >= M) {
    const int64_t panels = (N + NR - 1) / NR;
    parallel_for(panels, 1, [&](int64_t p0, int64_t p1) {
      const int64_t j0 = p0 * NR, j1 = std::min(N, p1 * NR);
      gemm_serial(ta, tb, M, j1 - j0, K, A, lda, tb ? B + j0 * ldb : B + j0, ldb, C + j0, ldc, accumulate);
    });
  } else {
    const int64_t panels = (M + MR - 1) / MR;
    parallel_for(panels, 1, [&](int64_t p0, int64_t p1) {
      const int64_t i0 = p0 * MR, i1 = std::min(M, p1 * MR);
      gemm_serial(ta, tb, i1 - i0, N, K, ta ? A + i0 : A + i0 * lda, lda, B, ldb, C + i0 * ldc, ldc, accumulate);
    });
  }
}

void gemm_f32_ref(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
                  int64_t ldb, float* C, int64_t ldc, bool accumulate) {
  for (int64_t i = 0; i < M; i++)
    for (int64_t j = 0; j < N; j++) {
      double s = accumulate ? C[i * ldc + j] : 0.0;
      for (int64_t k = 0; k < K; k++)
        s += double(ta ? A[k * lda + i] : A[i * lda + k]) * double(tb ? B[j * ldb + k] : B[k * ldb + j]);
      C[i * ldc + j] = float(s);
    }
}

const char* gemm_f32_kernel() { return kKernel; }

}  // namespace llm
