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

// r (2B): chosen scores in [0, B), rejected in [B, 2B) -> mean -log sigmoid(r_c - r_r).
// accuracy (optional) = share of pairs with r_c > r_r (ties count 1/2), margin = mean (r_c - r_r)
template <class T>
TensorT<T> bradley_terry_loss(Graph<T>& g, const TensorT<T>& r, double* accuracy = nullptr, double* margin = nullptr);

}  // namespace llm
