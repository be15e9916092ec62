#include "core/align/preference.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/align/sft.h"
#include "core/data/gen_common.h"
#include "core/infer/chat_template.h"
#include "core/util/ignore_index.h"

namespace llm {

double log_sigmoid(double x) { return x >= 0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x)); }
static double sigmoid(double x) { return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x)); }
double log1m_exp(double a) {
  if (!(a < 0)) throw std::runtime_error("log1m_exp: needs a < 0, got " + std::to_string(a));
  return a > -0.6931471805599453 ? std::log(-std::expm1(a)) : std::log1p(-std::exp(a));
}

bool preference_sequence(const Tokenizer& tok, const PreferencePair& p, int max_len, PreferenceSequence& out) {
  std::vector<ChatMessage> msgs = to_chat_messages(p.prompt);
  auto encode = [&](const std::string& reply, int& prompt_len) {
    msgs.push_back({"assistant", reply});
    EncodedChat c = encode_chat(tok, msgs, false);
    msgs.pop_back();
    const Span s = c.assistant_tokens.back();  // the reply: content + <|im_end|>
    prompt_len = int(s.begin);
    c.ids.resize(std::min(s.end, size_t(max_len)));  // drop the template's trailing "\n", cut to max_len
    return c.ids;
  };
  int pc = 0, pr = 0;
  std::vector<int32_t> c = encode(p.chosen, pc), r = encode(p.rejected, pr);
  if (pc != pr) throw std::runtime_error("preference_sequence: chosen and rejected prompts tokenize differently");
  if (max_len - pc < 2) return false;
  out.chosen = std::move(c);
  out.rejected = std::move(r);
  out.prompt_len = pc;
  return true;
}

PairBatch make_pair_batch(const std::vector<const PreferenceSequence*>& pairs, int32_t pad_id) {
  PairBatch b;
  b.B = int(pairs.size());
  if (b.B == 0) throw std::runtime_error("make_pair_batch: no pairs");
  for (const PreferenceSequence* p : pairs) b.T = std::max({b.T, int(p->chosen.size()), int(p->rejected.size())});
  const int R = 2 * b.B;
  b.x.assign(size_t(R) * b.T, pad_id);
  b.y.assign(size_t(R) * b.T, kIgnoreIndex);
  b.last.assign(size_t(R), 0);
  b.n_reply.assign(size_t(R), 0);
  for (int r = 0; r < R; r++) {
    const PreferenceSequence& p = *pairs[size_t(r % b.B)];
    const std::vector<int32_t>& ids = r < b.B ? p.chosen : p.rejected;
    int32_t* x = &b.x[size_t(r) * b.T];
    int32_t* y = &b.y[size_t(r) * b.T];
    std::copy(ids.begin(), ids.end(), x);
    // reply token t (t >= prompt_len) is scored by the logits at t - 1
    for (size_t t = size_t(p.prompt_len); t < ids.size(); t++) y[t - 1] = ids[t];
    b.last[size_t(r)] = int32_t(ids.size()) - 1;
    b.n_reply[size_t(r)] = int32_t(ids.size()) - p.prompt_len;
  }
  return b;
}

PairBatcher::PairBatcher(const std::vector<PreferenceSequence>* data, int B, uint64_t seed)
    : data_(data), B_(B), seed_(seed) {
  if (B <= 0 || data->size() < size_t(B))
    throw std::runtime_error("PairBatcher: need at least batch_size = " + std::to_string(B) + " pairs, have " +
                             std::to_string(data->size()));
  plan();
}

void PairBatcher::plan() {
  std::vector<size_t> order(data_->size());
  for (size_t i = 0; i < order.size(); i++) order[i] = i;
  Rng r = seeded_rng(seed_, 2000 + epoch_);
  shuffle_in_place(r, order);
  auto len = [&](size_t i) { return std::max((*data_)[i].chosen.size(), (*data_)[i].rejected.size()); };
  const size_t window = size_t(B_) * 16;
  for (size_t w = 0; w < order.size(); w += window) {
    auto end = order.begin() + long(std::min(order.size(), w + window));
    std::stable_sort(order.begin() + long(w), end, [&](size_t a, size_t b) { return len(a) < len(b); });
  }
  batches_.clear();
  for (size_t i = 0; i + size_t(B_) <= order.size(); i += size_t(B_))
    batches_.emplace_back(order.begin() + long(i), order.begin() + long(i) + B_);
  shuffle_in_place(r, batches_);
}

