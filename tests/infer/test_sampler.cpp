// Sampler: seeds, greedy equivalences, truncation distributions, penalties, validation, logprobs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/infer/sampler.h"
#include "core/util/rng.h"

namespace llm {
namespace {

std::vector<float> random_logits(int V, uint64_t seed, float scale = 3.f) {
  Rng r(seed);
  std::vector<float> x(V);  // (V)
  for (float& v : x) v = float(r.normal()) * scale;
  return x;
}

std::vector<int32_t> generate(const SamplingParams& p, int V, int steps, uint64_t stream,
                              uint64_t logit_seed = 7) {
  Sampler s(p, V, {}, stream);
  std::vector<int32_t> out;
  for (int i = 0; i < steps; i++) {
    std::vector<float> x = random_logits(V, logit_seed + i);
    out.push_back(s.sample(x.data()).token);
  }
  return out;
}

// expected distribution of one draw, computed the textbook way with full sorts in double
std::vector<double> reference_distribution(const std::vector<float>& x, float T, int top_k, float top_p,
                                           float min_p) {
  const int V = int(x.size());
  std::vector<int> idx(V);
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](int a, int b) { return x[a] > x[b] || (x[a] == x[b] && a < b); });
  int n = (top_k > 0 && top_k < V) ? top_k : V;
  std::vector<double> w(V, 0.0);
  double total = 0;
  for (int j = 0; j < n; j++) total += w[idx[j]] = std::exp((x[idx[j]] - x[idx[0]]) / T);
  if (top_p < 1.f) {
    double cum = 0;
    int m = 0;
    while (m < n) {
      cum += w[idx[m]] / total;
      m++;
      if (cum >= top_p) break;
    }
    n = m;
  }
  std::vector<double> p(V, 0.0);
  double s = 0;
  for (int j = 0; j < n; j++) {
    const double pj = w[idx[j]];  // relative to the best: p / p_max
    if (pj >= min_p) s += p[idx[j]] = pj;
  }
  for (double& v : p) v /= s;
  return p;
}

// Pearson chi-square of counts against probabilities. Tokens with p = 0 must never appear;
// tokens expected fewer than 5 times are pooled into one bin (the usual validity rule).
double chi_square(const std::vector<int>& counts, const std::vector<double>& p, int draws, int* dof) {
  double chi = 0, pool_e = 0, pool_o = 0;
  *dof = -1;
  for (size_t i = 0; i < p.size(); i++) {
    if (p[i] == 0) {
      EXPECT_EQ(counts[i], 0) << "token " << i << " was truncated away but got drawn";
      continue;
    }
    const double e = p[i] * draws;
    if (e < 5) {
      pool_e += e;
      pool_o += counts[i];
      continue;
    }
    chi += (counts[i] - e) * (counts[i] - e) / e;
    (*dof)++;
  }
  if (pool_e >= 5) {
    chi += (pool_o - pool_e) * (pool_o - pool_e) / pool_e;
    (*dof)++;
  } else {
    EXPECT_LE(pool_o, 5 + 3 * pool_e) << "rare tokens drawn far too often";
  }
  return chi;
}

// 99.9% quantiles of chi-square with k degrees of freedom, k = 1..10
double chi_critical(int k) {
  static const double q[] = {0, 10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32, 26.12, 27.88, 29.59};
  return q[std::min(std::max(k, 1), 10)];
}

void check_frequencies(const SamplingParams& p, const std::vector<float>& x, int draws) {
  Sampler s(p, int(x.size()), {}, 0);
  std::vector<int> counts(x.size(), 0);
  for (int i = 0; i < draws; i++) {
    std::vector<float> l = x;
    counts[s.sample(l.data()).token]++;
  }
  const std::vector<double> ref = reference_distribution(x, p.temperature, p.top_k, p.top_p, p.min_p);
  int dof = 0;
  const double chi = chi_square(counts, ref, draws, &dof);
  EXPECT_LT(chi, chi_critical(dof)) << "dof " << dof;
}

TEST(Sampler, SameSeedSameTokensOtherStreamOrSeedDiffers) {
  SamplingParams p;
  p.temperature = 0.9f;
  p.top_p = 0.95f;
  p.seed = 1234;
  const auto a = generate(p, 64, 200, 0), b = generate(p, 64, 200, 0);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, generate(p, 64, 200, 1));
  p.seed = 1235;
  EXPECT_NE(a, generate(p, 64, 200, 0));
}

