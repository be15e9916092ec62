// Preference accuracy with fake scorers (ties count half), and the log-prob scorers: a policy
// equal to its reference has implicit reward 0 everywhere; a model taught the chosen replies
// prefers them.
#include <gtest/gtest.h>

#include "core/eval/harness.h"
#include "tests/eval/eval_test_util.h"

namespace llm {
namespace {

using evaltest::tok;

std::vector<PreferencePair> pairs() {
  return {{{{"user", "Say hi"}}, "hello there", "no"},
          {{{"user", "What is 7 + 5?"}}, "7 + 5 = 12.", "13"},
          {{{"user", "Who sat?"}}, "the cat", "the dog sat on the mat"},
          {{{"system", "Be brief."}, {"user", "Tie?"}}, "abc", "xyz"}};
}

TEST(EvalPref, AccuracyAndMarginOfAFakeScorer) {
  // score = length of the reply: chosen wins, wins, loses, ties
  int calls = 0;
  const PreferenceScorer len = per_response_scorer([&](const std::vector<Message>& p, const std::string& r) {
    calls++;
    EXPECT_FALSE(p.empty());
    return double(r.size());
  });
  PreferenceOptions o;
  o.chunk = 3;
  std::vector<size_t> seen;
  o.progress = [&](size_t done, size_t total, double acc) {
    seen.push_back(done);
    EXPECT_EQ(total, 4u);
    EXPECT_GE(acc, 0.0);
  };
  const std::vector<EvalResult> r = eval_preference("fake", pairs(), len, o);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(calls, 8);
  EXPECT_EQ(seen, (std::vector<size_t>{3, 4}));
  EXPECT_EQ(r[0].metric, "acc");
  EXPECT_EQ(r[0].n, 4);
  EXPECT_DOUBLE_EQ(r[0].value, (1 + 1 + 0 + 0.5) / 4);
  EXPECT_EQ(r[1].metric, "margin");
  EXPECT_DOUBLE_EQ(r[1].value, ((11 - 2) + (11 - 2) + (7 - 22) + 0) / 4.0);
}

TEST(EvalPref, RejectsAScorerThatLosesPairs) {
  const PreferenceScorer bad = [](const std::vector<PreferencePair>& p) {
    return std::vector<std::array<double, 2>>(p.size() - 1, {1.0, 0.0});
  };
  EXPECT_THROW(eval_preference("bad", pairs(), bad), std::runtime_error);
  const PreferenceScorer nan = [](const std::vector<PreferencePair>& p) {
    return std::vector<std::array<double, 2>>(p.size(), {NAN, 0.0});
  };
  EXPECT_THROW(eval_preference("nan", pairs(), nan), std::runtime_error);
}

TEST(EvalPref, ImplicitRewardIsZeroWhenPolicyIsTheReference) {
  auto m = evaltest::random_model(evaltest::tiny_cfg(tok().vocab_size()), 2);
  const PromptStyle st{PromptFormat::chat, ""};
  const std::vector<EvalResult> r = eval_preference("dpo", pairs(), dpo_implicit_scorer(*m, *m, tok(), st, 0.1));
  EXPECT_DOUBLE_EQ(r[0].value, 0.5);  // every pair a tie
  EXPECT_DOUBLE_EQ(r[1].value, 0.0);
}

TEST(EvalPref, LogprobScorerPrefersTaughtReplies) {
  const PromptStyle st{PromptFormat::chat, ""};
  auto ref = evaltest::random_model(evaltest::tiny_cfg(tok().vocab_size()), 5, 0.05);
  auto pol = evaltest::random_model(evaltest::tiny_cfg(tok().vocab_size()), 5, 0.05);
  std::vector<std::vector<int32_t>> seqs;
  for (const PreferencePair& p : pairs()) {
    std::vector<int32_t> s = conversation_prompt(tok(), p.prompt, st);
    const std::vector<int32_t> a = answer_tokens(tok(), p.chosen, st);
    s.insert(s.end(), a.begin(), a.end());
    seqs.push_back(s);
  }
  evaltest::memorize(*pol, seqs, 40);
  EXPECT_DOUBLE_EQ(eval_preference("lp", pairs(), logprob_scorer(*pol, tok(), st))[0].value, 1.0);
  EXPECT_DOUBLE_EQ(eval_preference("lp", pairs(), logprob_scorer(*pol, tok(), st, /*mean=*/true))[0].value, 1.0);
  const std::vector<EvalResult> d = eval_preference("dpo", pairs(), dpo_implicit_scorer(*pol, *ref, tok(), st, 0.1));
  EXPECT_DOUBLE_EQ(d[0].value, 1.0);
  EXPECT_GT(d[1].value, 0.0);
  // the implicit reward is beta times the log-ratio of the two models' scores
  const auto a = logprob_scorer(*pol, tok(), st)(pairs()), b = logprob_scorer(*ref, tok(), st)(pairs());
  const auto c = dpo_implicit_scorer(*pol, *ref, tok(), st, 0.5)(pairs());
  for (size_t i = 0; i < a.size(); i++) {
    EXPECT_NEAR(c[i][0], 0.5 * (a[i][0] - b[i][0]), 1e-9);
    EXPECT_NEAR(c[i][1], 0.5 * (a[i][1] - b[i][1]), 1e-9);
  }
}

}  // namespace
}  // namespace llm
