// Shared pieces of the RL stages (PPO, GRPO, GSPO; docs/ppo.md, docs/grpo.md, docs/gspo.md):
// the sampled-completion record, packing completions into a (B, T) training batch with the
// one-token shift, group-normalized advantages, the clipped surrogate and k3 KL terms, and the
// scalar loss op every RL objective is built from. Rewards: core/align/rl_reward.h.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/tensor/graph.h"

namespace llm {

// One sampled completion of a rollout, with everything the losses read.
struct RlSample {
  int group = 0;                    // index of its prompt in the rollout batch (a GRPO group)
  std::vector<int32_t> prompt;      // (P) chat-template ids ending with "<|im_start|>assistant\n"
  std::vector<int32_t> completion;  // (L) generated ids; ends with the stop id when finished
  bool finished = false;            // ended on a stop id (false: cut at max_new_tokens)
  std::string prompt_text;          // the user message
  std::string text;                 // the completion decoded without its stop id
  float score = 0;                  // the reward function's output
  std::vector<float> old_logp;      // (L) log pi_old(o_j | prompt, o_<j): training forward, fp32
  std::vector<float> ref_logp;      // (L) the same under the frozen reference model
  std::vector<float> old_values;    // (L) PPO: V(s_j) at rollout time
  std::vector<float> advantages;    // (L) per token (GRPO/GSPO: the sequence advantage repeated)
  std::vector<float> returns;       // (L) PPO: value targets
};

// B samples as one (B, T) batch for a training forward. Sample b's sequence is prompt ++
// completion (P + L tokens); the inputs are its first P + L - 1 tokens and the target of input
// row t is token t + 1. Completion token j therefore sits at target row b*T + P - 1 + j:
// token t is scored by the logits at t - 1. Rows past a sequence's end hold pad inputs and
// kIgnoreIndex targets; causal attention keeps the padding from touching real rows.
struct RlBatch {
  int B = 0, T = 0;
  std::vector<int32_t> tokens;   // (B*T) inputs
  std::vector<int32_t> targets;  // (B*T) completion token ids, kIgnoreIndex elsewhere
  std::vector<int> first_row;    // (B) row that scores completion token 0
  std::vector<int> length;       // (B) completion length L
  std::vector<int> group;        // (B) the samples' groups
  // the samples' per-token arrays scattered to rows (0 on rows without a completion token);
  // a sample whose array is empty leaves zeros
  std::vector<float> old_logp, ref_logp, adv, old_values, returns;  // (B*T) each
  int64_t completion_tokens() const;
  bool counted(int64_t row) const;  // row scores a completion token
};
RlBatch pack_rl_batch(const std::vector<const RlSample*>& samples, int32_t pad_id = 0);

// Gathers a per-row array (B*T) back into one sample's per-token array (L).
std::vector<float> rows_of_sample(const RlBatch& b, int sample, const float* rows);

// ---- advantages ----
// GRPO/GSPO: A_i = (r_i - mean_g) / (std_g + eps) within each group g (std: unbiased, as
// torch.std); scale_std = false (Dr. GRPO) gives A_i = r_i - mean_g. rewards and groups are (N).
std::vector<float> group_advantages(const std::vector<float>& rewards, const std::vector<int>& groups, bool scale_std,
                                    double eps = 1e-4);

// ---- the loss op ----
// Every RL objective here is a scalar function of per-row log-probs (and, for PPO, per-row
// values) whose derivative the forward computes anyway, so it records one closure that adds
// dLoss * coef into the inputs' gradients. coef (N) each, copied into the graph's arena (the
// batch may be freed before backward). values / dvalues may be null.
template <class T>
TensorT<T> rl_scalar_loss(Graph<T>& g, double value, const TensorT<T>& logp, const std::vector<double>& dlogp,
                          const TensorT<T>* values = nullptr, const std::vector<double>* dvalues = nullptr);

// The PPO clipped surrogate of one token (or GSPO sequence): min(r A, clip(r, 1-lo, 1+hi) A) with
// r = exp(log_ratio), and its derivative by log_ratio (r A on the unclipped branch, 0 when the
// clip is active: the objective is flat there).
struct Surrogate {
  double value = 0, dlog_ratio = 0, ratio = 1;
  bool clipped = false;
};
inline Surrogate clipped_surrogate(double log_ratio, double A, double lo, double hi) {
  Surrogate s;
  s.ratio = std::exp(log_ratio);
  const double rc = std::min(std::max(s.ratio, 1 - lo), 1 + hi);
  if (s.ratio * A <= rc * A) {
    s.value = s.dlog_ratio = s.ratio * A;
  } else {
    s.value = rc * A;
    s.clipped = true;
  }
  return s;
}

// k3 estimator of KL(pi || ref) at one token (Schulman 2020): exp(d) - d - 1 with d = ref - logp;
// >= 0, unbiased, low variance. Its derivative by logp is 1 - exp(d).
inline double k3_kl(double logp, double ref) { return std::exp(ref - logp) - (ref - logp) - 1; }
inline double k3_kl_dlogp(double logp, double ref) { return 1 - std::exp(ref - logp); }

// What a loss saw, for the logs (means over counted completion tokens unless noted).
struct RlLossStats {
  double loss = 0;        // the objective (what backward differentiates)
  double policy_loss = 0; // surrogate part
  double kl = 0;          // mean k3 KL to the reference per token (GRPO/GSPO), k1 for PPO's log
  double clip_frac = 0;   // share of tokens (GSPO: sequences) whose gradient the clip removed
  double ratio_mean = 0;  // mean importance ratio (GSPO: sequence ratio)
  double value_loss = 0;  // PPO
  int64_t tokens = 0;     // completion tokens in the batch
};

}  // namespace llm