std::vector<const PreferenceSequence*> PairBatcher::next() {
  if (pos_ >= batches_.size()) {
    epoch_++;
    pos_ = 0;
    plan();
  }
  std::vector<const PreferenceSequence*> out;
  for (size_t i : batches_[pos_]) out.push_back(&(*data_)[i]);
  pos_++;
  return out;
}

void PairBatcher::set_state(uint64_t epoch, size_t position) {
  epoch_ = epoch;
  plan();
  pos_ = std::min(position, batches_.size());
}

template <class T>
TensorT<T> sequence_logprobs(Graph<T>& g, const TensorT<T>& lp, const int32_t* targets, int R, int Tn, bool average) {
  if (lp.numel() != int64_t(R) * Tn)
    throw std::runtime_error("sequence_logprobs: " + lp.shape.str() + " is not R*T = " + std::to_string(R) + "*" +
                             std::to_string(Tn));
  TensorT<T> out = g.tensor({R}, g.needs_grad(lp));  // (R)
  T* inv = g.scratch(size_t(R));                      // (R) 1 or 1/count
  for (int r = 0; r < R; r++) {
    T s = 0;
    int n = 0;
    for (int t = 0; t < Tn; t++)
      if (targets[int64_t(r) * Tn + t] != kIgnoreIndex) s += lp.data[int64_t(r) * Tn + t], n++;
    if (average && n == 0) throw std::runtime_error("sequence_logprobs: row " + std::to_string(r) + " has no scored token");
    inv[r] = average ? T(1) / T(n) : T(1);
    out.data[r] = s * inv[r];
  }
  if (out.grad)
    g.record([=] {
      for (int r = 0; r < R; r++)
        for (int t = 0; t < Tn; t++)
          if (targets[int64_t(r) * Tn + t] != kIgnoreIndex) lp.grad[int64_t(r) * Tn + t] += out.grad[r] * inv[r];
    });
  return out;
}

template <class T>
TensorT<T> vector_loss(Graph<T>& g, const TensorT<T>& v, double value, std::vector<double> dv) {
  if (int64_t(dv.size()) != v.numel()) throw std::runtime_error("vector_loss: gradient size differs from the input's");
  TensorT<T> out = g.tensor({1}, g.needs_grad(v));
  out.data[0] = T(value);
  if (out.grad)
    g.record([=] {
      for (size_t i = 0; i < dv.size(); i++) v.grad[i] += out.grad[0] * T(dv[i]);
    });
  return out;
}

template <class T>
TensorT<T> dpo_loss(Graph<T>& g, const TensorT<T>& pol, const std::vector<double>& ref, const DpoOptions& o,
                    PreferenceStats* stats) {
  const int64_t R = pol.numel(), B = R / 2;
  if (R % 2 || int64_t(ref.size()) != R || B == 0)
    throw std::runtime_error("dpo_loss: need 2B policy and 2B reference log-probs, got " + std::to_string(R) + " and " +
                             std::to_string(ref.size()));
  if (!(o.beta > 0)) throw std::runtime_error("dpo_loss: beta must be positive");
  double loss = 0, acc = 0, margin = 0, rc = 0, rr = 0;
  std::vector<double> d(size_t(R), 0.0);  // dloss / dpolicy_lp
  for (int64_t b = 0; b < B; b++) {
    const double lc = double(pol.data[b]) - ref[size_t(b)], lr = double(pol.data[B + b]) - ref[size_t(B + b)];
    const double h = lc - lr;  // log-ratio difference
    double dh;
    if (o.ipo) {
      const double e = h - 1.0 / (2.0 * o.beta);
      loss += e * e;
      dh = 2.0 * e;
    } else {
      const double z = o.beta * h, ls = o.label_smoothing;
      loss += -(1 - ls) * log_sigmoid(z) - ls * log_sigmoid(-z);
      dh = o.beta * (-(1 - ls) * sigmoid(-z) + ls * sigmoid(z));
    }
    d[size_t(b)] = dh / double(B);
    d[size_t(B + b)] = -dh / double(B);
    acc += h > 0 ? 1.0 : h == 0 ? 0.5 : 0.0;  // a tie is a coin flip
    margin += o.beta * h;
    rc += o.beta * lc;
    rr += o.beta * lr;
  }
  loss /= double(B);
  if (stats) *stats = {loss, acc / B, margin / B, rc / B, rr / B, 0.0};
  return vector_loss(g, pol, loss, std::move(d));
}

