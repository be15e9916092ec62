// bf16 x bf16 -> fp32 products for inference: AMX tiles or a portable loop (gemm_bf16.h).
#include "core/infer/gemm_bf16.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "core/tensor/bf16.h"
#include "core/tensor/parallel.h"

#if defined(__AMX_TILE__) && defined(__AMX_BF16__) && defined(__x86_64__)
#include <immintrin.h>
#define LLM_BF16_AMX 1
#endif

namespace llm {

namespace {

constexpr int64_t kTile = 512;                     // bf16 per 16 x 32 tile
constexpr int64_t kParallelWork = int64_t(1) << 15;  // multiply-adds that pay for a fork (gemv.cpp)

std::atomic<bool> g_amx{false};

inline int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// The tile layout of gemm_bf16.h: where tile (block b, column step s) starts.
inline int64_t tile_offset(const Bf16Matrix& W, int64_t b, int64_t s) {
  const int64_t KS = W.cols_p / 32, OB = W.rows_p / 16;
  const int64_t g0 = b / kBf16Group * kBf16Group, nb = std::min(kBf16Group, OB - g0);
  return (g0 * KS + s * nb + (b - g0)) * kTile;
}

// xb (Np, cols_p) = bf16(x (N, cols)), zero in the padding rows and columns
void round_rows(const float* x, int64_t N, int64_t cols, int64_t cols_p, int64_t Np, uint16_t* xb) {
  for (int64_t n = 0; n < N; n++) {
    uint16_t* d = xb + n * cols_p;
    const float* s = x + n * cols;
    for (int64_t c = 0; c < cols; c++) d[c] = f32_to_bf16_bits(s[c]);
    std::fill(d + cols, d + cols_p, uint16_t(0));
  }
  std::fill(xb + N * cols_p, xb + Np * cols_p, uint16_t(0));
}

// Outputs of group g for every row: acc (64) per row, one chain per output in column order.
void group_portable(const Bf16Matrix& W, int64_t g, const uint16_t* xb, int64_t N, float* y) {
  const int64_t KS = W.cols_p / 32, OB = W.rows_p / 16;
  const int64_t b0 = g * kBf16Group, nb = std::min(kBf16Group, OB - b0);
  const uint16_t* base = W.t.data() + b0 * KS * kTile;
  for (int64_t n = 0; n < N; n++) {
    const uint16_t* xr = xb + n * W.cols_p;
    float acc[kBf16Group * 16] = {};  // (nb * 16) outputs of this group for row n
    for (int64_t s = 0; s < KS; s++)
      for (int64_t j = 0; j < nb; j++) {
        const uint16_t* tile = base + (s * nb + j) * kTile;  // [pair p][output q][e]
        float* a = acc + j * 16;
        for (int p = 0; p < 16; p++) {
          const float x0 = bf16_bits_to_f32(xr[s * 32 + 2 * p]), x1 = bf16_bits_to_f32(xr[s * 32 + 2 * p + 1]);
          const uint16_t* w = tile + p * 32;
          for (int q = 0; q < 16; q++) {  // the products are exact, so a fused and a plain add agree
            a[q] += x0 * bf16_bits_to_f32(w[2 * q]);
            a[q] += x1 * bf16_bits_to_f32(w[2 * q + 1]);
          }
        }
      }
    const int64_t r0 = b0 * 16, rn = std::min(nb * 16, W.rows - r0);
    std::memcpy(y + n * W.rows + r0, acc, size_t(rn) * sizeof(float));
  }
}

#if LLM_BF16_AMX
// Palette 1, every tile 16 rows x 64 bytes: tmm0-3 the fp32 accumulators (16 rows x 16
// outputs each), tmm4 the activation tile (16 rows x 32 bf16), tmm5-7 weight tiles.
struct alignas(64) TileConfig {
  uint8_t palette = 1, start_row = 0, reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

void amx_configure() {
  thread_local bool done = false;  // the configuration is per thread and stays until released
  if (done) return;
  TileConfig c;
  for (int t = 0; t < 8; t++) c.colsb[t] = 64, c.rows[t] = 16;
  _tile_loadconfig(&c);
  done = true;
}

// The same outputs as group_portable, 16 rows at a time (xb holds Np = 16k rows, zero padded).
void group_amx(const Bf16Matrix& W, int64_t g, const uint16_t* xb, int64_t N, float* y) {
  amx_configure();
  const int64_t KS = W.cols_p / 32, OB = W.rows_p / 16;
  const int64_t b0 = g * kBf16Group, nb = std::min(kBf16Group, OB - b0);
  const uint16_t* base = W.t.data() + b0 * KS * kTile;
  const int64_t r0 = b0 * 16, rn = std::min(nb * 16, W.rows - r0);
  alignas(64) float c[16][kBf16Group * 16];  // (16 rows, 64 outputs) accumulators read back
  for (int64_t m0 = 0; m0 < N; m0 += 16) {
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    const uint16_t* xa = xb + m0 * W.cols_p;
    for (int64_t s = 0; s < KS; s++) {
      _tile_loadd(4, xa + s * 32, W.cols_p * 2);
      const uint16_t* ts = base + s * nb * kTile;
      _tile_loadd(5, ts, 64);
      _tile_dpbf16ps(0, 4, 5);
      if (nb > 1) {
        _tile_loadd(6, ts + kTile, 64);
        _tile_dpbf16ps(1, 4, 6);
      }
      if (nb > 2) {
        _tile_loadd(7, ts + 2 * kTile, 64);
        _tile_dpbf16ps(2, 4, 7);
      }
      if (nb > 3) {
        _tile_loadd(5, ts + 3 * kTile, 64);
        _tile_dpbf16ps(3, 4, 5);
      }
    }
    _tile_stored(0, &c[0][0], sizeof(c[0]));
    if (nb > 1) _tile_stored(1, &c[0][16], sizeof(c[0]));
    if (nb > 2) _tile_stored(2, &c[0][32], sizeof(c[0]));
    if (nb > 3) _tile_stored(3, &c[0][48], sizeof(c[0]));
    for (int64_t m = m0; m < std::min(N, m0 + 16); m++)
      std::memcpy(y + m * W.rows + r0, c[m - m0], size_t(rn) * sizeof(float));
  }
}
#endif

}  // namespace

bool bf16_amx_compiled() {
#if LLM_BF16_AMX
  return true;
#else
  return false;
#endif
}
void set_bf16_amx(bool on) { g_amx = on && bf16_amx_compiled(); }
bool bf16_amx_active() { return g_amx; }

Bf16Matrix pack_bf16(const float* w, int64_t rows, int64_t cols) {
  Bf16Matrix m;
  m.rows = rows, m.cols = cols, m.rows_p = round_up(rows, 16), m.cols_p = round_up(cols, 32);
  m.t.assign(size_t(m.rows_p * m.cols_p), 0);
  for (int64_t b = 0; b < m.rows_p / 16; b++)
    for (int64_t s = 0; s < m.cols_p / 32; s++) {
      uint16_t* tile = m.t.data() + tile_offset(m, b, s);
      for (int64_t p = 0; p < 16; p++)
        for (int64_t q = 0; q < 16; q++)
          for (int64_t e = 0; e < 2; e++) {
            const int64_t r = b * 16 + q, c = s * 32 + 2 * p + e;
            if (r < rows && c < cols) tile[(p * 16 + q) * 2 + e] = f32_to_bf16_bits(w[r * cols + c]);
          }
    }
  return m;
}

void bf16_row(const Bf16Matrix& m, int64_t r, float* row) {
  const int64_t b = r / 16, q = r % 16;
  for (int64_t c = 0; c < m.cols; c++) {
    const int64_t s = c / 32, p = (c % 32) / 2, e = c % 2;
    row[c] = bf16_bits_to_f32(m.t[size_t(tile_offset(m, b, s) + (p * 16 + q) * 2 + e)]);
  }
}

void matmul_bf16(const float* x, int64_t N, const Bf16Matrix& W, float* y) {
  if (N <= 0) return;
  const bool amx = g_amx.load(std::memory_order_relaxed);
  const int64_t Np = amx ? round_up(N, 16) : N;
  thread_local std::vector<uint16_t> xb;  // (Np, cols_p) bf16 activations
  if (xb.size() < size_t(Np * W.cols_p)) xb.resize(size_t(Np * W.cols_p));
  round_rows(x, N, W.cols, W.cols_p, Np, xb.data());
  const uint16_t* xp = xb.data();
  const int64_t groups = (W.rows_p / 16 + kBf16Group - 1) / kBf16Group;
  const bool worth = N * W.rows * W.cols >= kParallelWork;
#if LLM_BF16_AMX
  if (amx) {
    parallel_loop(groups, worth, [&](int64_t g) { group_amx(W, g, xp, N, y); });
    return;
  }
#endif
  parallel_loop(groups, worth, [&](int64_t g) { group_portable(W, g, xp, N, y); });
}

void matmul_bf16_ref(const float* x, int64_t N, const Bf16Matrix& W, float* y) {
  std::vector<float> w(size_t(W.cols));
  for (int64_t r = 0; r < W.rows; r++) {
    bf16_row(W, r, w.data());
    for (int64_t n = 0; n < N; n++) {
      float acc = 0;
      for (int64_t c = 0; c < W.cols; c++) acc += round_bf16(x[n * W.cols + c]) * w[c];
      y[n * W.rows + r] = acc;
    }
  }
}

}  // namespace llm
