// Lion and Muon, the further optimizers (AdamW is in adamw.h). Same buffer discipline: one
// moment buffer with the params' offsets.
#pragma once
#include <cmath>
#include <vector>

#include "core/tensor/eigen_util.h"
#include "core/tensor/params.h"
#include "core/train/adamw.h"

namespace llm {

// Lion (Chen et al. 2023): w -= lr * (sign(b1 m + (1-b1) g) + wd w); m = b2 m + (1-b2) g
class Lion {
 public:
  float beta1 = 0.9f, beta2 = 0.99f, weight_decay = 0.1f;
  std::vector<float> m;
  void step(ParamStore<float>& ps, float lr) {
    if (m.size() != ps.size()) m.assign(ps.size(), 0.f);
    float* w = ps.values();
    const float* g = ps.grads();
    for (const ParamInfo& p : ps.infos()) {
      const float wd = p.decay ? weight_decay : 0.f;
      for (size_t i = p.offset, e = p.offset + size_t(p.shape.numel()); i < e; i++) {
        const float u = beta1 * m[i] + (1 - beta1) * g[i];
        w[i] -= lr * (float((u > 0) - (u < 0)) + wd * w[i]);
        m[i] = beta2 * m[i] + (1 - beta2) * g[i];
      }
    }
  }
};

// Muon (Jordan et al. 2024): for hidden 2-D weight matrices, Nesterov momentum whose update is
// orthogonalised by 5 Newton-Schulz iterations (quintic, coefficients a, b, c below) and scaled by
// sqrt(max(1, rows/cols)); embeddings, the output head and 1-D params use AdamW.
class Muon {
 public:
  float momentum = 0.95f, weight_decay = 0.1f;
  AdamW adamw;
  std::vector<float> m;
  static bool uses_muon(const ParamInfo& p) {
    return p.shape.ndim == 2 && p.name.find("embed") == std::string::npos && p.name != "lm_head.weight";
  }
  void step(ParamStore<float>& ps, float lr, float adam_lr) {
    if (m.size() != ps.size()) m.assign(ps.size(), 0.f);
    // AdamW runs over every param, then the Muon params are restored and updated by Muon below
    std::vector<float> saved;
    float* g = ps.grads();
    for (const ParamInfo& p : ps.infos())
      if (uses_muon(p)) {
        saved.insert(saved.end(), g + p.offset, g + p.offset + p.shape.numel());
      }
    std::vector<float> w_before;  // AdamW must not touch Muon params either
    const float* w0 = ps.values();
    for (const ParamInfo& p : ps.infos())
      if (uses_muon(p)) w_before.insert(w_before.end(), w0 + p.offset, w0 + p.offset + p.shape.numel());
    adamw.step(ps, adam_lr);
    float* w = ps.values();
    size_t k = 0, kw = 0;
    for (const ParamInfo& p : ps.infos()) {
      if (!uses_muon(p)) continue;
      const int64_t R = p.shape[0], C = p.shape[1], n = R * C;
      std::copy(w_before.begin() + kw, w_before.begin() + kw + n, w + p.offset);
      kw += size_t(n);
      float* mm = m.data() + p.offset;
      MatR<float> G(R, C);
      for (int64_t i = 0; i < n; i++) {
        const float gi = saved[k + size_t(i)];
        mm[i] = momentum * mm[i] + gi;
        G.data()[i] = gi + momentum * mm[i];  // Nesterov
      }
      k += size_t(n);
      MatR<float> O = newton_schulz(G);
      const float s = std::sqrt(std::max(1.f, float(R) / float(C)));
      for (int64_t i = 0; i < n; i++) w[p.offset + i] -= lr * (s * O.data()[i] + weight_decay * w[p.offset + i]);
    }
  }
  static MatR<float> newton_schulz(const MatR<float>& G) {
    const float a = 3.4445f, b = -4.7750f, c = 2.0315f;
    const bool tall = G.rows() > G.cols();
    MatR<float> X = tall ? MatR<float>(G.transpose()) : G;
    X /= (X.norm() + 1e-7f);
    for (int it = 0; it < 5; it++) {
      MatR<float> A = X * X.transpose();
      MatR<float> B = b * A + c * A * A;
      X = a * X + B * X;
    }
    return tall ? MatR<float>(X.transpose()) : X;
  }
};

}  // namespace llm