template <class T>
TensorT<T> orpo_loss(Graph<T>& g, const TensorT<T>& sum_lp, const std::vector<int32_t>& n, double lambda,
                     PreferenceStats* stats) {
  const int64_t R = sum_lp.numel(), B = R / 2;
  if (R % 2 || int64_t(n.size()) != R || B == 0)
    throw std::runtime_error("orpo_loss: need 2B summed log-probs and 2B counts, got " + std::to_string(R) + " and " +
                             std::to_string(n.size()));
  // log odds(avg) = avg - log(1 - exp(avg)); d/davg = 1 / (1 - exp(avg)). avg is clamped just below
  // 0 (a reply of probability 1 has infinite odds)
  auto log_odds = [](double avg, double* dlo) {
    avg = std::min(avg, -1e-6);
    *dlo = -1.0 / std::expm1(avg);
    return avg - log1m_exp(avg);
  };
  std::vector<double> d(size_t(R), 0.0);  // dloss / dsum_lp
  double n_chosen = 0, s_chosen = 0;
  for (int64_t b = 0; b < B; b++) n_chosen += n[size_t(b)], s_chosen += double(sum_lp.data[b]);
  if (n_chosen <= 0) throw std::runtime_error("orpo_loss: the chosen replies have no scored token");
  const double nll = -s_chosen / n_chosen;
  double l_or = 0, acc = 0, margin = 0, mc = 0, mr = 0;
  for (int64_t b = 0; b < B; b++) {
    if (n[size_t(b)] <= 0 || n[size_t(B + b)] <= 0) throw std::runtime_error("orpo_loss: a reply has no scored token");
    const double ac = double(sum_lp.data[b]) / n[size_t(b)], ar = double(sum_lp.data[B + b]) / n[size_t(B + b)];
    double dlc, dlr;
    const double z = log_odds(ac, &dlc) - log_odds(ar, &dlr);
    l_or += -log_sigmoid(z);
    const double dz = -sigmoid(-z) * lambda / double(B);  // d(lambda * mean -log sigmoid(z)) / dz
    d[size_t(b)] = dz * dlc / n[size_t(b)] - 1.0 / n_chosen;
    d[size_t(B + b)] = -dz * dlr / n[size_t(B + b)];
    acc += z > 0 ? 1.0 : z == 0 ? 0.5 : 0.0;
    margin += z;
    mc += ac;
    mr += ar;
  }
  l_or /= double(B);
  const double loss = nll + lambda * l_or;
  if (stats) *stats = {loss, acc / B, margin / B, mc / B, mr / B, nll};
  return vector_loss(g, sum_lp, loss, std::move(d));
}

#define LLM_INSTANTIATE(T)                                                                                       \
  template TensorT<T> sequence_logprobs(Graph<T>&, const TensorT<T>&, const int32_t*, int, int, bool);           \
  template TensorT<T> vector_loss(Graph<T>&, const TensorT<T>&, double, std::vector<double>);                    \
  template TensorT<T> dpo_loss(Graph<T>&, const TensorT<T>&, const std::vector<double>&, const DpoOptions&,       \
                               PreferenceStats*);                                                                \
  template TensorT<T> orpo_loss(Graph<T>&, const TensorT<T>&, const std::vector<int32_t>&, double, PreferenceStats*);
LLM_INSTANTIATE(float)
LLM_INSTANTIATE(double)
#undef LLM_INSTANTIATE

}  // namespace llm
