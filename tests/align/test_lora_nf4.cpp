// NF4 / QLoRA: the level table rebuilt from its definition, round-trip error bounds, memory,
// the frozen NF4 linear's input gradient, and a QLoRA model (no fp32 linear weights) that equals
// the fp32 model with dequantized weights and trains its adapters with exact gradients.
#include <gtest/gtest.h>

#include <cmath>

#include "core/align/lora.h"
#include "core/align/nf4.h"
#include "tests/align/align_test_util.h"
#include "tests/tensor/gradcheck.h"

namespace llm {
namespace {

// inverse standard normal CDF by bisection on erfc (exact enough for a 1e-6 comparison)
double norm_ppf(double p) {
  double lo = -10, hi = 10;
  for (int i = 0; i < 200; i++) {
    const double mid = 0.5 * (lo + hi);
    (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

TEST(Nf4, LevelTableIsTheQloraNormalFloatTable) {
  // QLoRA appendix / bitsandbytes create_normal_map(offset = 0.9677083, use_extra_value = True)
  const double offset = 0.9677083;
  std::vector<double> v;
  for (int i = 0; i < 8; i++) v.push_back(norm_ppf(offset + (0.5 - offset) * i / 8.0));    // linspace(offset, .5, 9)[:-1]
  for (int i = 0; i < 7; i++) v.push_back(-norm_ppf(offset + (0.5 - offset) * i / 7.0));   // linspace(offset, .5, 8)[:-1]
  v.push_back(0.0);
  std::sort(v.begin(), v.end());
  const double mx = v.back();
  for (int i = 0; i < 16; i++) EXPECT_NEAR(kNf4Levels[i], v[size_t(i)] / mx, 2e-6) << "level " << i;
  EXPECT_EQ(kNf4Levels[7], 0.f);
  EXPECT_EQ(kNf4Levels[0], -1.f);
  EXPECT_EQ(kNf4Levels[15], 1.f);
}

TEST(Nf4, NearestLevelRoundsToTheClosest) {
  for (uint8_t c = 0; c < 16; c++) EXPECT_EQ(nf4_nearest(kNf4Levels[c]), c);
  for (int c = 0; c < 15; c++) {
    const float mid = 0.5f * (kNf4Levels[c] + kNf4Levels[c + 1]);
    EXPECT_EQ(nf4_nearest(mid - 1e-4f), c);
    EXPECT_EQ(nf4_nearest(mid + 1e-4f), c + 1);
  }
  EXPECT_EQ(nf4_nearest(-7.f), 0);
  EXPECT_EQ(nf4_nearest(7.f), 15);
}

// max over codes of half the gap to a neighbour: the worst rounding error in units of absmax
double max_half_gap() {
  double g = 0;
  for (int c = 0; c < 15; c++) g = std::max(g, 0.5 * double(kNf4Levels[c + 1] - kNf4Levels[c]));
  return g;
}

TEST(Nf4, RoundTripErrorIsBoundedPerBlock) {
  const int64_t rows = 37, cols = 50;  // 1850 values: 29 blocks of 64, the last one partial
  std::vector<float> w(size_t(rows * cols));
  Rng r(3);
  for (size_t i = 0; i < w.size(); i++) w[i] = float(r.normal() * (i < 640 ? 0.02 : 1.0));  // two scales
  for (bool dq : {false, true}) {
    const Nf4Tensor q = nf4_quantize(w.data(), rows, cols, 64, dq);
    std::vector<float> d(w.size());
    nf4_dequantize(q, d.data());
    double mse = 0, var = 0;
    for (int64_t b = 0; b < q.n_blocks(); b++) {
      float amax = 0;
      for (int64_t i = b * 64; i < std::min<int64_t>(rows * cols, (b + 1) * 64); i++) amax = std::max(amax, std::fabs(w[size_t(i)]));
      const double a = q.block_absmax(b);
      // rounding to the nearest level plus the absmax's own quantization error (double quant)
      const double bound = max_half_gap() * a + std::abs(a - amax) + 1e-6 * amax;
      EXPECT_LE(std::abs(a - amax), dq ? 0.0222 * amax : 0.0) << "block " << b;  // 2^(1/32) - 1
      for (int64_t i = b * 64; i < std::min<int64_t>(rows * cols, (b + 1) * 64); i++) {
        const double e = std::abs(double(d[size_t(i)]) - w[size_t(i)]);
        EXPECT_LE(e, bound) << "element " << i << " double_quant " << dq;
        mse += e * e;
        var += double(w[size_t(i)]) * w[size_t(i)];
      }
    }
    // normal data: relative RMS error around 10% (4 bits), far below the bound
    EXPECT_LT(std::sqrt(mse / var), 0.12) << "double_quant " << dq;
  }
  // values exactly on the levels come back exactly
  std::vector<float> lv(64);
  for (int i = 0; i < 64; i++) lv[size_t(i)] = 0.5f * kNf4Levels[i % 16];
  const Nf4Tensor q = nf4_quantize(lv.data(), 1, 64, 64, false);
  std::vector<float> back(64);
  nf4_dequantize(q, back.data());
  EXPECT_EQ(back, lv);
}

TEST(Nf4, MemoryIsAboutAnEighthOfFp32) {
  std::vector<float> w(size_t(256) * 512, 0.25f);
  const Nf4Tensor a = nf4_quantize(w.data(), 256, 512, 64, false), b = nf4_quantize(w.data(), 256, 512, 64, true);
  const size_t n = w.size();
  EXPECT_EQ(a.bytes(), n / 2 + 4 * (n / 64));
  EXPECT_EQ(b.bytes(), n / 2 + n / 64 + 4 * ((n / 64 + 255) / 256));
  EXPECT_NEAR(double(4 * n) / double(a.bytes()), 7.11, 0.01);
  EXPECT_NEAR(double(4 * n) / double(b.bytes()), 7.75, 0.01);
  EXPECT_THROW(nf4_quantize(w.data(), 256, 512, 63, false), std::runtime_error);
}

TEST(Nf4, LinearMatchesDequantizedWeightsAndItsInputGradientChecks) {
  std::vector<float> w(size_t(6) * 10);
  Rng r(5);
  for (auto& x : w) x = float(r.normal());
  const Nf4Tensor q = nf4_quantize(w.data(), 6, 10, 4, true);
  std::vector<double> wd(w.size());
  nf4_dequantize(q, wd.data());
  std::vector<double> scratch;
  std::vector<test::Leaf> leaves = {test::Leaf({3, 10}, 1), test::Leaf({6}, 2)};
  test::gradcheck(
      [&](Graph<double>& g, std::vector<TensorT<double>>& in) { return nf4_linear(g, in[0], q, &in[1], scratch); }, leaves,
      "nf4_linear");
  // forward equals x W^T + b with the dequantized weight
  Graph<double> g;
  TensorT<double> x = leaves[0].t(), b = leaves[1].t();
  TensorT<double> y = nf4_linear(g, x, q, &b, scratch);
  TensorT<double> W;
  W.data = wd.data();
  W.shape = {6, 10};
  TensorT<double> y2 = linear(g, x, W, &b);
  for (int64_t i = 0; i < y.numel(); i++) EXPECT_NEAR(y.data[i], y2.data[i], 1e-12);
}

TEST(Qlora, ModelWithoutFp32LinearsMatchesDequantizedModelAndTrainsAdapters) {
  const ModelConfig c = aligntest::tiny_cfg();
  Transformer<float> full(c);
  full.init(8);
  const Nf4Weights q = quantize_linears(full, 8, false);
  EXPECT_EQ(q.layers.size(), full.linear_layers().size());

  // a double model holding the dequantized weights (the reference) ...
  Transformer<double> ref(c);
  for (const ParamInfo& p : full.params.infos()) {
    TensorT<float> s = full.params.get(p.name);
    TensorT<double> d = ref.params.get(p.name);
    auto it = q.layers.find(p.name.substr(0, p.name.size() - 7));  // strip ".weight"
    if (it != q.layers.end()) nf4_dequantize(it->second, d.data);
    else for (int64_t i = 0; i < s.numel(); i++) d.data[i] = s.data[i];
  }
  // ... and the QLoRA model: no linear weights in params, NF4 underneath, LoRA on top
  Transformer<double> qm(c, /*linear_weights=*/false);
  EXPECT_LT(qm.params.size(), ref.params.size());
  for (const ParamInfo& p : qm.params.infos()) {
    TensorT<double> a = qm.params.get(p.name), b = ref.params.get(p.name);
    std::copy(b.data, b.data + b.numel(), a.data);
  }
  LoraOptions o;
  o.rank = 2;
  o.targets = {"q_proj", "v_proj", "down_proj"};
  LoraAdapters<double> a(qm.linear_layers(), o);
  a.init(1);
  Rng r(2);
  for (size_t i = 0; i < a.params.size(); i++) a.params.values()[i] += 0.2 * r.normal();
  a.nf4 = &q;
  qm.linear_hook = &a;
  qm.frozen = true;
  LoraAdapters<double> a2(ref.linear_layers(), o);
  std::copy(a.params.values(), a.params.values() + a.params.size(), a2.params.values());
  ref.linear_hook = &a2;

  const std::vector<int32_t> tok = {1, 4, 2, 7, 3, 9}, tgt = {4, 2, 7, 3, 9, 1};
  Graph<double> g1, g2;
  TensorT<double> l1 = qm.forward(g1, tok.data(), 1, 6), l2 = ref.forward(g2, tok.data(), 1, 6);
  for (int64_t i = 0; i < l1.numel(); i++) EXPECT_NEAR(l1.data[i], l2.data[i], 1e-12);

  auto loss = [&](bool backward) {
    Graph<double> g;
    TensorT<double> l = cross_entropy(g, qm.forward(g, tok.data(), 1, 6), tgt.data());
    if (backward) g.backward(l);
    return l.data[0];
  };
  aligntest::check_store(a.params, loss, "qlora adapters");
  // merging needs fp32 base weights: an NF4-only model refuses
  EXPECT_THROW(a.merge_into(qm), std::runtime_error);
}

}  // namespace
}  // namespace llm
