// Whole-model gradient check in double precision: the loss gradient of every parameter of tiny
// models (one per architecture switch) against central finite differences.
#include <gtest/gtest.h>

#include <cmath>

#include "core/model/transformer.h"

using namespace llm;

static ModelConfig tiny(const std::string& ffn, const std::string& norm, const std::string& pos, int H, int KVH,
                        bool tie, bool bias) {
  ModelConfig c;
  c.dim = 8;
  c.n_layers = 2;
  c.n_heads = H;
  c.n_kv_heads = KVH;
  c.vocab_size = 11;
  c.max_seq_len = 6;
  c.ffn_hidden = 12;
  c.ffn = ffn;
  c.norm = norm;
  c.pos = pos;
  c.tie_embeddings = tie;
  c.bias = bias;
  c.init_std = 0.3;
  return c;
}

static void check_model(const ModelConfig& c) {
  Transformer<double> m(c);
  m.init(42);
  // non-trivial norm weights so their gradients are exercised away from the init point
  Rng r(5);
  for (size_t i = 0; i < m.params.size(); i++) m.params.values()[i] += 0.05 * r.normal();
  const int B = 2, T = 5;
  std::vector<int32_t> tok(B * T), tgt(B * T);
  for (int i = 0; i < B * T; i++) tok[i] = int32_t(r.below(c.vocab_size));
  for (int i = 0; i < B * T; i++) tgt[i] = (i % 4 == 3) ? kIgnoreIndex : int32_t(r.below(c.vocab_size));
  auto loss_of = [&](bool backward) {
    Graph<double> g;
    TensorT<double> logits = m.forward(g, tok.data(), B, T);
    TensorT<double> loss = cross_entropy(g, logits, tgt.data());
    if (backward) g.backward(loss);
    return loss.data[0];
  };
  m.params.zero_grad();
  loss_of(true);
  std::vector<double> analytic(m.params.grads(), m.params.grads() + m.params.size());
  double* w = m.params.values();
  for (const ParamInfo& p : m.params.infos()) {
    double max_abs = 1e-12, worst = 0;
    for (size_t i = 0; i < size_t(p.shape.numel()); i++) max_abs = std::max(max_abs, std::abs(analytic[p.offset + i]));
    for (size_t i = 0; i < size_t(p.shape.numel()); i++) {
      const size_t j = p.offset + i;
      const double x0 = w[j], e = 1e-6;
      w[j] = x0 + e;
      const double lp = loss_of(false);
      w[j] = x0 - e;
      const double lm = loss_of(false);
      w[j] = x0;
      // k_proj.bias has an exactly-zero gradient (softmax is shift-invariant) when positions are not
      // rotary, so the scale has a floor instead of dividing noise by ~0
      worst = std::max(worst, std::abs((lp - lm) / (2 * e) - analytic[j]) / std::max(max_abs, 1e-3));
    }
    EXPECT_LE(worst, 1e-6) << c.summary() << " param " << p.name;
  }
}

TEST(ModelGradCheck, LlamaGqaRopeRmsnormSwiglu) { check_model(tiny("swiglu", "rmsnorm", "rope", 4, 2, false, false)); }
TEST(ModelGradCheck, Gpt2LearnedLayernormGeluBiasTied) {
  check_model(tiny("gelu_mlp", "layernorm", "learned", 2, 2, true, true));
}
TEST(ModelGradCheck, AlibiMqa) { check_model(tiny("swiglu", "rmsnorm", "alibi", 4, 1, false, false)); }
TEST(ModelGradCheck, SinusoidalQwen2Bias) { check_model(tiny("swiglu", "qwen2_rmsnorm", "sinusoidal", 2, 1, true, true)); }
TEST(ModelGradCheck, NoPositionsLayernormNoBias) { check_model(tiny("gelu_mlp", "layernorm", "none", 2, 2, false, false)); }

TEST(ModelGradCheck, DropoutTrainingIsDeterministicGivenSeed) {
  ModelConfig c = tiny("swiglu", "rmsnorm", "rope", 2, 2, false, false);
  c.dropout = 0.2;
  Transformer<double> m(c);
  m.init(1);
  std::vector<int32_t> tok{1, 2, 3, 4};
  auto run = [&](bool training, uint64_t seed) {
    Graph<double> g;
    g.training = training;
    Rng r(seed);
    TensorT<double> l = m.forward(g, tok.data(), 1, 4, &r);
    return std::vector<double>(l.data, l.data + l.numel());
  };
  EXPECT_EQ(run(true, 3), run(true, 3));
  EXPECT_NE(run(true, 3), run(true, 4));
  EXPECT_EQ(run(false, 3), run(false, 4));  // no dropout at eval
}
