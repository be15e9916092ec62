#include "core/data/gen_rl.h"

#include "core/data/gen_tasks.h"

namespace llm {

RlPrompt make_rl_prompt(Rng& rng, std::string* key) {
  RlPrompt p;
  uint64_t r = rng.below(100);
  TaskItem t;
  if (r < 30) {
    t = task_arithmetic(rng);
  } else if (r < 45) {  // two steps: a + b - c, with a non-negative result
    long long a = rng.below(50), b = rng.below(50), c = rng.below(uint64_t(a + b + 1));
    t.question = pick(rng, std::vector<std::string>{"What is " + std::to_string(a) + " + " + std::to_string(b) + " - " + std::to_string(c) + "?",
                                                    "Calculate " + std::to_string(a) + " + " + std::to_string(b) + " - " + std::to_string(c) + "."});
    t.value = a + b - c;
    t.task = "arithmetic.two_step";
    t.key = "chain:" + std::to_string(a) + ":" + std::to_string(b) + ":" + std::to_string(c);
  } else if (r < 65) {
    t = task_word_problem(rng);
  } else {
    t = task_counting(rng);
  }
  p.prompt = t.question;
  p.answer = std::to_string(t.value);
  p.task = t.task;
  if (key) *key = t.key;
  return p;
}

std::vector<RlPrompt> generate_rl(size_t n, const GenOptions& opt) {
  std::vector<RlPrompt> out;
  generate_rl(n, opt, [&](const RlPrompt& x) { out.push_back(x); });
  return out;
}

void generate_rl(size_t n, const GenOptions& opt, const std::function<void(const RlPrompt&)>& sink) {
  for_each_in_split<RlPrompt>(n, opt, [](Rng& rng) {
    std::string key;
    RlPrompt p = make_rl_prompt(rng, &key);
    return std::make_pair(std::move(p), std::move(key));
  }, [&](RlPrompt& x) { sink(x); });
}

float rl_reward(std::string_view completion, std::string_view answer) {
  auto v = last_integer(completion);
  return v && std::to_string(*v) == answer ? 1.0f : 0.0f;
}

}  // namespace llm
