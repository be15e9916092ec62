// (x, y) training windows over packed shards, in a deterministic seeded order
// with a resumable position. Works on ShardViews, so the same code serves the
// native mmap loader (native/shard_loader.h) and in-memory shards in the browser.
//
// Windows. Shard s with N tokens is cut into non-overlapping windows of T+1
// tokens starting at o + k*T (k = 0, 1, ...), where o in [0, T) is a per-epoch
// offset drawn from the seed (o = 0 without shuffling). x = tokens[start, start+T),
// y = tokens[start+1, start+T+1). Windows never cross shard files.
//
// Order. Epoch e visits every window of every shard once, in a Fisher-Yates
// permutation seeded by (seed, e). The position is (epoch, index in epoch); saving
// it with a checkpoint and restoring it with set_state() continues the exact
// stream of batches an uninterrupted run would have seen.
//
// Document boundaries (option doc_boundaries). Packing puts documents back to
// back, each ending in eot. With the option on:
//   * y[t] = -100 where the target y[t] is the first token of a new document
//     (that is, where x[t] is the previous document's eot): predicting an unrelated
//     document's opening from the previous one is noise, so it carries no loss;
//   * doc_start[t] = the window-local index where the document of x[t] begins
//     (0 when it began before the window). Attention for query t may then use keys
//     k in [doc_start[t], t] only, and t - doc_start[t] is a position id that
//     restarts at each document.
// With the option off, y is the plain shift and doc_start stays empty.
#pragma once
#include <cstdint>
#include <vector>

#include "core/data/shard_format.h"

namespace llm {

}  // namespace llm
#include "core/util/ignore_index.h"  // kIgnoreIndex
namespace llm {

struct SamplerOptions {
  int T = 256;                  // context length
  uint64_t seed = 1;
  bool shuffle = true;          // false: windows in file order, offset 0 (validation / eval)
  bool doc_boundaries = false;  // see above
};

struct SamplerState {
  uint64_t epoch = 0;
  uint64_t index = 0;  // windows of this epoch already handed out
  bool operator==(const SamplerState& o) const { return epoch == o.epoch && index == o.index; }
};

struct WindowBatch {
  int B = 0, T = 0;
  std::vector<int32_t> x;          // (B*T,) input ids, row b = window b
  std::vector<int32_t> y;          // (B*T,) next-token targets, -100 = ignore
  std::vector<int32_t> doc_start;  // (B*T,) with doc_boundaries, else empty
};

class WindowSampler {
 public:
  // shards: validated views whose bytes outlive the sampler. Throws when the
  // shards hold fewer than T+1 tokens in total (no window fits).
  WindowSampler(std::vector<ShardView> shards, const SamplerOptions& opt);

  uint64_t windows_in_epoch(uint64_t epoch) const;  // can differ by a few between epochs (the offset)
  uint64_t total_tokens() const { return total_tokens_; }
  const SamplerOptions& options() const { return opt_; }

  // Next B windows (crossing into the next epoch when this one ends).
  void next_batch(int B, WindowBatch& out);
  // Window k of epoch e, without touching the position.   // x, y, doc_start: (T,) each
  void window(uint64_t epoch, uint64_t k, int32_t* x, int32_t* y, int32_t* doc_start) const;

  SamplerState state() const { return state_; }
  void set_state(const SamplerState& s);

 private:
  struct Layout {                 // how epoch e cuts the shards
    uint64_t offset = 0;          // the per-epoch start offset o
    std::vector<uint64_t> first;  // (n_shards+1,) prefix sums of window counts
  };
  Layout layout(uint64_t epoch) const;
  void prepare_epoch(uint64_t epoch) const;  // fills cache_* for epoch
  void window_at(const Layout& L, uint64_t w, int32_t* x, int32_t* y, int32_t* doc_start) const;

  std::vector<ShardView> shards_;
  SamplerOptions opt_;
  uint64_t total_tokens_ = 0;
  SamplerState state_;
  // cached epoch layout and permutation (recomputed on epoch change)
  mutable uint64_t cache_epoch_ = ~uint64_t(0);
  mutable Layout cache_layout_;
  mutable std::vector<uint64_t> cache_perm_;  // (windows_in_epoch,) window order
};

}  // namespace llm
