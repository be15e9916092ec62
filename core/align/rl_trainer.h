// The RL step machine shared by `llm ppo|grpo|gspo` (and usable from the web worker): one call to
// step() = sample a rollout batch with the current policy, score it, compute old/reference
// log-probs (and PPO values), advantages, then ppo_epochs passes of minibatch updates (AdamW,
// global-norm clipping, warmup + cosine schedule over rollout steps). No files, no clocks:
// native/rl_cmds.cpp drives it and times it.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/align/align_config.h"
#include "core/align/grpo.h"
#include "core/align/gspo.h"
#include "core/align/ppo.h"
#include "core/align/rl_reward.h"
#include "core/align/rollout.h"
#include "core/train/adamw.h"

namespace llm {

struct RlStepStats {
  int64_t step = 0;            // rollout steps done after this one
  double reward_mean = 0;      // mean reward-function output over the rollout's samples
  double reward_std = 0;
  double kl_seq = 0;           // mean over samples of sum_t (old_t - ref_t): KL(pi || ref) per completion, nats
  double kl_token = 0;         // the same per completion token
  double loss = 0, policy_loss = 0, value_loss = 0;  // averages over the step's updates
  double clip_frac = 0, ratio_mean = 0;              // over the step's updates
  double first_ratio_max_dev = 0;  // max |ratio - 1| in the first update (0: old/new agree)
  double grad_norm = 0, lr = 0;
  double mean_len = 0, finished_frac = 0;  // completion length, share ended by a stop id
  double zero_adv_frac = 0;    // GRPO/GSPO: share of rolled-out groups whose rewards are all equal
  int groups_rolled = 0;       // groups rolled out this step (> prompts with dynamic sampling)
  int groups_used = 0;         // groups the update trained on
  int64_t gen_tokens = 0;      // completion tokens sampled
  int64_t train_tokens = 0;    // token positions through the training forward (all updates)
  int updates = 0;
};

class RlTrainer {
 public:
  // cfg.stage is ppo | grpo | gspo. policy and reference start as copies of the given models.
  RlTrainer(const AlignConfig& cfg, const Transformer<float>& policy, const Transformer<float>& reference,
            const Tokenizer& tok, RewardFn reward);

  // One rollout + update round on these prompts (prompts_per_step of them, normally).
  // With cfg.dynamic_sampling (GRPO/GSPO, DAPO's "dynamic sampling"), groups whose G rewards are
  // all equal (zero advantage: no policy gradient) are dropped, and more prompts, taken from
  // more_prompts(n), are rolled out for up to cfg.max_resample_rounds rounds until as many
  // informative groups as prompts are kept. If the rounds run out, the step trains on the
  // informative groups it has (and on the first flat ones only when it found none at all).
  RlStepStats step(const std::vector<RlPrompt>& prompts);
  std::function<std::vector<RlPrompt>(int n)> more_prompts;

  // The policy as an inference model (greedy evaluation, chat).
  std::shared_ptr<const InferModel> infer_model() const;
  const std::vector<RlSample>& last_samples() const { return samples_; }

  AlignConfig cfg;
  Transformer<float> policy;
  Transformer<float> reference;  // frozen
  std::unique_ptr<ValueHead<float>> value;  // PPO only
  int64_t steps_done = 0;

 private:
  const Tokenizer& tok_;
  RewardFn reward_;
  AdamW opt_, vopt_;
  Rng rng_;
  int32_t pad_id_ = 0;
  std::vector<RlSample> samples_;
  float clip_grads(float max_norm);
};

}  // namespace llm
