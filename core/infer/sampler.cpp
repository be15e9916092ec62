// Sampler: penalties -> temperature -> top-k -> top-p -> min-p -> draw (docs/sampling.md).
//
// Determinism: every ordering uses the strict total order "higher logit first, lower id on ties"
// (after NaN -> -inf), so partial_sort / sort have exactly one valid result whatever the standard
// library; every sum runs in an order fixed by this file (never left to the compiler), in double.
// Given identical logits, g++ and em++ builds draw identical tokens up to the last-bit rounding
// of exp (only matters when u lands within ~1e-7 of a bucket edge).
//
// Speed (V = 32000, one call per generated token): the plain path is a few vectorizable passes
// over V (NaN scan + max, exp, 8-lane block sums) and a draw that walks 64-wide block sums first,
// so it costs tens of microseconds, not the hundreds a libm exp per token would.
#include "core/infer/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace llm {

namespace {

template <class T>
std::string fmt(T v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

[[noreturn]] void bad(const std::string& field, const std::string& rule, const std::string& got) {
  throw std::invalid_argument(field + " must be " + rule + ", got " + got);
}

// splitmix64 finalizer: mixes seed and stream so that (seed, stream) pairs map to unrelated states
uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// NaN never wins and never gets probability; +inf is clamped so that (x - max) stays finite.
inline float clean_logit(float x) {
  if (std::isnan(x)) return -std::numeric_limits<float>::infinity();
  if (x == std::numeric_limits<float>::infinity()) return std::numeric_limits<float>::max();
  return x;
}

// true when every x (n) is finite (exponent bits not all ones); integer ops so it vectorizes
bool all_finite(const float* x, int n) {
  uint32_t bad = 0;
  for (int i = 0; i < n; i++) {
    const uint32_t e = __builtin_bit_cast(uint32_t, x[i]) & 0x7F800000u;
    bad |= uint32_t(e == 0x7F800000u);
  }
  return bad == 0;
}

// max of x (n >= 1), NaN-free input; 8 lanes again (max is exact, so lane order cannot matter)
float max_value(const float* x, int n) {
  float m[8];
  for (int j = 0; j < 8; j++) m[j] = -std::numeric_limits<float>::infinity();
  int i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; j++) m[j] = x[i + j] > m[j] ? x[i + j] : m[j];
  for (; i < n; i++) m[0] = x[i] > m[0] ? x[i] : m[0];
  float r = m[0];
  for (int j = 1; j < 8; j++) r = m[j] > r ? m[j] : r;
  return r;
}

// exp(t) for t <= 0 without branches, float compares or libm calls, so it vectorizes without
// -ffast-math: clamp t at -100 on its bit pattern (for t <= 0 a larger magnitude is a larger
// uint; -inf clamps too), t = k ln2 + r with k rounded by the 1.5 * 2^23 trick and ln2 split in
// two (Cody-Waite), exp(r) by the Cephes degree-6 polynomial (relative error < 1e-7), times 2^k
// built in the exponent bits. Results below 2^-126 (t < -87.3, and -inf) are exactly 0.
inline float exp_nonpos(float t) {
  uint32_t tb = __builtin_bit_cast(uint32_t, t);
  tb = tb < 0xC2C80000u ? tb : 0xC2C80000u;  // -100.f
  const float c = __builtin_bit_cast(float, tb);
  const float big = c * 1.44269504088896341f + 12582912.f;  // k sits in the low mantissa bits
  const float k = big - 12582912.f;
  const int32_t ki = int32_t(__builtin_bit_cast(uint32_t, big) - 0x4B400000u);
  const float r = c - k * 0.693359375f + k * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.f;
  const int32_t kc = ki > -126 ? ki : -126;
  const float two_k = __builtin_bit_cast(float, uint32_t(kc + 127) << 23);
  const uint32_t keep = uint32_t(0) - uint32_t(ki >= -126);
  return __builtin_bit_cast(float, __builtin_bit_cast(uint32_t, p * two_k) & keep);
}

// Sort key "better first": descending logit, then ascending id. The float is mapped to an
// unsigned int with the same order (flip all bits of negatives, the sign bit of positives),
// then complemented so that larger logits give smaller keys.
inline uint64_t rank_key(float x, int32_t id) {
  const uint32_t b = __builtin_bit_cast(uint32_t, x);
  const uint32_t ordered = (b & 0x80000000u) ? ~b : (b | 0x80000000u);
  return (uint64_t(~ordered) << 32) | uint32_t(id);
}

// Sums of consecutive blocks of kBlock weights, each summed left to right in double; eight
// blocks advance together so the eight dependency chains overlap. The draw walks these sums
// first and then one block, instead of one long chain of V additions.
constexpr int kBlock = 64;
void block_sums(const float* w, int n, std::vector<double>* out) {
  const int nb = (n + kBlock - 1) / kBlock;
  out->assign(nb, 0.0);
  double* s = out->data();
  int b = 0;
  for (; (b + 8) * kBlock <= n; b += 8) {
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int k = 0; k < kBlock; k++)
      for (int j = 0; j < 8; j++) acc[j] += w[(b + j) * kBlock + k];
    for (int j = 0; j < 8; j++) s[b + j] = acc[j];
  }
  for (; b < nb; b++) {
    double acc = 0;
    for (int i = b * kBlock; i < std::min(n, (b + 1) * kBlock); i++) acc += w[i];
    s[b] = acc;
  }
}

}  // namespace

