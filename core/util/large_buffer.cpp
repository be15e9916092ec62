#include "core/util/large_buffer.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace llm {

namespace {
LargeBufferAdvice g_advice = nullptr;
#if defined(__EMSCRIPTEN__)
constexpr size_t kAlign = 64;  // wasm memory has no huge pages; do not waste up to 2 MB
#else
constexpr size_t kAlign = size_t(2) << 20;
#endif
}  // namespace

void set_large_buffer_advice(LargeBufferAdvice f) { g_advice = f; }

LargeBuffer::LargeBuffer(size_t n) : n_(n) {
  if (n == 0) return;
  const size_t bytes = (n * sizeof(float) + kAlign - 1) / kAlign * kAlign;  // aligned_alloc: a multiple
  p_ = static_cast<float*>(std::aligned_alloc(kAlign, bytes));
  if (!p_) throw std::bad_alloc();
  if (g_advice) g_advice(p_, bytes);  // before the first touch, so the pages come in huge
  std::memset(p_, 0, n * sizeof(float));
}

LargeBuffer::~LargeBuffer() { std::free(p_); }

LargeBuffer::LargeBuffer(LargeBuffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}

LargeBuffer& LargeBuffer::operator=(LargeBuffer&& o) noexcept {
  if (this != &o) {
    std::free(p_);
    p_ = std::exchange(o.p_, nullptr);
    n_ = std::exchange(o.n_, 0);
  }
  return *this;
}

}  // namespace llm
