#include "core/eval/loglik.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <tuple>

#include "core/tensor/ops.h"
#include "core/util/ignore_index.h"

namespace llm {

std::pair<size_t, size_t> fit_pair(size_t n_ctx, size_t n_cont, size_t budget) {
  if (n_ctx + n_cont <= budget) return {n_ctx, n_cont};
  const size_t cont = std::min(n_cont, std::max(budget > n_ctx ? budget - n_ctx : 0, budget / 2));
  return {std::min(n_ctx, budget - cont), cont};
}

std::vector<LoglikScore> score_continuations(Transformer<float>& m, const std::vector<LoglikRequest>& reqs,
                                             const LoglikOptions& opt) {
  const int maxT = m.cfg.max_seq_len;
  // the tokens each request actually feeds: (context kept from the left, continuation kept)
  std::vector<size_t> ctx_keep(reqs.size()), cont_keep(reqs.size());
  for (size_t i = 0; i < reqs.size(); i++) {
    const LoglikRequest& r = reqs[i];
    if (r.context.empty()) throw std::runtime_error("score_continuations: request " + std::to_string(i) + " has an empty context");
    if (r.continuation.empty())
      throw std::runtime_error("score_continuations: request " + std::to_string(i) + " has an empty continuation");
    const size_t budget = size_t(maxT) + 1;
    if (!opt.cut_long && r.continuation.size() + 1 > budget)
      throw std::runtime_error("score_continuations: request " + std::to_string(i) + " has a continuation of " +
                               std::to_string(r.continuation.size()) + " tokens, more than the model's context of " +
                               std::to_string(maxT));
    std::tie(ctx_keep[i], cont_keep[i]) =
        opt.cut_long ? fit_pair(r.context.size(), r.continuation.size(), budget)
                     : std::make_pair(std::min(r.context.size(), budget - r.continuation.size()), r.continuation.size());
  }
  // longest first: rows of similar length share a batch, so little padding is computed
  std::vector<size_t> order(reqs.size());
  std::iota(order.begin(), order.end(), size_t(0));
  auto len = [&](size_t i) { return ctx_keep[i] + cont_keep[i] - 1; };  // inputs fed
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return len(a) > len(b); });

  std::vector<LoglikScore> out(reqs.size());
  Graph<float> g;
  g.grad_enabled = false;
  std::vector<int32_t> x, y;  // (B*T) inputs and targets
  size_t done = 0;
  for (size_t s = 0; s < order.size();) {
    const int T = int(len(order[s]));  // the batch's padded length is its first (longest) row
    const int B = int(std::max<size_t>(1, std::min(order.size() - s, size_t(std::max(1, opt.batch_tokens / T)))));
    x.assign(size_t(B) * T, 0);
    y.assign(size_t(B) * T, kIgnoreIndex);
    for (int b = 0; b < B; b++) {
      const LoglikRequest& r = reqs[order[s + b]];
      const size_t keep = ctx_keep[order[s + b]];
      // the row: last `keep` context tokens then the continuation; inputs are row[0..L-2]
      std::vector<int32_t> row(r.context.end() - long(keep), r.context.end());
      row.insert(row.end(), r.continuation.begin(), r.continuation.begin() + long(cont_keep[order[s + b]]));
      for (size_t t = 0; t + 1 < row.size(); t++) {
        x[size_t(b) * T + t] = row[t];
        if (t + 1 >= keep) y[size_t(b) * T + t] = row[t + 1];  // target t+1 is a continuation token
      }
    }
    g.reset();
    const TensorT<float> lp = token_logprobs(g, m.forward(g, x.data(), B, T), y.data());  // (B*T)
    for (int b = 0; b < B; b++) {
      LoglikScore& sc = out[order[s + b]];
      for (int t = 0; t < T; t++)
        if (y[size_t(b) * T + t] != kIgnoreIndex) sc.sum += double(lp.data[size_t(b) * T + t]), sc.n_tokens++;
    }
    s += size_t(B);
    done += size_t(B);
    if (opt.progress) opt.progress(done, reqs.size());
  }
  return out;
}

std::vector<double> batch_row_losses(Transformer<float>& m, const int32_t* x, const int32_t* y, int B, int T) {
  Graph<float> g;
  g.grad_enabled = false;
  const TensorT<float> lp = token_logprobs(g, m.forward(g, x, B, T), y);  // (B*T)
  std::vector<double> out(static_cast<size_t>(B));
  for (int b = 0; b < B; b++) {
    double s = 0;
    int n = 0;
    for (int t = 0; t < T; t++)
      if (y[size_t(b) * T + t] != kIgnoreIndex) s -= double(lp.data[size_t(b) * T + t]), n++;
    out[size_t(b)] = n ? s / n : NAN;
  }
  return out;
}

std::vector<double> window_losses(Transformer<float>& m, const std::vector<int32_t>& ids, int T, int B,
                                  int64_t max_windows, const std::function<void(size_t, size_t)>& progress) {
  if (T < 1 || T > m.cfg.max_seq_len)
    throw std::runtime_error("window_losses: window of " + std::to_string(T) + " tokens, the model takes 1.." +
                             std::to_string(m.cfg.max_seq_len));
  if (B < 1) throw std::runtime_error("window_losses: batch must be >= 1");
  const int64_t avail = ids.size() > size_t(T) ? int64_t((ids.size() - 1) / size_t(T)) : 0;
  const int64_t nw = std::min(avail, max_windows);
  std::vector<double> out;
  out.reserve(size_t(nw));
  std::vector<int32_t> x, y;  // (b*T)
  for (int64_t w = 0; w < nw;) {
    const int b = int(std::min<int64_t>(B, nw - w));
    x.clear(), y.clear();
    for (int i = 0; i < b; i++) {
      const size_t p = size_t(w + i) * size_t(T);
      x.insert(x.end(), ids.begin() + long(p), ids.begin() + long(p + T));
      y.insert(y.end(), ids.begin() + long(p + 1), ids.begin() + long(p + T + 1));
    }
    for (double l : batch_row_losses(m, x.data(), y.data(), b, T)) out.push_back(l);
    w += b;
    if (progress) progress(size_t(w), size_t(nw));
  }
  return out;
}

}  // namespace llm
