// A float array for big, long-lived arrays that are streamed whole (inference weights).
//
// Decoding reads every weight once per token: 60 MB for a stories15M-shaped model. With 4 KB
// pages that is 15,000 TLB misses per token; with 2 MB pages it is 30. The buffer is aligned to
// 2 MB so the OS can back it with huge pages, and a host hook (set by the native CLI: Linux
// madvise(MADV_HUGEPAGE), since core/ makes no OS calls) is told about each allocation.
// Measured (docs/kv_cache.md): one core streaming a 60 MB GEMV went from 20 to 24-27 GB/s.
#pragma once
#include <cstddef>

namespace llm {

using LargeBufferAdvice = void (*)(void* p, size_t bytes);
// The hook is called once per allocation with its start and (2 MB-rounded) size; null = none.
void set_large_buffer_advice(LargeBufferAdvice f);

class LargeBuffer {
 public:
  LargeBuffer() = default;
  explicit LargeBuffer(size_t n);  // n floats, zeroed
  ~LargeBuffer();
  LargeBuffer(LargeBuffer&& o) noexcept;
  LargeBuffer& operator=(LargeBuffer&& o) noexcept;
  LargeBuffer(const LargeBuffer&) = delete;
  LargeBuffer& operator=(const LargeBuffer&) = delete;

  float* data() { return p_; }
  const float* data() const { return p_; }
  size_t size() const { return n_; }

 private:
  float* p_ = nullptr;
  size_t n_ = 0;
};

}  // namespace llm
