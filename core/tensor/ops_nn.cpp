// embedding, layernorm, rmsnorm, silu, gelu, swiglu, dropout, cross_entropy:
// forward and backward side by side.
#include <cmath>
#include <stdexcept>
#include <string>

#include "core/tensor/eigen_util.h"
#include "core/tensor/ops.h"
#include "core/tensor/parallel.h"

namespace llm {

// ---------------------------------------------------------------- embedding
// w (V, C), ids (N) -> out (N, C)
template <class T>
void embedding_forward(T* out, const T* w, const int32_t* ids, int64_t N, int64_t C) {
  for (int64_t n = 0; n < N; n++)
    for (int64_t c = 0; c < C; c++) out[n * C + c] = w[int64_t(ids[n]) * C + c];
}
template <class T>
void embedding_backward(const T* dout, T* dw, const int32_t* ids, int64_t N, int64_t C) {
  for (int64_t n = 0; n < N; n++)
    for (int64_t c = 0; c < C; c++) dw[int64_t(ids[n]) * C + c] += dout[n * C + c];
}
template <class T>
TensorT<T> embedding(Graph<T>& g, const TensorT<T>& w, const int32_t* ids, int64_t N) {
  const int64_t V = w.rows(), C = w.cols();
  for (int64_t n = 0; n < N; n++)
    if (ids[n] < 0 || ids[n] >= V)
      throw std::runtime_error("embedding: token id " + std::to_string(ids[n]) + " at position " +
                               std::to_string(n) + " is outside the vocabulary [0, " + std::to_string(V) + ")");
  TensorT<T> out = g.tensor({N, C}, g.needs_grad(w));
  embedding_forward(out.data, w.data, ids, N, C);
  if (out.grad) g.record([=] { embedding_backward(out.grad, w.grad, ids, N, C); });
  return out;
}

// ---------------------------------------------------------------- layernorm
// x (N, C) -> out (N, C); saves mean (N) and rstd (N)
template <class T>
void layernorm_forward(T* out, T* mean, T* rstd, const T* x, const T* w, const T* b, int64_t N, int64_t C, T eps) {
  LLM_OMP_FOR_IF(N * C > (1 << 15))
  for (int64_t n = 0; n < N; n++) {
    const T* xr = x + n * C;
    T m = 0, v = 0;
    for (int64_t c = 0; c < C; c++) m += xr[c];
    m /= C;
    for (int64_t c = 0; c < C; c++) v += (xr[c] - m) * (xr[c] - m);
    v /= C;
    const T s = T(1) / std::sqrt(v + eps);
    for (int64_t c = 0; c < C; c++) out[n * C + c] = (xr[c] - m) * s * w[c] + (b ? b[c] : T(0));
    mean[n] = m;
    rstd[n] = s;
  }
}
// dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = dout * w
template <class T>
void layernorm_backward(const T* dout, const T* mean, const T* rstd, const T* x, const T* w, T* dx, T* dw, T* db,
                        int64_t N, int64_t C) {
  for (int64_t n = 0; n < N; n++) {
    const T* xr = x + n * C;
    const T* dr = dout + n * C;
    T sum_d = 0, sum_dx = 0;
    for (int64_t c = 0; c < C; c++) {
      const T xhat = (xr[c] - mean[n]) * rstd[n];
      const T dxhat = dr[c] * w[c];
      sum_d += dxhat;
      sum_dx += dxhat * xhat;
      if (dw) dw[c] += dr[c] * xhat;
      if (db) db[c] += dr[c];
    }
    sum_d /= C;
    sum_dx /= C;
    if (dx)
      for (int64_t c = 0; c < C; c++) {
        const T xhat = (xr[c] - mean[n]) * rstd[n];
        dx[n * C + c] += rstd[n] * (dr[c] * w[c] - sum_d - xhat * sum_dx);
      }
  }
}
template <class T>
TensorT<T> layernorm(Graph<T>& g, const TensorT<T>& x, const TensorT<T>& w, const TensorT<T>* b, T eps) {
  const int64_t N = x.rows(), C = x.cols();
  if (w.numel() != C || (b && b->numel() != C))
    throw std::runtime_error("layernorm: weight " + w.shape.str() + " does not match input " + x.shape.str());
  const bool need = g.needs_grad(x, w) || (b && g.needs_grad(*b));
  TensorT<T> out = g.tensor(x.shape, need);
  T* mean = g.scratch(N);
  T* rstd = g.scratch(N);
  layernorm_forward(out.data, mean, rstd, x.data, w.data, b ? b->data : nullptr, N, C, eps);
  T* db = b ? b->grad : nullptr;
  if (out.grad)
    g.record([=] { layernorm_backward(out.grad, mean, rstd, x.data, w.data, x.grad, w.grad, db, N, C); });
  return out;
}

// ---------------------------------------------------------------- rmsnorm
// out = x * rstd * g, g = w or (1 + w); saves rstd (N)
template <class T>
void rmsnorm_forward(T* out, T* rstd, const T* x, const T* w, int64_t N, int64_t C, T eps, bool plus_one) {
  const T one = plus_one ? T(1) : T(0);
  LLM_OMP_FOR_IF(N * C > (1 << 15))
  for (int64_t n = 0; n < N; n++) {
    const T* xr = x + n * C;
    T ss = 0;
    for (int64_t c = 0; c < C; c++) ss += xr[c] * xr[c];
    const T s = T(1) / std::sqrt(ss / C + eps);
    for (int64_t c = 0; c < C; c++) out[n * C + c] = xr[c] * s * (one + w[c]);
    rstd[n] = s;
  }
}
// dx = rstd * (dxhat - xhat * mean(dxhat * xhat)), dxhat = dout * g
template <class T>
void rmsnorm_backward(const T* dout, const T* rstd, const T* x, const T* w, T* dx, T* dw, int64_t N, int64_t C,
                      bool plus_one) {
  const T one = plus_one ? T(1) : T(0);
  for (int64_t n = 0; n < N; n++) {
    const T* xr = x + n * C;
    const T* dr = dout + n * C;
    T sum_dx = 0;
    for (int64_t c = 0; c < C; c++) {
      const T xhat = xr[c] * rstd[n];
      sum_dx += dr[c] * (one + w[c]) * xhat;
      if (dw) dw[c] += dr[c] * xhat;
    }
    sum_dx /= C;
    if (dx)
      for (int64_t c = 0; c < C; c++) {
        const T xhat = xr[c] * rstd[n];
        dx[n * C + c] += rstd[n] * (dr[c] * (one + w[c]) - xhat * sum_dx);
      }
  }
}
template <class T>
TensorT<T> rmsnorm(Graph<T>& g, const TensorT<T>& x, const TensorT<T>& w, T eps, bool plus_one) {
  const int64_t N = x.rows(), C = x.cols();
  if (w.numel() != C)
    throw std::runtime_error("rmsnorm: weight " + w.shape.str() + " does not match input " + x.shape.str());
  TensorT<T> out = g.tensor(x.shape, g.needs_grad(x, w));
  T* rstd = g.scratch(N);
  rmsnorm_forward(out.data, rstd, x.data, w.data, N, C, eps, plus_one);
  if (out.grad)
    g.record([=] { rmsnorm_backward(out.grad, rstd, x.data, w.data, x.grad, w.grad, N, C, plus_one); });
  return out;
}

// ---------------------------------------------------------------- silu / gelu / swiglu
template <class T>
static inline T sigmoid(T x) { return T(1) / (T(1) + std::exp(-x)); }

template <class T>
void silu_forward(T* out, const T* x, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = x[i] * sigmoid(x[i]);
}
template <class T>
void silu_backward(const T* dout, const T* x, T* dx, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const T s = sigmoid(x[i]);
    dx[i] += dout[i] * s * (T(1) + x[i] * (T(1) - s));
  }
}
template <class T>
TensorT<T> silu(Graph<T>& g, const TensorT<T>& x) {
  TensorT<T> out = g.tensor(x.shape, g.needs_grad(x));
  const int64_t n = x.numel();
  silu_forward(out.data, x.data, n);
  if (out.grad) g.record([=] { silu_backward(out.grad, x.data, x.grad, n); });
  return out;
}

