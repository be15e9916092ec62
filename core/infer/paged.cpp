// Block allocator, prefix-cache hash and KV pool (docs/paged_attention.md).
#include "core/infer/paged.h"

#include <cstring>
#include <stdexcept>
#include <string>

namespace llm {

namespace {
uint64_t mix(uint64_t z) {  // splitmix64 finalizer
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
}  // namespace

uint64_t block_hash(uint64_t parent, const int32_t* tokens, int n) {
  uint64_t h = mix(parent ^ 0x9E3779B97F4A7C15ull) ^ uint64_t(n);
  for (int i = 0; i < n; i++) h = mix(h + uint64_t(uint32_t(tokens[i])) * 0xD6E8FEB86659FD93ull);
  return h;
}

// ---------------------------------------------------------------- BlockAllocator
BlockAllocator::BlockAllocator(int n) {
  if (n <= 0) throw std::invalid_argument("BlockAllocator: num_blocks must be > 0, got " + std::to_string(n));
  ref_.assign(size_t(n), 0);
  prev_.assign(size_t(n), -1);
  next_.assign(size_t(n), -1);
  hash_.assign(size_t(n), 0);
  has_hash_.assign(size_t(n), 0);
  for (int b = 0; b < n; b++) push_tail(b);
}

void BlockAllocator::push_tail(int b) {
  prev_[size_t(b)] = tail_;
  next_[size_t(b)] = -1;
  if (tail_ >= 0) next_[size_t(tail_)] = b;
  else head_ = b;
  tail_ = b;
  nfree_++;
}

void BlockAllocator::unlink(int b) {
  const int p = prev_[size_t(b)], n = next_[size_t(b)];
  if (p >= 0) next_[size_t(p)] = n;
  else head_ = n;
  if (n >= 0) prev_[size_t(n)] = p;
  else tail_ = p;
  prev_[size_t(b)] = next_[size_t(b)] = -1;
  nfree_--;
}

int BlockAllocator::allocate() {
  if (head_ < 0) return -1;
  const int b = head_;
  unlink(b);
  if (has_hash_[size_t(b)]) {  // evict the cached prefix this block was holding
    auto it = map_.find(hash_[size_t(b)]);
    if (it != map_.end() && it->second == b) map_.erase(it);
    has_hash_[size_t(b)] = 0;
  }
  ref_[size_t(b)] = 1;
  return b;
}

void BlockAllocator::retain(int b) {
  if (b < 0 || b >= num_blocks()) throw std::logic_error("BlockAllocator::retain: bad block " + std::to_string(b));
  if (ref_[size_t(b)] == 0) unlink(b);
  ref_[size_t(b)]++;
}

void BlockAllocator::release(int b) {
  if (b < 0 || b >= num_blocks() || ref_[size_t(b)] <= 0)
    throw std::logic_error("BlockAllocator::release: block " + std::to_string(b) + " is not held");
  if (--ref_[size_t(b)] == 0) push_tail(b);
}

int BlockAllocator::lookup(uint64_t h) const {
  auto it = map_.find(h);
  return it == map_.end() ? -1 : it->second;
}

void BlockAllocator::publish(int b, uint64_t h) {
  if (has_hash_[size_t(b)] || map_.count(h)) return;  // already named, or another block holds it
  map_[h] = b;
  hash_[size_t(b)] = h;
  has_hash_[size_t(b)] = 1;
}

void BlockAllocator::check() const {
  auto fail = [](const std::string& m) { throw std::logic_error("BlockAllocator: " + m); };
  std::vector<uint8_t> in_list(ref_.size(), 0);
  int count = 0, prev = -1;
  for (int b = head_; b >= 0; b = next_[size_t(b)]) {
    if (in_list[size_t(b)]) fail("free list has a cycle at block " + std::to_string(b));
    if (prev_[size_t(b)] != prev) fail("free list back link broken at block " + std::to_string(b));
    in_list[size_t(b)] = 1;
    prev = b;
    count++;
  }
  if (prev != tail_) fail("free list tail is wrong");
  if (count != nfree_) fail("free count " + std::to_string(nfree_) + " but " + std::to_string(count) + " in list");
  for (size_t b = 0; b < ref_.size(); b++) {
    if (ref_[b] < 0) fail("negative ref count on block " + std::to_string(b));
    if ((ref_[b] == 0) != (in_list[b] != 0))
      fail("block " + std::to_string(b) + " has ref " + std::to_string(ref_[b]) + " but free-list membership " +
           std::to_string(int(in_list[b])));
    if (has_hash_[b]) {
      auto it = map_.find(hash_[b]);
      if (it == map_.end() || it->second != int(b)) fail("cached block " + std::to_string(b) + " missing from map");
    }
  }
  for (auto& kv : map_)
    if (!has_hash_[size_t(kv.second)] || hash_[size_t(kv.second)] != kv.first) fail("stale hash map entry");
}

// ---------------------------------------------------------------- KVPool
KVPool::KVPool(const ModelConfig& cfg, int num_blocks, int block_size, KVDtype dtype)
    : block_size_(block_size), num_blocks_(num_blocks), dtype_(dtype) {
  if (num_blocks <= 0 || block_size <= 0)
    throw std::invalid_argument("KVPool: num_blocks and block_size must be > 0");
  kvw_ = int64_t(cfg.kv_heads()) * cfg.head_dim();
  layer_stride_ = 2 * int64_t(block_size) * kvw_;
  block_stride_ = int64_t(cfg.n_layers) * layer_stride_;
  const size_t n = size_t(block_stride_) * size_t(num_blocks);
  data_ = LargeBuffer(dtype == KVDtype::kF16 ? (n + 1) / 2 : n);  // zeroed
}

KVLayout KVPool::layout() {
  KVLayout L;
  L.base = dtype_ == KVDtype::kF16 ? nullptr : data_.data();
  L.base16 = dtype_ == KVDtype::kF16 ? reinterpret_cast<uint16_t*>(data_.data()) : nullptr;
  L.block_size = block_size_;
  L.block_stride = block_stride_;
  L.layer_stride = layer_stride_;
  L.v_offset = int64_t(block_size_) * kvw_;
  return L;
}

void KVPool::copy_block(int src, int dst) {
  char* base = reinterpret_cast<char*>(data_.data());
  const size_t block = size_t(block_stride_) * elem_bytes();
  std::memcpy(base + size_t(dst) * block, base + size_t(src) * block, block);
}

}  // namespace llm