void SamplingParams::validate() const {
  if (!std::isfinite(temperature) || temperature < 0.f)
    bad("temperature", "a finite number >= 0 (0 = greedy)", fmt(temperature));
  if (top_k < 0) bad("top_k", ">= 0 (0 = off)", fmt(top_k));
  if (!(top_p > 0.f && top_p <= 1.f)) bad("top_p", "in (0, 1]", fmt(top_p));
  if (!(min_p >= 0.f && min_p <= 1.f)) bad("min_p", "in [0, 1]", fmt(min_p));
  if (!(std::isfinite(repetition_penalty) && repetition_penalty > 0.f))
    bad("repetition_penalty", "> 0", fmt(repetition_penalty));
  if (!(frequency_penalty >= -2.f && frequency_penalty <= 2.f))
    bad("frequency_penalty", "in [-2, 2]", fmt(frequency_penalty));
  if (!(presence_penalty >= -2.f && presence_penalty <= 2.f))
    bad("presence_penalty", "in [-2, 2]", fmt(presence_penalty));
  if (max_tokens < 0) bad("max_tokens", ">= 0", fmt(max_tokens));
  for (size_t i = 0; i < stop_token_ids.size(); i++)
    if (stop_token_ids[i] < 0) bad("stop_token_ids[" + fmt(i) + "]", ">= 0", fmt(stop_token_ids[i]));
  for (size_t i = 0; i < stop.size(); i++)
    if (stop[i].empty()) bad("stop[" + fmt(i) + "]", "a non-empty string", "\"\"");
  if (top_logprobs < 0 || top_logprobs > 20) bad("top_logprobs", "in [0, 20]", fmt(top_logprobs));
}

int32_t argmax(const float* logits, int V) {
  // first maximum wins (lowest id on ties); NaN is skipped; all-NaN (or V <= 0) gives 0
  if (V <= 0) return 0;
  bool has_nan = false;
  if (!all_finite(logits, V))
    for (int i = 0; i < V && !has_nan; i++) has_nan = std::isnan(logits[i]);
  if (!has_nan) {
    const float m = max_value(logits, V);
    for (int i = 0; i < V; i++)
      if (logits[i] == m) return i;
  }
  int32_t best = -1;
  for (int i = 0; i < V; i++) {
    if (std::isnan(logits[i])) continue;
    if (best < 0 || logits[i] > logits[best]) best = i;
  }
  return best < 0 ? 0 : best;
}

Sampler::Sampler(const SamplingParams& p, int vocab_size, const std::vector<int32_t>& prompt, uint64_t stream)
    : p_(p), V_(vocab_size), rng_(mix64(mix64(p.seed) ^ (stream * 0x9E3779B97F4A7C15ull + 0xD1B54A32D192ED03ull))) {
  p_.validate();
  if (vocab_size <= 0) throw std::invalid_argument("vocab_size must be > 0, got " + fmt(vocab_size));
  out_count_.assign(V_, 0);
  seen_.assign(V_, 0);
  for (size_t i = 0; i < prompt.size(); i++) {
    const int32_t t = prompt[i];
    if (t < 0 || t >= V_)
      throw std::invalid_argument("prompt[" + fmt(i) + "] = " + fmt(t) + " is outside the vocabulary [0, " +
                                  fmt(V_) + ")");
    if (!seen_[t]) { seen_[t] = 1; seen_ids_.push_back(t); }
  }
}

