// Every op's backward against central finite differences, in double precision.
#include <cmath>

#include "tests/tensor/gradcheck.h"

using namespace llm;
using namespace llm::test;
using Tn = TensorT<double>;
using Ins = std::vector<Tn>;

TEST(GradCheck, MatmulAllTransposes) {
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++) {
      const int M = 3, N = 4, K = 5;
      std::vector<Leaf> L{Leaf(ta ? Shape{K, M} : Shape{M, K}, 1), Leaf(tb ? Shape{N, K} : Shape{K, N}, 2)};
      gradcheck([&](Graph<double>& g, Ins& x) { return matmul(g, x[0], x[1], ta, tb); }, L,
                "matmul ta=" + std::to_string(ta) + " tb=" + std::to_string(tb));
    }
}

TEST(GradCheck, MatmulForwardValues) {
  Graph<double> g;
  std::vector<double> a{1, 2, 3, 4, 5, 6}, b{1, 0, -1, 2, 3, 1};  // a (2,3), b (3,2)
  Tn A, B;
  A.data = a.data(); A.shape = {2, 3};
  B.data = b.data(); B.shape = {3, 2};
  Tn C = matmul(g, A, B, false, false);
  EXPECT_DOUBLE_EQ(C.data[0], 1 * 1 + 2 * -1 + 3 * 3);
  EXPECT_DOUBLE_EQ(C.data[1], 1 * 0 + 2 * 2 + 3 * 1);
  EXPECT_DOUBLE_EQ(C.data[2], 4 * 1 + 5 * -1 + 6 * 3);
  EXPECT_DOUBLE_EQ(C.data[3], 4 * 0 + 5 * 2 + 6 * 1);
}

TEST(GradCheck, LinearWithBias) {
  std::vector<Leaf> L{Leaf({4, 6}, 1), Leaf({3, 6}, 2), Leaf({3}, 3)};
  gradcheck([](Graph<double>& g, Ins& x) { return linear(g, x[0], x[1], &x[2]); }, L, "linear");
}

TEST(GradCheck, AddMulScale) {
  std::vector<Leaf> L{Leaf({3, 5}, 1), Leaf({3, 5}, 2)};
  gradcheck([](Graph<double>& g, Ins& x) { return add(g, x[0], x[1]); }, L, "add");
  gradcheck([](Graph<double>& g, Ins& x) { return mul(g, x[0], x[1]); }, L, "mul");
  gradcheck([](Graph<double>& g, Ins& x) { return scale(g, x[0], 0.37); }, L, "scale");
}

TEST(GradCheck, AddBroadcastPositions) {
  // learned positions: (B*T, C) + (T, C)
  std::vector<Leaf> L{Leaf({6, 4}, 1), Leaf({3, 4}, 2)};
  gradcheck([](Graph<double>& g, Ins& x) { return add_bcast(g, x[0], x[1]); }, L, "add_bcast");
}

TEST(GradCheck, SinusoidalPositions) {
  // sinusoidal positions: a constant table added to the embeddings; only x gets a gradient
  const int T = 5, C = 6;
  std::vector<double> tab = sinusoidal_table(T, C);
  EXPECT_NEAR(tab[1 * C + 0], std::sin(1.0), 1e-12);
  EXPECT_NEAR(tab[2 * C + 3], std::cos(2.0 * std::pow(10000.0, -2.0 / C)), 1e-12);
  std::vector<Leaf> L{Leaf({2 * T, C}, 1)};
  gradcheck(
      [&](Graph<double>& g, Ins& x) {
        Tn S;
        S.data = tab.data();
        S.shape = {T, C};
        return add_bcast(g, x[0], S);
      },
      L, "sinusoidal");
}

TEST(GradCheck, Embedding) {
  std::vector<int32_t> ids{3, 0, 3, 1, 4};
  std::vector<Leaf> L{Leaf({5, 4}, 1)};
  gradcheck([&](Graph<double>& g, Ins& x) { return embedding(g, x[0], ids.data(), 5); }, L, "embedding");
}

TEST(GradCheck, EmbeddingRejectsOutOfRangeIds) {
  std::vector<double> w(20);
  Tn W;
  W.data = w.data();
  W.shape = {5, 4};
  std::vector<int32_t> ids{1, 5};
  Graph<double> g;
  EXPECT_THROW(embedding(g, W, ids.data(), 2), std::runtime_error);
}

