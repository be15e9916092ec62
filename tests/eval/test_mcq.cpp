// Multiple choice by log-likelihood: a model trained on the right answers picks them (acc = 1),
// and acc vs acc_norm differ exactly as sum vs per-token mean.
#include <gtest/gtest.h>

#include "core/eval/harness.h"
#include "tests/eval/eval_test_util.h"

namespace llm {
namespace {

using evaltest::tok;

TEST(EvalMcq, PickBySumOrByMean) {
  const std::vector<LoglikScore> s = {{-4.0, 4}, {-3.0, 1}, {-3.5, 7}};
  EXPECT_EQ(pick_choice(s, false), 1);  // highest sum
  EXPECT_EQ(pick_choice(s, true), 2);   // highest mean: -0.5 per token
  EXPECT_EQ(pick_choice({{-2.0, 2}, {-1.0, 1}}, false), 1);
  EXPECT_EQ(pick_choice({{-2.0, 2}, {-1.0, 1}}, true), 0);  // a tie goes to the first
  EXPECT_THROW(pick_choice({}, false), std::runtime_error);
}

std::vector<McqItem> items() {
  return {{"What is 7 + 5?", {"13", "12", "2"}, 1, "t"},
          {"Where did the cat sit?", {"on the mat", "in the sky"}, 0, "t"},
          {"Which is right?", {"left", "up", "right"}, 2, "t"}};
}

TEST(EvalMcq, TrainedModelPicksTheAnswersItWasTaught) {
  for (PromptFormat f : {PromptFormat::plain, PromptFormat::chat}) {
    const PromptStyle st{f, ""};
    auto m = evaltest::random_model(evaltest::tiny_cfg(tok().vocab_size()), 7, 0.05);
    std::vector<std::vector<int32_t>> seqs;  // prompt + correct answer of each item
    for (const McqItem& it : items()) {
      std::vector<int32_t> s = question_prompt(tok(), it.question, st);
      const std::vector<int32_t> a = answer_tokens(tok(), it.choices[size_t(it.label)], st);
      s.insert(s.end(), a.begin(), a.end());
      seqs.push_back(s);
    }
    evaltest::memorize(*m, seqs, 50);
    McqOptions o;
    o.style = st;
    std::vector<std::array<int, 2>> pred;
    const std::vector<EvalResult> r = eval_mcq("toy", items(), *m, tok(), o, &pred);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].metric, "acc");
    EXPECT_EQ(r[1].metric, "acc_norm");
    EXPECT_EQ(r[0].n, 3);
    EXPECT_DOUBLE_EQ(r[0].value, 1.0) << prompt_format_name(f);
    EXPECT_DOUBLE_EQ(r[1].value, 1.0) << prompt_format_name(f);
    ASSERT_EQ(pred.size(), 3u);
    EXPECT_EQ(pred[2][0], 2);
    // relabel the items: the same model is now wrong on every one
    std::vector<McqItem> wrong = items();
    for (McqItem& it : wrong) it.label = (it.label + 1) % int(it.choices.size());
    EXPECT_DOUBLE_EQ(eval_mcq("toy", wrong, *m, tok(), o)[0].value, 0.0);
  }
}

TEST(EvalMcq, ScoresEqualTheLoglikOfEachChoice) {
  auto m = evaltest::random_model(evaltest::tiny_cfg(tok().vocab_size()), 9);
  const PromptStyle st{PromptFormat::plain, ""};
  std::vector<std::array<int, 2>> pred;
  McqOptions o;
  eval_mcq("toy", items(), *m, tok(), o, &pred);
  for (size_t i = 0; i < items().size(); i++) {
    const McqItem it = items()[i];
    std::vector<LoglikRequest> reqs;
    for (const std::string& c : it.choices) reqs.push_back({question_prompt(tok(), it.question, st), answer_tokens(tok(), c, st)});
    const std::vector<LoglikScore> s = score_continuations(*m, reqs);
    EXPECT_EQ(pred[i][0], pick_choice(s, false));
    EXPECT_EQ(pred[i][1], pick_choice(s, true));
  }
}

TEST(EvalMcq, RejectsBadItems) {
  auto m = evaltest::random_model(evaltest::tiny_cfg(tok().vocab_size()), 9);
  EXPECT_THROW(eval_mcq("x", {{"q", {"only"}, 0, ""}}, *m, tok(), {}), std::runtime_error);
  EXPECT_THROW(eval_mcq("x", {{"q", {"a", "b"}, 2, ""}}, *m, tok(), {}), std::runtime_error);
}

}  // namespace
}  // namespace llm
