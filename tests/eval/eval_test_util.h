// Shared fixtures of the eval tests: a small BPE (with the chat specials) and tiny models.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/model/transformer.h"
#include "core/tensor/ops.h"
#include "core/tokenizer/bpe.h"
#include "core/train/adamw.h"
#include "core/util/rng.h"

namespace llm {
namespace evaltest {

// byte-level BPE with the default specials (<|endoftext|>, <|pad|>, <|im_start|>, <|im_end|>)
inline const BpeTokenizer& tok() {
  static const BpeTokenizer t = [] {
    BpeTrainOptions opt;
    opt.vocab_size = 300;
    std::string text;
    for (int i = 0; i < 20; i++)
      text += "Question: What is 7 + 5?\nAnswer: 12. The cat sat on the mat. Question: which is right?\n";
    return BpeTokenizer::train(text, opt);
  }();
  return t;
}

inline ModelConfig tiny_cfg(int vocab) {
  ModelConfig c;
  c.dim = 32;
  c.n_layers = 2;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.vocab_size = vocab;
  c.max_seq_len = 64;
  return c;
}

// every parameter N(0, std) (norm weights around 1): peaked logits, stable argmax
inline std::unique_ptr<Transformer<float>> random_model(const ModelConfig& c, uint64_t seed, double std = 0.3) {
  auto m = std::make_unique<Transformer<float>>(c);
  Rng rng(seed);
  for (const ParamInfo& p : m->params.infos()) {
    float* d = m->params.values() + p.offset;
    const bool norm = p.name.find("norm") != std::string::npos;
    for (int64_t i = 0; i < p.shape.numel(); i++) d[i] = float(norm ? 1.0 + 0.1 * rng.normal() : std * rng.normal());
  }
  return m;
}

// AdamW on full sequences (next-token loss on every position) until the model has memorized them
inline void memorize(Transformer<float>& m, const std::vector<std::vector<int32_t>>& seqs, int steps, float lr = 3e-3f) {
  AdamWConfig ac;
  ac.weight_decay = 0.f;
  AdamW opt(ac);
  Graph<float> g;
  for (int s = 0; s < steps; s++) {
    for (const std::vector<int32_t>& q : seqs) {
      const int T = int(q.size()) - 1;
      g.reset();
      m.params.zero_grad();
      std::vector<int32_t> x(q.begin(), q.end() - 1), y(q.begin() + 1, q.end());
      TensorT<float> loss = cross_entropy(g, m.forward(g, x.data(), 1, T), y.data());
      g.backward(loss);
      opt.step(m.params, lr);
    }
  }
}

}  // namespace evaltest
}  // namespace llm
