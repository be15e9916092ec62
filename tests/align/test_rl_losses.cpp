// RL losses (GRPO / Dr. GRPO / DAPO, GSPO, PPO): values against hand formulas, gradients of the
// whole tiny model (and the value head) against central finite differences in double precision,
// clipping and aggregation behaviour, and the one-token shift of the packed batch.
#include <gtest/gtest.h>

#include <cmath>

#include "core/align/grpo.h"
#include "core/align/gspo.h"
#include "core/align/ppo.h"
#include "core/infer/infer_model.h"
#include "core/model/transformer.h"
#include "core/util/ignore_index.h"

using namespace llm;

namespace {

ModelConfig tiny_cfg() {
  ModelConfig c;
  c.dim = 8;
  c.n_layers = 2;
  c.n_heads = 2;
  c.n_kv_heads = 1;
  c.vocab_size = 13;
  c.max_seq_len = 16;
  c.ffn_hidden = 12;
  c.init_std = 0.4;
  return c;
}

// 4 samples in 2 groups, prompts and completions of different lengths (padding is exercised)
std::vector<RlSample> toy_samples(int V, uint64_t seed) {
  Rng r(seed);
  const int P[] = {3, 5, 2, 4}, L[] = {4, 2, 3, 2};
  std::vector<RlSample> s(4);
  for (int i = 0; i < 4; i++) {
    s[i].group = i / 2;
    for (int t = 0; t < P[i]; t++) s[i].prompt.push_back(int32_t(r.below(V)));
    for (int t = 0; t < L[i]; t++) s[i].completion.push_back(int32_t(r.below(V)));
  }
  return s;
}

std::vector<const RlSample*> ptrs(const std::vector<RlSample>& s) {
  std::vector<const RlSample*> p;
  for (auto& x : s) p.push_back(&x);
  return p;
}

// current per-token log-probs of the samples under a double model
std::vector<std::vector<double>> current_logp(Transformer<double>& m, const std::vector<RlSample>& s) {
  RlBatch b = pack_rl_batch(ptrs(s));
  Graph<double> g;
  g.grad_enabled = false;
  TensorT<double> lp = token_logprobs(g, m.forward(g, b.tokens.data(), b.B, b.T), b.targets.data());
  std::vector<std::vector<double>> out;
  for (int i = 0; i < b.B; i++) out.emplace_back(lp.data + b.first_row[i], lp.data + b.first_row[i] + b.length[i]);
  return out;
}

// Finite differences over every parameter of the model (and of the head, if any) of
// loss(model) against the tape's gradient. Returns the largest analytic |grad| seen.
template <class LossFn>
double check_grads(Transformer<double>& m, ValueHead<double>* head, LossFn loss_of, const std::string& what) {
  m.params.zero_grad();
  if (head) head->params.zero_grad();
  loss_of(true);
  double max_abs = 0;
  std::vector<ParamStore<double>*> stores = {&m.params};
  if (head) stores.push_back(&head->params);
  for (ParamStore<double>* ps : stores) {
    std::vector<double> analytic(ps->grads(), ps->grads() + ps->size());
    double scale = 1e-12;
    for (double a : analytic) scale = std::max(scale, std::abs(a));
    max_abs = std::max(max_abs, scale);
    double* w = ps->values();
    for (size_t j = 0; j < ps->size(); j++) {
      const double x0 = w[j], e = 1e-6;
      w[j] = x0 + e;
      const double lp = loss_of(false);
      w[j] = x0 - e;
      const double lm = loss_of(false);
      w[j] = x0;
      const double fd = (lp - lm) / (2 * e);
      EXPECT_LE(std::abs(fd - analytic[j]) / std::max(scale, 1e-3), 2e-6)
          << what << " param " << j << " analytic " << analytic[j] << " fd " << fd;
    }
  }
  return max_abs;
}

// fills old (= current - offset: ratios on both sides of the clip), ref and advantages
void fill_policy_arrays(std::vector<RlSample>& s, const std::vector<std::vector<double>>& cur, uint64_t seed) {
  Rng r(seed);
  const double offsets[] = {0.05, -0.07, 0.5, -0.6, 0.12, -0.02, 0.3};
  int k = 0;
  for (size_t i = 0; i < s.size(); i++) {
    s[i].old_logp.clear();
    s[i].ref_logp.clear();
    for (size_t t = 0; t < cur[i].size(); t++) {
      s[i].old_logp.push_back(float(cur[i][t] - offsets[k++ % 7]));
      s[i].ref_logp.push_back(float(cur[i][t] + 0.4 * r.normal()));
    }
    const float A = (i % 2 ? -1.f : 1.f) * float(0.5 + i * 0.3);
    s[i].advantages.assign(cur[i].size(), A);
  }
}

}  // namespace

