// Inference-time model: read-only weights taken from a Transformer<float> (optionally with the
// linear layers quantized to int8), and forward passes that write/read a KV cache instead of
// recording a tape. Two caches share one forward: a contiguous one (KVCache: one slab per
// sequence) and the paged pool (paged.h), whose attention reads K/V straight from the blocks.
// Theory: docs/kv_cache.md, docs/paged_attention.md.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/infer/quant.h"
#include "core/model/transformer.h"

namespace llm {

struct InferOptions {
  bool quantize_int8 = false;
  int quant_group = 64;           // per-channel (one scale per output row) when 0 or not dividing a layer's cols
  bool int8_activations = false;  // int8 x int8 kernels instead of int8 x fp32
  // bf16 linears (gemm_bf16.h): weights rounded to bf16 once, inputs as each product starts,
  // fp32 sums; AMX tiles when the host enabled them. Not with quantize_int8.
  bool bf16 = false;
};

// Where the K and V rows of a sequence live. For layer l, KV head kh and position p of a sequence
// whose block table is `table` (logical block -> physical block):
//   K row (hd floats) = base + table[p / block_size] * block_stride + l * layer_stride
//                            + kh * block_size * hd + (p % block_size) * hd
//   V row             = K row + v_offset
// Head-major inside a block (as in vLLM): one head's keys of a block are ONE contiguous
// (block_size, hd) run, which decode attention streams; token-major rows (stride KVH*hd) left
// the prefetcher 3 cache lines per 1 KB stride, and attention took a quarter to a third of a
// 16-stream step.
// Element type: fp32 (base) or IEEE fp16 (base16, exactly one of the two is set). fp16 halves the
// pool and the bytes attention streams; rows are rounded to nearest-even once, when written, and
// read back exactly (core/util/half.h, docs/kv_cache.md "fp16 KV"). Offsets count elements.
// The contiguous KVCache is the special case of ONE block of max_seq_len tokens (table = {0}).
// The paged pool (paged.h) stores block-major: (num_blocks, n_layers, 2 [K,V], KVH, block_size, hd).
enum class KVDtype : uint8_t { kF32, kF16 };
KVDtype parse_kv_dtype(const std::string& s);  // "f32" | "f16"; std::invalid_argument otherwise
const char* kv_dtype_name(KVDtype d);

struct KVLayout {
  float* base = nullptr;
  uint16_t* base16 = nullptr;
  int block_size = 0;
  int64_t block_stride = 0;  // elements between physical blocks
  int64_t layer_stride = 0;  // elements between layers inside a block
  int64_t v_offset = 0;      // elements from a K row to its V row
};

// One sequence's share of a batched forward: its n_tokens new tokens sit at positions
// pos0 .. pos0+n_tokens-1 (all earlier positions are already in its blocks).
struct BatchSeq {
  enum Logits : uint8_t { kNone = 0, kLast = 1, kAll = 2 };
  const int32_t* block_table = nullptr;  // covers positions 0 .. pos0+n_tokens-1
  int pos0 = 0;
  int n_tokens = 0;
  Logits logits = kNone;  // which rows of this chunk need logits
};

// Scratch reused across forwards so a decode step allocates nothing once warmed up.
// Sizes grow to the largest batch seen and then stay.
// Wall time of forward_batch by phase (ms, summed over calls) when InferScratch::profile points
// at one: `llm bench serve --engine-only` prints it per engine step (docs/kv_cache.md).
struct StepProfile {
  double embed = 0, norm = 0, gemv = 0, attention = 0, act = 0, residual = 0, head = 0;
  int64_t forwards = 0;
  double total() const { return embed + norm + gemv + attention + act + residual + head; }
};

struct InferScratch {
  std::vector<float> x;       // (N, C) residual stream
  std::vector<float> a;       // (N, C) normed input of a sublayer
  std::vector<float> qkv;     // (N, (H + 2*KVH)*hd) fused q | k | v
  std::vector<float> att;     // (N, H*hd) attention output
  std::vector<float> ff;      // (N, 2F) fused gate | up (swiglu) or (N, F) up (gelu)
  std::vector<float> hid;     // (N, F) activation of the ffn
  std::vector<float> sel;     // (R, C) normed rows that need logits
  std::vector<float> logits;  // (R, V)
  std::vector<float> scores;  // (threads, max_seq_len) attention probabilities per thread
  std::vector<int32_t> pos;   // (N) absolute position of each token
  std::vector<int32_t> seq;   // (N) which BatchSeq each token belongs to
  std::vector<int32_t> rows;  // (R) token rows that need logits
  StepProfile* profile = nullptr;  // not owned; null = no clock reads
};

class InferModel {
 public:
  InferModel(const Transformer<float>& model, InferOptions opt = {});
  const ModelConfig& cfg() const;
  const InferOptions& options() const;
  size_t weight_bytes() const;  // resident weight memory (int8 + scales when quantized)
  int kv_dim() const;           // KVH * hd: floats per K (or V) row of one layer
  // Reference: full forward over tokens (T) with no cache -> logits (T, V).
  std::vector<float> forward_full(const std::vector<int32_t>& tokens) const;

