// fp32 matrix-vector products for decoding (docs/kv_cache.md, "Decode speed").
//
// One decoded token multiplies every weight matrix by ONE activation row: y = W x with W (out, in)
// row-major, the PyTorch nn.Linear layout. Each weight is used once per token, so the product is
// bound by how fast W streams from memory; a general GEMM (which packs W into panels first)
// wastes that bandwidth, and so does reading many weight rows side by side (interleaved streams
// defeat the hardware prefetcher: gemv.cpp has the numbers). For one activation row these
// kernels walk W row after row, one sequential stream per thread, and a row (in L1) meets up to
// 8 activation rows at once for batched decode (compute bound). Rows are
// split over OpenMP threads in contiguous ranges when the matrix is large enough to pay for the
// fork (serial without OpenMP, e.g. in wasm).
//
// Three code paths picked at compile time: AVX2+FMA (native -march=native), wasm SIMD128
// (em++ -msimd128) and plain scalar. gemv_f32_ref is the plain loop the tests hold them to.
//
// Determinism: the value of y[n, r] depends only on W row r and x row n, never on N, on how rows
// are grouped into blocks or on the thread count. So a sequence decoded alone and the same
// sequence decoded inside a batch of the paged engine get bit-identical logits.
#pragma once
#include <cstddef>
#include <cstdint>

namespace llm {

// y (N, out) = x (N, in) . W^T with W (out, in); y is overwritten. Meant for small N (decode
// steps, a few sequences batched): W is streamed from memory once, a block of its rows stays in
// L1 while all N activation rows pass.
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
