// Exact-match math with a fake generator (answers right on some questions), stop strings of the
// plain format, and greedy_generate (paged Engine) against the plain KVCache greedy loop.
#include <gtest/gtest.h>

#include <map>

#include "core/eval/harness.h"
#include "core/infer/chat_template.h"
#include "tests/eval/eval_test_util.h"

namespace llm {
namespace {

using evaltest::tok;

std::vector<MathItem> items() {
  return {{"What is 2 + 2?", "4", "add"}, {"What is 9 - 3?", "6", "sub"}, {"What is 3 * 3?", "9", "mul"},
          {"What is 10 + 1?", "11", "add"}, {"What is 1 + 1?", "2", "add"}};
}

// replies from a table keyed by the question found in the decoded prompt
GenerateFn fake(const std::map<std::string, std::string>& replies, int* calls) {
  return [replies, calls](const std::vector<std::vector<int32_t>>& prompts) {
    (*calls)++;
    std::vector<std::vector<int32_t>> out;
    for (const auto& p : prompts) {
      const std::string text = tok().decode(p);
      std::string reply = "no idea";
      for (const auto& [q, r] : replies)
        if (text.find(q) != std::string::npos) reply = r;
      out.push_back(tok().encode(reply, false));
    }
    return out;
  };
}

TEST(EvalMath, ExactMatchOfAFakeGenerator) {
  int calls = 0;
  const GenerateFn gen = fake({{"2 + 2", "2 + 2 = 4."},           // last number
                               {"9 - 3", "9 - 3 = 6\n#### 6"},    // after ####
                               {"3 * 3", "#### 9.0"},             // normalized
                               {"10 + 1", "It is 11 or maybe 12"}},  // last number is wrong
                              &calls);
  MathOptions o;
  o.style = {PromptFormat::chat, ""};
  o.chunk = 2;
  o.breakdown = true;
  std::vector<double> running;
  o.progress = [&](size_t, size_t total, double acc) {
    EXPECT_EQ(total, 5u);
    running.push_back(acc);
  };
  std::vector<MathRecord> rec;
  const std::vector<EvalResult> r = eval_math("toy", items(), tok(), gen, o, &rec);
  EXPECT_EQ(calls, 3);  // chunks of 2, 2, 1
  EXPECT_EQ(running, (std::vector<double>{1.0, 0.75, 0.6}));
  ASSERT_EQ(r.size(), 4u);  // overall + add, mul, sub
  EXPECT_EQ(r[0].task, "toy");
  EXPECT_EQ(r[0].metric, "exact_match");
  EXPECT_EQ(r[0].n, 5);
  EXPECT_DOUBLE_EQ(r[0].value, 0.6);
  EXPECT_EQ(r[1].task, "toy/add");
  EXPECT_DOUBLE_EQ(r[1].value, 1.0 / 3);
  EXPECT_EQ(r[2].task, "toy/mul");
  EXPECT_DOUBLE_EQ(r[2].value, 1.0);
  ASSERT_EQ(rec.size(), 5u);
  EXPECT_EQ(rec[1].completion, "9 - 3 = 6\n#### 6");
  EXPECT_EQ(rec[1].extracted, "6");
  EXPECT_TRUE(rec[2].correct);
  EXPECT_EQ(rec[3].extracted, "12");
  EXPECT_FALSE(rec[3].correct);
  EXPECT_EQ(rec[4].extracted, "");
}

TEST(EvalMath, PlainFormatCutsAtStopStrings) {
  int calls = 0;
  const GenerateFn gen = fake({{"2 + 2", " 4\n\nQuestion: What is 5 + 5?\nAnswer: 10"}}, &calls);
  MathOptions o;
  o.style = {PromptFormat::plain, ""};
  std::vector<MathRecord> rec;
  const std::vector<EvalResult> r = eval_math("toy", {items()[0]}, tok(), gen, o, &rec);
  EXPECT_EQ(rec[0].completion, " 4");
  EXPECT_DOUBLE_EQ(r[0].value, 1.0);
  // the plain prompt: document boundary, then "Question: ...\nAnswer:"
  const std::vector<int32_t> p = question_prompt(tok(), "What is 2 + 2?", o.style);
  EXPECT_EQ(tok().decode(p), "<|endoftext|>Question: What is 2 + 2?\nAnswer:");
  EXPECT_EQ(tok().decode(question_prompt(tok(), "Hi", {PromptFormat::chat, "Be brief."})),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
}

TEST(EvalMath, GreedyGenerateMatchesTheKvCacheLoop) {
  const ModelConfig c = evaltest::tiny_cfg(tok().vocab_size());  // max_seq_len 64
  auto t = evaltest::random_model(c, 21);
  auto m = std::make_shared<InferModel>(*t);
  Rng rng(4);
  std::vector<std::vector<int32_t>> prompts;
  for (int i = 0; i < 7; i++) {
    std::vector<int32_t> p(size_t(3 + rng.below(20)));
    for (auto& x : p) x = int32_t(rng.below(uint64_t(c.vocab_size)));
    prompts.push_back(p);
  }
  GreedyOptions o;
  o.max_new_tokens = 12;
  o.max_num_seqs = 3;  // fewer seats than prompts: sequences join as others finish
  const auto got = greedy_generate(m, prompts, o);
  ASSERT_EQ(got.size(), prompts.size());
  KVCache cache(c);
  for (size_t i = 0; i < prompts.size(); i++) EXPECT_EQ(got[i], greedy_decode(*m, cache, prompts[i], 12)) << "prompt " << i;

  // a stop token ends the completion (and is not part of it)
  const std::vector<int32_t> ref = greedy_decode(*m, cache, prompts[0], 12);
  GreedyOptions os = o;
  os.stop_ids = {ref[3]};
  const auto stopped = greedy_generate(m, {prompts[0]}, os)[0];
  const size_t first = size_t(std::find(ref.begin(), ref.end(), ref[3]) - ref.begin());
  EXPECT_EQ(stopped, std::vector<int32_t>(ref.begin(), ref.begin() + long(first)));

  // a prompt beyond the context keeps its last tokens, and generation stops at the context end
  std::vector<int32_t> longp(80);
  for (auto& x : longp) x = int32_t(rng.below(uint64_t(c.vocab_size)));
  const auto lg = greedy_generate(m, {longp}, o)[0];
  const std::vector<int32_t> kept(longp.end() - 63, longp.end());
  EXPECT_EQ(lg, greedy_decode(*m, cache, kept, 1));
}

}  // namespace
}  // namespace llm
