// RL prompts with verifiable integer answers: arithmetic (one or two steps), word
// problems and counting. Reward rule (datasets/README.md): the last integer in the
// completion (llm::last_integer, core/data/gen_tasks.h) equals `answer`.
#pragma once
#include <vector>

#include "core/data/gen_common.h"
#include "core/data/records.h"

namespace llm {

RlPrompt make_rl_prompt(Rng& rng, std::string* key);
std::vector<RlPrompt> generate_rl(size_t n, const GenOptions& opt);
void generate_rl(size_t n, const GenOptions& opt, const std::function<void(const RlPrompt&)>& sink);  // streaming

// 1 when the last integer of `completion` equals `answer`, else 0.
float rl_reward(std::string_view completion, std::string_view answer);

}  // namespace llm
