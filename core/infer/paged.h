// Paged KV memory (docs/paged_attention.md): the pool of fixed-size blocks, the ref-counted block
// allocator with a prefix cache of full blocks, and the chain hash that names a block by all the
// tokens up to its end. The scheduler that uses them is engine.cpp.
#pragma once
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/util/large_buffer.h"

#include "core/infer/infer_model.h"

namespace llm {

// Hash of a full block = H(hash of the previous block, the block's tokens). Because it chains,
// equal hashes mean equal token PREFIXES (up to a 64-bit collision, the same trade-off as vLLM),
// and equal prefixes mean equal K/V at those positions: the block can be shared.
uint64_t block_hash(uint64_t parent, const int32_t* tokens, int n);
constexpr uint64_t kRootHash = 0x6a09e667f3bcc908ull;  // "parent" of a sequence's first block

// Ref-counted allocator over block ids 0..num_blocks-1.
//   ref 0      : free. It sits in the free list, oldest-freed first. A free block may still hold a
//                published prefix (cached): it is handed out again only after all never-cached
//                or older blocks, and lookup() can revive it until then.
//   ref k > 0  : held by k block tables (several sequences share a prefix / forked samples).
class BlockAllocator {
 public:
  explicit BlockAllocator(int num_blocks);
  int num_blocks() const { return int(ref_.size()); }
  int num_free() const { return nfree_; }
  int ref(int b) const { return ref_[size_t(b)]; }
  // a free block with ref 1 (evicting its cached prefix, if any); -1 when none is free
  int allocate();
  void retain(int b);   // ref + 1; a free cached block leaves the free list
  void release(int b);  // ref - 1; at 0 it joins the tail of the free list (content kept)
  // prefix cache of full blocks
  int lookup(uint64_t hash) const;          // the block holding that prefix, -1 when none
  void publish(int b, uint64_t hash);        // b (ref > 0, full) now answers `hash`; first one wins
  bool cached(int b) const { return has_hash_[size_t(b)] != 0; }
  // consistency of the free list, counts and hash map; throws std::logic_error naming the block
  void check() const;

 private:
  std::vector<int> ref_;          // (num_blocks)
  std::vector<int> prev_, next_;  // (num_blocks) intrusive doubly linked free list, -1 = none
  int head_ = -1, tail_ = -1, nfree_ = 0;
  std::vector<uint64_t> hash_;      // (num_blocks) published hash
  std::vector<uint8_t> has_hash_;   // (num_blocks)
  std::unordered_map<uint64_t, int> map_;  // hash -> block
  void unlink(int b);
  void push_tail(int b);
};

// The K/V memory: (num_blocks, n_layers, 2 [K, V], KVH, block_size, hd) fp32 or fp16 elements. Block-major, so a
// copy-on-write copies one contiguous range and a block is self-contained for all layers.
class KVPool {
 public:
  KVPool(const ModelConfig& cfg, int num_blocks, int block_size, KVDtype dtype = KVDtype::kF32);
  KVLayout layout();
  void copy_block(int src, int dst);  // all layers, K and V
  size_t bytes() const { return size_t(block_stride_) * size_t(num_blocks_) * elem_bytes(); }
  KVDtype dtype() const { return dtype_; }
  int block_size() const { return block_size_; }

 private:
  size_t elem_bytes() const { return dtype_ == KVDtype::kF16 ? sizeof(uint16_t) : sizeof(float); }
  int block_size_ = 0, num_blocks_ = 0;
  int64_t kvw_ = 0, layer_stride_ = 0, block_stride_ = 0;
  KVDtype dtype_ = KVDtype::kF32;
  // the pool's elements (fp32, or fp16 two to a float slot), in huge pages: attention reads
  // short runs (one head's rows of a block) all over tens of MB, a TLB miss per run with 4 KB pages
  LargeBuffer data_;
};

}  // namespace llm
