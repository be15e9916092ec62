// Pluggable rewards of the RL stages: a function of the user prompt and the decoded completion.
// Two implementations: a verifiable checker (the generated RL prompts have integer answers,
// core/data/gen_rl.h) and a trained reward model (core/align/reward.h).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/align/reward.h"
#include "core/data/records.h"
#include "core/tokenizer/tokenizer.h"

namespace llm {

using RewardFn = std::function<float(const std::string& prompt, const std::string& completion)>;

// The completion's format is "a short final answer": it has an integer and only sentence
// punctuation / whitespace follow its last integer ("3 + 4 = 7." passes, "7 apples and" fails).
bool answer_format_ok(const std::string& completion);

// Verifiable reward over a prompt set: rl_reward (last integer == answer: 1, else 0) plus
// format_bonus when answer_format_ok. Throws when asked about a prompt not in the set.
RewardFn verifiable_reward(const std::vector<RlPrompt>& prompts, double format_bonus = 0.0);

// Reward-model reward: the RM's scalar score of the conversation {user: prompt, assistant:
// completion} encoded with the chat template up to the reply's closing <|im_end|> — the layout
// the RM was trained on (preference_sequence in core/align/preference.h). Sequences longer than
// the context keep their last max_seq_len tokens. The function shares ownership of model and
// head; tok must outlive it.
RewardFn reward_model_reward(std::shared_ptr<Transformer<float>> model, std::shared_ptr<RewardHead<float>> head,
                             const Tokenizer& tok);

}  // namespace llm
