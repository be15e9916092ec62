#include "core/align/grpo.h"

#include <stdexcept>

#include "core/align/align_config.h"

namespace llm {

LossAgg parse_loss_agg(const std::string& s) {
  if (s == "grpo") return LossAgg::grpo;
  if (s == "dr_grpo") return LossAgg::dr_grpo;
  if (s == "dapo") return LossAgg::dapo;
  throw std::runtime_error("loss_agg must be grpo, dr_grpo or dapo; got \"" + s + "\"");
}

GrpoLossConfig GrpoLossConfig::from(const AlignConfig& c) {
  GrpoLossConfig g;
  g.clip_low = c.clip_eps;
  g.clip_high = c.clip_eps_high > 0 ? c.clip_eps_high : c.clip_eps;
  g.kl_coef = c.kl_coef;
  g.agg = parse_loss_agg(c.loss_agg);
  g.max_new_tokens = c.max_new_tokens;
  return g;
}

template <class T>
TensorT<T> grpo_loss(Graph<T>& g, const TensorT<T>& logp, const RlBatch& b, const GrpoLossConfig& c,
                     RlLossStats* stats) {
  const int64_t N = int64_t(b.B) * b.T;
  if (logp.numel() != N) throw std::runtime_error("grpo_loss: logp has " + std::to_string(logp.numel()) + " rows, batch " + std::to_string(N));
  if (c.agg == LossAgg::dr_grpo && c.max_new_tokens <= 0) throw std::runtime_error("grpo_loss: dr_grpo needs max_new_tokens > 0");
  const int64_t ntok = b.completion_tokens();
  std::vector<double> dl(size_t(N), 0.0);  // (B*T) dLoss/dlogp
  double loss = 0, pg = 0, kl = 0, clipped = 0, ratio = 0;
  for (int i = 0; i < b.B; i++) {
    const int L = b.length[size_t(i)];
    // each token's weight in the aggregate: the only difference between the three variants
    const double w = c.agg == LossAgg::grpo ? 1.0 / (double(b.B) * L)
                   : c.agg == LossAgg::dr_grpo ? 1.0 / (double(b.B) * c.max_new_tokens)
                                               : 1.0 / double(ntok);
    for (int j = 0; j < L; j++) {
      const size_t r = size_t(b.first_row[size_t(i)] + j);
      const double lp = double(logp.data[r]);
      const Surrogate s = clipped_surrogate(lp - b.old_logp[r], b.adv[r], c.clip_low, c.clip_high);
      double l = -s.value, d = -s.dlog_ratio;  // d(log ratio)/d(logp) = 1
      if (c.kl_coef > 0) {
        const double k = k3_kl(lp, b.ref_logp[r]);
        l += c.kl_coef * k;
        d += c.kl_coef * k3_kl_dlogp(lp, b.ref_logp[r]);
        kl += k;
      } else {
        kl += k3_kl(lp, b.ref_logp[r]);  // logged even when not optimised
      }
      loss += w * l;
      pg += w * -s.value;
      dl[r] = w * d;
      clipped += s.clipped;
      ratio += s.ratio;
    }
  }
  if (stats) {
    stats->loss = loss;
    stats->policy_loss = pg;
    stats->kl = kl / double(ntok);
    stats->clip_frac = clipped / double(ntok);
    stats->ratio_mean = ratio / double(ntok);
    stats->tokens = ntok;
  }
  return rl_scalar_loss(g, loss, logp, dl);
}

template TensorT<float> grpo_loss(Graph<float>&, const TensorT<float>&, const RlBatch&, const GrpoLossConfig&, RlLossStats*);
template TensorT<double> grpo_loss(Graph<double>&, const TensorT<double>&, const RlBatch&, const GrpoLossConfig&, RlLossStats*);

}  // namespace llm
