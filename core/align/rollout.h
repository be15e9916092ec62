// Rollouts for the RL stages: G completions per prompt sampled through the paged engine
// (core/infer/engine.h) with the configured sampling, the training-forward log-probs (and PPO
// values) of those completions, and greedy held-out accuracy.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/align/ppo.h"
#include "core/align/rl.h"
#include "core/data/records.h"
#include "core/infer/engine.h"
#include "core/tokenizer/tokenizer.h"

namespace llm {

struct AlignConfig;

struct RolloutOptions {
  int group_size = 4;          // completions per prompt (one engine request with n = group_size)
  float temperature = 1.0f;    // <= 0: greedy
  int top_k = 0;
  float top_p = 1.0f;
  int max_new_tokens = 24;
  uint64_t seed = 1;           // with the prompt's index, seeds that request's samplers
  int block_size = 16;         // KV block size of the engine
  static RolloutOptions from(const AlignConfig& c, uint64_t step_seed);
};

// The ids every RL stage feeds the model for a user prompt: the chat template (core/infer/
// chat_template.h) with one user message and the generation prompt "<|im_start|>assistant\n".
std::vector<int32_t> rl_prompt_ids(const Tokenizer& tok, const std::string& prompt);

// prompts.size() * group_size samples, prompt-major (sample k of prompt i at i*G + k, group i).
// Fills group, prompt, completion (incl. the stop id when finished), finished, prompt_text, text.
// A prompt too long for the context throws (naming it). All requests run batched in one engine.
std::vector<RlSample> generate_rollouts(std::shared_ptr<const InferModel> model, const Tokenizer& tok,
                                        const std::vector<std::string>& prompts, const RolloutOptions& o);

// The one forward every RL log-prob comes from (old, reference and the update itself):
// hidden states (B*T, C), logits / temperature (the policy that sampled the rollout is the
// tempered one; temperature <= 0 or 1 leaves the logits alone), token_logprobs over b.targets
// -> (B*T). hidden (optional) receives the hidden states for a value head.
TensorT<float> rl_token_logprobs(Graph<float>& g, Transformer<float>& model, const RlBatch& b, float temperature,
                                 TensorT<float>* hidden = nullptr);

// One no-grad training forward (fp32, the same code path and batch shapes as the update) over
// `batch`: returns each sample's per-token log-probs (L) and, with a head, values (L).
// Computing old log-probs with the same minibatch as the first update makes ratio == 1 exactly.
struct SampleScores {
  std::vector<std::vector<float>> logp, values;  // [sample] (L)
};
SampleScores score_samples(Transformer<float>& model, ValueHead<float>* head, const std::vector<const RlSample*>& batch,
                           int32_t pad_id = 0, float temperature = 1.0f);

// Greedy accuracy on held-out prompts with the verifiable reward (last integer == answer).
struct RlEvalResult {
  int n = 0, correct = 0;
  double accuracy() const { return n ? double(correct) / n : 0.0; }
  std::map<std::string, std::pair<int, int>> by_task;  // task -> (correct, n)
  std::vector<std::pair<std::string, std::string>> examples;  // (prompt, completion), first few
};
RlEvalResult evaluate_greedy(std::shared_ptr<const InferModel> model, const Tokenizer& tok,
                             const std::vector<RlPrompt>& prompts, int max_new_tokens, int keep_examples = 4);

}  // namespace llm
