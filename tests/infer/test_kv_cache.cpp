// KV cache correctness: for every position-encoding / attention variant, the logits of the
// contiguous cache fed in uneven chunks, the no-cache forward_full and the training forward
// (Transformer<float>::forward through a Graph) agree at every position.
#include <gtest/gtest.h>

#include <cmath>

#include "core/infer/infer_model.h"
#include "tests/infer/infer_test_util.h"

using namespace llm;
using namespace llm::testutil;

namespace {

// max |a - b| / max(1, max |b|)
double rel_err(const float* a, const float* b, size_t n) {
  double d = 0, m = 1;
  for (size_t i = 0; i < n; i++) {
    d = std::max(d, double(std::fabs(a[i] - b[i])));
    m = std::max(m, double(std::fabs(b[i])));
  }
  return d / m;
}

std::vector<float> graph_logits(Transformer<float>& m, const std::vector<int32_t>& toks) {
  Graph<float> g;
  g.grad_enabled = false;
  Tensor out = m.forward(g, toks.data(), 1, int(toks.size()));
  return std::vector<float>(out.data, out.data + out.numel());
}

struct Variant {
  const char* name;
  ModelConfig cfg;
};

std::vector<Variant> variants() {
  std::vector<Variant> v;
  v.push_back({"rope_gqa", tiny_cfg("rope", 4, 2)});
  v.push_back({"rope_mqa", tiny_cfg("rope", 4, 1)});
  v.push_back({"rope_mha", tiny_cfg("rope", 4, 4)});
  ModelConfig al = tiny_cfg("alibi", 6, 3);  // 6 heads: the non-power-of-two slope rule
  al.dim = 48;
  v.push_back({"alibi_gqa", al});
  v.push_back({"learned", tiny_cfg("learned", 4, 4)});
  v.push_back({"sinusoidal_mqa", tiny_cfg("sinusoidal", 4, 1)});
  v.push_back({"none", tiny_cfg("none", 2, 2)});
  ModelConfig gpt = tiny_cfg("learned", 4, 4);
  gpt.norm = "layernorm";
  gpt.ffn = "gelu_mlp";
  gpt.bias = true;
  gpt.tie_embeddings = true;
  v.push_back({"gpt2_layernorm_gelu_bias_tied", gpt});
  ModelConfig qw = tiny_cfg("rope", 4, 2);
  qw.norm = "qwen2_rmsnorm";
  qw.bias = true;  // Qwen2-style q/k/v biases (here on every linear)
  v.push_back({"qwen2_rmsnorm_bias", qw});
  return v;
}

}  // namespace

TEST(KVCache, EveryPositionMatchesFullForwardForAllVariants) {
  for (const Variant& var : variants()) {
    SCOPED_TRACE(var.name);
    auto model = random_model(var.cfg, 7);
    InferModel im(*model);
    const int T = 37, V = var.cfg.vocab_size;
    std::vector<int32_t> toks = random_tokens(T, V, 11);

    std::vector<float> ref = graph_logits(*model, toks);  // (T, V) training forward
    std::vector<float> full = im.forward_full(toks);      // (T, V)
    ASSERT_EQ(full.size(), ref.size());
    const double e_full = rel_err(full.data(), ref.data(), ref.size());
    EXPECT_LT(e_full, 1e-5);

    // incremental, uneven chunks: 1, 5, 2, 13, 1, 1, ... every row compared
    KVCache cache(var.cfg);
    const int chunks[] = {1, 5, 2, 13, 1, 1, 7, 3, 4};
    int at = 0;
    double e_inc = 0;
    for (int ch : chunks) {
      ch = std::min(ch, T - at);
      if (ch <= 0) break;
      std::vector<float> lg = cache.forward(im, toks.data() + at, ch);  // (ch, V)
      ASSERT_EQ(lg.size(), size_t(ch) * V);
      e_inc = std::max(e_inc, rel_err(lg.data(), ref.data() + size_t(at) * V, lg.size()));
      at += ch;
    }
    ASSERT_EQ(at, T);
    EXPECT_EQ(cache.length(), T);
    EXPECT_LT(e_inc, 1e-5);

    // last_only gives exactly the last row of a one-shot prefill
    KVCache c2(var.cfg);
    std::vector<float> last = c2.forward(im, toks.data(), T, true);
    ASSERT_EQ(last.size(), size_t(V));
    EXPECT_LT(rel_err(last.data(), ref.data() + size_t(T - 1) * V, size_t(V)), 1e-5);
    std::printf("  %-32s full %.2e incremental %.2e\n", var.name, e_full, e_inc);
  }
}

TEST(KVCache, DecodeOneTokenAtATimeMatchesAndClearRestarts) {
  ModelConfig c = tiny_cfg("rope", 4, 2);
  auto model = random_model(c, 3);
  InferModel im(*model);
  std::vector<int32_t> toks = random_tokens(c.max_seq_len, c.vocab_size, 5);  // the whole context
  std::vector<float> ref = graph_logits(*model, toks);
  KVCache cache(c);
  for (int round = 0; round < 2; round++) {  // second round after clear() reuses the slab
    cache.clear();
    double e = 0;
    for (int t = 0; t < c.max_seq_len; t++) {
      const float* lg = cache.forward_last(im, &toks[size_t(t)], 1);
      e = std::max(e, rel_err(lg, ref.data() + size_t(t) * c.vocab_size, size_t(c.vocab_size)));
    }
    EXPECT_LT(e, 1e-5) << "round " << round;
  }
}

TEST(KVCache, ErrorsAreClearAndLeaveTheCacheUsable) {
  ModelConfig c = tiny_cfg();
  auto model = random_model(c, 1);
  InferModel im(*model);
  KVCache cache(c);
  std::vector<int32_t> toks = random_tokens(c.max_seq_len, c.vocab_size, 2);
  cache.forward(im, toks.data(), c.max_seq_len - 1);
  int32_t bad = c.vocab_size;
  try {
    cache.forward(im, &bad, 1);
    FAIL() << "out-of-vocabulary token accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("vocabulary"), std::string::npos) << e.what();
  }
  EXPECT_EQ(cache.length(), c.max_seq_len - 1);
  try {
    cache.forward(im, toks.data(), 2);
    FAIL() << "overflow accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("max_seq_len"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(cache.forward(im, toks.data(), 1));
  EXPECT_EQ(cache.length(), c.max_seq_len);

  ModelConfig other = c;
  other.n_layers = 3;
  KVCache wrong(other);
  EXPECT_THROW(wrong.forward(im, toks.data(), 1), std::runtime_error);
}

TEST(KVCache, GreedyDecodeHelperMatchesArgmaxOfFullForward) {
  ModelConfig c = tiny_cfg("learned", 4, 4);
  auto model = random_model(c, 9);
  InferModel im(*model);
  KVCache cache(c);
  std::vector<int32_t> prompt = random_tokens(6, c.vocab_size, 4);
  std::vector<int32_t> out = greedy_decode(im, cache, prompt, 20);
  ASSERT_EQ(out.size(), 20u);
  std::vector<int32_t> seq = prompt;
  for (int i = 0; i < 20; i++) {
    std::vector<float> lg = im.forward_full(seq);
    const float* last = lg.data() + (seq.size() - 1) * c.vocab_size;
    int32_t best = 0;
    for (int j = 1; j < c.vocab_size; j++)
      if (last[j] > last[best]) best = j;
    ASSERT_EQ(out[size_t(i)], best) << "step " << i;
    seq.push_back(best);
  }
  EXPECT_EQ(cache.length(), int(prompt.size()) + 19);
}
