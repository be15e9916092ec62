// Helpers of the alignment gradient tests: a tiny double-precision model, a small BPE tokenizer
// with the chat specials, and a finite-difference check of every value in a ParamStore.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

#include "core/model/transformer.h"
#include "core/tokenizer/bpe.h"

namespace llm::aligntest {

inline ModelConfig tiny_cfg() {
  ModelConfig c;
  c.dim = 8;
  c.n_layers = 2;
  c.n_heads = 2;
  c.n_kv_heads = 1;
  c.vocab_size = 13;
  c.max_seq_len = 12;
  c.ffn_hidden = 12;
  c.init_std = 0.3;
  return c;
}

// GPT-2 init plus noise on every parameter (norm weights too) so no gradient is trivially zero
template <class T>
void randomize(Transformer<T>& m, uint64_t seed) {
  m.init(seed);
  Rng r(seed + 1);
  for (size_t i = 0; i < m.params.size(); i++) m.params.values()[i] += T(0.05 * r.normal());
}

// loss(backward) runs a fresh graph, returns the loss and, when backward, accumulates the analytic
// gradient into the store's grads. Every value of the store is checked against central
// differences; scale floor 1e-3 so exactly-zero gradients do not divide noise by ~0.
inline double check_store(ParamStore<double>& ps, const std::function<double(bool)>& loss, const std::string& what,
                          double tol = 1e-6, size_t stride = 1) {
  ps.zero_grad();
  loss(true);
  std::vector<double> analytic(ps.grads(), ps.grads() + ps.size());
  double worst = 0;
  double* w = ps.values();
  for (const ParamInfo& p : ps.infos()) {
    double max_abs = 1e-3;
    for (size_t i = 0; i < size_t(p.shape.numel()); i++) max_abs = std::max(max_abs, std::abs(analytic[p.offset + i]));
    for (size_t i = 0; i < size_t(p.shape.numel()); i += stride) {
      const size_t j = p.offset + i;
      const double x0 = w[j], e = 1e-6;
      w[j] = x0 + e;
      const double lp = loss(false);
      w[j] = x0 - e;
      const double lm = loss(false);
      w[j] = x0;
      const double err = std::abs((lp - lm) / (2 * e) - analytic[j]) / max_abs;
      worst = std::max(worst, err);
      EXPECT_LE(err, tol) << what << ": " << p.name << "[" << i << "] analytic " << analytic[j] << " fd "
                          << (lp - lm) / (2 * e);
    }
  }
  return worst;
}

// a small byte-level BPE with the default specials (<|endoftext|>, <|pad|>, <|im_start|>, <|im_end|>)
inline const BpeTokenizer& chat_tokenizer() {
  static const BpeTokenizer t = [] {
    BpeTrainOptions opt;
    opt.vocab_size = 300;
    std::string text;
    for (int i = 0; i < 20; i++)
      text += "user: hello there, how are you? assistant: I am fine, thank you. The cat sat on the mat. 12 + 7 = 19\n";
    return BpeTokenizer::train(text, opt);
  }();
  return t;
}

}  // namespace llm::aligntest