TEST(Sampler, GreedyTopK1AndTinyTopPAllEqualArgmax) {
  const int V = 200;
  SamplingParams greedy;
  greedy.temperature = 0.f;
  SamplingParams k1;
  k1.top_k = 1;
  k1.temperature = 1.5f;
  SamplingParams tiny_p;
  tiny_p.top_p = 1e-6f;
  Sampler sg(greedy, V, {}), sk(k1, V, {}), sp(tiny_p, V, {});
  for (int i = 0; i < 50; i++) {
    const std::vector<float> x = random_logits(V, 100 + i);
    const int32_t best = argmax(x.data(), V);
    const int32_t brute = int32_t(std::max_element(x.begin(), x.end()) - x.begin());
    EXPECT_EQ(best, brute);
    std::vector<float> a = x, b = x, c = x;
    EXPECT_EQ(sg.sample(a.data()).token, best);
    EXPECT_EQ(sk.sample(b.data()).token, best);
    EXPECT_EQ(sp.sample(c.data()).token, best);
  }
}

TEST(Sampler, ArgmaxTiesGoToLowestIdAndNaNNeverWins) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> x = {nan, 1.f, 3.f, 3.f, 2.f};
  EXPECT_EQ(argmax(x.data(), 5), 2);
  std::vector<float> all_nan = {nan, nan};
  EXPECT_EQ(argmax(all_nan.data(), 2), 0);
  // a NaN logit gets no probability when sampling either
  SamplingParams p;
  p.seed = 3;
  Sampler s(p, 3, {});
  for (int i = 0; i < 200; i++) {
    std::vector<float> l = {nan, 0.f, 0.f};
    EXPECT_NE(s.sample(l.data()).token, 0);
  }
  // +inf dominates without producing NaN weights
  SamplingParams q;
  Sampler si(q, 3, {});
  std::vector<float> l = {0.f, std::numeric_limits<float>::infinity(), 1.f};
  EXPECT_EQ(si.sample(l.data()).token, 1);
}

TEST(Sampler, TruncationFrequenciesMatchRenormalizedDistribution) {
  const std::vector<float> x = {2.0f, 1.6f, 1.2f, 0.5f, 0.0f, -0.5f, -1.0f, -3.0f};
  SamplingParams p;
  p.seed = 42;
  // min_p alone: tokens below 0.2 * p_max are gone, the rest keep their relative odds
  p.min_p = 0.2f;
  check_frequencies(p, x, 20000);
  // temperature alone
  p = SamplingParams();
  p.seed = 43;
  p.temperature = 0.5f;
  check_frequencies(p, x, 20000);
  // top-k then top-p on the renormalized top-k set, at temperature 1.3
  p = SamplingParams();
  p.seed = 44;
  p.temperature = 1.3f;
  p.top_k = 5;
  p.top_p = 0.8f;
  check_frequencies(p, x, 20000);
  // all three
  p.min_p = 0.5f;
  check_frequencies(p, x, 20000);
}

TEST(Sampler, PlainSamplingAcrossBlocksMatchesSoftmax) {
  // V > 64 so the draw walks several 64-id block sums; -inf logits must get no mass at all
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> x(200, -12.f);
  x[0] = 1.f;
  x[63] = 0.5f;
  x[64] = 0.f;
  x[65] = 2.f;
  x[130] = 1.5f;
  x[199] = 0.2f;
  x[1] = x[100] = x[198] = -inf;
  SamplingParams p;
  p.seed = 77;
  p.temperature = 1.2f;
  check_frequencies(p, x, 20000);
  Sampler s(p, 200, {});
  for (int i = 0; i < 2000; i++) {
    std::vector<float> l = x;
    const int32_t t = s.sample(l.data()).token;
    ASSERT_TRUE(t != 1 && t != 100 && t != 198) << "masked token " << t << " drawn";
  }
}