TEST(GradCheck, Norms) {
  std::vector<Leaf> L{Leaf({4, 7}, 1), Leaf({7}, 2), Leaf({7}, 3)};
  gradcheck([](Graph<double>& g, Ins& x) { return layernorm(g, x[0], x[1], &x[2], 1e-5); }, L, "layernorm+bias");
  gradcheck([](Graph<double>& g, Ins& x) { return layernorm(g, x[0], x[1], (const Tn*)nullptr, 1e-5); }, L,
            "layernorm");
  gradcheck([](Graph<double>& g, Ins& x) { return rmsnorm(g, x[0], x[1], 1e-5, false); }, L, "rmsnorm");
  gradcheck([](Graph<double>& g, Ins& x) { return rmsnorm(g, x[0], x[1], 1e-5, true); }, L, "qwen2_rmsnorm");
}

TEST(GradCheck, NormValues) {
  Graph<double> g;
  std::vector<double> x{1, 2, 3, 4}, w{1, 1, 1, 1}, z{0, 0, 0, 0};
  Tn X, W, Z;
  X.data = x.data(); X.shape = {1, 4};
  W.data = w.data(); W.shape = {4};
  Z.data = z.data(); Z.shape = {4};
  Tn r = rmsnorm(g, X, W, 0.0, false);
  const double rms = std::sqrt((1 + 4 + 9 + 16) / 4.0);
  EXPECT_NEAR(r.data[3], 4 / rms, 1e-12);
  Tn q = rmsnorm(g, X, Z, 0.0, true);  // (1 + 0) weight: same as plain with w = 1
  EXPECT_NEAR(q.data[3], 4 / rms, 1e-12);
  Tn ln = layernorm(g, X, W, (const Tn*)nullptr, 0.0);
  EXPECT_NEAR(ln.data[0], -1.5 / std::sqrt(1.25), 1e-12);
}

TEST(GradCheck, Activations) {
  std::vector<Leaf> L{Leaf({3, 5}, 1, 2.0), Leaf({3, 5}, 2)};
  gradcheck([](Graph<double>& g, Ins& x) { return silu(g, x[0]); }, L, "silu");
  gradcheck([](Graph<double>& g, Ins& x) { return gelu(g, x[0]); }, L, "gelu");
  gradcheck([](Graph<double>& g, Ins& x) { return swiglu(g, x[0], x[1]); }, L, "swiglu");
}

TEST(GradCheck, FusedSwigluEqualsSiluTimesUp) {
  // the fused kernel against its plain composition (the reference it must equal)
  Leaf a({4, 6}, 1, 2.0), b({4, 6}, 2);
  Graph<double> g;
  Tn f = swiglu(g, a.t(), b.t());
  Tn p = mul(g, silu(g, a.t()), b.t());
  for (int64_t i = 0; i < f.numel(); i++) EXPECT_NEAR(f.data[i], p.data[i], 1e-14);
}

TEST(GradCheck, GeluValue) {
  Graph<double> g;
  std::vector<double> x{1.0};
  Tn X;
  X.data = x.data();
  X.shape = {1};
  EXPECT_NEAR(gelu(g, X).data[0], 0.8411919906082768, 1e-12);  // gelu_tanh(1)
}

TEST(GradCheck, Dropout) {
  std::vector<Leaf> L{Leaf({4, 8}, 1)};
  gradcheck(
      [](Graph<double>& g, Ins& x) {
        g.training = true;
        Rng r(7);  // same mask on every evaluation
        return dropout(g, x[0], 0.3f, r);
      },
      L, "dropout");
  // statistics: about p of the values are zeroed, survivors scaled by 1/(1-p)
  Leaf big({100, 100}, 2);
  Graph<double> g;
  g.training = true;
  Rng r(3);
  Tn y = dropout(g, big.t(), 0.25f, r);
  int zeros = 0;
  for (int64_t i = 0; i < y.numel(); i++) {
    if (y.data[i] == 0) zeros++;
    else EXPECT_NEAR(y.data[i], big.data[i] / 0.75, 1e-12);
  }
  EXPECT_NEAR(zeros / 10000.0, 0.25, 0.02);
  g.training = false;
  Tn z = dropout(g, big.t(), 0.25f, r);
  EXPECT_EQ(z.data, big.data.data());  // identity at eval time
}