  // The one forward every cache uses. Tokens of all sequences are concatenated in the order of
  // seqs (sum of n_tokens). Writes the K/V of every token into its sequence's blocks, then
  // attention reads positions 0..p of the sequence straight from the blocks. Returns the logits
  // (R, V) of the requested rows (in seq order, rows in token order), valid until the next call
  // with the same scratch. Throws std::runtime_error on a bad token id or a position beyond
  // max_seq_len. The caller guarantees no block written here is shared with another sequence.
  const float* forward_batch(const KVLayout& kv, const BatchSeq* seqs, int n_seqs, const int32_t* tokens,
                             InferScratch& s) const;

  // (implementation detail fields are private; see infer_model.cpp)
  struct Impl;
  std::shared_ptr<const Impl> impl() const { return impl_; }

 private:
  std::shared_ptr<const Impl> impl_;
};

// Contiguous cache for one sequence: K and V (n_layers, max_seq_len, KVH*hd) each, interleaved
// per layer as (n_layers, 2, max_seq_len, KVH*hd) so one KVLayout describes it.
class KVCache {
 public:
  explicit KVCache(const ModelConfig& cfg, KVDtype dtype = KVDtype::kF32);
  int length() const { return len_; }  // tokens cached
  void clear() { len_ = 0; }
  // Appends tokens (n) at positions length()..length()+n-1 and returns their logits (n, V)
  // (or only the last row when last_only).
  std::vector<float> forward(const InferModel& m, const int32_t* tokens, int n, bool last_only = false);
  // Same as forward(.., last_only = true) without allocating: the (V) logits of the last token,
  // valid until the next call. This is the decode loop of chat and the benchmarks.
  const float* forward_last(const InferModel& m, const int32_t* tokens, int n);
  size_t bytes() const { return kv_.size() * sizeof(float) + kv16_.size() * sizeof(uint16_t); }

 private:
  ModelConfig cfg_;
  int len_ = 0;
  std::vector<float> kv_;       // (n_layers, 2, KVH, max_seq_len, hd) when fp32
  std::vector<uint16_t> kv16_;  // the same when fp16
  int32_t table_[1] = {0};
  InferScratch scratch_;
  const float* run(const InferModel& m, const int32_t* tokens, int n, BatchSeq::Logits which);
};

// Benchmark/test helper (no clock here: the caller times it). Clears the cache, feeds the
// prompt in one forward, then decodes n_new tokens greedily one forward per token (the decode
// loop allocates nothing). Returns the n_new generated tokens.
std::vector<int32_t> greedy_decode(const InferModel& m, KVCache& cache, const std::vector<int32_t>& prompt,
                                   int n_new);

// Mean cross-entropy of each of B windows: x, y (B, T) inputs and next-token targets (-100 =
// ignored), logits from forward_full, log-softmax in double. `llm eval ppl --quantize` uses it to
// measure what int8 weights cost in perplexity (docs/quantization.md). A row without targets
// gets 0.
std::vector<double> window_row_losses(const InferModel& m, const int32_t* x, const int32_t* y, int B, int T);

// Weights read per decoded token (bytes): what bounds single-stream decode speed on a CPU.
size_t decode_bytes_per_token(const InferModel& m);

// Replaces, in place, every weight that InferModel(m, {quantize_int8 = true, quant_group}) would
// hold in int8 (the token table, q/k/v/o, gate/up/down, lm_head) by its int8 round trip, with the
// same groups. Tasks that score with the training forward (log-likelihood: MCQ, preferences,
// perplexity windows) then see exactly the int8 model's weights (`llm eval ... --quantize`).
void round_weights_to_int8(Transformer<float>& m, int quant_group);

}  // namespace llm
