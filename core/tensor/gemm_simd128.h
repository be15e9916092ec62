// A hand-written fp32 GEMM for the WebAssembly build (docs/layout.md, "Speed in the browser").
//
// Eigen's wasm path has no SIMD128 GEMM kernel of its own: em++ sees Eigen's generic scalar
// product. This one follows the GotoBLAS/BLIS plan: op(A) and op(B) are copied ("packed") into
// panels in the exact order the microkernel reads them, so the inner loop is unit-stride loads
// only, and a 4 x 8 block of C stays in eight f32x4 registers for a whole K block
// (gemm_simd128.cpp). Built with -msimd128 the microkernel is SIMD128 (mul + add: wasm has no FMA);
// elsewhere a portable scalar microkernel with the same packing runs, so the native tests check
// the packing logic and the wasm tests check the SIMD kernel.
//
// The native build keeps Eigen for matmuls (it has AVX2/FMA kernels); ops_linalg.cpp uses this
// GEMM only under __EMSCRIPTEN__. With a parallel runner installed (core/tensor/parallel.h, the
// pthreads wasm module) C is split into column (or row) panels, one chunk per thread.
#pragma once
#include <cstdint>

namespace llm {

// C (M, N) = op(A) (M, K) . op(B) (K, N)            when accumulate is false,
// C (M, N) += op(A) (M, K) . op(B) (K, N)           when accumulate is true.
// All row-major with leading dimensions (row strides): op(A)(i, k) = ta ? A[k*lda + i] : A[i*lda + k],
// op(B)(k, j) = tb ? B[j*ldb + k] : B[k*ldb + j], C(i, j) = C[i*ldc + j]. K == 0 gives C = 0 (or C).
void gemm_f32(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
              int64_t ldb, float* C, int64_t ldc, bool accumulate);

// The plain triple loop the tests hold gemm_f32 to (double accumulator, any layout).
void gemm_f32_ref(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
                  int64_t ldb, float* C, int64_t ldc, bool accumulate);

// "simd128" or "scalar": which microkernel this build compiled.
const char* gemm_f32_kernel();

}  // namespace llm
