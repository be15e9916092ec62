// Log-likelihood scoring equals a hand-computed sum of log-softmax entries, whatever the batching,
// padding and left truncation; windows for perplexity match cross_entropy.
#include <gtest/gtest.h>

#include <cmath>

#include "core/eval/loglik.h"
#include "core/util/ignore_index.h"
#include "tests/eval/eval_test_util.h"

namespace llm {
namespace {

using evaltest::random_model;
using evaltest::tiny_cfg;

std::vector<int32_t> rand_ids(Rng& rng, int n, int V) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (auto& x : v) x = int32_t(rng.below(uint64_t(V)));
  return v;
}

// sum over continuation tokens of log softmax(logits at the previous position)[token], in double
double manual_score(Transformer<float>& m, const std::vector<int32_t>& ctx, const std::vector<int32_t>& cont) {
  std::vector<int32_t> row = ctx;
  row.insert(row.end(), cont.begin(), cont.end());
  const int T = int(row.size()) - 1, V = m.cfg.vocab_size;
  Graph<float> g;
  g.grad_enabled = false;
  const TensorT<float> lg = m.forward(g, row.data(), 1, T);  // (T, V)
  double s = 0;
  for (int t = int(ctx.size()) - 1; t < T; t++) {
    const float* l = lg.data + size_t(t) * V;
    double mx = l[0], z = 0;
    for (int v = 1; v < V; v++) mx = std::max(mx, double(l[v]));
    for (int v = 0; v < V; v++) z += std::exp(double(l[v]) - mx);
    s += double(l[row[size_t(t) + 1]]) - mx - std::log(z);
  }
  return s;
}

TEST(EvalLoglik, EqualsManualSumForAnyBatching) {
  const ModelConfig c = tiny_cfg(50);
  auto m = random_model(c, 3);
  Rng rng(11);
  std::vector<LoglikRequest> reqs;
  for (int i = 0; i < 9; i++) reqs.push_back({rand_ids(rng, 1 + int(rng.below(20)), 50), rand_ids(rng, 1 + int(rng.below(6)), 50)});
  std::vector<double> want;
  for (const auto& r : reqs) want.push_back(manual_score(*m, r.context, r.continuation));
  for (int bt : {1, 40, 100000}) {  // one row per forward .. everything in one padded batch
    LoglikOptions o;
    o.batch_tokens = bt;
    size_t last_done = 0;
    o.progress = [&](size_t done, size_t total) {
      EXPECT_GT(done, last_done);
      EXPECT_EQ(total, reqs.size());
      last_done = done;
    };
    const std::vector<LoglikScore> got = score_continuations(*m, reqs, o);
    ASSERT_EQ(got.size(), reqs.size());
    EXPECT_EQ(last_done, reqs.size());
    for (size_t i = 0; i < reqs.size(); i++) {
      EXPECT_NEAR(got[i].sum, want[i], 2e-4) << "request " << i << " batch_tokens " << bt;
      EXPECT_EQ(got[i].n_tokens, int(reqs[i].continuation.size()));
      EXPECT_NEAR(got[i].mean(), want[i] / double(reqs[i].continuation.size()), 1e-4);
      EXPECT_LT(got[i].sum, 0.0);
    }
  }
}

TEST(EvalLoglik, CutsLongContextsFromTheLeft) {
  const ModelConfig c = tiny_cfg(50);  // max_seq_len 64
  auto m = random_model(c, 4);
  Rng rng(5);
  const std::vector<int32_t> ctx = rand_ids(rng, 100, 50), cont = rand_ids(rng, 4, 50);
  // 64 inputs: the last 61 context tokens and the first 3 continuation tokens
  const std::vector<int32_t> kept(ctx.end() - 61, ctx.end());
  const double want = manual_score(*m, kept, cont);
  EXPECT_NEAR(score_continuations(*m, {{ctx, cont}})[0].sum, want, 2e-4);
}

TEST(EvalLoglik, FitPairKeepsTheReplyStartAndTheContextEnd) {
  EXPECT_EQ(fit_pair(10, 5, 65), std::make_pair(size_t(10), size_t(5)));     // fits
  EXPECT_EQ(fit_pair(10, 100, 65), std::make_pair(size_t(10), size_t(55)));  // reply cut at its end
  EXPECT_EQ(fit_pair(100, 10, 65), std::make_pair(size_t(55), size_t(10)));  // context cut from the left
  EXPECT_EQ(fit_pair(100, 100, 65), std::make_pair(size_t(33), size_t(32))); // both: reply gets half
}

TEST(EvalLoglik, CutsOrRejectsLongRequests) {
  auto m = random_model(tiny_cfg(50), 4);
  EXPECT_THROW(score_continuations(*m, {{{}, {1}}}), std::runtime_error);
  EXPECT_THROW(score_continuations(*m, {{{1}, {}}}), std::runtime_error);
  LoglikOptions strict;
  strict.cut_long = false;
  EXPECT_THROW(score_continuations(*m, {{{1}, std::vector<int32_t>(65, 2)}}, strict), std::runtime_error);
  EXPECT_NO_THROW(score_continuations(*m, {{{1}, std::vector<int32_t>(64, 2)}}, strict));
  // cut (the default): 65 inputs do not fit, the reply keeps its first 64 tokens
  Rng rng(9);
  const std::vector<int32_t> cont = rand_ids(rng, 70, 50);
  const LoglikScore s = score_continuations(*m, {{{3}, cont}})[0];
  EXPECT_EQ(s.n_tokens, 64);
  EXPECT_NEAR(s.sum, manual_score(*m, {3}, std::vector<int32_t>(cont.begin(), cont.begin() + 64)), 2e-4);
}

TEST(EvalLoglik, WindowLossesMatchCrossEntropy) {
  auto m = random_model(tiny_cfg(50), 6);
  Rng rng(8);
  const std::vector<int32_t> ids = rand_ids(rng, 16 * 5 + 3, 50);  // 5 windows of 16 (+ 3 spare tokens)
  const std::vector<double> w = window_losses(*m, ids, 16, 2);
  ASSERT_EQ(w.size(), 5u);
  for (int k = 0; k < 5; k++) {
    Graph<float> g;
    g.grad_enabled = false;
    std::vector<int32_t> x(ids.begin() + 16 * k, ids.begin() + 16 * k + 16), y(ids.begin() + 16 * k + 1, ids.begin() + 16 * k + 17);
    const double ce = cross_entropy(g, m->forward(g, x.data(), 1, 16), y.data()).data[0];
    EXPECT_NEAR(w[size_t(k)], ce, 1e-4) << "window " << k;
  }
  EXPECT_EQ(window_losses(*m, ids, 16, 4, /*max_windows=*/3).size(), 3u);
  EXPECT_THROW(window_losses(*m, ids, 65, 1), std::runtime_error);
  // ignored targets do not count
  std::vector<int32_t> x(ids.begin(), ids.begin() + 8), y(ids.begin() + 1, ids.begin() + 9);
  const double full = batch_row_losses(*m, x.data(), y.data(), 1, 8)[0];
  y[7] = kIgnoreIndex;
  const double part = batch_row_losses(*m, x.data(), y.data(), 1, 8)[0];
  EXPECT_NE(full, part);
  std::fill(y.begin(), y.end(), kIgnoreIndex);
  EXPECT_TRUE(std::isnan(batch_row_losses(*m, x.data(), y.data(), 1, 8)[0]));
}

}  // namespace
}  // namespace llm
