// PPO for language models (Schulman et al. 2017; Ziegler et al. 2019; Ouyang et al. 2022).
// docs/ppo.md has the formulas. One rollout batch is used for ppo_epochs of minibatch updates:
//
//   token reward   r_t = -kl_coef (old_t - ref_t)  [+ score on the last token]   (KL counted once)
//   GAE            delta_t = r_t + gamma V_{t+1} - V_t,  A_t = delta_t + gamma lam A_{t+1},  R_t = A_t + V_t
//   whitening      A <- (A - mean) / (std + 1e-8) over every completion token of the rollout
//   policy loss    -min(rho_t A_t, clip(rho_t, 1 - eps, 1 + eps) A_t),  rho_t = exp(logp_t - old_t)
//   value loss     0.5 max((V_t - R_t)^2, (V_old + clip(V_t - V_old, -c, c) - R_t)^2)
//   L = mean_t policy + vf_coef mean_t value        (means over the minibatch's completion tokens)
//
// The value V_t = V(prompt, o_<t) is a scalar head on the final normed hidden state of the row
// that scores token t (the same row as logp_t), sharing the policy's trunk.
#pragma once
#include <vector>

#include "core/align/rl.h"
#include "core/tensor/ops.h"
#include "core/tensor/params.h"

namespace llm {

struct AlignConfig;

// Scalar value head: v = w . h + b on the final normed hidden states (Transformer::forward_hidden).
template <class T>
class ValueHead {
 public:
  explicit ValueHead(int dim);
  // w ~ N(0, std) (0: the head starts at V = 0); bias 0
  void init(uint64_t seed, double std = 0.0);
  // hidden (N, C) -> values (N)
  TensorT<T> forward(Graph<T>& g, const TensorT<T>& hidden);
  ParamStore<T> params;  // v_head.weight (1, C), v_head.bias (1)
  int dim;
};

// (L) per-token rewards of one sample: -kl_coef * (old_logp - ref_logp) at every token, the
// score added at the last one. The only place the KL penalty enters PPO (not in the loss).
std::vector<float> ppo_token_rewards(const RlSample& s, double kl_coef);

// Generalized advantage estimation over one sequence; V after the last token is 0 (terminal).
// rewards, values (L) -> adv, ret (L) with ret = adv + values.
void gae(const std::vector<float>& rewards, const std::vector<float>& values, double gamma, double lam,
         std::vector<float>& adv, std::vector<float>& ret);

// Fills advantages and returns of every sample (needs score, old_logp, ref_logp, old_values),
// whitening the advantages over all completion tokens when whiten.
void ppo_prepare(std::vector<RlSample>& samples, double kl_coef, double gamma, double lam, bool whiten);

struct PpoLossConfig {
  double clip_low = 0.2, clip_high = 0.2;
  double value_clip = 0.2;  // 0: unclipped value loss
  double vf_coef = 0.1;
  static PpoLossConfig from(const AlignConfig& c);
};

// logp (B*T) from token_logprobs over b.targets; values (B*T) from the value head. Reads
// b.old_logp, b.adv, b.old_values, b.returns (and b.ref_logp only for the logged KL).
template <class T>
TensorT<T> ppo_loss(Graph<T>& g, const TensorT<T>& logp, const TensorT<T>& values, const RlBatch& b,
                    const PpoLossConfig& c, RlLossStats* stats = nullptr);

}  // namespace llm
