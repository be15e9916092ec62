// Reward model (docs/reward_model.md): the pretrained/SFT decoder with a scalar head on the final
// normed hidden state of each sequence's LAST real token (right padding, so the last token is
// known per row, not the last column):
//   r(x, y) = w . h_last,   w = score.weight (1, C)   (HF LlamaForSequenceClassification name)
// trained with the Bradley-Terry loss on preference pairs:
//   L = mean_b -log sigmoid(r(x_b, chosen_b) - r(x_b, rejected_b))
#pragma once
#include <cstdint>
#include <vector>

#include "core/align/preference.h"
#include "core/model/transformer.h"
#include "core/tensor/params.h"

namespace llm {

template <class T>
struct RewardHead {
  explicit RewardHead(int dim);
  ParamStore<T> params;  // "score.weight" (1, C)
  void init(uint64_t seed, double std = 0.0);  // N(0, std); 0 -> 1/sqrt(C)
  TensorT<T> weight() { return params.get("score.weight"); }
};

// x (R*T, C), rows (R) indices in [0, R*T) -> (R, C): out[r] = x[rows[r]]; backward scatters back
template <class T>
TensorT<T> gather_rows(Graph<T>& g, const TensorT<T>& x, const std::vector<int64_t>& rows);

// tokens (R*T) right-padded, last (R) = position of each row's last real token -> scores (R)
template <class T>
TensorT<T> reward_scores(Graph<T>& g, Transformer<T>& model, RewardHead<T>& head, const int32_t* tokens, int R, int Tn,
                         const std::vector<int32_t>& last);

// the same from hidden states h (R*T, C) already computed (forward_hidden)
template <class T>
TensorT<T> reward_scores_from_hidden(Graph<T>& g, const TensorT<T>& h, RewardHead<T>& head, int R, int Tn,
                                     const std::vector<int32_t>& last);

// r (2B): chosen scores in [0, B), rejected in [B, 2B) -> mean -log sigmoid(r_c - r_r).
// accuracy (optional) = share of pairs with r_c > r_r (ties count 1/2), margin = mean (r_c - r_r)
template <class T>
TensorT<T> bradley_terry_loss(Graph<T>& g, const TensorT<T>& r, double* accuracy = nullptr, double* margin = nullptr);

// The reward model's training loss on one batch of pairs:
//   L = L_BT + lm_coef * NLL(chosen replies)
// NLL is the mean next-token loss of the CHOSEN rows' reply tokens (pb.y of rows [0, B), the
// rejected rows ignored), through the backbone's own LM head, from the same hidden states the
// scores read. With lm_coef = 0 it is plain Bradley-Terry. The LM term keeps the backbone a
// language model that still predicts correct answers while the head learns to rank them
// (text-generation regularization of reward models, Yang et al. 2024, "Regularizing Hidden States
// Enables Learning Generalizable Reward Model for LLMs"; docs/reward_model.md). chosen_y (2B*T)
// must outlive backward: make it with chosen_reply_targets.
std::vector<int32_t> chosen_reply_targets(const PairBatch& pb);
template <class T>
TensorT<T> reward_model_loss(Graph<T>& g, Transformer<T>& model, RewardHead<T>& head, const PairBatch& pb,
                             const std::vector<int32_t>& chosen_y, double lm_coef, double* accuracy = nullptr,
                             double* nll = nullptr);

}  // namespace llm
