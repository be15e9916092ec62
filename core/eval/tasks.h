// Evaluation data: the items of each task, read from bytes already in memory (native code reads
// the files, the web page passes an upload) or generated from the held-out (validation) split of
// the embedded generators, so every number can be reproduced without a download.
//
//   math  (exact match)       GSM8K jsonl, SVAMP json, generated arithmetic (gen_rl validation)
//   mcq   (log-likelihood)    PIQA jsonl + labels, generated arithmetic with distractors
//   pref  (pair accuracy)     generated preference pairs (gen_preference validation), any
//                             preference file core/data/importers.h reads (orca DPO, LLaMA-Factory)
// Malformed input throws std::runtime_error naming source, line and field.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/data/records.h"
#include "core/util/rng.h"

namespace llm {

struct MathItem {
  std::string question;  // the user's message
  std::string answer;    // reference, already normalized (normalize_answer, core/eval/answer.h)
  std::string task;      // "gsm8k", "svamp", or the generator's kind ("arithmetic.add", ...)
};

struct McqItem {
  std::string question;              // PIQA: the goal; generated: "What is 7 + 5?"
  std::vector<std::string> choices;  // raw choice texts (the scorer adds the leading space)
  int label = 0;                     // index of the correct choice
  std::string task;
};

// {"question": ..., "answer": "...\n#### 18"} per line; answer = the text after "####".
std::vector<MathItem> parse_gsm8k_jsonl(std::string_view bytes, std::string_view source = "gsm8k.jsonl");
// A JSON array of {"Body", "Question", "Answer": number}; question = Body + " " + Question.
std::vector<MathItem> parse_svamp_json(std::string_view bytes, std::string_view source = "svamp.json");
// valid.jsonl lines {"goal", "sol1", "sol2"} and valid-labels.lst lines "0" / "1"; the counts must agree.
std::vector<McqItem> parse_piqa(std::string_view jsonl, std::string_view labels, std::string_view source = "piqa");

// Generated held-out sets (GenOptions split = validation, so no item was seen in SFT/RL training).
std::vector<MathItem> generated_math(size_t n, uint64_t seed = 1);
// Integer-answer questions of gen_rl with three distractors drawn from answer +-1, +-2, +-10
// (near misses, the errors a model that half-learned arithmetic makes): four distinct
// non-negative choices in a seeded random order.
std::vector<McqItem> generated_mcq(size_t n, uint64_t seed = 1);
// One such item from an RL prompt (answer must be a base-10 integer), distractors drawn from rng.
McqItem make_mcq_item(const RlPrompt& p, Rng& rng);
std::vector<PreferenceExample> generated_preferences(size_t n, uint64_t seed = 1);

}  // namespace llm
