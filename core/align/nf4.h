// NF4 (4-bit NormalFloat, QLoRA, Dettmers et al. 2023) storage for frozen base weights.
//
// A weight is cut into blocks of `block` consecutive values (row-major); each block stores its
// absmax a and, per value, the 4-bit index of the nearest of 16 levels q_i in [-1, 1]:
//   w ~= a * q[code]
// The levels are quantiles of N(0, 1) rescaled to [-1, 1] with an exact 0 (kNf4Levels), so a
// normally distributed block uses every code about equally often. Double quantization (the
// paper's second trick, here with a log-scale code instead of FP8) stores the absmax values
// themselves in 8 bits: per group of 256 blocks one fp32 group max m and per block
//   absmax ~= m * 2^(-code / 16),  code in 0..255
// (relative error <= 2^(1/32) - 1 = 2.2%, range 2^-16 below the group max). Memory per weight:
//   fp32 absmax: 4 bits + 32/block bits  (block 64: 0.5625 B, 1/7.11 of fp32)
//   double quant: 4 bits + 8/block bits + 32/(256*block) bits  (block 64: 0.5159 B, 1/7.75)
// Theory: docs/lora.md.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/tensor/graph.h"

namespace llm {

extern const float kNf4Levels[16];  // ascending, kNf4Levels[7] == 0, ends at -1 and 1

// index of the level nearest to x (x is a value already divided by its block's absmax)
uint8_t nf4_nearest(float x);

struct Nf4Tensor {
  int64_t rows = 0, cols = 0;
  int block = 64;
  std::vector<uint8_t> codes;   // (ceil(numel / 2)) two codes per byte, the even element in the low nibble
  std::vector<float> absmax;    // (n_blocks) when !double_quant
  bool double_quant = false;
  std::vector<uint8_t> absmax_q;  // (n_blocks) when double_quant: absmax ~= group_max * 2^(-q / 16)
  std::vector<float> group_max;    // (ceil(n_blocks / 256))
  int64_t numel() const { return rows * cols; }
  int64_t n_blocks() const { return (numel() + block - 1) / block; }
  float block_absmax(int64_t b) const;  // the (dequantized) absmax of block b
  size_t bytes() const;                 // resident memory of codes + scales
};

constexpr int kNf4DoubleQuantGroup = 256;  // blocks per second-level scale

// w (rows, cols) row-major
Nf4Tensor nf4_quantize(const float* w, int64_t rows, int64_t cols, int block, bool double_quant);
// -> out (rows, cols)
template <class T>
void nf4_dequantize(const Nf4Tensor& q, T* out);

// y (N, out) = x (N, in) W^T (+ bias) with W held in NF4: W is dequantized into `scratch`
// (out*in floats, reused by every layer: one layer's fp32 copy at a time) in forward and again in
// backward, which computes dx only (the base weight is frozen). bias may be nullptr.
template <class T>
TensorT<T> nf4_linear(Graph<T>& g, const TensorT<T>& x, const Nf4Tensor& w, const TensorT<T>* bias,
                      std::vector<T>& scratch);

}  // namespace llm
