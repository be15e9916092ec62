#include "core/align/rl.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <unordered_map>

#include "core/util/ignore_index.h"

namespace llm {

int64_t RlBatch::completion_tokens() const {
  int64_t n = 0;
  for (int l : length) n += l;
  return n;
}

bool RlBatch::counted(int64_t row) const { return targets[size_t(row)] != kIgnoreIndex; }

RlBatch pack_rl_batch(const std::vector<const RlSample*>& samples, int32_t pad_id) {
  RlBatch b;
  b.B = int(samples.size());
  if (b.B == 0) throw std::runtime_error("pack_rl_batch: no samples");
  for (size_t i = 0; i < samples.size(); i++) {
    const RlSample& s = *samples[i];
    if (s.prompt.empty() || s.completion.empty())
      throw std::runtime_error("pack_rl_batch: sample " + std::to_string(i) + " has an empty prompt or completion");
    b.T = std::max(b.T, int(s.prompt.size() + s.completion.size()) - 1);
  }
  const size_t N = size_t(b.B) * size_t(b.T);
  b.tokens.assign(N, pad_id);
  b.targets.assign(N, kIgnoreIndex);
  for (auto* v : {&b.old_logp, &b.ref_logp, &b.adv, &b.old_values, &b.returns}) v->assign(N, 0.f);
  for (int i = 0; i < b.B; i++) {
    const RlSample& s = *samples[size_t(i)];
    const int P = int(s.prompt.size()), L = int(s.completion.size());
    int32_t* x = b.tokens.data() + size_t(i) * b.T;  // (T) this sequence's inputs
    std::copy(s.prompt.begin(), s.prompt.end(), x);
    std::copy(s.completion.begin(), s.completion.end() - 1, x + P);
    const int r0 = i * b.T + P - 1;  // row whose logits predict completion token 0
    b.first_row.push_back(r0);
    b.length.push_back(L);
    b.group.push_back(s.group);
    for (int j = 0; j < L; j++) b.targets[size_t(r0 + j)] = s.completion[size_t(j)];
    auto scatter = [&](const std::vector<float>& src, std::vector<float>& dst, const char* what) {
      if (src.empty()) return;
      if (int(src.size()) != L)
        throw std::runtime_error(std::string("pack_rl_batch: sample ") + std::to_string(i) + " has " +
                                 std::to_string(src.size()) + " " + what + " for " + std::to_string(L) + " tokens");
      std::copy(src.begin(), src.end(), dst.begin() + r0);
    };
    scatter(s.old_logp, b.old_logp, "old_logp");
    scatter(s.ref_logp, b.ref_logp, "ref_logp");
    scatter(s.advantages, b.adv, "advantages");
    scatter(s.old_values, b.old_values, "old_values");
    scatter(s.returns, b.returns, "returns");
  }
  return b;
}

std::vector<float> rows_of_sample(const RlBatch& b, int sample, const float* rows) {
  const int r0 = b.first_row[size_t(sample)];
  return std::vector<float>(rows + r0, rows + r0 + b.length[size_t(sample)]);
}

std::vector<float> group_advantages(const std::vector<float>& rewards, const std::vector<int>& groups, bool scale_std,
                                    double eps) {
  if (rewards.size() != groups.size()) throw std::runtime_error("group_advantages: rewards and groups differ in size");
  std::unordered_map<int, std::pair<double, int>> sum;  // group -> (sum, count)
  for (size_t i = 0; i < rewards.size(); i++) {
    auto& s = sum[groups[i]];
    s.first += rewards[i];
    s.second++;
  }
  std::unordered_map<int, double> ss;  // group -> sum of squared deviations
  for (size_t i = 0; i < rewards.size(); i++) {
    const auto& s = sum[groups[i]];
    const double d = rewards[i] - s.first / s.second;
    ss[groups[i]] += d * d;
  }
  std::vector<float> a(rewards.size());
  for (size_t i = 0; i < rewards.size(); i++) {
    const auto& s = sum[groups[i]];
    const double d = rewards[i] - s.first / s.second;
    if (!scale_std) {
      a[i] = float(d);
      continue;
    }
    const double sd = s.second > 1 ? std::sqrt(ss[groups[i]] / (s.second - 1)) : 0.0;
    a[i] = d == 0 ? 0.f : float(d / (sd + eps));  // a flat group is 0, not 0/0
  }
  return a;
}

template <class T>
TensorT<T> rl_scalar_loss(Graph<T>& g, double value, const TensorT<T>& logp, const std::vector<double>& dlogp,
                          const TensorT<T>* values, const std::vector<double>* dvalues) {
  const int64_t N = logp.numel();
  if (int64_t(dlogp.size()) != N) throw std::runtime_error("rl_scalar_loss: dlogp size differs from logp");
  if (values && (!dvalues || int64_t(dvalues->size()) != values->numel()))
    throw std::runtime_error("rl_scalar_loss: dvalues size differs from values");
  const bool vg = values && g.needs_grad(*values);
  TensorT<T> out = g.tensor({1}, g.needs_grad(logp) || vg);
  out.data[0] = T(value);
  if (!out.grad) return out;
  T* cl = g.scratch(size_t(N));  // (N) dLoss/dlogp
  for (int64_t i = 0; i < N; i++) cl[i] = T(dlogp[size_t(i)]);
  T* cv = nullptr;                // (N) dLoss/dvalues
  const int64_t NV = values ? values->numel() : 0;
  if (vg) {
    cv = g.scratch(size_t(NV));
    for (int64_t i = 0; i < NV; i++) cv[i] = T((*dvalues)[size_t(i)]);
  }
  T* lg = logp.grad;
  T* vgp = vg ? values->grad : nullptr;
  g.record([=] {
    const T d = out.grad[0];
    if (lg)
      for (int64_t i = 0; i < N; i++) lg[i] += d * cl[i];
    if (vgp)
      for (int64_t i = 0; i < NV; i++) vgp[i] += d * cv[i];
  });
  return out;
}

template TensorT<float> rl_scalar_loss(Graph<float>&, double, const TensorT<float>&, const std::vector<double>&,
                                       const TensorT<float>*, const std::vector<double>*);
template TensorT<double> rl_scalar_loss(Graph<double>&, double, const TensorT<double>&, const std::vector<double>&,
                                        const TensorT<double>*, const std::vector<double>*);

}  // namespace llm
