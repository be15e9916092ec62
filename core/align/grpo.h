// GRPO (Shao et al. 2024, DeepSeekMath) and its aggregation variants Dr. GRPO (Liu et al. 2025)
// and DAPO (Yu et al. 2025). docs/grpo.md has the formulas; per completion token t of sample i:
//
//   ratio   r_it = exp(logp_it - old_it)
//   surr    s_it = min(r_it A_i, clip(r_it, 1 - eps_low, 1 + eps_high) A_i)
//   k3 KL   k_it = exp(ref_it - logp_it) - (ref_it - logp_it) - 1
//   l_it = -s_it + kl_coef * k_it
//
//   grpo:    L = 1/B  sum_i 1/L_i sum_t l_it            (mean over each sequence, then samples)
//   dr_grpo: L = 1/(B * max_new_tokens) sum_i sum_t l_it (and advantages without std scaling)
//   dapo:    L = 1/(sum_i L_i) sum_i sum_t l_it         (token mean over the batch; clip-higher)
#pragma once
#include <string>

#include "core/align/rl.h"

namespace llm {

struct AlignConfig;

enum class LossAgg { grpo, dr_grpo, dapo };
LossAgg parse_loss_agg(const std::string& s);  // throws naming the value

struct GrpoLossConfig {
  double clip_low = 0.2, clip_high = 0.2;  // ratio kept in [1 - clip_low, 1 + clip_high]
  double kl_coef = 0.0;                    // weight of the k3 KL to the reference (0: off)
  LossAgg agg = LossAgg::grpo;
  int max_new_tokens = 0;                  // dr_grpo's constant normaliser
  static GrpoLossConfig from(const AlignConfig& c);  // clip_eps_high 0 = clip_eps
};

// logp (B*T) from token_logprobs over b.targets; reads b.old_logp, b.ref_logp, b.adv.
// Returns the scalar loss (1); stats (optional) gets the logged numbers.
template <class T>
TensorT<T> grpo_loss(Graph<T>& g, const TensorT<T>& logp, const RlBatch& b, const GrpoLossConfig& c,
                     RlLossStats* stats = nullptr);

}  // namespace llm
