// Turning one row of logits (V) into the next token: penalties, temperature, top-k, top-p, min-p,
// a seeded RNG per sequence, and the log-probability of the choice (docs/sampling.md).
//
// Order of processing (same as vLLM / HF): repetition penalty, frequency/presence penalties,
// temperature, then the truncations top-k -> top-p -> min-p on the tempered distribution, then a
// draw. temperature <= 0 means greedy (argmax after penalties). Logprobs are reported from the
// RAW logits (log_softmax before any processing), as the OpenAI API does.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/util/rng.h"

namespace llm {

struct SamplingParams {
  float temperature = 1.0f;          // 0: greedy (validate rejects < 0; the sampler treats <= 0 as greedy)
  int top_k = 0;                     // 0: off
  float top_p = 1.0f;                // (0, 1]
  float min_p = 0.0f;                // [0, 1]: drop tokens with p < min_p * p_max
  float repetition_penalty = 1.0f;   // > 0; CTRL-style on tokens seen in prompt + output
  float frequency_penalty = 0.0f;    // [-2, 2]: logit -= f * count_in_output
  float presence_penalty = 0.0f;     // [-2, 2]: logit -= p * (count_in_output > 0)
  int max_tokens = 256;              // >= 0 new tokens
  std::vector<int32_t> stop_token_ids;  // generation ends when one is sampled (not emitted as text)
  std::vector<std::string> stop;        // stop strings, matched on decoded text (TextStream)
  uint64_t seed = 0;
  bool logprobs = false;
  int top_logprobs = 0;              // 0..20 alternatives per position when logprobs
  // throws std::invalid_argument naming the field ("top_p must be in (0, 1], got 1.5")
  void validate() const;
};

struct TokenChoice {
  int32_t token = -1;
  float logprob = 0.f;                                // raw log-softmax of the chosen token
  std::vector<std::pair<int32_t, float>> top;         // top_logprobs alternatives, best first
};

// One per generated sequence: owns its RNG (seeded from params.seed and a stream index, so the
// same seed gives the same text and the n samples of one request differ) and its token counts.
class Sampler {
 public:
  Sampler(const SamplingParams& p, int vocab_size, const std::vector<int32_t>& prompt, uint64_t stream = 0);
  // logits (V) may be modified in place (scratch). Records the chosen token in the counts.
  TokenChoice sample(float* logits);
  const SamplingParams& params() const { return p_; }
  // The penalty step of sample() alone (logits (V) in place), exposed for tests and the web page.
  void apply_penalties(float* logits) const;
  // Counts a token as generated (sample() does it; call it for tokens chosen elsewhere).
  void record(int32_t token);
  int32_t output_count(int32_t token) const { return out_count_[token]; }

 private:
  int32_t draw(const float* logits);  // temperature, top-k, top-p, min-p, inverse-CDF draw

  SamplingParams p_;
  int V_;
  Rng rng_;
  std::vector<int32_t> out_count_;   // (V) times generated
  std::vector<uint8_t> seen_;        // (V) in prompt or output (repetition penalty)
  std::vector<int32_t> seen_ids_;    // distinct ids with seen_ set: penalties cost O(seen), not O(V)
  std::vector<int32_t> out_ids_;     // distinct ids with out_count_ > 0
  std::vector<int32_t> order_;       // (V) scratch: candidate ids
  std::vector<uint64_t> keys_;       // (V) scratch: (logit rank, id) sort keys
  std::vector<float> probs_;         // (V) scratch: weights exp((x - max) / T), by id
  std::vector<float> raw_;           // (V) raw logits kept for logprobs
  std::vector<int32_t> top_idx_;     // (V) scratch for top_logprobs
  std::vector<double> hist_;         // (1017) scratch: top-p mass per weight bin
  std::vector<double> blocks_;       // (V / 64) scratch: weight sums of 64-id blocks
};

int32_t argmax(const float* logits, int V);

}  // namespace llm
