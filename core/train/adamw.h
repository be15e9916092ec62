// AdamW (Loshchilov & Hutter): Adam moments with decoupled weight decay, no decay on 1-D params
// (norm weights, biases). m and v are one buffer each with the params' offsets: one loop.
#pragma once
#include <cmath>
#include <vector>

#include "core/tensor/params.h"

namespace llm {

struct AdamWConfig {
  float beta1 = 0.9f, beta2 = 0.95f, eps = 1e-8f, weight_decay = 0.1f;
};

class AdamW {
 public:
  AdamWConfig cfg;
  std::vector<float> m, v;  // (P) first and second moments
  int64_t t = 0;            // steps taken (for bias correction)

  explicit AdamW(AdamWConfig c = {}) : cfg(c) {}

  void step(ParamStore<float>& ps, float lr) {
    if (m.size() != ps.size()) {
      m.assign(ps.size(), 0.f);
      v.assign(ps.size(), 0.f);
    }
    t++;
    const float b1 = cfg.beta1, b2 = cfg.beta2;
    const float c1 = 1.f / (1.f - std::pow(b1, float(t))), c2 = 1.f / (1.f - std::pow(b2, float(t)));
    float* w = ps.values();
    const float* g = ps.grads();
    for (const ParamInfo& p : ps.infos()) {
      const float wd = p.decay ? cfg.weight_decay : 0.f;
      const size_t end = p.offset + size_t(p.shape.numel());
      for (size_t i = p.offset; i < end; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        const float mh = m[i] * c1, vh = v[i] * c2;
        w[i] -= lr * (mh / (std::sqrt(vh) + cfg.eps) + wd * w[i]);
      }
    }
  }
};

// global L2 norm of all gradients; scales them to max_norm when above (returns the norm before)
inline float clip_grad_norm(ParamStore<float>& ps, float max_norm) {
  double ss = 0;
  const float* g = ps.grads();
  for (size_t i = 0; i < ps.size(); i++) ss += double(g[i]) * g[i];
  const float norm = float(std::sqrt(ss));
  if (max_norm > 0 && norm > max_norm) {
    const float s = max_norm / (norm + 1e-6f);
    float* gw = ps.grads();
    for (size_t i = 0; i < ps.size(); i++) gw[i] *= s;
  }
  return norm;
}

// linear warmup to lr, then cosine decay to min_lr at max_steps (counted in optimizer steps)
inline float lr_schedule(int64_t step, int64_t warmup, int64_t max_steps, float lr, float min_lr) {
  if (step < warmup) return lr * float(step + 1) / float(warmup);
  if (step >= max_steps) return min_lr;
  const double p = double(step - warmup) / double(std::max<int64_t>(1, max_steps - warmup));
  return min_lr + float(0.5 * (1.0 + std::cos(3.141592653589793 * p))) * (lr - min_lr);
}

}  // namespace llm
