// bf16 linear layers for inference (`--bf16`, docs/quantization.md "bf16 on matrix units").
//
// Weights are rounded to bf16 once, activations to bf16 as each product starts, and products are
// summed in fp32. A bf16 x bf16 product has at most 16 significant bits, so it is EXACT in fp32:
// the portable loop sums each output as one chain acc += x[k] * w[k] over k in order (one
// rounding per add; matmul_bf16_ref is that chain). Intel's AMX tile instruction TDPBF16PS
// multiplies a (16 rows, 32) activation tile by a (32, 16 outputs) weight tile: 16 x more
// multiply-adds per instruction than an AVX-512 FMA, so 16 decode streams cost about what one
// costs, and the weights stream at half the fp32 bytes. It sums the 32 products of a step in its
// own internal order (measured on a Sapphire Rapids: ~94 % of 2,000 steps equal "exact dot
// product rounded once, then added", none of the plain fp32 chains), so AMX results differ from
// the chain in the last bits (tests: within 1e-6 of the sum of |products|).
//
// Layout (in memory only, never in a file): W (out, in) is padded to out_p = 16k rows and
// in_p = 32k columns with zeros and cut into 16 x 32 tiles, tile (b, s) = rows 16b.., columns
// 32s.. stored as 16 column pairs x 16 rows x 2 (the "VNNI" order AMX reads: element
// [p][n][e] = W[16b + n, 32s + 2p + e]), 512 bf16 = 1 KB. Groups of kBf16Group consecutive row
// blocks are stored column step by column step, [group][s][block in group][tile], so one group
// is ONE sequential stream that the kernel walks once for all its 16-row activation tiles.
//
// Determinism: with either kernel y[n, r] depends only on x row n and W row r, never on N or on
// the thread count, so batched decode equals decoding alone. A process uses one kernel for every
// N (the switch below is set once at start-up), never AMX for batches and the loop for one row.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace llm {

constexpr int64_t kBf16Group = 4;  // row blocks of 16 per group: 64 outputs, 4 AMX accumulator tiles

struct Bf16Matrix {
  int64_t rows = 0, cols = 0;      // (out, in) as given
  int64_t rows_p = 0, cols_p = 0;  // padded to multiples of 16 and 32
  std::vector<uint16_t> t;         // (rows_p * cols_p) bf16 bits in the tile layout above
  size_t bytes() const { return t.size() * sizeof(uint16_t); }
};

// w (rows, cols) fp32, nn.Linear layout; rounded to nearest-even bf16
Bf16Matrix pack_bf16(const float* w, int64_t rows, int64_t cols);
// row r of the (unpadded) matrix back as fp32 (the rounded values)
void bf16_row(const Bf16Matrix& m, int64_t r, float* row);

// y (N, rows) = bf16(x) (N, cols) . W^T, overwritten
void matmul_bf16(const float* x, int64_t N, const Bf16Matrix& W, float* y);
// the plain loop over unpacked rounded values, one chain per output: the tests' reference
void matmul_bf16_ref(const float* x, int64_t N, const Bf16Matrix& W, float* y);

// AMX: compiled in when the build targets it (-march=native on a Sapphire Rapids or later), used
// only after the host has asked the OS for the tile state (native/cpu_features.cpp) and switched
// it on here. Off: the portable loop (same results, slower).
bool bf16_amx_compiled();
void set_bf16_amx(bool on);  // ignored (stays off) when not compiled
bool bf16_amx_active();

}  // namespace llm
