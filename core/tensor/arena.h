// Bump allocator for one concern (activations, or their gradients).
// Allocation is a pointer bump; reset() frees everything at once. When a step needed more than
// one block, reset() replaces the blocks by a single block of the total size, so from the second
// step on every step runs out of one contiguous buffer and zeroing is one memset.
#pragma once
#include <cstring>
#include <memory>
#include <new>
#include <vector>

namespace llm {

template <class T>
class Arena {
 public:
  explicit Arena(size_t block_elems = size_t(1) << 20) : block_elems_(block_elems) {}

  T* alloc(size_t n) {
    n = (n + 15) & ~size_t(15);  // keep every buffer 64-byte aligned (for float)
    if (blocks_.empty() || blocks_.back().used + n > blocks_.back().cap) {
      size_t cap = std::max(n, block_elems_);
      blocks_.push_back(Block{make_block(cap), cap, 0});
    }
    Block& b = blocks_.back();
    T* p = b.ptr.get() + b.used;
    b.used += n;
    return p;
  }

  void reset() {
    size_t total = 0;
    for (auto& b : blocks_) total += b.cap;
    if (blocks_.size() > 1) {
      blocks_.clear();
      blocks_.push_back(Block{make_block(total), total, 0});
    }
    for (auto& b : blocks_) b.used = 0;
  }

  void zero_used() {
    for (auto& b : blocks_) std::memset(b.ptr.get(), 0, b.used * sizeof(T));
  }

  size_t capacity_bytes() const {
    size_t c = 0;
    for (auto& b : blocks_) c += b.cap * sizeof(T);
    return c;
  }
  size_t used_bytes() const {
    size_t c = 0;
    for (auto& b : blocks_) c += b.used * sizeof(T);
    return c;
  }

 private:
  struct Free {
    void operator()(T* p) const { ::operator delete[](p, std::align_val_t(64)); }
  };
  // blocks start on a 64-byte (cache line / AVX-512) boundary; with sizes rounded to 16
  // elements every float buffer inside is 64-byte aligned too
  static std::unique_ptr<T, Free> make_block(size_t n) {
    return std::unique_ptr<T, Free>(static_cast<T*>(::operator new[](n * sizeof(T), std::align_val_t(64))));
  }
  struct Block {
    std::unique_ptr<T, Free> ptr;
    size_t cap, used;
  };
  size_t block_elems_;
  std::vector<Block> blocks_;
};

}  // namespace llm
