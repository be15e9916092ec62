// The int8 model (weight-only, per group of input columns): logits close to fp32, greedy choices
// mostly the same, a quarter of the weight memory, and the paged engine runs it unchanged.
#include <gtest/gtest.h>

#include <cmath>

#include "core/infer/engine.h"
#include "tests/infer/infer_test_util.h"

using namespace llm;
using namespace llm::testutil;

namespace {

ModelConfig int8_cfg() {
  ModelConfig c = tiny_cfg("rope", 4, 2);
  c.dim = 64;  // group 64 divides every matrix's input width (64 and the 192-wide ffn)
  c.ffn_hidden = 192;
  c.vocab_size = 97;
  return c;
}

struct Cmp {
  double max_rel = 0;  // max |l8 - l32| / max |l32| over all rows
  double agree = 0;    // fraction of positions whose argmax is the same
};

Cmp compare(const std::vector<float>& a, const std::vector<float>& ref, int V) {
  Cmp c;
  double d = 0, m = 0;
  int same = 0;
  const size_t rows = ref.size() / size_t(V);
  for (size_t r = 0; r < rows; r++) {
    int ia = 0, ib = 0;
    for (int j = 0; j < V; j++) {
      const size_t i = r * size_t(V) + size_t(j);
      d = std::max(d, double(std::fabs(a[i] - ref[i])));
      m = std::max(m, double(std::fabs(ref[i])));
      if (a[i] > a[r * size_t(V) + size_t(ia)]) ia = j;
      if (ref[i] > ref[r * size_t(V) + size_t(ib)]) ib = j;
    }
    same += ia == ib;
  }
  c.max_rel = d / m;
  c.agree = double(same) / double(rows);
  return c;
}

}  // namespace

TEST(Int8Model, LogitsCloseToFp32AndGreedyMostlyEqual) {
  ModelConfig c = int8_cfg();
  auto t = random_model(c, 17, 0.1);
  InferModel fp(*t);
  std::vector<int32_t> toks = random_tokens(c.max_seq_len, c.vocab_size, 3);
  std::vector<float> ref = fp.forward_full(toks);
  struct Case {
    const char* name;
    InferOptions o;
  };
  InferOptions g64, chan, q8q8;
  g64.quantize_int8 = true;
  chan.quantize_int8 = true;
  chan.quant_group = 0;  // 0 (or a group that does not divide the width): one scale per output row
  q8q8.quantize_int8 = true;
  q8q8.int8_activations = true;
  for (const Case& k : {Case{"int8 group 64 x fp32", g64}, Case{"int8 per-channel x fp32", chan},
                        Case{"int8 group 64 x int8", q8q8}}) {
    SCOPED_TRACE(k.name);
    InferModel q(*t, k.o);
    EXPECT_LT(q.weight_bytes() * 3, fp.weight_bytes()) << "int8 weights should take ~1/4 of fp32";
    Cmp cmp = compare(q.forward_full(toks), ref, c.vocab_size);
    EXPECT_LT(cmp.max_rel, 0.05);
    EXPECT_GT(cmp.agree, 0.9);
    // the cache path of the int8 model equals its own full forward
    KVCache cache(c);
    std::vector<float> inc = cache.forward(q, toks.data(), 20);
    std::vector<float> rest = cache.forward(q, toks.data() + 20, c.max_seq_len - 20);
    inc.insert(inc.end(), rest.begin(), rest.end());
    Cmp self = compare(inc, q.forward_full(toks), c.vocab_size);
    EXPECT_LT(self.max_rel, 1e-5);
    // free-running greedy text: common prefix with fp32
    KVCache c8(c), c32(c);
    std::vector<int32_t> prompt(toks.begin(), toks.begin() + 8);
    std::vector<int32_t> g8 = greedy_decode(q, c8, prompt, 40), g32 = greedy_decode(fp, c32, prompt, 40);
    size_t common = 0;
    while (common < g8.size() && g8[common] == g32[common]) common++;
    std::printf("  %-26s weights %zu vs %zu bytes, max rel logit error %.4f, argmax agreement %.3f, "
                "greedy common prefix %zu/40\n",
                k.name, q.weight_bytes(), fp.weight_bytes(), cmp.max_rel, cmp.agree, common);
  }
}