TEST(RlBatch, ShiftScoresTokenTWithLogitsAtTMinus1) {
  const ModelConfig c = tiny_cfg();
  Transformer<float> m(c);
  m.init(3);
  std::vector<RlSample> s = toy_samples(c.vocab_size, 11);
  RlBatch b = pack_rl_batch(ptrs(s), 0);
  EXPECT_EQ(b.T, 6);  // longest prompt + completion - 1 (3 + 4 - 1 and 5 + 2 - 1; the others are padded)
  for (int i = 0; i < b.B; i++)
    for (int j = 0; j < b.length[i]; j++) {
      const int r = b.first_row[i] + j;
      EXPECT_EQ(b.targets[r], s[i].completion[j]);
      // the input at the scoring row is the token just before the scored one
      EXPECT_EQ(b.tokens[r], j == 0 ? s[i].prompt.back() : s[i].completion[j - 1]);
    }
  int counted = 0;
  for (int64_t r = 0; r < int64_t(b.B) * b.T; r++) counted += b.counted(r);
  EXPECT_EQ(counted, b.completion_tokens());
  // against an independent reference: the inference model's logits of the prefix, last row
  Graph<float> g;
  g.grad_enabled = false;
  TensorT<float> lp = token_logprobs(g, m.forward(g, b.tokens.data(), b.B, b.T), b.targets.data());
  InferModel im(m);
  for (int i = 0; i < b.B; i++) {
    std::vector<int32_t> seq = s[i].prompt;
    for (int j = 0; j < b.length[i]; j++) {
      std::vector<float> logits = im.forward_full(seq);  // (len, V)
      const float* last = logits.data() + (seq.size() - 1) * c.vocab_size;
      double mx = last[0], z = 0;
      for (int v = 0; v < c.vocab_size; v++) mx = std::max(mx, double(last[v]));
      for (int v = 0; v < c.vocab_size; v++) z += std::exp(last[v] - mx);
      const double ref = last[s[i].completion[j]] - mx - std::log(z);
      EXPECT_NEAR(lp.data[b.first_row[i] + j], ref, 2e-5) << "sample " << i << " token " << j;
      seq.push_back(s[i].completion[j]);
    }
  }
}

TEST(RlBatch, RejectsMismatchedArrays) {
  std::vector<RlSample> s = toy_samples(13, 1);
  s[1].old_logp = {0.f};  // length 1 for a 2-token completion
  EXPECT_THROW(pack_rl_batch(ptrs(s)), std::runtime_error);
  s[1].old_logp.clear();
  s[2].completion.clear();
  EXPECT_THROW(pack_rl_batch(ptrs(s)), std::runtime_error);
}

TEST(GroupAdvantages, NormalizesWithinEachGroup) {
  const std::vector<float> r = {1, 0, 0, 1, 0.5f, 0.5f, 0.5f, 0.5f};
  const std::vector<int> g = {0, 0, 0, 0, 1, 1, 1, 1};
  const std::vector<float> a = group_advantages(r, g, true, 0.0);
  const double sd = std::sqrt(1.0 / 3.0);  // unbiased std of {1, 0, 0, 1}
  EXPECT_NEAR(a[0], 0.5 / sd, 1e-6);
  EXPECT_NEAR(a[1], -0.5 / sd, 1e-6);
  for (int i = 4; i < 8; i++) EXPECT_EQ(a[i], 0.f);  // all equal: no signal
  const std::vector<float> d = group_advantages(r, g, false);  // Dr. GRPO: no std scaling
  EXPECT_NEAR(d[0], 0.5, 1e-7);
  EXPECT_NEAR(d[2], -0.5, 1e-7);
}

