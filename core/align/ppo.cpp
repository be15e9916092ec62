#include "core/align/ppo.h"

#include <cmath>
#include <stdexcept>

#include "core/align/align_config.h"

namespace llm {

template <class T>
ValueHead<T>::ValueHead(int d) : dim(d) {
  params.declare("v_head.weight", {1, d});
  params.declare("v_head.bias", {1});
  params.finalize();
}

template <class T>
void ValueHead<T>::init(uint64_t seed, double std) {
  Rng r(seed);
  TensorT<T> w = params.get("v_head.weight"), b = params.get("v_head.bias");
  for (int i = 0; i < dim; i++) w.data[i] = T(std * r.normal());
  b.data[0] = T(0);
}

template <class T>
TensorT<T> ValueHead<T>::forward(Graph<T>& g, const TensorT<T>& hidden) {
  if (hidden.cols() != dim) throw std::runtime_error("ValueHead: hidden has " + std::to_string(hidden.cols()) + " columns, head dim " + std::to_string(dim));
  TensorT<T> w = params.get("v_head.weight"), b = params.get("v_head.bias");
  TensorT<T> v = linear(g, hidden, w, &b);  // (N, 1)
  return v.view({v.rows()});
}

template class ValueHead<float>;
template class ValueHead<double>;

std::vector<float> ppo_token_rewards(const RlSample& s, double kl_coef) {
  const size_t L = s.completion.size();
  if (s.old_logp.size() != L || s.ref_logp.size() != L) throw std::runtime_error("ppo_token_rewards: sample lacks old/ref log-probs");
  std::vector<float> r(L);
  for (size_t t = 0; t < L; t++) r[t] = float(-kl_coef * (double(s.old_logp[t]) - s.ref_logp[t]));
  r[L - 1] += s.score;
  return r;
}

void gae(const std::vector<float>& rewards, const std::vector<float>& values, double gamma, double lam,
         std::vector<float>& adv, std::vector<float>& ret) {
  const size_t L = rewards.size();
  if (values.size() != L) throw std::runtime_error("gae: rewards and values differ in length");
  adv.assign(L, 0.f);
  ret.assign(L, 0.f);
  double next_v = 0, next_a = 0;  // V and A after the last token: terminal
  for (size_t t = L; t-- > 0;) {
    const double delta = rewards[t] + gamma * next_v - values[t];
    next_a = delta + gamma * lam * next_a;
    next_v = values[t];
    adv[t] = float(next_a);
    ret[t] = float(next_a + values[t]);
  }
}

void ppo_prepare(std::vector<RlSample>& samples, double kl_coef, double gamma, double lam, bool whiten) {
  double sum = 0, sq = 0;
  int64_t n = 0;
  for (RlSample& s : samples) {
    if (s.old_values.size() != s.completion.size()) throw std::runtime_error("ppo_prepare: sample lacks old values");
    gae(ppo_token_rewards(s, kl_coef), s.old_values, gamma, lam, s.advantages, s.returns);
    for (float a : s.advantages) sum += a, sq += double(a) * a, n++;
  }
  if (!whiten || n < 2) return;
  const double mean = sum / n, sd = std::sqrt(std::max(0.0, sq / n - mean * mean));
  for (RlSample& s : samples)
    for (float& a : s.advantages) a = float((a - mean) / (sd + 1e-8));
}

PpoLossConfig PpoLossConfig::from(const AlignConfig& c) {
  PpoLossConfig p;
  p.clip_low = c.clip_eps;
  p.clip_high = c.clip_eps_high > 0 ? c.clip_eps_high : c.clip_eps;
  p.value_clip = c.value_clip;
  p.vf_coef = c.vf_coef;
  return p;
}

template <class T>
TensorT<T> ppo_loss(Graph<T>& g, const TensorT<T>& logp, const TensorT<T>& values, const RlBatch& b,
                    const PpoLossConfig& c, RlLossStats* stats) {
  const int64_t N = int64_t(b.B) * b.T;
  if (logp.numel() != N || values.numel() != N)
    throw std::runtime_error("ppo_loss: logp/values have " + std::to_string(logp.numel()) + "/" + std::to_string(values.numel()) + " rows, batch " + std::to_string(N));
  const int64_t ntok = b.completion_tokens();
  const double w = 1.0 / double(ntok);
  std::vector<double> dl(size_t(N), 0.0), dv(size_t(N), 0.0);  // (B*T) dLoss/dlogp, dLoss/dvalues
  double pg = 0, vl = 0, kl = 0, clipped = 0, ratio = 0;
  for (int64_t r = 0; r < N; r++) {
    if (!b.counted(r)) continue;
    const double lp = double(logp.data[r]);
    const Surrogate s = clipped_surrogate(lp - b.old_logp[r], b.adv[r], c.clip_low, c.clip_high);
    pg -= w * s.value;
    dl[r] = -w * s.dlog_ratio;
    clipped += s.clipped;
    ratio += s.ratio;
    kl += lp - b.ref_logp[r];
    // value: the larger of the plain and the clipped squared error (a pessimistic bound)
    const double v = double(values.data[r]), vo = b.old_values[r], R = b.returns[r];
    const double e1 = v - R;
    double l = 0.5 * e1 * e1, d = e1;
    if (c.value_clip > 0) {
      const double dvc = std::min(std::max(v - vo, -c.value_clip), c.value_clip);
      const double e2 = vo + dvc - R;
      if (0.5 * e2 * e2 > l) {
        l = 0.5 * e2 * e2;
        d = std::abs(v - vo) < c.value_clip ? e2 : 0.0;  // the clipped value is flat outside the band
      }
    }
    vl += w * l;
    dv[r] = c.vf_coef * w * d;
  }
  const double loss = pg + c.vf_coef * vl;
  if (stats) {
    stats->loss = loss;
    stats->policy_loss = pg;
    stats->value_loss = vl;
    stats->kl = kl / double(ntok);
    stats->clip_frac = clipped / double(ntok);
    stats->ratio_mean = ratio / double(ntok);
    stats->tokens = ntok;
  }
  return rl_scalar_loss(g, loss, logp, dl, &values, &dv);
}

template TensorT<float> ppo_loss(Graph<float>&, const TensorT<float>&, const TensorT<float>&, const RlBatch&,
                                 const PpoLossConfig&, RlLossStats*);
template TensorT<double> ppo_loss(Graph<double>&, const TensorT<double>&, const TensorT<double>&, const RlBatch&,
                                  const PpoLossConfig&, RlLossStats*);

}  // namespace llm
