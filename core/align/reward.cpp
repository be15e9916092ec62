#include "core/align/reward.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/tensor/ops.h"

namespace llm {

template <class T>
RewardHead<T>::RewardHead(int dim) {
  params.declare("score.weight", {1, dim});
  params.finalize();
}

template <class T>
void RewardHead<T>::init(uint64_t seed, double std) {
  Rng r(seed);
  TensorT<T> w = weight();
  if (std <= 0) std = 1.0 / std::sqrt(double(w.numel()));
  for (int64_t i = 0; i < w.numel(); i++) w.data[i] = T(r.normal() * std);
}

template <class T>
TensorT<T> gather_rows(Graph<T>& g, const TensorT<T>& x, const std::vector<int64_t>& rows) {
  const int64_t R = int64_t(rows.size()), C = x.cols();
  for (int64_t r = 0; r < R; r++)
    if (rows[size_t(r)] < 0 || rows[size_t(r)] >= x.rows())
      throw std::runtime_error("gather_rows: row " + std::to_string(rows[size_t(r)]) + " outside [0, " +
                               std::to_string(x.rows()) + ")");
  TensorT<T> out = g.tensor({R, C}, g.needs_grad(x));  // (R, C)
  for (int64_t r = 0; r < R; r++)
    for (int64_t c = 0; c < C; c++) out.data[r * C + c] = x.data[rows[size_t(r)] * C + c];
  if (out.grad)
    g.record([=] {
      for (int64_t r = 0; r < R; r++)
        for (int64_t c = 0; c < C; c++) x.grad[rows[size_t(r)] * C + c] += out.grad[r * C + c];
    });
  return out;
}

template <class T>
TensorT<T> reward_scores(Graph<T>& g, Transformer<T>& model, RewardHead<T>& head, const int32_t* tokens, int R, int Tn,
                         const std::vector<int32_t>& last) {
  if (int(last.size()) != R) throw std::runtime_error("reward_scores: need one last position per row");
  return reward_scores_from_hidden(g, model.forward_hidden(g, tokens, R, Tn), head, R, Tn, last);
}

template <class T>
TensorT<T> reward_scores_from_hidden(Graph<T>& g, const TensorT<T>& h, RewardHead<T>& head, int R, int Tn,
                                     const std::vector<int32_t>& last) {
  if (int(last.size()) != R || h.rows() != int64_t(R) * Tn)
    throw std::runtime_error("reward_scores: need one last position per row and (R*T, C) hidden states");
  std::vector<int64_t> rows(static_cast<size_t>(R));
  for (int r = 0; r < R; r++) {
    if (last[size_t(r)] < 0 || last[size_t(r)] >= Tn)
      throw std::runtime_error("reward_scores: last position " + std::to_string(last[size_t(r)]) + " of row " +
                               std::to_string(r) + " outside [0, " + std::to_string(Tn) + ")");
    rows[size_t(r)] = int64_t(r) * Tn + last[size_t(r)];
  }
  TensorT<T> hl = gather_rows(g, h, rows);                                   // (R, C)
  TensorT<T> s = matmul(g, hl, head.weight(), false, true);                  // (R, 1)
  return s.view({R});
}

template <class T>
TensorT<T> bradley_terry_loss(Graph<T>& g, const TensorT<T>& r, double* accuracy, double* margin) {
  const int64_t R = r.numel(), B = R / 2;
  if (R % 2 || B == 0) throw std::runtime_error("bradley_terry_loss: need 2B scores, got " + std::to_string(R));
  std::vector<double> d(static_cast<size_t>(R));
  double loss = 0, acc = 0, m = 0;
  for (int64_t b = 0; b < B; b++) {
    const double z = double(r.data[b]) - double(r.data[B + b]);
    loss += -log_sigmoid(z);
    const double dz = -std::exp(log_sigmoid(-z)) / double(B);  // d(-log sigmoid z)/dz = -sigmoid(-z)
    d[size_t(b)] = dz;
    d[size_t(B + b)] = -dz;
    acc += z > 0 ? 1.0 : z == 0 ? 0.5 : 0.0;  // a tie is a coin flip
    m += z;
  }
  if (accuracy) *accuracy = acc / B;
  if (margin) *margin = m / B;
  return vector_loss(g, r, loss / B, std::move(d));
}

std::vector<int32_t> chosen_reply_targets(const PairBatch& pb) {
  std::vector<int32_t> y = pb.y;  // (2B*T): the rejected rows [B, 2B) are ignored
  std::fill(y.begin() + int64_t(pb.B) * pb.T, y.end(), int32_t(kIgnoreIndex));
  return y;
}

template <class T>
TensorT<T> reward_model_loss(Graph<T>& g, Transformer<T>& model, RewardHead<T>& head, const PairBatch& pb,
                             const std::vector<int32_t>& chosen_y, double lm_coef, double* accuracy, double* nll) {
  TensorT<T> h = model.forward_hidden(g, pb.x.data(), pb.rows(), pb.T);  // (2B*T, C)
  TensorT<T> bt = bradley_terry_loss(g, reward_scores_from_hidden(g, h, head, pb.rows(), pb.T, pb.last), accuracy);
  if (nll) *nll = 0;
  if (lm_coef <= 0) return bt;
  if (chosen_y.size() != pb.y.size()) throw std::runtime_error("reward_model_loss: chosen_y must be (2B*T)");
  TensorT<T> ce = cross_entropy(g, model.head(g, h), chosen_y.data());  // (1) mean over chosen reply tokens
  if (nll) *nll = double(ce.data[0]);
  return add(g, bt, scale(g, ce, T(lm_coef)));
}

template struct RewardHead<float>;
template struct RewardHead<double>;
#define LLM_INSTANTIATE(T)                                                                                         \
  template TensorT<T> gather_rows(Graph<T>&, const TensorT<T>&, const std::vector<int64_t>&);                      \
  template TensorT<T> reward_scores(Graph<T>&, Transformer<T>&, RewardHead<T>&, const int32_t*, int, int,          \
                                    const std::vector<int32_t>&);                                                  \
  template TensorT<T> bradley_terry_loss(Graph<T>&, const TensorT<T>&, double*, double*);                           \
  template TensorT<T> reward_scores_from_hidden(Graph<T>&, const TensorT<T>&, RewardHead<T>&, int, int,               \
                                                const std::vector<int32_t>&);                                        \
  template TensorT<T> reward_model_loss(Graph<T>&, Transformer<T>&, RewardHead<T>&, const PairBatch&,                 \
                                        const std::vector<int32_t>&, double, double*, double*);
LLM_INSTANTIATE(float)
LLM_INSTANTIATE(double)
#undef LLM_INSTANTIATE

}  // namespace llm