TEST(GrpoLoss, ValueMatchesHandFormulaAndClipZeroesGradient) {
  // two sequences (lengths 1 and 3) fed as leaves: logp, old, ref and advantages chosen by hand
  RlBatch b;
  b.B = 2, b.T = 3;
  b.targets = {5, kIgnoreIndex, kIgnoreIndex, 1, 2, 3};
  b.first_row = {0, 3};
  b.length = {1, 3};
  std::vector<double> logp = {-1.0, 0, 0, -2.0, -0.5, -1.5};
  // ratios e^.5 = 1.65 (clipped: A > 0), 1, e^-.3 = .74 and e^-.5 = .61 (both clipped: A < 0)
  b.old_logp = {-1.5f, 0, 0, -2.0f, -0.2f, -1.0f};
  b.ref_logp = {-1.2f, 0, 0, -1.0f, -0.5f, -2.0f};
  b.adv = {1.0f, 0, 0, -2.0f, -2.0f, -2.0f};
  for (LossAgg agg : {LossAgg::grpo, LossAgg::dr_grpo, LossAgg::dapo}) {
    GrpoLossConfig c;
    c.clip_low = 0.2, c.clip_high = agg == LossAgg::dapo ? 0.28 : 0.2, c.kl_coef = 0.1, c.agg = agg, c.max_new_tokens = 4;
    Graph<double> g;
    TensorT<double> lp = g.tensor({6}, true);
    std::copy(logp.begin(), logp.end(), lp.data);
    // a leaf with a gradient: seed it through the graph by hand
    RlLossStats st;
    TensorT<double> loss = grpo_loss(g, lp, b, c, &st);
    g.backward(loss);
    double want = 0;
    const int rows[] = {0, 3, 4, 5};
    const int seq_of[] = {0, 1, 1, 1};
    for (int k = 0; k < 4; k++) {
      const int r = rows[k];
      const double ratio = std::exp(logp[r] - b.old_logp[r]), A = b.adv[r];
      const double clipped = std::min(std::max(ratio, 1 - c.clip_low), 1 + c.clip_high);
      const double d = b.ref_logp[r] - logp[r];
      const double l = -std::min(ratio * A, clipped * A) + 0.1 * (std::exp(d) - d - 1);
      const double w = agg == LossAgg::grpo ? 1.0 / (2 * b.length[seq_of[k]]) : agg == LossAgg::dr_grpo ? 1.0 / (2 * 4) : 1.0 / 4;
      want += w * l;
      // gradient: the surrogate part vanishes exactly on the clipped tokens (rows 0, 4 and 5)
      const bool is_clipped = (A > 0 && ratio > 1 + c.clip_high) || (A < 0 && ratio < 1 - c.clip_low);
      const double dg = w * ((is_clipped ? 0.0 : -ratio * A) + 0.1 * (1 - std::exp(d)));
      EXPECT_NEAR(lp.grad[r], dg, 1e-12) << "row " << r;
    }
    EXPECT_NEAR(loss.data[0], want, 1e-12);
    EXPECT_NEAR(st.clip_frac, 0.75, 1e-12);  // rows 0, 4 and 5
    EXPECT_EQ(st.tokens, 4);
    EXPECT_EQ(lp.grad[1], 0.0);  // padding rows get nothing
  }
}