TEST(Int8Model, TiedHeadGeluAndTheEngineRunQuantized) {
  ModelConfig c = int8_cfg();
  c.pos = "learned";
  c.norm = "layernorm";
  c.ffn = "gelu_mlp";
  c.bias = true;
  c.tie_embeddings = true;
  auto t = random_model(c, 23, 0.1);
  InferOptions o;
  o.quantize_int8 = true;
  auto q = std::make_shared<InferModel>(*t, o);
  InferModel fp(*t);
  std::vector<int32_t> toks = random_tokens(40, c.vocab_size, 9);
  Cmp cmp = compare(q->forward_full(toks), fp.forward_full(toks), c.vocab_size);
  EXPECT_LT(cmp.max_rel, 0.05);
  EXPECT_GT(cmp.agree, 0.85);

  EngineConfig ec;
  ec.block_size = 8;
  ec.num_blocks = 32;
  Engine e(q, ec);
  SamplingParams sp;
  sp.temperature = 0.f;
  sp.max_tokens = 12;
  std::vector<int32_t> prompt(toks.begin(), toks.begin() + 10);
  const int64_t id = e.add_request(prompt, sp);
  std::vector<int32_t> got;
  while (e.has_work())
    for (const GenerationEvent& ev : e.step())
      if (ev.request_id == id && ev.token >= 0) got.push_back(ev.token);
  KVCache cache(c);
  EXPECT_EQ(got, greedy_decode(*q, cache, prompt, 12));
}

#include "core/eval/loglik.h"

namespace {

// window_row_losses (llm eval ppl --quantize): fp32 equals the training forward's losses, int8
// stays close, ignored targets are skipped
TEST(Int8Model, WindowRowLossesMatchTheTrainingForward) {
  const ModelConfig c = int8_cfg();
  auto m = random_model(c, 23, 0.1);
  const int B = 3, T = 12;
  std::vector<int32_t> x(size_t(B) * T), y(x.size());
  for (size_t i = 0; i < x.size(); i++) x[i] = int32_t((i * 37 + 5) % size_t(c.vocab_size));
  for (size_t i = 0; i < y.size(); i++) y[i] = int32_t((i * 11 + 3) % size_t(c.vocab_size));
  y[2] = -100;
  const std::vector<double> ref = batch_row_losses(*m, x.data(), y.data(), B, T);
  const std::vector<double> f32 = window_row_losses(InferModel(*m), x.data(), y.data(), B, T);
  InferOptions q;
  q.quantize_int8 = true;
  const std::vector<double> i8 = window_row_losses(InferModel(*m, q), x.data(), y.data(), B, T);
  ASSERT_EQ(f32.size(), size_t(B));
  for (int b = 0; b < B; b++) {
    EXPECT_NEAR(f32[size_t(b)], ref[size_t(b)], 1e-4 * ref[size_t(b)]) << b;
    EXPECT_NEAR(i8[size_t(b)], ref[size_t(b)], 0.02 * ref[size_t(b)]) << b;
    EXPECT_NE(i8[size_t(b)], f32[size_t(b)]) << "int8 weights must change something";
  }
  y[0] = c.vocab_size;
  EXPECT_THROW(window_row_losses(InferModel(*m), x.data(), y.data(), B, T), std::runtime_error);
}

}  // namespace

// `llm eval --quantize` scores log-likelihood tasks with the training forward on int8-rounded
// weights: that model must be the int8 InferModel (same weights, same groups), up to float
// summation order, and must differ from fp32 (else the rounding did nothing).
TEST(Int8Model, RoundedTrainingWeightsEqualTheInt8InferModel) {
  for (int group : {64, 0}) {
    SCOPED_TRACE(group);
    ModelConfig c = int8_cfg();
    auto t = random_model(c, 21, 0.1);
    std::vector<int32_t> toks = random_tokens(c.max_seq_len, c.vocab_size, 5);
    InferOptions o;
    o.quantize_int8 = true;
    o.quant_group = group;
    const std::vector<float> q = InferModel(*t, o).forward_full(toks);
    const std::vector<float> fp = InferModel(*t).forward_full(toks);
    round_weights_to_int8(*t, group);
    // fp32 kernels on the rounded weights (the fp32 InferModel equals the training forward: test_kv_cache)
    const std::vector<float> rounded = InferModel(*t).forward_full(toks);
    EXPECT_LT(compare(rounded, q, c.vocab_size).max_rel, 1e-5);
    EXPECT_GT(compare(fp, q, c.vocab_size).max_rel, 1e-3);
  }
}
