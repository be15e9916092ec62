// Reward model: the score reads the last real token of each right-padded row, the Bradley-Terry
// loss has the right value and its gradient (head + whole backbone) matches finite differences.
#include <gtest/gtest.h>

#include <cmath>

#include "core/align/reward.h"
#include "core/tensor/ops.h"
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

TEST(RewardModel, BradleyTerryValueAndGradient) {
  // r_c == r_r: log 2 per pair; hand values otherwise
  std::vector<test::Leaf> leaves = {test::Leaf({4}, 1)};
  Graph<double> g;
  TensorT<double> r = leaves[0].t();
  r.data[0] = 1.0, r.data[1] = -0.5, r.data[2] = 1.0, r.data[3] = 0.5;  // pairs (1, 1) and (-0.5, 0.5)
  double acc = -1, margin = 0;
  TensorT<double> l = bradley_terry_loss(g, r, &acc, &margin);
  EXPECT_NEAR(l.data[0], 0.5 * (std::log(2.0) + std::log1p(std::exp(1.0))), 1e-12);
  EXPECT_EQ(acc, 0.25);  // the tie counts 1/2, the wrong pair 0
  EXPECT_NEAR(margin, -0.5, 1e-12);
  test::gradcheck([](Graph<double>& g2, std::vector<TensorT<double>>& in) { return bradley_terry_loss(g2, in[0]); },
                  leaves, "bradley_terry");
}

TEST(RewardModel, ScoreReadsTheLastRealTokenAndIgnoresPadding) {
  Transformer<double> m(aligntest::tiny_cfg());
  aligntest::randomize(m, 1);
  RewardHead<double> head(m.cfg.dim);
  head.init(2);
  const PreferenceSequence a = pair({1, 2, 3, 4, 5}, {1, 2, 3, 6}, 3), b = pair({7, 8, 9}, {7, 8, 10, 11, 12, 2}, 2);
  const PairBatch pb = make_pair_batch({&a, &b}, 0);
  ASSERT_EQ(pb.T, 6);
  EXPECT_EQ(pb.last, (std::vector<int32_t>{4, 2, 3, 5}));
  Graph<double> g;
  g.grad_enabled = false;
  TensorT<double> s = reward_scores(g, m, head, pb.x.data(), pb.rows(), pb.T, pb.last);
  ASSERT_EQ(s.numel(), 4);
  // each score equals the sequence run alone, whatever the padding holds
  PairBatch junk = pb;
  for (int r = 0; r < 4; r++)
    for (int t = pb.last[size_t(r)] + 1; t < pb.T; t++) junk.x[size_t(r * pb.T + t)] = 12;
  TensorT<double> s2 = reward_scores(g, m, head, junk.x.data(), junk.rows(), junk.T, junk.last);
  const std::vector<int32_t>* rows[4] = {&a.chosen, &b.chosen, &a.rejected, &b.rejected};
  for (int r = 0; r < 4; r++) {
    TensorT<double> one = reward_scores(g, m, head, rows[r]->data(), 1, int(rows[r]->size()), {int32_t(rows[r]->size()) - 1});
    EXPECT_NEAR(s.data[r], one.data[0], 1e-12) << "row " << r;
    EXPECT_NEAR(s2.data[r], one.data[0], 1e-12) << "row " << r;
  }
}

TEST(RewardModel, LossGradientThroughHeadAndBackboneMatchesFiniteDifferences) {
  Transformer<double> m(aligntest::tiny_cfg());
  aligntest::randomize(m, 4);
  RewardHead<double> head(m.cfg.dim);
  head.init(5, 0.5);
  const PreferenceSequence a = pair({1, 2, 3, 4, 5}, {1, 2, 3, 6}, 3), b = pair({7, 8, 9}, {7, 8, 10, 11, 2}, 2);
  const PairBatch pb = make_pair_batch({&a, &b}, 0);
  auto loss = [&](bool backward) {
    Graph<double> g;
    TensorT<double> l = bradley_terry_loss(g, reward_scores(g, m, head, pb.x.data(), pb.rows(), pb.T, pb.last));
    if (backward) g.backward(l);
    return l.data[0];
  };
  aligntest::check_store(head.params, loss, "reward head");
  aligntest::check_store(m.params, loss, "reward backbone");
}

// L = BT + c * NLL(chosen replies): the value is the sum of the two parts computed apart (the
// NLL from the plain forward's logits, rejected rows ignored), and its gradient through the
// head and the backbone matches finite differences.
TEST(RewardModel, LmRegularizedLossValueAndGradient) {
  Transformer<double> m(aligntest::tiny_cfg());
  aligntest::randomize(m, 6);
  RewardHead<double> head(m.cfg.dim);
  head.init(7, 0.5);
  const PreferenceSequence a = pair({1, 2, 3, 4, 5}, {1, 2, 3, 6}, 3), b = pair({7, 8, 9}, {7, 8, 10, 11, 2}, 2);
  const PairBatch pb = make_pair_batch({&a, &b}, 0);
  const std::vector<int32_t> cy = chosen_reply_targets(pb);
  for (int64_t i = 0; i < int64_t(cy.size()); i++)
    EXPECT_EQ(cy[size_t(i)], i < int64_t(pb.B) * pb.T ? pb.y[size_t(i)] : kIgnoreIndex) << i;
  const double c = 0.7;
  double acc = 0, nll = 0;
  Graph<double> g;
  const double total = reward_model_loss(g, m, head, pb, cy, c, &acc, &nll).data[0];
  Graph<double> g1, g2;
  const double bt = bradley_terry_loss(g1, reward_scores(g1, m, head, pb.x.data(), pb.rows(), pb.T, pb.last)).data[0];
  const double ce = cross_entropy(g2, m.forward(g2, pb.x.data(), pb.rows(), pb.T), cy.data()).data[0];
  EXPECT_NEAR(nll, ce, 1e-12);
  EXPECT_NEAR(total, bt + c * ce, 1e-12);
  Graph<double> g0;
  EXPECT_NEAR(reward_model_loss(g0, m, head, pb, cy, 0.0).data[0], bt, 1e-12) << "lm_coef 0 is plain Bradley-Terry";
  auto loss = [&](bool backward) {
    Graph<double> gg;
    TensorT<double> l = reward_model_loss(gg, m, head, pb, cy, c);
    if (backward) gg.backward(l);
    return l.data[0];
  };
  aligntest::check_store(head.params, loss, "reward head (lm-regularized)");
  aligntest::check_store(m.params, loss, "reward backbone (lm-regularized)");
}

}  // namespace
}  // namespace llm