TEST(GrpoLoss, AggregationWeightsTokensAsDocumented) {
  // ratio 1, same advantage everywhere, no KL: dL/dlogp = -A * (token weight)
  RlBatch b;
  b.B = 2, b.T = 3;
  b.targets = {5, kIgnoreIndex, kIgnoreIndex, 1, 2, 3};
  b.first_row = {0, 3};
  b.length = {1, 3};
  b.old_logp.assign(6, -1.f);
  b.ref_logp.assign(6, -1.f);
  b.adv.assign(6, 1.f);
  auto grads = [&](LossAgg agg) {
    GrpoLossConfig c;
    c.agg = agg, c.max_new_tokens = 5;
    Graph<double> g;
    TensorT<double> lp = g.tensor({6}, true);
    for (int i = 0; i < 6; i++) lp.data[i] = -1.0;
    g.backward(grpo_loss(g, lp, b, c));
    return std::vector<double>(lp.grad, lp.grad + 6);
  };
  auto gr = grads(LossAgg::grpo), dr = grads(LossAgg::dr_grpo), da = grads(LossAgg::dapo);
  EXPECT_NEAR(gr[0], -1.0 / 2, 1e-12);  // a 1-token sequence weighs as much as a 3-token one
  EXPECT_NEAR(gr[3], -1.0 / 6, 1e-12);
  EXPECT_NEAR(dr[0], -1.0 / 10, 1e-12);  // sum / (B * max_new_tokens)
  EXPECT_NEAR(dr[3], -1.0 / 10, 1e-12);
  EXPECT_NEAR(da[0], -1.0 / 4, 1e-12);  // every token of the batch alike
  EXPECT_NEAR(da[5], -1.0 / 4, 1e-12);
}

TEST(GrpoLoss, GradientMatchesFiniteDifferencesThroughTheModel) {
  for (LossAgg agg : {LossAgg::grpo, LossAgg::dr_grpo, LossAgg::dapo}) {
    Transformer<double> m(tiny_cfg());
    m.init(7);
    std::vector<RlSample> s = toy_samples(13, 21);
    fill_policy_arrays(s, current_logp(m, s), 5);
    const RlBatch b = pack_rl_batch(ptrs(s));
    GrpoLossConfig c;
    c.clip_low = 0.2, c.clip_high = 0.28, c.kl_coef = 0.3, c.agg = agg, c.max_new_tokens = 6;
    RlLossStats st;
    auto loss_of = [&](bool backward) {
      Graph<double> g;
      TensorT<double> lp = token_logprobs(g, m.forward(g, b.tokens.data(), b.B, b.T), b.targets.data());
      TensorT<double> loss = grpo_loss(g, lp, b, c, &st);
      if (backward) g.backward(loss);
      return loss.data[0];
    };
    const double mx = check_grads(m, nullptr, loss_of, "grpo agg " + std::to_string(int(agg)));
    EXPECT_GT(mx, 1e-3);  // a real gradient was checked
    EXPECT_GT(st.clip_frac, 0.0);  // both branches of the clip are exercised
    EXPECT_LT(st.clip_frac, 1.0);
  }
}

TEST(GspoLoss, SequenceRatioValueAndEqualTokenWeights) {
  RlBatch b;
  b.B = 2, b.T = 3;
  b.targets = {5, 6, kIgnoreIndex, 1, 2, 3};
  b.first_row = {0, 3};
  b.length = {2, 3};
  std::vector<double> logp = {-1.0, -2.0, 0, -2.0, -0.5, -1.5};
  b.old_logp = {-1.0002f, -2.0f, 0, -2.0f, -0.5f, -1.6f};  // seq ratios e^(1e-4) (inside) and e^(0.1/3) (outside)
  b.ref_logp = b.old_logp;
  b.adv = {2.0f, 2.0f, 0, 1.0f, 1.0f, 1.0f};
  GspoLossConfig c;  // 3e-4 / 4e-4, no KL
  Graph<double> g;
  TensorT<double> lp = g.tensor({6}, true);
  std::copy(logp.begin(), logp.end(), lp.data);
  RlLossStats st;
  TensorT<double> loss = gspo_loss(g, lp, b, c, &st);
  g.backward(loss);
  const double s0 = std::exp((double(-1.0) - b.old_logp[0] + (-2.0 - b.old_logp[1])) / 2);
  const double s1 = std::exp((-2.0 - b.old_logp[3] + -0.5 - b.old_logp[4] + -1.5 - b.old_logp[5]) / 3);
  const double want = -0.5 * (s0 * 2.0 + std::min(s1, 1 + 4e-4) * 1.0);
  EXPECT_NEAR(loss.data[0], want, 1e-12);
  EXPECT_NEAR(st.clip_frac, 0.5, 1e-12);
  EXPECT_NEAR(lp.grad[0], -0.5 * 2.0 * s0 / 2, 1e-12);  // A s / L / B, same for both tokens
  EXPECT_NEAR(lp.grad[1], lp.grad[0], 1e-15);
  for (int r = 3; r < 6; r++) EXPECT_EQ(lp.grad[r], 0.0);  // clipped sequence: flat
}

