// Checks of the bf16 linears (core/infer/gemm_bf16.h) under whichever kernel is switched on:
// tests/infer runs them on the portable loop, tests/native/test_amx.cpp again on AMX tiles.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/infer/engine.h"
#include "core/infer/gemm_bf16.h"
#include "core/tensor/bf16.h"
#include "tests/infer/infer_test_util.h"

namespace llm {
namespace testutil {

// matmul_bf16 equals the plain reference (bit for bit when `exact`, the portable loop; AMX sums a
// 32-column step in its own order: within 1e-6 of the sum of |products|), for ragged shapes
// (padding rows and columns) and batch sizes around the 16-row tile, and every row of a batch
// equals that row alone bit for bit.
inline void check_bf16_kernel(bool exact) {
  const std::pair<int64_t, int64_t> shapes[] = {{37, 45}, {16, 32}, {64, 288}, {100, 70}, {130, 768}, {4096 + 5, 64}};
  for (auto [rows, cols] : shapes) {
    std::vector<float> w = randn(size_t(rows * cols), uint64_t(rows * 7 + cols));
    const Bf16Matrix m = pack_bf16(w.data(), rows, cols);
    std::vector<float> wabs(w.size());
    for (size_t i = 0; i < w.size(); i++) wabs[i] = std::fabs(w[i]);
    const Bf16Matrix mabs = pack_bf16(wabs.data(), rows, cols);
    ASSERT_EQ(m.rows_p % 16, 0);
    ASSERT_EQ(m.cols_p % 32, 0);
    std::vector<float> row(static_cast<size_t>(cols));
    for (int64_t r : {int64_t(0), rows / 2, rows - 1}) {
      bf16_row(m, r, row.data());
      for (int64_t c = 0; c < cols; c++) ASSERT_EQ(row[size_t(c)], round_bf16(w[size_t(r * cols + c)])) << r << "," << c;
    }
    for (int64_t N : {1, 2, 15, 16, 17, 33}) {
      SCOPED_TRACE(std::to_string(rows) + "x" + std::to_string(cols) + " N=" + std::to_string(N));
      std::vector<float> x = randn(size_t(N * cols), uint64_t(N * 13 + cols));
      std::vector<float> y(size_t(N * rows), -1.f), ref(y.size(), -2.f), one(static_cast<size_t>(rows));
      matmul_bf16(x.data(), N, m, y.data());
      matmul_bf16_ref(x.data(), N, m, ref.data());
      std::vector<float> xabs(x.size()), mag(y.size());
      for (size_t i = 0; i < x.size(); i++) xabs[i] = std::fabs(x[i]);
      matmul_bf16_ref(xabs.data(), N, mabs, mag.data());  // sum of |products| per output
      size_t bad = 0, differ = 0;
      for (size_t i = 0; i < y.size(); i++) {
        differ += std::memcmp(&y[i], &ref[i], sizeof(float)) != 0;
        bad += !(std::fabs(double(y[i]) - double(ref[i])) <= 1e-6 * double(mag[i]));
      }
      EXPECT_EQ(bad, 0u) << "outputs off the reference chain by more than 1e-6 of the sum of |products|";
      if (exact) EXPECT_EQ(differ, 0u) << "the portable loop must be the reference chain bit for bit";
      const int64_t n = N - 1;  // the last row, decoded alone
      matmul_bf16(x.data() + n * cols, 1, m, one.data());
      EXPECT_EQ(0, std::memcmp(one.data(), y.data() + n * rows, size_t(rows) * sizeof(float)));
    }
  }
}

// The bf16 InferModel: logits near fp32, half the linear bytes, its cache path equal to its own
// full forward, and the paged engine's batched greedy output equal to each request decoded
// alone in a contiguous cache, token for token.
inline void check_bf16_model(bool tied) {
  ModelConfig c = tiny_cfg("rope", 4, 2);
  c.tie_embeddings = tied;
  auto t = random_model(c, tied ? 41 : 42, 0.3);
  InferOptions o;
  o.bf16 = true;
  auto bf = std::make_shared<InferModel>(*t, o);
  InferModel fp(*t);
  EXPECT_LT(bf->weight_bytes(), fp.weight_bytes() * 3 / 4);
  const std::vector<int32_t> toks = random_tokens(c.max_seq_len, c.vocab_size, 3);
  const std::vector<float> ref = fp.forward_full(toks), got = bf->forward_full(toks);
  double d = 0, mx = 0;
  int same = 0;
  const int V = c.vocab_size;
  for (size_t r = 0; r < toks.size(); r++) {
    const float* a = got.data() + r * size_t(V);
    const float* b = ref.data() + r * size_t(V);
    for (int j = 0; j < V; j++) d = std::max(d, double(std::fabs(a[j] - b[j]))), mx = std::max(mx, double(std::fabs(b[j])));
    same += std::max_element(a, a + V) - a == std::max_element(b, b + V) - b;
  }
  EXPECT_LT(d / mx, 0.05) << "bf16 logits too far from fp32";
  EXPECT_GT(d / mx, 0.0) << "bf16 rounding changed nothing";
  EXPECT_GT(double(same) / double(toks.size()), 0.85);
  KVCache cache(c);
  std::vector<float> inc = cache.forward(*bf, toks.data(), 20);
  std::vector<float> rest = cache.forward(*bf, toks.data() + 20, c.max_seq_len - 20);
  inc.insert(inc.end(), rest.begin(), rest.end());
  double e = 0;
  for (size_t i = 0; i < inc.size(); i++) e = std::max(e, double(std::fabs(inc[i] - got[i])));
  EXPECT_LT(e / mx, 1e-5);

  EngineConfig ec;
  ec.block_size = 4;
  ec.num_blocks = 64;
  ec.max_num_seqs = 8;
  ec.max_batched_tokens = 24;
  Engine eng(bf, ec);
  SamplingParams sp;
  sp.temperature = 0.f;
  const int lens[] = {1, 17, 30, 9, 4};
  std::vector<std::vector<int32_t>> prompts;
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; i++) {
    prompts.push_back(random_tokens(lens[i], V, 200 + uint64_t(i)));
    sp.max_tokens = 10 + 4 * i;
    ids.push_back(eng.add_request(prompts.back(), sp));
  }
  std::vector<std::vector<int32_t>> outs(5);
  while (eng.has_work())
    for (const GenerationEvent& ev : eng.step())
      for (int i = 0; i < 5; i++)
        if (ev.request_id == ids[size_t(i)] && ev.token >= 0) outs[size_t(i)].push_back(ev.token);
  for (int i = 0; i < 5; i++) {
    KVCache alone(c);
    EXPECT_EQ(outs[size_t(i)], greedy_decode(*bf, alone, prompts[size_t(i)], 10 + 4 * i)) << "request " << i;
  }
}

}  // namespace testutil
}  // namespace llm
