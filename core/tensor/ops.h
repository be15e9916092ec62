// The primitive ops. Each is implemented as a pair x_forward / x_backward (same argument order,
// backward accumulates with +=) in ops_*.cpp, plus the graph op declared here that runs the
// forward and records the backward on the tape. Everything is instantiated for float and double.
//
// Shapes use: N rows (= B*T tokens), C channels, V vocabulary, H query heads, KVH key/value
// heads, hd head size.
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor/graph.h"
#include "core/util/rng.h"

namespace llm {

}  // namespace llm
#include "core/util/ignore_index.h"
namespace llm {

// ---- linear algebra (ops_linalg.cpp) ----
// out (M, N) = op(a) op(b); op(a) is (M, K): a is (M, K), or (K, M) when ta; b likewise.
template <class T>
TensorT<T> matmul(Graph<T>& g, const TensorT<T>& a, const TensorT<T>& b, bool ta, bool tb);
// y = x W^T (+ bias): x (N, in), W (out, in), bias (out) or empty
template <class T>
TensorT<T> linear(Graph<T>& g, const TensorT<T>& x, const TensorT<T>& w, const TensorT<T>* bias);
template <class T>
TensorT<T> add(Graph<T>& g, const TensorT<T>& a, const TensorT<T>& b);
// x (N, C) + p (M, C) with row n getting p[n % M]  (bias: M = 1; positions: M = T)
template <class T>
TensorT<T> add_bcast(Graph<T>& g, const TensorT<T>& x, const TensorT<T>& p);
template <class T>
TensorT<T> mul(Graph<T>& g, const TensorT<T>& a, const TensorT<T>& b);
template <class T>
TensorT<T> scale(Graph<T>& g, const TensorT<T>& a, T s);

// ---- neural-net ops (ops_nn.cpp) ----
// W (V, C), ids (N) -> (N, C)
template <class T>
TensorT<T> embedding(Graph<T>& g, const TensorT<T>& w, const int32_t* ids, int64_t n);
// x (N, C), w (C), b (C) or nullptr
template <class T>
TensorT<T> layernorm(Graph<T>& g, const TensorT<T>& x, const TensorT<T>& w, const TensorT<T>* b, T eps);
// plus_one: Qwen2/Gemma-style weight (1 + w)
template <class T>
TensorT<T> rmsnorm(Graph<T>& g, const TensorT<T>& x, const TensorT<T>& w, T eps, bool plus_one);
template <class T>
TensorT<T> silu(Graph<T>& g, const TensorT<T>& x);
template <class T>  // tanh approximation (GPT-2 "gelu_new")
TensorT<T> gelu(Graph<T>& g, const TensorT<T>& x);
// silu(a) * b, fused
template <class T>
TensorT<T> swiglu(Graph<T>& g, const TensorT<T>& a, const TensorT<T>& b);
// inverted dropout; identity when !g.training or p == 0
template <class T>
TensorT<T> dropout(Graph<T>& g, const TensorT<T>& x, float p, Rng& rng);
// logits (N, V), targets (N) with kIgnoreIndex -> mean loss (1); fused log-softmax
template <class T>
TensorT<T> cross_entropy(Graph<T>& g, const TensorT<T>& logits, const int32_t* targets);
// logits (N, V), targets (N) with kIgnoreIndex -> (N) log p(target) per row (0 when ignored).
// The caller keeps targets alive until backward. Alignment losses compose on top of it.
template <class T>
TensorT<T> token_logprobs(Graph<T>& g, const TensorT<T>& logits, const int32_t* targets);

// ---- positions and attention (ops_attention.cpp) ----
// Rotary embedding, "rotate_half" pairing (i, i + hd/2). x (B*T, nh*hd).
// cos/sin tables are (max_pos, hd/2); token t of a sequence uses row pos0 + t.
template <class T>
TensorT<T> rope(Graph<T>& g, const TensorT<T>& x, int B, int Tn, int nh, int hd, const T* cos_table,
                const T* sin_table, int pos0);
// Causal attention with grouped KV heads: q (B*T, H*hd), k, v (B*T, KVH*hd) -> (B*T, H*hd).
// alibi_slopes (H) or nullptr adds -slope_h * (i - j) to score (i, j).
// doc_start (B*T) or nullptr: query t of sequence b attends only to keys in [doc_start[b*T+t], t],
// so packed documents do not see each other.
template <class T>
TensorT<T> attention(Graph<T>& g, const TensorT<T>& q, const TensorT<T>& k, const TensorT<T>& v, int B, int Tn,
                     int H, int KVH, const T* alibi_slopes, const int32_t* doc_start = nullptr);

// ---- tables (no gradient) ----
std::vector<double> alibi_slopes(int n_heads);
// (max_pos, dim) sinusoidal table: [t, 2i] = sin(t w_i), [t, 2i+1] = cos(t w_i), w_i = 10000^(-2i/dim)
std::vector<double> sinusoidal_table(int max_pos, int dim);
// (max_pos, hd/2) rope cos and sin tables
void rope_tables(int max_pos, int hd, double theta, std::vector<double>& cos_t, std::vector<double>& sin_t);

}  // namespace llm
