// Log-likelihood of continuations under the model: the primitive behind multiple choice, the
// log-prob preference scorers and perplexity. No-grad forwards of Transformer<float> and the
// token_logprobs op (core/tensor/ops.h), so the numbers are exactly the ones training optimizes.
//
// A request is a context c_1..c_m and a continuation x_1..x_k. Its score is
//   sum_i log p(x_i | c, x_<i)        (token i is scored by the logits at the position before it)
// Requests run in batches of right-padded rows (causal attention: padding after a row's last
// token cannot change its logits); pad targets are kIgnoreIndex.
#pragma once
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "core/model/transformer.h"

namespace llm {

struct LoglikRequest {
  std::vector<int32_t> context;       // (m) m >= 1: the first continuation token needs a position before it
  std::vector<int32_t> continuation;  // (k) k >= 1
};

struct LoglikScore {
  double sum = 0;    // sum of the continuation's token log-probs
  int n_tokens = 0;  // k (after truncation, always the whole continuation)
  double mean() const { return n_tokens ? sum / n_tokens : 0.0; }
};

struct LoglikOptions {
  int batch_tokens = 2048;  // rows * padded length per forward (bounds the (rows*T, V) logits)
  // a request longer than the context is cut by fit_pair (true) or rejected with an error (false)
  bool cut_long = true;
  // called after each batch with (requests done, total)
  std::function<void(size_t, size_t)> progress;
};

// What fits of a (context, continuation) pair in `budget` tokens, as (context kept, continuation
// kept): the continuation keeps its FIRST tokens, at most max(budget - n_ctx, budget / 2) of them
// (the DPO code cuts replies the same way; a huge prompt cannot squeeze the reply below half the
// budget), then the context keeps its LAST tokens (the most recent context matters most).
std::pair<size_t, size_t> fit_pair(size_t n_ctx, size_t n_cont, size_t budget);

// Scores every request. A row feeds at most max_seq_len inputs, so context + continuation must
// fit max_seq_len + 1 tokens: longer requests are cut by fit_pair (cut_long; LoglikScore::n_tokens
// then says how many continuation tokens were scored) or throw std::runtime_error naming the
// request index. An empty context or continuation throws.
std::vector<LoglikScore> score_continuations(Transformer<float>& m, const std::vector<LoglikRequest>& reqs,
                                             const LoglikOptions& opt = {});

// Mean next-token loss (nats) of each window of a token stream: windows are non-overlapping
// runs of T + 1 tokens (T inputs, T targets) starting at 0, T, 2T, ... as in `llm eval ppl`;
// at most max_windows of them; B windows per forward. (n_windows) values.
std::vector<double> window_losses(Transformer<float>& m, const std::vector<int32_t>& ids, int T, int B,
                                  int64_t max_windows = INT64_MAX,
                                  const std::function<void(size_t, size_t)>& progress = nullptr);
// The same for one ready batch: x, y (B*T), targets may hold kIgnoreIndex -> (B) mean loss per row
// over its non-ignored targets (NaN for a row with none).
std::vector<double> batch_row_losses(Transformer<float>& m, const int32_t* x, const int32_t* y, int B, int T);

}  // namespace llm
