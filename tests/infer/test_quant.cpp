// int8 weight quantization: round-trip bound, SIMD kernels vs the scalar reference, int8 x int8
// vs fp32, and shape errors.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "core/infer/gemv.h"
#include "core/infer/quant.h"
#include "core/util/rng.h"

namespace llm {
namespace {

std::vector<float> randn(size_t n, uint64_t seed, float scale = 1.f) {
  Rng r(seed);
  std::vector<float> v(n);
  for (float& x : v) x = float(r.normal()) * scale;
  return v;
}

// y (N, R) = x (N, C) . w (R, C)^T in double
std::vector<double> matmul_f64(const std::vector<float>& x, int N, const std::vector<float>& w, int R, int C) {
  std::vector<double> y(size_t(N) * R, 0.0);
  for (int n = 0; n < N; n++)
    for (int r = 0; r < R; r++) {
      double s = 0;
      for (int c = 0; c < C; c++) s += double(x[n * C + c]) * double(w[r * C + c]);
      y[n * R + r] = s;
    }
  return y;
}

struct Shape {
  int R, C, group;
};
// groups covering every vector path: 32-byte chunks, a 16-byte chunk, an 8-wide chunk, scalar tails
const Shape kShapes[] = {{33, 256, 64}, {5, 96, 32}, {4, 48, 48}, {3, 40, 40}, {3, 36, 12},
                         {7, 288, 288}, {2, 30, 5}, {9, 128, 128}};

TEST(Quant, RoundTripErrorIsAtMostHalfAStep) {
  for (const Shape& s : kShapes) {
    std::vector<float> w = randn(size_t(s.R) * s.C, 1 + s.C, 0.05f);
    for (int c = 0; c < s.group; c++) w[c] = 0.f;  // an all-zero group
    const QuantMatrix m = quantize_int8(w.data(), s.R, s.C, s.group);
    const int G = s.C / s.group;
    ASSERT_EQ(m.q.size(), size_t(s.R) * s.C);
    ASSERT_EQ(m.scale.size(), size_t(s.R) * G);
    EXPECT_EQ(m.bytes(), m.q.size() + 4 * m.scale.size());
    EXPECT_EQ(m.scale[0], 0.f);
    std::vector<float> back(w.size());
    dequantize_int8(m, back.data());
    for (int r = 0; r < s.R; r++)
      for (int g = 0; g < G; g++) {
        const float sc = m.scale[r * G + g];
        int extreme = 0;
        for (int c = g * s.group; c < (g + 1) * s.group; c++) {
          const size_t i = size_t(r) * s.C + c;
          ASSERT_GE(m.q[i], -127);
          EXPECT_LE(std::fabs(w[i] - back[i]), sc * 0.5f * (1 + 1e-5f) + 1e-12f) << r << "," << c;
          extreme = std::max(extreme, std::abs(int(m.q[i])));
        }
        if (sc > 0) {
          EXPECT_EQ(extreme, 127) << "the largest |w| of a group maps to +-127";
        }
      }
  }
}

TEST(Quant, SimdKernelsMatchScalarReference) {
  // N = 1, 3: the row-block dot kernels; 4-32: gemv_q8 where the group allows it (else 9: the
  // dequantize-and-GEMM path); 40: the GEMM path for many rows
  for (const Shape& s : kShapes)
    for (int N : {1, 3, 4, 9, 16, 40}) {
      const std::vector<float> w = randn(size_t(s.R) * s.C, 7 + s.R, 0.1f);
      const std::vector<float> x = randn(size_t(N) * s.C, 11 + N);
      const QuantMatrix m = quantize_int8(w.data(), s.R, s.C, s.group);
      std::vector<float> y(size_t(N) * s.R), ref(y.size());
      matmul_q8_f32(x.data(), N, m, y.data());
      matmul_q8_f32_ref(x.data(), N, m, ref.data());
      const int G = s.C / s.group;
      for (int n = 0; n < N; n++)
        for (int r = 0; r < s.R; r++) {
          double mag = 0;  // sum of |terms|: float rounding is relative to it
          for (int c = 0; c < s.C; c++)
            mag += std::fabs(m.scale[r * G + c / s.group] * m.q[r * s.C + c] * x[n * s.C + c]);
          EXPECT_NEAR(y[n * s.R + r], ref[n * s.R + r], 1e-6 * mag + 1e-7)
              << "R" << s.R << " C" << s.C << " group" << s.group << " n" << n << " r" << r;
        }
    }
}

// The decode-batch kernel: row n of y has the same bits whatever N is (batched decode = alone) and
// whichever tile shapes cover the rows; the last R % (weight rows per tile: 2 with AVX2, else 3)
// weight rows take the one-row tiles (35 leaves 1 or 2).
TEST(Quant, BatchedGemvQ8BitsDoNotDependOnN) {
  if (!gemv_q8_supported(32)) GTEST_SKIP() << "this build has no SIMD int8 GEMV (scalar/wasm)";
  const int R = 35, C = 256, group = 64;
  const std::vector<float> w = randn(size_t(R) * C, 5, 0.1f);
  const QuantMatrix m = quantize_int8(w.data(), R, C, group);
  const std::vector<float> x = randn(size_t(32) * C, 6);
  std::vector<float> y32(size_t(32) * R), ref(y32.size());
  gemv_q8(m.q.data(), m.scale.data(), group, R, C, x.data(), 32, y32.data());
  matmul_q8_f32_ref(x.data(), 32, m, ref.data());
  for (size_t i = 0; i < y32.size(); i++) ASSERT_NEAR(y32[i], ref[i], 1e-4 * (1 + std::fabs(ref[i]))) << i;
  for (int N : {1, 2, 4, 5, 7, 9, 16, 31}) {
    std::vector<float> y(size_t(N) * R);
    gemv_q8(m.q.data(), m.scale.data(), group, R, C, x.data(), N, y.data());
    for (int i = 0; i < N * R; i++) ASSERT_EQ(y[size_t(i)], y32[size_t(i)]) << "N " << N << " element " << i;
  }
  EXPECT_FALSE(gemv_q8_supported(12));
  EXPECT_THROW(gemv_q8(m.q.data(), m.scale.data(), 48, R, C, x.data(), 4, y32.data()), std::invalid_argument);
}

TEST(Quant, Int8ActivationsMatchTheirExactIntegerProduct) {
  // matmul_q8_q8 quantizes x exactly like quantize_int8 quantizes a (N, C) matrix with the same
  // group, so its result is sum_g sw * sx * (integer dot): recompute that here in double.
  // N = 2 runs the integer kernels, N = 9 the dequantize-and-GEMM path.
  for (const Shape& s : kShapes)
    for (int N : {2, 9}) {
      const std::vector<float> w = randn(size_t(s.R) * s.C, 21 + s.C, 0.1f);
      const std::vector<float> x = randn(size_t(N) * s.C, 23 + s.R);
      const QuantMatrix m = quantize_int8(w.data(), s.R, s.C, s.group);
      const QuantMatrix qx = quantize_int8(x.data(), N, s.C, s.group);
      std::vector<float> y(size_t(N) * s.R);
      matmul_q8_q8(x.data(), N, m, y.data());
      const int G = s.C / s.group;
      for (int n = 0; n < N; n++)
        for (int r = 0; r < s.R; r++) {
          double e = 0, mag = 0;
          for (int g = 0; g < G; g++) {
            long long dot = 0, amag = 0;
            for (int c = g * s.group; c < (g + 1) * s.group; c++) {
              dot += int(m.q[r * s.C + c]) * int(qx.q[n * s.C + c]);
              amag += std::abs(int(m.q[r * s.C + c]) * int(qx.q[n * s.C + c]));
            }
            const double sg = double(m.scale[r * G + g]) * double(qx.scale[n * G + g]);
            e += sg * double(dot);
            mag += sg * double(amag);
          }
          EXPECT_NEAR(y[n * s.R + r], e, 1e-6 * mag + 1e-7) << "group " << s.group << " N " << N;
        }
    }
}

TEST(Quant, QuantizedProductsAreCloseToFp32) {
  const int R = 64, C = 256, N = 4;
  const std::vector<float> w = randn(size_t(R) * C, 3, 0.05f);
  const std::vector<float> x = randn(size_t(N) * C, 4);
  const std::vector<double> exact = matmul_f64(x, N, w, R, C);
  double norm = 0;
  for (double v : exact) norm += v * v;
  for (int group : {32, 64, 256}) {
    const QuantMatrix m = quantize_int8(w.data(), R, C, group);
    std::vector<float> a(size_t(N) * R), b(a.size());
    matmul_q8_f32(x.data(), N, m, a.data());
    matmul_q8_q8(x.data(), N, m, b.data());
    double ea = 0, eb = 0;
    for (size_t i = 0; i < a.size(); i++) {
      ea += (a[i] - exact[i]) * (a[i] - exact[i]);
      eb += (b[i] - exact[i]) * (b[i] - exact[i]);
    }
    // uniform rounding noise of half a step: relative error ~ 1 / (127 sqrt(3)) per operand
    EXPECT_LT(std::sqrt(ea / norm), 0.01) << "q8 x f32, group " << group;
    EXPECT_LT(std::sqrt(eb / norm), 0.015) << "q8 x q8, group " << group;
    EXPECT_GT(std::sqrt(eb / norm), 1e-4) << "int8 activations should add some error";
  }
}

TEST(Quant, BadShapesAndValuesAreRejected) {
  const std::vector<float> w = randn(4 * 96, 5);
  EXPECT_THROW(quantize_int8(w.data(), 4, 96, 64), std::invalid_argument);  // 64 does not divide 96
  EXPECT_THROW(quantize_int8(w.data(), 4, 96, 0), std::invalid_argument);
  EXPECT_THROW(quantize_int8(w.data(), 4, 96, -32), std::invalid_argument);
  EXPECT_THROW(quantize_int8(w.data(), 4, 0, 32), std::invalid_argument);
  try {
    quantize_int8(w.data(), 4, 96, 64);
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("group 64 does not divide cols 96"), std::string::npos) << e.what();
  }
  std::vector<float> bad = w;
  bad[2 * 96 + 5] = std::nanf("");
  try {
    quantize_int8(bad.data(), 4, 96, 32);
    ADD_FAILURE() << "NaN accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("w[2, 5]"), std::string::npos) << e.what();
  }
  QuantMatrix m = quantize_int8(w.data(), 4, 96, 32);
  std::vector<float> x(96, 1.f), y(4);
  m.group = 64;  // corrupted after the fact: the kernels check instead of reading out of bounds
  EXPECT_THROW(matmul_q8_f32(x.data(), 1, m, y.data()), std::invalid_argument);
  m.group = 32;
  m.scale.pop_back();
  EXPECT_THROW(matmul_q8_q8(x.data(), 1, m, y.data()), std::invalid_argument);
  // N = 0 is a no-op
  m = quantize_int8(w.data(), 4, 96, 32);
  EXPECT_NO_THROW(matmul_q8_f32(x.data(), 0, m, y.data()));
}

}  // namespace
}  // namespace llm
