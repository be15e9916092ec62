#include "core/align/gspo.h"

#include <stdexcept>

#include "core/align/align_config.h"

namespace llm {

GspoLossConfig GspoLossConfig::from(const AlignConfig& c) {
  GspoLossConfig g;
  g.clip_low = c.clip_eps;
  g.clip_high = c.clip_eps_high > 0 ? c.clip_eps_high : c.clip_eps;
  g.kl_coef = c.kl_coef;
  return g;
}

template <class T>
TensorT<T> gspo_loss(Graph<T>& g, const TensorT<T>& logp, const RlBatch& b, const GspoLossConfig& c,
                     RlLossStats* stats) {
  const int64_t N = int64_t(b.B) * b.T;
  if (logp.numel() != N) throw std::runtime_error("gspo_loss: logp has " + std::to_string(logp.numel()) + " rows, batch " + std::to_string(N));
  std::vector<double> dl(size_t(N), 0.0);  // (B*T) dLoss/dlogp
  double loss = 0, pg = 0, kl = 0, clipped = 0, ratio = 0;
  const double wb = 1.0 / b.B;
  for (int i = 0; i < b.B; i++) {
    const int L = b.length[size_t(i)];
    const size_t r0 = size_t(b.first_row[size_t(i)]);
    double mean_lr = 0;  // (1/L) sum_t (logp - old): log of the sequence ratio
    for (int j = 0; j < L; j++) mean_lr += double(logp.data[r0 + j]) - b.old_logp[r0 + j];
    mean_lr /= L;
    const Surrogate s = clipped_surrogate(mean_lr, b.adv[r0], c.clip_low, c.clip_high);
    loss -= wb * s.value;
    pg -= wb * s.value;
    clipped += s.clipped;
    ratio += s.ratio;
    // d(mean_lr)/d(logp_it) = 1/L
    for (int j = 0; j < L; j++) {
      const double lp = double(logp.data[r0 + j]);
      double d = -wb * s.dlog_ratio / L;
      const double k = k3_kl(lp, b.ref_logp[r0 + j]);
      kl += k;
      if (c.kl_coef > 0) {
        loss += wb * c.kl_coef * k / L;
        d += wb * c.kl_coef * k3_kl_dlogp(lp, b.ref_logp[r0 + j]) / L;
      }
      dl[r0 + j] = d;
    }
  }
  if (stats) {
    stats->loss = loss;
    stats->policy_loss = pg;
    stats->kl = kl / double(b.completion_tokens());
    stats->clip_frac = clipped / b.B;
    stats->ratio_mean = ratio / b.B;
    stats->tokens = b.completion_tokens();
  }
  return rl_scalar_loss(g, loss, logp, dl);
}

template TensorT<float> gspo_loss(Graph<float>&, const TensorT<float>&, const RlBatch&, const GspoLossConfig&, RlLossStats*);
template TensorT<double> gspo_loss(Graph<double>&, const TensorT<double>&, const RlBatch&, const GspoLossConfig&, RlLossStats*);

}  // namespace llm
