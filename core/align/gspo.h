// GSPO (Zheng et al. 2025, "Group Sequence Policy Optimization"): the importance ratio and the
// clip act on whole sequences. docs/gspo.md; per sample i with L_i completion tokens:
//
//   s_i = exp( 1/L_i sum_t (logp_it - old_it) )     length-normalized sequence ratio
//   L   = -1/B sum_i min(s_i A_i, clip(s_i, 1 - eps_low, 1 + eps_high) A_i)
//         + kl_coef * 1/B sum_i 1/L_i sum_t k3(logp_it, ref_it)       (optional, 0 = off)
//
// A_i are group-normalized (core/align/rl.h group_advantages). Because s_i is a geometric mean,
// it stays near 1 and eps is tiny (the paper: 3e-4 low, 4e-4 high). Every token of a sequence
// gets the same gradient weight A_i s_i / L_i, so one long noisy token cannot dominate.
#pragma once
#include "core/align/rl.h"

namespace llm {

struct AlignConfig;

struct GspoLossConfig {
  double clip_low = 3e-4, clip_high = 4e-4;
  double kl_coef = 0.0;
  static GspoLossConfig from(const AlignConfig& c);  // clip_eps_high 0 = clip_eps
};

// logp (B*T) from token_logprobs over b.targets; reads b.old_logp, b.ref_logp and the
// sequence advantage b.adv[first_row]. Returns the scalar loss (1). stats->clip_frac and
// ratio_mean count sequences.
template <class T>
TensorT<T> gspo_loss(Graph<T>& g, const TensorT<T>& logp, const RlBatch& b, const GspoLossConfig& c,
                     RlLossStats* stats = nullptr);

}  // namespace llm