constexpr double kGeluK = 0.7978845608028654;  // sqrt(2/pi)
template <class T>
void gelu_forward(T* out, const T* x, int64_t n) {
  LLM_OMP_FOR_IF(n > (1 << 16))
  for (int64_t i = 0; i < n; i++) {
    const T v = x[i];
    out[i] = T(0.5) * v * (T(1) + std::tanh(T(kGeluK) * (v + T(0.044715) * v * v * v)));
  }
}
template <class T>
void gelu_backward(const T* dout, const T* x, T* dx, int64_t n) {
  LLM_OMP_FOR_IF(n > (1 << 16))
  for (int64_t i = 0; i < n; i++) {
    const T v = x[i];
    const T t = std::tanh(T(kGeluK) * (v + T(0.044715) * v * v * v));
    const T du = T(kGeluK) * (T(1) + T(3 * 0.044715) * v * v);
    dx[i] += dout[i] * (T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t * t) * du);
  }
}
template <class T>
TensorT<T> gelu(Graph<T>& g, const TensorT<T>& x) {
  TensorT<T> out = g.tensor(x.shape, g.needs_grad(x));
  const int64_t n = x.numel();
  gelu_forward(out.data, x.data, n);
  if (out.grad) g.record([=] { gelu_backward(out.grad, x.data, x.grad, n); });
  return out;
}

