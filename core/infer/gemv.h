// fp32 matrix products for decoding (docs/kv_cache.md, "Making single-token decode fast").
//
// One decoded token multiplies every weight matrix by ONE activation row, so the product is
// bound by how fast W streams from memory; a batch of decode steps (the paged engine) by the FMA
// units. Two layouts of W (out, in):
// - panels (matmul_panels_f32, what InferModel stores its fp32 linears in): P consecutive output
//   rows column by column. Per column a panel is P contiguous floats, each activation value is
//   broadcast once per column, and an output accumulates in registers: no horizontal sums. Each
//   thread reads its panels as one sequential stream (one row), and a panel meets up to 8
//   activation rows at once (batches).
// - row-major, the PyTorch nn.Linear layout (gemv_f32: dot products of weight rows with
//   activation rows, 3 x 8 tiles for batches): the kernel panels replaced, kept as the baseline
//   `llm bench gemv` measures panels against; gemv_q8 (int8) uses its tiles.
// Work is split over OpenMP threads in contiguous ranges when the matrix is large enough to pay
// for the fork (serial without OpenMP, e.g. in wasm). Three code paths picked at compile time:
// AVX-512 or AVX2+FMA (native -march=native), wasm SIMD128 (em++ -msimd128) and plain scalar.
//
// Determinism: the value of y[n, r] depends only on W row r and x row n, never on N, on how rows
// are grouped into blocks or on the thread count. So a sequence decoded alone and the same
// sequence decoded inside a batch of the paged engine get bit-identical logits.
#pragma once
#include <cstddef>
#include <cstdint>

namespace llm {

// y (N, out) = x (N, in) . W^T with W (out, in) row-major; y is overwritten. W is streamed from
// memory once, a block of its rows stays in L1 while all N activation rows pass.
void gemv_f32(const float* W, int64_t out, int64_t in, const float* x, int64_t N, float* y);

// The same for int8 weights q (out, in) with scales (out, in / group), dequantized as they are
// loaded (w = scale * q): batched decode with --quantize (quant.cpp picks it for 4-32 rows).
// y[n, r] does not depend on N either. Only SIMD builds with group % lanes == 0 have it:
// check gemv_q8_supported(group) first (gemv_q8 throws otherwise).
bool gemv_q8_supported(int group);
void gemv_q8(const int8_t* q, const float* scale, int group, int64_t out, int64_t in, const float* x, int64_t N,
             float* y);

// Panels: W (out, in) regrouped for batched decode and prefill. P = panel_width() consecutive
// output rows form a panel, stored column by column: Wp[(p * in + c) * P + k] = W[p * P + k, c],
// rows past out zero (panel_floats(out, in) floats in all). matmul_panels_f32 is
// y (N, out) = x (N, in) . W^T on them, every output one multiply-add chain over the columns in
// order, the same chain for every N, tile shape and thread count: y[n, r] equals
// matmul_panels_ref (a plain loop on the unpacked W) bit for bit. P depends on the build (48 with
// AVX-512, 24 with AVX2, 12 in wasm); the layout lives in memory only, never in a file.
int64_t panel_width();
size_t panel_floats(int64_t out, int64_t in);
void pack_panels(const float* W, int64_t out, int64_t in, float* Wp);
void panel_row(const float* Wp, int64_t in, int64_t r, float* row);  // row r of W (a tied token table)
void matmul_panels_f32(const float* Wp, int64_t out, int64_t in, const float* x, int64_t N, float* y);
void matmul_panels_ref(const float* W, int64_t out, int64_t in, const float* x, int64_t N, float* y);

// The plain reference: one float accumulator per output, columns in order.
void gemv_f32_ref(const float* W, int64_t out, int64_t in, const float* x, int64_t N, float* y);

}  // namespace llm