TEST(Sampler, GoldenTokensOnEveryPlatform) {
  // Logits from integer arithmetic only (correctly rounded divisions), so the native and the
  // wasm builds see bit-identical inputs; both must draw exactly these tokens.
  const int V = 1000;
  auto logits_at = [V](int step) {
    Rng r(1000 + step);
    std::vector<float> x(V);
    for (float& v : x) v = float(int(r.next_u32() % 2001) - 1000) / 125.f;
    return x;
  };
  auto run = [&](SamplingParams p) {
    Sampler s(p, V, {1, 2, 3}, /*stream=*/2);
    std::vector<int32_t> out;
    for (int i = 0; i < 12; i++) {
      std::vector<float> x = logits_at(i);
      out.push_back(s.sample(x.data()).token);
    }
    return out;
  };
  SamplingParams plain;
  plain.seed = 2024;
  plain.temperature = 0.8f;
  SamplingParams trunc = plain;
  trunc.top_p = 0.9f;
  trunc.min_p = 0.05f;
  trunc.frequency_penalty = 0.5f;
  SamplingParams topk = plain;
  topk.top_k = 20;
  topk.repetition_penalty = 1.2f;
  const std::vector<int32_t> g_plain = {778, 41, 23, 145, 126, 904, 800, 186, 487, 250, 279, 825};
  const std::vector<int32_t> g_trunc = {282, 19, 104, 453, 670, 786, 364, 530, 171, 611, 62, 856};
  const std::vector<int32_t> g_topk = {642, 387, 104, 846, 698, 887, 241, 918, 720, 15, 643, 908};
  EXPECT_EQ(run(plain), g_plain);
  EXPECT_EQ(run(trunc), g_trunc);
  EXPECT_EQ(run(topk), g_topk);
}

TEST(Sampler, MinPDropsLowTokensExactly) {
  // p_max / p_i for x = {0, -ln 4, -ln 10}: 1, 1/4, 1/10. min_p 0.2 keeps tokens 0 and 1 only.
  const std::vector<float> x = {0.f, -std::log(4.f), -std::log(10.f)};
  SamplingParams p;
  p.min_p = 0.2f;
  p.seed = 5;
  Sampler s(p, 3, {});
  int c1 = 0;
  const int n = 10000;
  for (int i = 0; i < n; i++) {
    std::vector<float> l = x;
    const int32_t t = s.sample(l.data()).token;
    ASSERT_NE(t, 2);
    c1 += t == 1;
  }
  EXPECT_NEAR(double(c1) / n, 0.25 / 1.25, 0.015);  // renormalized: 0.2
}

TEST(Sampler, LargeVocabTopPMatchesFullSortNucleus) {
  // flat logits make the nucleus far larger than the first partial sort (64), so the lazy
  // widening path runs; every draw must fall inside the nucleus computed by a full sort
  const int V = 32000;
  std::vector<float> x = random_logits(V, 9, 0.5f);
  SamplingParams p;
  p.top_p = 0.5f;
  p.seed = 11;
  const std::vector<double> ref = reference_distribution(x, 1.f, 0, 0.5f, 0.f);
  const int nucleus = int(std::count_if(ref.begin(), ref.end(), [](double v) { return v > 0; }));
  EXPECT_GT(nucleus, 1000);
  Sampler s(p, V, {});
  for (int i = 0; i < 100; i++) {
    std::vector<float> l = x;
    const int32_t t = s.sample(l.data()).token;
    EXPECT_GT(ref[t], 0.0) << "token " << t << " outside the nucleus";
  }
}

TEST(Sampler, PenaltiesChangeExactlyTheRightLogits) {
  SamplingParams p;
  p.repetition_penalty = 1.5f;
  p.frequency_penalty = 0.5f;
  p.presence_penalty = 0.25f;
  const int V = 6;
  Sampler s(p, V, /*prompt=*/{1, 2, 2});
  s.record(3);
  s.record(3);
  s.record(1);
  EXPECT_EQ(s.output_count(3), 2);
  EXPECT_EQ(s.output_count(2), 0);
  std::vector<float> x = {1.f, 2.f, -2.f, 3.f, -1.f, 0.5f};
  s.apply_penalties(x.data());
  EXPECT_FLOAT_EQ(x[0], 1.f);                                   // never seen
  EXPECT_FLOAT_EQ(x[1], 2.f / 1.5f - 0.5f * 1 - 0.25f);         // prompt + output once
  EXPECT_FLOAT_EQ(x[2], -2.f * 1.5f);                           // prompt only: repetition only
  EXPECT_FLOAT_EQ(x[3], 3.f / 1.5f - 0.5f * 2 - 0.25f);         // output twice
  EXPECT_FLOAT_EQ(x[4], -1.f);
  EXPECT_FLOAT_EQ(x[5], 0.5f);

  // sample() applies them: token 0 leads by a hair until it has been generated once
  SamplingParams g;
  g.temperature = 0.f;
  g.presence_penalty = 1.f;
  Sampler sg(g, 3, {});
  std::vector<float> a = {1.0f, 0.9f, 0.f}, b = a;
  EXPECT_EQ(sg.sample(a.data()).token, 0);
  EXPECT_EQ(sg.sample(b.data()).token, 1);
  EXPECT_EQ(sg.output_count(0), 1);
  EXPECT_EQ(sg.output_count(1), 1);
}