void Sampler::apply_penalties(float* logits) const {
  // CTRL repetition penalty (Keskar et al. 2019, as in HF/vLLM): push seen tokens toward "less
  // likely" whatever the sign of their logit, on prompt + output tokens.
  const float rp = p_.repetition_penalty;
  if (rp != 1.f)
    for (int32_t t : seen_ids_) logits[t] = logits[t] > 0.f ? logits[t] / rp : logits[t] * rp;
  // OpenAI frequency/presence penalties, on output tokens only.
  const float fp = p_.frequency_penalty, pp = p_.presence_penalty;
  if (fp != 0.f || pp != 0.f)
    for (int32_t t : out_ids_) logits[t] -= fp * float(out_count_[t]) + pp;
}

void Sampler::record(int32_t t) {
  if (t < 0 || t >= V_)
    throw std::invalid_argument("Sampler::record: token " + fmt(t) + " is outside [0, " + fmt(V_) + ")");
  if (out_count_[t]++ == 0) out_ids_.push_back(t);
  if (!seen_[t]) { seen_[t] = 1; seen_ids_.push_back(t); }
}

TokenChoice Sampler::sample(float* logits) {
  TokenChoice out;
  const int V = V_;
  if (!all_finite(logits, V))
    for (int i = 0; i < V; i++) logits[i] = clean_logit(logits[i]);

  // Logprobs come from the RAW logits: log p_i = x_i - (m + log sum_j exp(x_j - m)).
  double lse = 0;
  if (p_.logprobs) {
    raw_.assign(logits, logits + V);
    const float m = max_value(raw_.data(), V);
    double s = 0;
    for (int i = 0; i < V; i++) s += std::exp(raw_[i] - m);
    lse = double(m) + std::log(s);
    if (p_.top_logprobs > 0) {
      const int k = std::min(p_.top_logprobs, V);
      top_idx_.resize(V);
      for (int i = 0; i < V; i++) top_idx_[i] = i;
      const float* r = raw_.data();
      std::partial_sort(top_idx_.begin(), top_idx_.begin() + k, top_idx_.end(),
                        [r](int32_t a, int32_t b) { return r[a] > r[b] || (r[a] == r[b] && a < b); });
      for (int j = 0; j < k; j++)
        out.top.emplace_back(top_idx_[j], float(double(r[top_idx_[j]]) - lse));
    }
  }

  apply_penalties(logits);
  const int32_t tok = p_.temperature <= 0.f ? argmax(logits, V) : draw(logits);

  out.token = tok;
  if (p_.logprobs) out.logprob = float(double(raw_[tok]) - lse);
  record(tok);
  return out;
}