TEST(GradCheck, CrossEntropyIgnoreIndex) {
  std::vector<int32_t> tg{2, kIgnoreIndex, 0, 4};
  std::vector<Leaf> L{Leaf({4, 5}, 1, 2.0)};
  gradcheck([&](Graph<double>& g, Ins& x) { return cross_entropy(g, x[0], tg.data()); }, L, "cross_entropy");
  // value: mean over the 3 non-ignored rows of logsumexp - logit[target]
  Graph<double> g;
  Tn l = cross_entropy(g, L[0].t(), tg.data());
  double ref = 0;
  for (int n : {0, 2, 3}) {
    double s = 0;
    for (int j = 0; j < 5; j++) s += std::exp(L[0].data[n * 5 + j]);
    ref += std::log(s) - L[0].data[n * 5 + tg[n]];
  }
  EXPECT_NEAR(l.data[0], ref / 3, 1e-12);
}

TEST(GradCheck, TokenLogprobs) {
  std::vector<int32_t> tg{2, kIgnoreIndex, 0, 4};
  std::vector<Leaf> L{Leaf({4, 5}, 3, 2.0)};
  gradcheck([&](Graph<double>& g, Ins& x) { return token_logprobs(g, x[0], tg.data()); }, L, "token_logprobs");
  Graph<double> g;
  Tn lp = token_logprobs(g, L[0].t(), tg.data());  // (4)
  EXPECT_EQ(lp.data[1], 0.0);                      // ignored row
  for (int n : {0, 2, 3}) {
    double s = 0;
    for (int j = 0; j < 5; j++) s += std::exp(L[0].data[n * 5 + j]);
    EXPECT_NEAR(lp.data[n], L[0].data[n * 5 + tg[n]] - std::log(s), 1e-12);
  }
}

TEST(GradCheck, Rope) {
  const int B = 2, T = 3, nh = 2, hd = 6;
  std::vector<double> cs, sn;
  rope_tables(8, hd, 10000.0, cs, sn);
  std::vector<Leaf> L{Leaf({B * T, nh * hd}, 1)};
  for (int pos0 : {0, 4})
    gradcheck([&](Graph<double>& g, Ins& x) { return rope(g, x[0], B, T, nh, hd, cs.data(), sn.data(), pos0); }, L,
              "rope pos0=" + std::to_string(pos0));
  // a rotation keeps the norm of every (i, i + hd/2) pair
  Graph<double> g;
  Tn y = rope(g, L[0].t(), B, T, nh, hd, cs.data(), sn.data(), 0);
  for (int i = 0; i < hd / 2; i++) {
    const int r = 5 * nh * hd + hd;  // row 5, head 1
    const double a = L[0].data[r + i], b = L[0].data[r + i + hd / 2];
    EXPECT_NEAR(a * a + b * b, y.data[r + i] * y.data[r + i] + y.data[r + i + hd / 2] * y.data[r + i + hd / 2], 1e-12);
  }
}

TEST(GradCheck, AlibiSlopes) {
  std::vector<double> s8 = alibi_slopes(8);
  EXPECT_NEAR(s8[0], 0.5, 1e-15);
  EXPECT_NEAR(s8[7], 1.0 / 256, 1e-15);
  std::vector<double> s6 = alibi_slopes(6);  // 4 from pow2(4), then slopes(8)[0], [2]
  ASSERT_EQ(s6.size(), 6u);
  EXPECT_NEAR(s6[0], 0.25, 1e-15);
  EXPECT_NEAR(s6[4], 0.5, 1e-15);
  EXPECT_NEAR(s6[5], 0.125, 1e-15);
}