TEST(Sampler, ValidateRejectsEachBadField) {
  EXPECT_NO_THROW(SamplingParams().validate());
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<std::pair<std::string, std::function<void(SamplingParams&)>>> cases = {
      {"temperature", [](SamplingParams& p) { p.temperature = -0.5f; }},
      {"temperature", [nan](SamplingParams& p) { p.temperature = nan; }},
      {"top_k", [](SamplingParams& p) { p.top_k = -1; }},
      {"top_p", [](SamplingParams& p) { p.top_p = 0.f; }},
      {"top_p", [](SamplingParams& p) { p.top_p = 1.5f; }},
      {"top_p", [nan](SamplingParams& p) { p.top_p = nan; }},
      {"min_p", [](SamplingParams& p) { p.min_p = -0.1f; }},
      {"min_p", [](SamplingParams& p) { p.min_p = 1.1f; }},
      {"repetition_penalty", [](SamplingParams& p) { p.repetition_penalty = 0.f; }},
      {"frequency_penalty", [](SamplingParams& p) { p.frequency_penalty = 2.5f; }},
      {"presence_penalty", [](SamplingParams& p) { p.presence_penalty = -3.f; }},
      {"max_tokens", [](SamplingParams& p) { p.max_tokens = -1; }},
      {"stop_token_ids[1]", [](SamplingParams& p) { p.stop_token_ids = {2, -4}; }},
      {"stop[0]", [](SamplingParams& p) { p.stop = {""}; }},
      {"top_logprobs", [](SamplingParams& p) { p.top_logprobs = 21; }},
  };
  for (const auto& c : cases) {
    SamplingParams p;
    c.second(p);
    try {
      p.validate();
      ADD_FAILURE() << c.first << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()).rfind(c.first + " must be", 0), 0u) << e.what();
      EXPECT_NE(std::string(e.what()).find("got"), std::string::npos) << e.what();
    }
  }
  SamplingParams p;
  p.top_p = 1.5f;
  try {
    p.validate();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "top_p must be in (0, 1], got 1.5");
  }
  // the constructor validates too, and checks prompt ids against the vocabulary
  EXPECT_THROW(Sampler(p, 10, {}), std::invalid_argument);
  EXPECT_THROW(Sampler(SamplingParams(), 10, {3, 10}), std::invalid_argument);
  EXPECT_THROW(Sampler(SamplingParams(), 0, {}), std::invalid_argument);
}

TEST(Sampler, LogprobsAreLogSoftmaxOfRawLogits) {
  const int V = 100;
  SamplingParams p;
  p.logprobs = true;
  p.top_logprobs = 5;
  p.temperature = 0.7f;
  p.repetition_penalty = 1.3f;  // processing must not leak into the reported logprobs
  p.top_k = 10;
  p.seed = 99;
  Sampler s(p, V, {1, 2, 3});
  for (int step = 0; step < 20; step++) {
    const std::vector<float> x = random_logits(V, 500 + step);
    double m = *std::max_element(x.begin(), x.end()), z = 0;
    for (float v : x) z += std::exp(double(v) - m);
    const double lse = m + std::log(z);
    std::vector<float> l = x;
    const TokenChoice c = s.sample(l.data());
    EXPECT_NEAR(c.logprob, double(x[c.token]) - lse, 1e-5);
    std::vector<int> idx(V);
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(), [&](int a, int b) { return x[a] > x[b]; });
    ASSERT_EQ(c.top.size(), 5u);
    for (int j = 0; j < 5; j++) {
      EXPECT_EQ(c.top[j].first, idx[j]);
      EXPECT_NEAR(c.top[j].second, double(x[idx[j]]) - lse, 1e-5);
    }
  }
  // without logprobs nothing is reported
  Sampler q(SamplingParams(), V, {});
  std::vector<float> l = random_logits(V, 1);
  EXPECT_TRUE(q.sample(l.data()).top.empty());
}

}  // namespace
}  // namespace llm
