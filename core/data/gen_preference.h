// Preference pairs {prompt, chosen, rejected, reason} where `chosen` is better in a
// way a program can verify (datasets/README.md lists every `reason`):
//   wrong_answer        chosen ends with the reference answer, rejected with a wrong one
//   ignores_instruction chosen follows a format instruction (one word, capitals, N items), rejected does not
//   shuffled_sentences  rejected is the chosen story with its sentences shuffled
//   repetitive          rejected repeats one sentence over and over
//   off_topic           rejected is a story about another character and plot
//   unfinished          rejected stops in the middle of a sentence
#pragma once
#include <vector>

#include "core/data/gen_common.h"
#include "core/data/records.h"

namespace llm {

PreferenceExample make_preference_example(Rng& rng, std::string* key);
std::vector<PreferenceExample> generate_preferences(size_t n, const GenOptions& opt);
void generate_preferences(size_t n, const GenOptions& opt, const std::function<void(const PreferenceExample&)>& sink);  // streaming

}  // namespace llm
