// Greedy completions for the exact-match tasks. A GenerateFn maps prompts to completions, so the
// math task runs on anything that produces tokens: the paged Engine below, a test's fake, or a
// future batched sampler.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/infer/infer_model.h"

namespace llm {

// prompts (n, P_i) -> completions (n, K_i), stop token excluded
using GenerateFn = std::function<std::vector<std::vector<int32_t>>(const std::vector<std::vector<int32_t>>& prompts)>;

struct GreedyOptions {
  int max_new_tokens = 256;      // also capped so prompt + completion fits max_seq_len
  std::vector<int32_t> stop_ids;  // generation ends on one of these (not included in the output)
  int max_num_seqs = 16;         // sequences decoded together (one batched forward per step)
};

// Greedy (argmax) decoding of every prompt through the paged Engine with continuous batching:
// the same tokens as a KVCache loop, prompt by prompt, but one forward per step for up to
// max_num_seqs sequences. A prompt longer than max_seq_len - 1 keeps its LAST tokens (the
// generation prompt at its end matters most).
std::vector<std::vector<int32_t>> greedy_generate(std::shared_ptr<const InferModel> model,
                                                  const std::vector<std::vector<int32_t>>& prompts,
                                                  const GreedyOptions& opt);

GenerateFn greedy_generator(std::shared_ptr<const InferModel> model, GreedyOptions opt);

}  // namespace llm