TEST(GspoLoss, GradientMatchesFiniteDifferencesThroughTheModel) {
  Transformer<double> m(tiny_cfg());
  m.init(8);
  std::vector<RlSample> s = toy_samples(13, 22);
  const auto cur = current_logp(m, s);
  // sequence log-ratios 0.02, 0.4, -0.03, -0.5 with advantages +, +, -, - (eps 0.1: sequences 1
  // and 3 moved in their advantage's favour beyond the clip), token noise that averages out
  // within each sequence
  const double mean_lr[] = {0.02, 0.4, -0.03, -0.5};
  const float adv[] = {0.8f, 1.0f, -0.6f, -1.2f};
  Rng r(9);
  for (size_t i = 0; i < s.size(); i++) {
    std::vector<double> n(cur[i].size());
    double mu = 0;
    for (auto& x : n) x = 0.3 * r.normal(), mu += x;
    mu /= n.size();
    for (size_t t = 0; t < n.size(); t++) {
      s[i].old_logp.push_back(float(cur[i][t] - mean_lr[i] - (n[t] - mu)));
      s[i].ref_logp.push_back(float(cur[i][t] + 0.3 * r.normal()));
    }
    s[i].advantages.assign(cur[i].size(), adv[i]);
  }
  const RlBatch b = pack_rl_batch(ptrs(s));
  GspoLossConfig c;
  c.clip_low = 0.1, c.clip_high = 0.1, c.kl_coef = 0.2;
  RlLossStats st;
  auto loss_of = [&](bool backward) {
    Graph<double> g;
    TensorT<double> lp = token_logprobs(g, m.forward(g, b.tokens.data(), b.B, b.T), b.targets.data());
    TensorT<double> loss = gspo_loss(g, lp, b, c, &st);
    if (backward) g.backward(loss);
    return loss.data[0];
  };
  EXPECT_GT(check_grads(m, nullptr, loss_of, "gspo"), 1e-3);
  EXPECT_NEAR(st.clip_frac, 0.5, 1e-12);
}

TEST(PpoMath, TokenRewardsCarryTheKlOnceAndGaeMatchesTheRecursion) {
  RlSample s;
  s.completion = {1, 2, 3};
  s.old_logp = {-1.f, -2.f, -0.5f};
  s.ref_logp = {-1.5f, -1.f, -0.5f};
  s.score = 2.f;
  const std::vector<float> r = ppo_token_rewards(s, 0.1);
  EXPECT_NEAR(r[0], -0.1 * 0.5, 1e-7);
  EXPECT_NEAR(r[1], -0.1 * -1.0, 1e-7);
  EXPECT_NEAR(r[2], 2.0, 1e-7);
  const std::vector<float> v = {0.5f, -0.2f, 1.0f};
  std::vector<float> a, ret;
  gae(r, v, 0.9, 0.8, a, ret);
  const double d2 = r[2] - v[2], d1 = r[1] + 0.9 * v[2] - v[1], d0 = r[0] + 0.9 * v[1] - v[0];
  const double a2 = d2, a1 = d1 + 0.72 * a2, a0 = d0 + 0.72 * a1;
  EXPECT_NEAR(a[2], a2, 1e-6);
  EXPECT_NEAR(a[1], a1, 1e-6);
  EXPECT_NEAR(a[0], a0, 1e-6);
  EXPECT_NEAR(ret[0], a0 + v[0], 1e-6);
  // lam = gamma = 1: Monte Carlo return minus the value
  gae(r, v, 1.0, 1.0, a, ret);
  EXPECT_NEAR(ret[0], r[0] + r[1] + r[2], 1e-6);
  // whitening: mean 0, std 1 over all tokens of the rollout
  std::vector<RlSample> all = {s, s};
  all[1].score = -1.f;
  all[0].old_values = all[1].old_values = v;
  ppo_prepare(all, 0.1, 1.0, 0.95, true);
  double mu = 0, sq = 0;
  for (auto& x : all)
    for (float q : x.advantages) mu += q, sq += q * q;
  EXPECT_NEAR(mu / 6, 0.0, 1e-6);
  EXPECT_NEAR(sq / 6, 1.0, 1e-5);
}