int32_t Sampler::draw(const float* logits) {
  const int V = V_;
  const float mx = max_value(logits, V);
  if (mx == -std::numeric_limits<float>::infinity()) return argmax(logits, V);  // nothing finite

  // Weights relative to the best token: w_i = exp((x_i - max) / T), so w_max = 1 and
  // p_i / p_max = w_i (renormalising over any candidate set keeps that ratio).
  const float inv_t = 1.f / p_.temperature;
  if (!std::isfinite(inv_t)) return argmax(logits, V);  // T so small that 1/T overflows: greedy
  probs_.resize(V);
  float* w = probs_.data();  // (V) by id; only candidates' entries are meaningful

  const bool top_k = p_.top_k > 0 && p_.top_k < V, top_p = p_.top_p < 1.f, min_p = p_.min_p > 0.f;
  if (!top_k) {
    for (int i = 0; i < V; i++) w[i] = exp_nonpos((logits[i] - mx) * inv_t);
    block_sums(w, V, &blocks_);
  }
  if (!top_k && !top_p && !min_p) {
    // plain temperature sampling over all V ids in id order: find the block, then the id
    double total = 0;
    for (double b : blocks_) total += b;
    const double u = rng_.uniform_double() * total;
    double cum = 0;
    const int nb = int(blocks_.size());
    int b = 0;
    while (b + 1 < nb && u >= cum + blocks_[b]) cum += blocks_[b++];
    int last = -1;
    for (int i = b * kBlock; i < std::min(V, (b + 1) * kBlock); i++) {
      if (w[i] > 0.f) last = i;
      if (u < (cum += w[i])) return i;
    }
    return last >= 0 ? last : argmax(logits, V);  // u rounded past the last edge
  }

  // Candidates in best-first order are sorted as 64-bit keys (logit rank, id): a strict total
  // order with no ties, so sort / nth_element have one valid result on every standard library,
  // and the comparisons are plain integer ones on contiguous memory.
  order_.resize(V);
  keys_.resize(V);
  int n = V;            // candidates are order_[0, n)
  bool sorted = false;  // order_[0, n) is best-first
  double total = 0;     // sum of candidate weights
  auto sort_keys = [&](int m, int keep) {  // keys_[0, m) -> the best `keep` ids into order_
    if (keep <= 256 && keep < m) {
      std::partial_sort(keys_.begin(), keys_.begin() + keep, keys_.begin() + m);  // O(m log keep)
    } else {
      if (keep < m) std::nth_element(keys_.begin(), keys_.begin() + keep, keys_.begin() + m);
      std::sort(keys_.begin(), keys_.begin() + keep);
    }
    for (int j = 0; j < keep; j++) order_[j] = int32_t(uint32_t(keys_[j]));
  };
  if (top_k) {
    for (int i = 0; i < V; i++) keys_[i] = rank_key(logits[i], i);
    n = p_.top_k;
    sort_keys(V, n);
    sorted = true;
    for (int j = 0; j < n; j++) total += w[order_[j]] = exp_nonpos((logits[order_[j]] - mx) * inv_t);
  } else {
    for (int i = 0; i < V; i++) order_[i] = i;
    for (double b : blocks_) total += b;
  }

  if (top_p) {
    const double target = double(p_.top_p) * total;
    if (!sorted) {
      // The nucleus (smallest best-first prefix with mass >= target) is usually tiny: avoid
      // sorting V ids. One pass bins the mass by weight (8 bins per octave, from the float's
      // exponent and top 3 mantissa bits; bin 0 holds the largest weights); the bins up to the
      // one where the cumulative mass reaches target contain the whole nucleus, and only those
      // ids get sorted. O(V + m log m) for m ids in those bins.
      constexpr int kBins = (0x3F800000 >> 20) + 1;  // w = 1 -> bin 0, w = 0 -> bin 1016
      auto bin = [](float v) {
        const uint32_t b = __builtin_bit_cast(uint32_t, v);
        return int((0x3F800000u - std::min(b, 0x3F800000u)) >> 20);
      };
      hist_.assign(kBins, 0.0);
      for (int i = 0; i < V; i++) hist_[bin(w[i])] += w[i];
      int last = kBins - 1;
      double cum = 0;
      for (int b = 0; b < kBins; b++)
        if ((cum += hist_[b]) >= target) { last = b; break; }
      n = 0;
      for (int i = 0; i < V; i++)
        if (bin(w[i]) <= last) keys_[n++] = rank_key(logits[i], i);
      sort_keys(n, n);
    }
    double cum = 0;
    for (int j = 0; j < n; j++)
      if ((cum += w[order_[j]]) >= target) { n = j + 1; break; }
    // (rounding may leave cum a hair below target: then every candidate stays)
    total = 0;
    for (int j = 0; j < n; j++) total += w[order_[j]];
  }

  if (min_p) {
    // keep p_i >= min_p * p_max  <=>  w_i >= min_p (the best token, w = 1, always stays)
    int m = 0;
    total = 0;
    for (int j = 0; j < n; j++) {
      const int32_t i = order_[j];
      if (w[i] >= p_.min_p) {
        order_[m++] = i;
        total += w[i];
      }
    }
    n = m;
  }

  // Inverse-CDF draw over the candidates in their current (deterministic) order.
  const double u = rng_.uniform_double() * total;
  double cum = 0;
  for (int j = 0; j < n; j++) {
    cum += w[order_[j]];
    if (u < cum) return order_[j];
  }
  // u rounded onto the last edge: the last candidate with weight > 0
  for (int j = n - 1; j >= 0; j--)
    if (w[order_[j]] > 0.f) return order_[j];
  return order_[0];
}

}  // namespace llm
