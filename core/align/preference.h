// Preference optimisation on (prompt, chosen, rejected) pairs: DPO (sigmoid, conservative /
// label-smoothed, IPO) and ORPO (docs/dpo.md, docs/orpo.md). Also the pair batches the reward
// model trains on (reward.h).
//
// Sequence log-probability of a reply y after prompt x (response tokens only):
//   log p(y|x) = sum_{t in reply} log softmax(logits[t-1])[ids[t]]
// so the TARGET row of token t is t-1: targets[t-1] = ids[t] for reply tokens, -100 elsewhere
// (pair_targets). token_logprobs (core/tensor/ops.h) gives the per-row terms, sequence_logprobs
// sums them per sequence.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/data/records.h"
#include "core/tensor/graph.h"
#include "core/tokenizer/tokenizer.h"

namespace llm {

// prompt + chosen and prompt + rejected, each ending with the reply's <|im_end|> (the trailing
// "\n" of the template is dropped, so the last token closes the reply: the reward model reads it).
struct PreferenceSequence {
  std::vector<int32_t> chosen, rejected;
  int prompt_len = 0;  // shared prefix: system/user turns + "<|im_start|>assistant\n"
};

// Replies are cut to fit max_len; returns false (and leaves out untouched) when the prompt
// alone leaves fewer than 2 tokens for a reply.
bool preference_sequence(const Tokenizer& tok, const PreferencePair& p, int max_len, PreferenceSequence& out);

// 2B rows right-padded to the longest: chosen of pair b in row b, rejected in row B + b.
struct PairBatch {
  int B = 0, T = 0;
  std::vector<int32_t> x;     // (2B*T) ids, pad_id after each row's end
  std::vector<int32_t> y;     // (2B*T) targets: y[r*T + t] = x[r*T + t + 1] for reply tokens t+1, else -100
  std::vector<int32_t> last;  // (2B) position of each row's last real token (the reward model's read-out)
  std::vector<int32_t> n_reply;  // (2B) scored tokens per row
  int rows() const { return 2 * B; }
};
PairBatch make_pair_batch(const std::vector<const PreferenceSequence*>& pairs, int32_t pad_id);

// Training batches of B pairs. Each epoch: shuffle (seeded), sort each window of 16 batches by
// length so a batch pads to similar lengths (short Q&A pairs and long stories are mixed in the
// data), then shuffle the batch order. Every pair is used once per epoch (a last partial batch
// is dropped).
class PairBatcher {
 public:
  PairBatcher(const std::vector<PreferenceSequence>* data, int B, uint64_t seed);
  std::vector<const PreferenceSequence*> next();
  uint64_t epoch() const { return epoch_; }
  size_t position() const { return pos_; }
  void set_state(uint64_t epoch, size_t position);

 private:
  const std::vector<PreferenceSequence>* data_;
  int B_;
  uint64_t seed_, epoch_ = 0;
  size_t pos_ = 0;  // batches taken in this epoch
  std::vector<std::vector<size_t>> batches_;
  void plan();
};

// token_lp (R*T) (token_logprobs of a PairBatch's logits and y) -> (R) per-row sum of scored terms,
// or their mean over the row's scored tokens when average (ORPO's length-normalised log-prob).
template <class T>
TensorT<T> sequence_logprobs(Graph<T>& g, const TensorT<T>& token_lp, const int32_t* targets, int R, int Tn,
                             bool average);

// Statistics of one preference batch (from the forward pass; no gradient)
struct PreferenceStats {
  double loss = 0;
  double accuracy = 0;  // share of pairs with margin > 0 (a tie counts 1/2: 0.5 at DPO init)
  double margin = 0;    // mean margin: DPO r_c - r_r with r = beta * (log pi - log pi_ref); ORPO log-odds ratio
  double chosen = 0, rejected = 0;  // mean implicit reward (DPO) / mean avg log-prob (ORPO)
  double nll = 0;       // ORPO: the NLL term on chosen
};

struct DpoOptions {
  double beta = 0.1;
  double label_smoothing = 0.0;  // cDPO: the label is flipped with this probability
  bool ipo = false;              // IPO: (h - 1/(2 beta))^2 on the log-ratio difference h
};

// policy_lp (2B) sequence log-probs (rows as in PairBatch), ref_lp (2B) the frozen reference's
// (computed without a graph). With h = (lp_c - ref_c) - (lp_r - ref_r):
//   sigmoid: mean_b [ -(1 - ls) log sigmoid(beta h) - ls log sigmoid(-beta h) ]
//   ipo:     mean_b (h - 1 / (2 beta))^2
template <class T>
TensorT<T> dpo_loss(Graph<T>& g, const TensorT<T>& policy_lp, const std::vector<double>& ref_lp, const DpoOptions& o,
                    PreferenceStats* stats = nullptr);

// ORPO (Hong et al. 2024) from the per-row SUM log-probs (2B) and scored-token counts (2B):
//   avg_r = sum_r / n_r,  log odds(p) = avg - log(1 - exp(avg))
//   L = NLL_chosen + lambda * mean_b [ -log sigmoid(log odds(c_b) - log odds(r_b)) ]
//   NLL_chosen = - sum_b sum_c_b / sum_b n_c_b   (token-mean NLL over the chosen replies)
template <class T>
TensorT<T> orpo_loss(Graph<T>& g, const TensorT<T>& sum_lp, const std::vector<int32_t>& n_reply, double lambda,
                     PreferenceStats* stats = nullptr);

// -log sigmoid(x) and log(1 - exp(a)) for a < 0, computed without overflow / cancellation
double log_sigmoid(double x);
double log1m_exp(double a);

// A scalar op on a small vector: out (1) = value, backward v.grad += dout * dvalue_dv. The losses
// above compute value and gradient in double in forward and record this op.
template <class T>
TensorT<T> vector_loss(Graph<T>& g, const TensorT<T>& v, double value, std::vector<double> dvalue_dv);

}  // namespace llm
