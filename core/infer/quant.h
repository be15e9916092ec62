// Weight-only int8 quantization (docs/quantization.md): symmetric, one fp32 scale per group of
// `group` consecutive input columns of each output row (group = cols: per output channel).
//   w[r, c] ~= scale[r, c / group] * q[r, c],  q in [-127, 127],  scale = max|w_group| / 127
// Kernels: int8 weights x fp32 activations, and int8 x int8 with activations quantized per row
// and group on the fly (integer dot products, one float multiply per group). AVX2 natively,
// wasm SIMD128 under em++, a scalar fallback that is also the reference in tests.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace llm {

struct QuantMatrix {
  int64_t rows = 0, cols = 0;  // (out, in) like a linear weight
  int group = 64;              // divides cols
  std::vector<int8_t> q;       // (rows, cols)
  std::vector<float> scale;    // (rows, cols / group)
  size_t bytes() const { return q.size() + scale.size() * sizeof(float); }
};

// w (rows, cols); throws std::invalid_argument when group does not divide cols
QuantMatrix quantize_int8(const float* w, int64_t rows, int64_t cols, int group);
void dequantize_int8(const QuantMatrix& m, float* w);  // w (rows, cols)

// y (N, rows) = x (N, cols) . W^T   (y is overwritten)
void matmul_q8_f32(const float* x, int64_t N, const QuantMatrix& W, float* y);
// same product with x quantized to int8 per (row, group) first
void matmul_q8_q8(const float* x, int64_t N, const QuantMatrix& W, float* y);
// plain scalar reference of matmul_q8_f32 (tests compare the SIMD kernels to it)
void matmul_q8_f32_ref(const float* x, int64_t N, const QuantMatrix& W, float* y);

}  // namespace llm