// out = silu(a) * b
template <class T>
void swiglu_forward(T* out, const T* a, const T* b, int64_t n) {
  LLM_OMP_FOR_IF(n > (1 << 16))
  for (int64_t i = 0; i < n; i++) out[i] = a[i] * sigmoid(a[i]) * b[i];
}
template <class T>
void swiglu_backward(const T* dout, const T* a, const T* b, T* da, T* db, int64_t n) {
  LLM_OMP_FOR_IF(n > (1 << 16))
  for (int64_t i = 0; i < n; i++) {
    const T s = sigmoid(a[i]);
    if (da) da[i] += dout[i] * b[i] * s * (T(1) + a[i] * (T(1) - s));
    if (db) db[i] += dout[i] * a[i] * s;
  }
}
template <class T>
TensorT<T> swiglu(Graph<T>& g, const TensorT<T>& a, const TensorT<T>& b) {
  if (a.shape != b.shape) throw std::runtime_error("swiglu: shapes differ " + a.shape.str() + " vs " + b.shape.str());
  TensorT<T> out = g.tensor(a.shape, g.needs_grad(a, b));
  const int64_t n = a.numel();
  swiglu_forward(out.data, a.data, b.data, n);
  if (out.grad) g.record([=] { swiglu_backward(out.grad, a.data, b.data, a.grad, b.grad, n); });
  return out;
}

// ---------------------------------------------------------------- dropout
// mask holds 0 or 1/(1-p), so forward and backward are both a multiply
template <class T>
void dropout_forward(T* out, T* mask, const T* x, int64_t n, float p, Rng& rng) {
  const T keep = T(1) / T(1 - p);
  for (int64_t i = 0; i < n; i++) {
    mask[i] = rng.uniform() < p ? T(0) : keep;
    out[i] = x[i] * mask[i];
  }
}
template <class T>
void dropout_backward(const T* dout, const T* mask, T* dx, int64_t n) {
  for (int64_t i = 0; i < n; i++) dx[i] += dout[i] * mask[i];
}
template <class T>
TensorT<T> dropout(Graph<T>& g, const TensorT<T>& x, float p, Rng& rng) {
  if (!g.training || p <= 0.f) return x;
  if (p >= 1.f) throw std::runtime_error("dropout: p must be < 1");
  TensorT<T> out = g.tensor(x.shape, g.needs_grad(x));
  const int64_t n = x.numel();
  T* mask = g.scratch(n);
  dropout_forward(out.data, mask, x.data, n, p, rng);
  if (out.grad) g.record([=] { dropout_backward(out.grad, mask, x.grad, n); });
  return out;
}

// ---------------------------------------------------------------- cross entropy
// logits (N, V), targets (N) -> loss (1) = mean over non-ignored rows of -log softmax(logits)[target].
// The softmax of each counted row is kept in probs (N, V) for backward (vectorised exp, once).
template <class T>
void cross_entropy_forward(T* loss, T* probs, const T* logits, const int32_t* targets, int64_t N, int64_t V,
                           int64_t* count) {
  std::vector<double> row_loss(size_t(N), 0.0);  // summed serially below: same bits for any thread count
  // OpenMP natively, core's parallel-for hook in wasm (parallel.h): the softmax over the
  // vocabulary is the largest piece of a small model's step outside the GEMMs
  parallel_loop(N, N * V > (1 << 16), [&](int64_t n) {
    if (targets[n] == kIgnoreIndex) return;
    Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>> l(logits + n * V, V);
    Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> p(probs + n * V, V);
    const T mx = l.maxCoeff();
    p = (l - mx).exp();
    const T s = p.sum();
    p *= T(1) / s;
    row_loss[size_t(n)] = double(std::log(s) + mx - l[targets[n]]);
  });
  double total = 0;
  int64_t cnt = 0;
  for (int64_t n = 0; n < N; n++)
    if (targets[n] != kIgnoreIndex) total += row_loss[size_t(n)], cnt++;
  *count = cnt;
  loss[0] = cnt ? T(total / double(cnt)) : T(0);
}
// dlogits[n] += dloss * (softmax(logits[n]) - onehot(target)) / count
template <class T>
void cross_entropy_backward(const T* dloss, const T* probs, const int32_t* targets, T* dlogits, int64_t N, int64_t V,
                            int64_t count) {
  if (count == 0) return;
  const T scale = dloss[0] / T(count);
  parallel_loop(N, N * V > (1 << 16), [&](int64_t n) {
    if (targets[n] == kIgnoreIndex) return;
    const T* p = probs + n * V;
    T* d = dlogits + n * V;
    for (int64_t j = 0; j < V; j++) d[j] += scale * p[j];
    d[targets[n]] -= scale;
  });
}
template <class T>
TensorT<T> cross_entropy(Graph<T>& g, const TensorT<T>& logits, const int32_t* targets) {
  const int64_t N = logits.rows(), V = logits.cols();
  for (int64_t n = 0; n < N; n++)
    if (targets[n] != kIgnoreIndex && (targets[n] < 0 || targets[n] >= V))
      throw std::runtime_error("cross_entropy: target " + std::to_string(targets[n]) + " at row " +
                               std::to_string(n) + " is outside [0, " + std::to_string(V) + ")");
  TensorT<T> loss = g.tensor({1}, g.needs_grad(logits));
  int64_t count = 0;
  T* probs = g.scratch(size_t(N * V));  // (N, V)
  cross_entropy_forward(loss.data, probs, logits.data, targets, N, V, &count);
  if (loss.grad)
    g.record([=] { cross_entropy_backward(loss.grad, probs, targets, logits.grad, N, V, count); });
  return loss;
}