struct AttnCase {
  int H, KVH;
  bool alibi;
};
class AttentionGrad : public ::testing::TestWithParam<AttnCase> {};
TEST_P(AttentionGrad, MatchesFiniteDifferences) {
  const AttnCase c = GetParam();
  const int B = 2, T = 4, hd = 3;
  std::vector<double> sl = alibi_slopes(c.H);
  std::vector<Leaf> L{Leaf({B * T, c.H * hd}, 1), Leaf({B * T, c.KVH * hd}, 2), Leaf({B * T, c.KVH * hd}, 3)};
  gradcheck(
      [&](Graph<double>& g, Ins& x) {
        return attention(g, x[0], x[1], x[2], B, T, c.H, c.KVH, c.alibi ? sl.data() : nullptr);
      },
      L, "attention");
}
INSTANTIATE_TEST_SUITE_P(Heads, AttentionGrad,
                         ::testing::Values(AttnCase{4, 4, false}, AttnCase{4, 2, false}, AttnCase{4, 1, false},
                                           AttnCase{6, 3, true}, AttnCase{4, 4, true}),
                         [](const auto& i) {
                           return "H" + std::to_string(i.param.H) + "_KV" + std::to_string(i.param.KVH) +
                                  (i.param.alibi ? "_alibi" : "");
                         });

TEST(GradCheck, AttentionIsCausalAndMatchesNaiveLoop) {
  const int B = 1, T = 5, H = 2, KVH = 1, hd = 4;
  Leaf q({B * T, H * hd}, 1), k({B * T, KVH * hd}, 2), v({B * T, KVH * hd}, 3);
  std::vector<double> sl = alibi_slopes(H);
  Graph<double> g;
  Tn o = attention(g, q.t(), k.t(), v.t(), B, T, H, KVH, sl.data());
  for (int h = 0; h < H; h++)
    for (int i = 0; i < T; i++) {
      std::vector<double> s(i + 1);
      double mx = -1e300, z = 0;
      for (int j = 0; j <= i; j++) {
        double d = 0;
        for (int c = 0; c < hd; c++) d += q.data[i * H * hd + h * hd + c] * k.data[j * hd + c];
        s[j] = d / 2.0 - sl[h] * (i - j);
        mx = std::max(mx, s[j]);
      }
      for (auto& x : s) z += (x = std::exp(x - mx));
      for (int c = 0; c < hd; c++) {
        double ref = 0;
        for (int j = 0; j <= i; j++) ref += s[j] / z * v.data[j * hd + c];
        EXPECT_NEAR(o.data[i * H * hd + h * hd + c], ref, 1e-12);
      }
    }
}

TEST(GradCheck, AttentionWithDocumentBoundaries) {
  // two packed documents per row: keys of the first are invisible to queries of the second
  const int B = 2, T = 5, H = 2, KVH = 1, hd = 3;
  std::vector<int32_t> ds{0, 0, 0, 3, 3, 0, 1, 1, 1, 1};  // row 0: docs [0,3) [3,5); row 1: [0,1) [1,5)
  std::vector<Leaf> L{Leaf({B * T, H * hd}, 1), Leaf({B * T, KVH * hd}, 2), Leaf({B * T, KVH * hd}, 3)};
  gradcheck([&](Graph<double>& g, Ins& x) { return attention(g, x[0], x[1], x[2], B, T, H, KVH, (const double*)nullptr, ds.data()); },
            L, "attention+doc_start");
  // equals running the second document of row 0 on its own
  Graph<double> g;
  Tn full = attention(g, L[0].t(), L[1].t(), L[2].t(), B, T, H, KVH, (const double*)nullptr, ds.data());
  Leaf q2({2, H * hd}, 9), k2({2, KVH * hd}, 9), v2({2, KVH * hd}, 9);
  for (int r = 0; r < 2; r++) {
    for (int c = 0; c < H * hd; c++) q2.data[r * H * hd + c] = L[0].data[(3 + r) * H * hd + c];
    for (int c = 0; c < KVH * hd; c++) k2.data[r * KVH * hd + c] = L[1].data[(3 + r) * KVH * hd + c],
                                       v2.data[r * KVH * hd + c] = L[2].data[(3 + r) * KVH * hd + c];
  }
  Tn alone = attention(g, q2.t(), k2.t(), v2.t(), 1, 2, H, KVH, (const double*)nullptr);
  for (int i = 0; i < 2 * H * hd; i++) EXPECT_NEAR(full.data[3 * H * hd + i], alone.data[i], 1e-12);
}
