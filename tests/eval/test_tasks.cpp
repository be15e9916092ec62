// Task data: parsers of GSM8K / SVAMP / PIQA text with errors that say where, and the generated
// held-out sets (deterministic, disjoint from the training split, well-formed choices).
#include <gtest/gtest.h>

#include <set>

#include "core/data/gen_rl.h"
#include "core/eval/tasks.h"

namespace llm {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(EvalTasks, ParsesGsm8k) {
  const std::string text =
      R"({"question": "Janet has 16 eggs. How many?", "answer": "16 - 3 = <<16-3=13>>13\n#### 1,300"})" "\n"
      R"({"question": "Q2", "answer": "work\n#### -4.50"})" "\n";
  const std::vector<MathItem> v = parse_gsm8k_jsonl(text, "g.jsonl");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].question, "Janet has 16 eggs. How many?");
  EXPECT_EQ(v[0].answer, "1300");
  EXPECT_EQ(v[1].answer, "-4.5");
  EXPECT_EQ(v[1].task, "gsm8k");
  const std::string e = error_of([] { parse_gsm8k_jsonl("{\"question\": \"a\", \"answer\": \"#### 1\"}\n{\"question\": \"b\", \"answer\": \"no final\"}\n", "g.jsonl"); });
  EXPECT_NE(e.find("g.jsonl:2"), std::string::npos) << e;
  EXPECT_NE(e.find("####"), std::string::npos) << e;
  EXPECT_NE(error_of([] { parse_gsm8k_jsonl("{\"question\": \"a\"}\n", "g.jsonl"); }).find("answer"), std::string::npos);
}

TEST(EvalTasks, ParsesSvamp) {
  const std::string text = R"J([{"ID": "chal-1", "Body": "Each pack costs 76 dollars.", "Question": "How much?",
                                "Equation": "( 76.0 - 25.0 )", "Answer": 51.0, "Type": "Subtraction"},
                               {"Body": "B", "Question": "Q", "Answer": 0.25}])J";
  const std::vector<MathItem> v = parse_svamp_json(text, "svamp.json");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].question, "Each pack costs 76 dollars. How much?");
  EXPECT_EQ(v[0].answer, "51");
  EXPECT_EQ(v[1].answer, "0.25");
  EXPECT_NE(error_of([] { parse_svamp_json(R"([{"Body": "B", "Question": "Q", "Answer": "x"}])", "s.json"); }).find("Answer"),
            std::string::npos);
}

TEST(EvalTasks, ParsesPiqaAndChecksLabelCounts) {
  const std::string jl = R"({"goal": "g1", "sol1": "a", "sol2": "b"})" "\n" R"({"goal": "g2", "sol1": "c", "sol2": "d"})" "\n";
  const std::vector<McqItem> v = parse_piqa(jl, "1\n0\n", "piqa");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].question, "g1");
  EXPECT_EQ(v[0].choices, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(v[0].label, 1);
  EXPECT_EQ(v[1].label, 0);
  EXPECT_NE(error_of([&] { parse_piqa(jl, "1\n", "piqa"); }).find("1 labels for 2 items"), std::string::npos);
  EXPECT_NE(error_of([&] { parse_piqa(jl, "1\n0\n1\n", "piqa"); }).find("valid-labels.lst:3"), std::string::npos);
  EXPECT_NE(error_of([&] { parse_piqa(jl, "1\n2\n", "piqa"); }).find("valid-labels.lst:2"), std::string::npos);
}

TEST(EvalTasks, GeneratedMathIsDeterministicAndHeldOut) {
  const std::vector<MathItem> a = generated_math(60, 3), b = generated_math(60, 3);
  ASSERT_EQ(a.size(), 60u);
  std::set<std::string> train;
  GenOptions tr;
  tr.seed = 3;
  for (const RlPrompt& p : generate_rl(3000, tr)) train.insert(p.prompt);
  for (size_t i = 0; i < a.size(); i++) {
    EXPECT_EQ(a[i].question, b[i].question);
    EXPECT_FALSE(a[i].answer.empty());
    EXPECT_EQ(train.count(a[i].question), 0u) << "validation question in the train split: " << a[i].question;
  }
  EXPECT_NE(generated_math(5, 4)[0].question + generated_math(5, 4)[1].question, a[0].question + a[1].question);
}

TEST(EvalTasks, McqItemHasTheAnswerAndThreeNearMisses) {
  Rng rng(1);
  for (int k = 0; k < 50; k++) {
    const McqItem it = make_mcq_item({"What is 2 + 3?", "5", "arithmetic.add"}, rng);
    ASSERT_EQ(it.choices.size(), 4u);
    EXPECT_EQ(it.choices[size_t(it.label)], "5");
    std::set<std::string> distinct(it.choices.begin(), it.choices.end());
    EXPECT_EQ(distinct.size(), 4u);
    for (const std::string& c : it.choices) EXPECT_TRUE(c == "3" || c == "4" || c == "5" || c == "6" || c == "7" || c == "15") << c;
  }
  const McqItem zero = make_mcq_item({"What is 0 * 4?", "0", "arithmetic.mul"}, rng);  // no negative choices
  for (const std::string& c : zero.choices) EXPECT_NE(c[0], '-');
  EXPECT_THROW(make_mcq_item({"q", "Lily", "story.who"}, rng), std::runtime_error);

  const std::vector<McqItem> v = generated_mcq(40, 2), w = generated_mcq(40, 2);
  std::set<int> labels;
  for (size_t i = 0; i < v.size(); i++) {
    EXPECT_EQ(v[i].choices, w[i].choices);
    EXPECT_EQ(v[i].label, w[i].label);
    labels.insert(v[i].label);
  }
  EXPECT_GE(labels.size(), 3u) << "the correct choice should not sit at a fixed position";
}

TEST(EvalTasks, GeneratedPreferencesComeFromTheValidationSplit) {
  const std::vector<PreferenceExample> v = generated_preferences(20, 1);
  ASSERT_EQ(v.size(), 20u);
  for (const PreferenceExample& e : v) {
    EXPECT_FALSE(e.pair.prompt.empty());
    EXPECT_NE(e.pair.chosen, e.pair.rejected);
  }
}

}  // namespace
}  // namespace llm