// ---------------------------------------------------------------- token_logprobs
// logits (N, V), targets (N) -> out (N): out[n] = log softmax(logits[n])[targets[n]], 0 where the
// target is kIgnoreIndex. The per-token log-likelihood every alignment loss is built from (DPO,
// ORPO, PPO, GRPO, GSPO); the softmax of each counted row is kept in probs (N, V) for backward.
template <class T>
void token_logprobs_forward(T* out, T* probs, const T* logits, const int32_t* targets, int64_t N, int64_t V) {
  LLM_OMP_FOR_IF(N * V > (1 << 16))
  for (int64_t n = 0; n < N; n++) {
    if (targets[n] == kIgnoreIndex) {
      out[n] = T(0);
      continue;
    }
    Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>> l(logits + n * V, V);
    Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> p(probs + n * V, V);
    const T mx = l.maxCoeff();
    p = (l - mx).exp();
    const T s = p.sum();
    p *= T(1) / s;
    out[n] = l[targets[n]] - mx - std::log(s);
  }
}
// dlogits[n] += dout[n] * (onehot(target) - softmax(logits[n]))
template <class T>
void token_logprobs_backward(const T* dout, const T* probs, const int32_t* targets, T* dlogits, int64_t N, int64_t V) {
  LLM_OMP_FOR_IF(N * V > (1 << 16))
  for (int64_t n = 0; n < N; n++) {
    if (targets[n] == kIgnoreIndex || dout[n] == T(0)) continue;
    const T* p = probs + n * V;
    T* d = dlogits + n * V;
    const T s = dout[n];
    for (int64_t j = 0; j < V; j++) d[j] -= s * p[j];
    d[targets[n]] += s;
  }
}
template <class T>
TensorT<T> token_logprobs(Graph<T>& g, const TensorT<T>& logits, const int32_t* targets) {
  const int64_t N = logits.rows(), V = logits.cols();
  for (int64_t n = 0; n < N; n++)
    if (targets[n] != kIgnoreIndex && (targets[n] < 0 || targets[n] >= V))
      throw std::runtime_error("token_logprobs: target " + std::to_string(targets[n]) + " at row " +
                               std::to_string(n) + " is outside [0, " + std::to_string(V) + ")");
  TensorT<T> out = g.tensor({N}, g.needs_grad(logits));
  T* probs = g.scratch(size_t(N * V));  // (N, V)
  token_logprobs_forward(out.data, probs, logits.data, targets, N, V);
  if (out.grad) g.record([=] { token_logprobs_backward(out.grad, probs, targets, logits.grad, N, V); });
  return out;
}

#define LLM_INSTANTIATE(T)                                                                                  \
  template TensorT<T> embedding(Graph<T>&, const TensorT<T>&, const int32_t*, int64_t);                     \
  template TensorT<T> layernorm(Graph<T>&, const TensorT<T>&, const TensorT<T>&, const TensorT<T>*, T);     \
  template TensorT<T> rmsnorm(Graph<T>&, const TensorT<T>&, const TensorT<T>&, T, bool);                    \
  template TensorT<T> silu(Graph<T>&, const TensorT<T>&);                                                   \
  template TensorT<T> gelu(Graph<T>&, const TensorT<T>&);                                                   \
  template TensorT<T> swiglu(Graph<T>&, const TensorT<T>&, const TensorT<T>&);                              \
  template TensorT<T> dropout(Graph<T>&, const TensorT<T>&, float, Rng&);                                   \
  template TensorT<T> cross_entropy(Graph<T>&, const TensorT<T>&, const int32_t*);                         \
  template TensorT<T> token_logprobs(Graph<T>&, const TensorT<T>&, const int32_t*);
LLM_INSTANTIATE(float)
LLM_INSTANTIATE(double)
#undef LLM_INSTANTIATE

}  // namespace llm
