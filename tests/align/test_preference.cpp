// DPO / IPO / ORPO: response-only log-probs shifted by one (a test an off-by-one fails), DPO at
// initialisation (loss log 2, gradient = -beta/2 (grad logp_c - grad logp_r)), and finite-
// difference checks of every loss through a tiny model; loss values against hand formulas.
#include <gtest/gtest.h>

#include <cmath>

#include "core/align/preference.h"
#include "core/infer/chat_template.h"
#include "core/util/ignore_index.h"
#include "tests/align/align_test_util.h"
#include "tests/tensor/gradcheck.h"

namespace llm {
namespace {

PreferenceSequence pair(std::vector<int32_t> c, std::vector<int32_t> r, int prompt_len) {
  PreferenceSequence p;
  p.chosen = std::move(c);
  p.rejected = std::move(r);
  p.prompt_len = prompt_len;
  return p;
}

// two pairs with different prompt and reply lengths
struct Fixture {
  PreferenceSequence a = pair({1, 2, 3, 4, 5}, {1, 2, 3, 6}, 3);
  PreferenceSequence b = pair({7, 8, 9}, {7, 8, 10, 11, 2}, 2);
  PairBatch pb = make_pair_batch({&a, &b}, 0);
};

TEST(PreferenceData, TargetsScoreReplyTokenTWithTheLogitsAtTMinus1) {
  Fixture f;
  const int I = kIgnoreIndex;
  ASSERT_EQ(f.pb.T, 5);
  // row 0: prompt [1 2 3], reply [4 5]: logits at 2 predict 4, at 3 predict 5
  EXPECT_EQ(std::vector<int32_t>(f.pb.y.begin(), f.pb.y.begin() + 5), (std::vector<int32_t>{I, I, 4, 5, I}));
  // row 1 (chosen of pair b): prompt [7 8], reply [9]
  EXPECT_EQ(std::vector<int32_t>(f.pb.y.begin() + 5, f.pb.y.begin() + 10), (std::vector<int32_t>{I, 9, I, I, I}));
  // row 3 (rejected of pair b): reply [10 11 2]
  EXPECT_EQ(std::vector<int32_t>(f.pb.y.begin() + 15, f.pb.y.end()), (std::vector<int32_t>{I, 10, 11, 2, I}));
  EXPECT_EQ(f.pb.n_reply, (std::vector<int32_t>{2, 1, 1, 3}));
}

// log p(reply | prompt) by hand: one forward per sequence, sum over reply tokens t of
// log softmax(logits[t - 1])[ids[t]]. An off-by-one in the batch targets (scoring t with the
// logits at t, or including the last prompt token) changes the value by O(1).
double manual_logprob(Transformer<double>& m, const std::vector<int32_t>& ids, int prompt_len) {
  Graph<double> g;
  g.grad_enabled = false;
  TensorT<double> l = m.forward(g, ids.data(), 1, int(ids.size()));
  const int V = m.cfg.vocab_size;
  double s = 0;
  for (size_t t = size_t(prompt_len); t < ids.size(); t++) {
    const double* row = l.data + (t - 1) * V;
    double mx = row[0];
    for (int v = 1; v < V; v++) mx = std::max(mx, row[v]);
    double z = 0;
    for (int v = 0; v < V; v++) z += std::exp(row[v] - mx);
    s += row[ids[t]] - mx - std::log(z);
  }
  return s;
}

TEST(PreferenceData, SequenceLogprobsEqualTheHandComputedShiftedSum) {
  Transformer<double> m(aligntest::tiny_cfg());
  aligntest::randomize(m, 1);
  Fixture f;
  Graph<double> g;
  g.grad_enabled = false;
  TensorT<double> tl = token_logprobs(g, m.forward(g, f.pb.x.data(), f.pb.rows(), f.pb.T), f.pb.y.data());
  TensorT<double> sum = sequence_logprobs(g, tl, f.pb.y.data(), f.pb.rows(), f.pb.T, false);
  TensorT<double> avg = sequence_logprobs(g, tl, f.pb.y.data(), f.pb.rows(), f.pb.T, true);
  const PreferenceSequence* ps[2] = {&f.a, &f.b};
  for (int r = 0; r < 4; r++) {
    const PreferenceSequence& p = *ps[r % 2];
    const std::vector<int32_t>& ids = r < 2 ? p.chosen : p.rejected;
    const double want = manual_logprob(m, ids, p.prompt_len);
    EXPECT_NEAR(sum.data[r], want, 1e-10) << "row " << r;
    EXPECT_NEAR(avg.data[r], want / f.pb.n_reply[size_t(r)], 1e-10) << "row " << r;
    // the shifted-by-one mistakes give clearly different numbers
    EXPECT_GT(std::abs(manual_logprob(m, ids, p.prompt_len - 1) - want), 1e-3);
  }
}

TEST(PreferenceData, ChatPairsShareThePromptAndEndWithImEnd) {
  const BpeTokenizer& tok = aligntest::chat_tokenizer();
  PreferencePair p;
  p.prompt = {{"system", "Be brief."}, {"user", "hello there"}};
  p.chosen = "I am fine.";
  p.rejected = "The cat sat on the mat, the cat sat on the mat.";
  PreferenceSequence s;
  ASSERT_TRUE(preference_sequence(tok, p, 200, s));
  const ChatSpecials sp = chat_specials(tok);
  EXPECT_EQ(s.chosen.back(), sp.im_end);
  EXPECT_EQ(s.rejected.back(), sp.im_end);
  EXPECT_TRUE(std::equal(s.chosen.begin(), s.chosen.begin() + s.prompt_len, s.rejected.begin()));
  EXPECT_EQ(tok.decode(std::vector<int32_t>(s.chosen.begin() + s.prompt_len, s.chosen.end())), "I am fine.<|im_end|>");
  EXPECT_EQ(tok.decode(std::vector<int32_t>(s.chosen.begin(), s.chosen.begin() + s.prompt_len)),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhello there<|im_end|>\n<|im_start|>assistant\n");
  // a long reply is cut to max_len; a prompt that leaves no room is refused
  ASSERT_TRUE(preference_sequence(tok, p, s.prompt_len + 3, s));
  EXPECT_EQ(int(s.rejected.size()), s.prompt_len + 3);
  EXPECT_FALSE(preference_sequence(tok, p, s.prompt_len + 1, s));
}

TEST(PreferenceLoss, HandValuesOfDpoIpoOrpo) {
  // pol (2B) = [c0, c1, r0, r1], ref likewise
  std::vector<test::Leaf> leaves = {test::Leaf({4}, 1)};
  TensorT<double> pol = leaves[0].t();
  const double v[4] = {-3.0, -2.0, -4.0, -1.0};
  std::copy(v, v + 4, pol.data);
  const std::vector<double> ref = {-3.5, -2.5, -3.0, -1.5};
  const double h0 = (-3.0 + 3.5) - (-4.0 + 3.0), h1 = (-2.0 + 2.5) - (-1.0 + 1.5);  // 1.5, 0
  auto ls = [](double x) { return -std::log1p(std::exp(-x)); };
  Graph<double> g;
  PreferenceStats st;
  DpoOptions o;
  o.beta = 0.5;
  EXPECT_NEAR(dpo_loss(g, pol, ref, o, &st).data[0], -0.5 * (ls(0.5 * h0) + ls(0.5 * h1)), 1e-12);
  EXPECT_NEAR(st.accuracy, 0.75, 1e-12);  // h0 > 0 counts 1, the tie h1 = 0 counts 1/2
  EXPECT_NEAR(st.margin, 0.5 * 0.5 * (h0 + h1), 1e-12);
  o.label_smoothing = 0.2;
  EXPECT_NEAR(dpo_loss(g, pol, ref, o).data[0],
              0.5 * (-0.8 * ls(0.5 * h0) - 0.2 * ls(-0.5 * h0) - 0.8 * ls(0.5 * h1) - 0.2 * ls(-0.5 * h1)), 1e-12);
  o.label_smoothing = 0;
  o.ipo = true;
  EXPECT_NEAR(dpo_loss(g, pol, ref, o).data[0], 0.5 * ((h0 - 1.0) * (h0 - 1.0) + (h1 - 1.0) * (h1 - 1.0)), 1e-12);
  // ORPO: counts [2, 1, 4, 2]; avg = [-1.5, -2, -1, -0.5]
  const std::vector<int32_t> n = {2, 1, 4, 2};
  auto lodds = [](double a) { return a - std::log(1 - std::exp(a)); };
  const double z0 = lodds(-1.5) - lodds(-1.0), z1 = lodds(-2.0) - lodds(-0.5);
  const double nll = 5.0 / 3.0;
  EXPECT_NEAR(orpo_loss(g, pol, n, 0.25, &st).data[0], nll + 0.25 * 0.5 * (-ls(z0) - ls(z1)), 1e-12);
  EXPECT_NEAR(st.nll, nll, 1e-12);
  EXPECT_NEAR(st.margin, 0.5 * (z0 + z1), 1e-12);
  // numerics of the helpers far from 0
  EXPECT_NEAR(log_sigmoid(-800.0), -800.0, 1e-9);
  EXPECT_NEAR(log_sigmoid(800.0), 0.0, 1e-12);
  EXPECT_NEAR(log1m_exp(-1e-10), std::log(1e-10), 1e-6);
  EXPECT_NEAR(log1m_exp(-50.0), -std::exp(-50.0), 1e-30);
  EXPECT_THROW(log1m_exp(0.0), std::runtime_error);
}

TEST(PreferenceLoss, VectorGradientsMatchFiniteDifferences) {
  const std::vector<double> ref = {-3.5, -2.5, -3.0, -1.5};
  const std::vector<int32_t> n = {2, 1, 4, 2};
  for (int mode = 0; mode < 4; mode++) {
    std::vector<test::Leaf> leaves = {test::Leaf({4}, 1)};
    for (auto& x : leaves[0].data) x = -1.0 - std::abs(x);  // log-probs are negative
    test::gradcheck(
        [&](Graph<double>& g, std::vector<TensorT<double>>& in) {
          DpoOptions o;
          o.beta = 0.3;
          if (mode == 1) o.label_smoothing = 0.1;
          if (mode == 2) o.ipo = true;
          return mode == 3 ? orpo_loss(g, in[0], n, 0.7) : dpo_loss(g, in[0], ref, o);
        },
        leaves, "preference loss mode " + std::to_string(mode));
  }
}

// policy log-probs of a PairBatch through the whole model
TensorT<double> policy_lp(Graph<double>& g, Transformer<double>& m, const PairBatch& pb, bool average) {
  TensorT<double> tl = token_logprobs(g, m.forward(g, pb.x.data(), pb.rows(), pb.T), pb.y.data());
  return sequence_logprobs(g, tl, pb.y.data(), pb.rows(), pb.T, average);
}

std::vector<double> reference_lp(Transformer<double>& m, const PairBatch& pb) {
  Graph<double> g;
  g.grad_enabled = false;  // the reference: one forward, no tape
  TensorT<double> lp = policy_lp(g, m, pb, false);
  return std::vector<double>(lp.data, lp.data + lp.numel());
}

TEST(PreferenceLoss, DpoAtInitialisationIsLog2WithTheAnalyticGradient) {
  Transformer<double> m(aligntest::tiny_cfg());
  aligntest::randomize(m, 2);
  Fixture f;
  const std::vector<double> ref = reference_lp(m, f.pb);  // policy == reference
  DpoOptions o;
  o.beta = 0.2;
  m.params.zero_grad();
  Graph<double> g;
  PreferenceStats st;
  TensorT<double> l = dpo_loss(g, policy_lp(g, m, f.pb, false), ref, o, &st);
  EXPECT_NEAR(l.data[0], std::log(2.0), 1e-12);
  EXPECT_NEAR(st.margin, 0.0, 1e-12);
  g.backward(l);
  std::vector<double> dpo_grad(m.params.grads(), m.params.grads() + m.params.size());

  // grad of (1/B) sum_b (logp_c,b - logp_r,b) by itself
  m.params.zero_grad();
  Graph<double> g2;
  TensorT<double> lp = policy_lp(g2, m, f.pb, false);
  std::vector<double> w = {0.5, 0.5, -0.5, -0.5};
  TensorT<double> diff = vector_loss(g2, lp, 0.0, w);
  g2.backward(diff);
  double mx = 0;
  for (size_t i = 0; i < m.params.size(); i++) {
    const double want = -o.beta / 2.0 * m.params.grads()[i];  // sigma(0) = 1/2
    EXPECT_NEAR(dpo_grad[i], want, 1e-12) << "param value " << i;
    mx = std::max(mx, std::abs(want));
  }
  EXPECT_GT(mx, 1e-4);
}

TEST(PreferenceLoss, DpoIpoOrpoGradientsThroughTheModelMatchFiniteDifferences) {
  Transformer<double> m(aligntest::tiny_cfg());
  aligntest::randomize(m, 3);
  Fixture f;
  // a reference that differs from the policy: another random model
  Transformer<double> refm(aligntest::tiny_cfg());
  aligntest::randomize(refm, 4);
  const std::vector<double> ref = reference_lp(refm, f.pb);
  for (int mode = 0; mode < 3; mode++) {
    auto loss = [&](bool backward) {
      Graph<double> g;
      TensorT<double> l;
      if (mode == 2) {
        l = orpo_loss(g, policy_lp(g, m, f.pb, false), f.pb.n_reply, 0.5);
      } else {
        DpoOptions o;
        o.beta = 0.5;
        o.label_smoothing = mode == 0 ? 0.1 : 0.0;
        o.ipo = mode == 1;
        l = dpo_loss(g, policy_lp(g, m, f.pb, false), ref, o);
      }
      if (backward) g.backward(l);
      return l.data[0];
    };
    // every 3rd value keeps the test fast; all parameter tensors are still covered
    aligntest::check_store(m.params, loss, mode == 0 ? "cdpo" : mode == 1 ? "ipo" : "orpo", 1e-6, 3);
  }
}

}  // namespace
}  // namespace llm
