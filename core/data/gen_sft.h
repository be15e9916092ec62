// SFT conversations in the chat `messages` schema (datasets/README.md): story
// questions, arithmetic (with word problems), word manipulation and short answers.
// About one in five conversations is multi-turn (a follow-up question, e.g. "Now add
// 5 to that."); `answer` is the reference for the final assistant turn.
#pragma once
#include <vector>

#include "core/data/gen_common.h"
#include "core/data/records.h"

namespace llm {

// One conversation from rng. When opt is given, follow-up turns are drawn from the
// same split as the first one, so no validation problem hides inside a training chat.
// The returned key (the first problem's split key) decides the conversation's split.
SftExample make_sft_example(Rng& rng, const GenOptions* opt, std::string* key);

std::vector<SftExample> generate_sft(size_t n, const GenOptions& opt);
void generate_sft(size_t n, const GenOptions& opt, const std::function<void(const SftExample&)>& sink);  // streaming

}  // namespace llm