TEST(PpoLoss, ReferenceEntersOnlyThroughTheRewards) {
  Transformer<double> m(tiny_cfg());
  m.init(4);
  ValueHead<double> vh(8);
  vh.init(1, 0.5);
  std::vector<RlSample> s = toy_samples(13, 3);
  auto cur = current_logp(m, s);
  fill_policy_arrays(s, cur, 2);
  for (auto& x : s) x.old_values.assign(x.completion.size(), 0.1f), x.returns.assign(x.completion.size(), 0.7f);
  RlBatch b = pack_rl_batch(ptrs(s));
  PpoLossConfig c;
  auto run = [&](const RlBatch& bb) {
    Graph<double> g;
    m.params.zero_grad();
    TensorT<double> h = m.forward_hidden(g, bb.tokens.data(), bb.B, bb.T);
    TensorT<double> lp = token_logprobs(g, m.head(g, h), bb.targets.data());
    TensorT<double> v = vh.forward(g, h);
    TensorT<double> loss = ppo_loss(g, lp, v, bb, c);
    g.backward(loss);
    return std::make_pair(loss.data[0], std::vector<double>(m.params.grads(), m.params.grads() + m.params.size()));
  };
  auto a = run(b);
  for (auto& x : b.ref_logp) x -= 3.f;  // a very different reference, same rewards/advantages
  auto z = run(b);
  EXPECT_EQ(a.first, z.first);
  EXPECT_EQ(a.second, z.second);
}

TEST(PpoLoss, GradientMatchesFiniteDifferencesThroughModelAndValueHead) {
  Transformer<double> m(tiny_cfg());
  m.init(9);
  ValueHead<double> vh(8);
  vh.init(2, 0.5);
  std::vector<RlSample> s = toy_samples(13, 23);
  fill_policy_arrays(s, current_logp(m, s), 6);
  // values now, then old values on both sides of the value clip band and random returns
  {
    RlBatch b0 = pack_rl_batch(ptrs(s));
    Graph<double> g;
    g.grad_enabled = false;
    TensorT<double> v = vh.forward(g, m.forward_hidden(g, b0.tokens.data(), b0.B, b0.T));
    Rng r(4);
    const double off[] = {0.05, -0.5, 0.1, 0.6, -0.08};
    int k = 0;
    for (int i = 0; i < b0.B; i++) {
      s[i].old_values.clear();
      s[i].returns.clear();
      for (int j = 0; j < b0.length[i]; j++) {
        const double vv = v.data[b0.first_row[i] + j];
        s[i].old_values.push_back(float(vv - off[k++ % 5]));
        s[i].returns.push_back(float(vv + r.normal()));
      }
    }
  }
  const RlBatch b = pack_rl_batch(ptrs(s));
  PpoLossConfig c;
  c.value_clip = 0.2, c.vf_coef = 0.5;
  RlLossStats st;
  auto loss_of = [&](bool backward) {
    Graph<double> g;
    TensorT<double> h = m.forward_hidden(g, b.tokens.data(), b.B, b.T);
    TensorT<double> lp = token_logprobs(g, m.head(g, h), b.targets.data());
    TensorT<double> v = vh.forward(g, h);
    TensorT<double> loss = ppo_loss(g, lp, v, b, c, &st);
    if (backward) g.backward(loss);
    return loss.data[0];
  };
  EXPECT_GT(check_grads(m, &vh, loss_of, "ppo"), 1e-3);
  EXPECT_GT(st.value_loss, 0.0);
  EXPECT_GT(st.clip_frac, 0.0);
  EXPECT_LT(st.clip_frac, 1.0);
}
