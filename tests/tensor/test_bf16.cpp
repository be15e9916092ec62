// bf16 conversion (round to nearest even, NaN, exact values) and the bf16 matmul mode of the graph:
// its output and gradients are the fp32 ones computed on bf16-rounded operands.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/tensor/bf16.h"
#include "core/tensor/ops.h"

using namespace llm;

TEST(Bf16, RoundsToNearestEven) {
  EXPECT_EQ(round_bf16(1.0f), 1.0f);
  EXPECT_EQ(round_bf16(-2.5f), -2.5f);
  const float ulp = std::ldexp(1.0f, -7);                  // bf16 spacing just above 1
  EXPECT_EQ(round_bf16(1.0f + ulp * 0.49f), 1.0f);
  EXPECT_EQ(round_bf16(1.0f + ulp * 0.51f), 1.0f + ulp);
  EXPECT_EQ(round_bf16(1.0f + ulp * 0.5f), 1.0f);          // tie -> even mantissa (…0)
  EXPECT_EQ(round_bf16(1.0f + ulp * 1.5f), 1.0f + 2 * ulp);  // tie -> even mantissa (…10)
  EXPECT_TRUE(std::isnan(round_bf16(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_TRUE(std::isinf(round_bf16(std::numeric_limits<float>::infinity())));
  EXPECT_EQ(bf16_bits_to_f32(f32_to_bf16_bits(3.140625f)), 3.140625f);  // representable: exact
  for (float x : {0.1f, 1234.5678f, -7.77e-20f, 3.0e30f})
    EXPECT_LE(std::abs(round_bf16(x) - x), std::abs(x) * std::ldexp(1.0f, -8)) << x;
}

TEST(Bf16, MatmulModeRoundsOperandsAndAccumulatesInFp32) {
  const int M = 5, K = 300, N = 7;
  std::vector<float> a(M * K), b(N * K), ga(M * K), gb(N * K);
  Rng r(9);
  for (auto& v : a) v = float(r.normal());
  for (auto& v : b) v = float(r.normal());
  Graph<float> g;
  g.bf16_matmul = true;
  TensorT<float> A{a.data(), ga.data(), Shape{M, K}}, B{b.data(), gb.data(), Shape{N, K}};
  TensorT<float> C = matmul(g, A, B, false, true);  // (M, N)
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      double ref = 0, ref32 = 0;
      for (int k = 0; k < K; k++) {
        ref += double(round_bf16(a[i * K + k])) * round_bf16(b[j * K + k]);
        ref32 += double(a[i * K + k]) * b[j * K + k];
      }
      EXPECT_NEAR(C.data[i * N + j], ref, 1e-4 * (1 + std::abs(ref)));  // fp32 accumulation of bf16 products
      EXPECT_NE(C.data[i * N + j], float(ref32));
    }
  // backward through a cross-entropy: dC = (softmax(C) - onehot) / M, and then
  // dA = round_bf16(dC) round_bf16(B) in fp32
  std::vector<int32_t> y = {0, 3, 6, 2, 1};
  TensorT<float> loss = cross_entropy(g, C, y.data());
  g.backward(loss);
  for (int i = 0; i < M; i++) {
    std::vector<double> p(N);
    double mx = -1e30, z = 0;
    for (int j = 0; j < N; j++) mx = std::max(mx, double(C.data[i * N + j]));
    for (int j = 0; j < N; j++) z += (p[j] = std::exp(C.data[i * N + j] - mx));
    for (int k = 0; k < K; k += 37) {
      double ref = 0, mag = 0;  // a dc right at a rounding boundary may round either way: 2^-8 slack
      for (int j = 0; j < N; j++) {
        const float dc = float((p[j] / z - (j == y[i])) / M);
        ref += double(round_bf16(dc)) * round_bf16(b[j * K + k]);
        mag += std::abs(double(dc) * b[j * K + k]);
      }
      EXPECT_NEAR(ga[i * K + k], ref, 1e-6 + mag * std::ldexp(1.0, -8)) << i << "," << k;
    }
  }
}
