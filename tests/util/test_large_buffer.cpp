// core/util/large_buffer.h: the weight arena of InferModel. It must come back zeroed and aligned
// (2 MB natively, so huge pages can back it), tell the host hook about the whole rounded range
// before anything is written, and move without copying or double-freeing.
#include <gtest/gtest.h>

#include <cstdint>
#include <utility>

#include "core/util/large_buffer.h"

namespace llm {
namespace {

struct Seen {
  void* p = nullptr;
  size_t bytes = 0;
  int calls = 0;
};
Seen g_seen;

TEST(LargeBuffer, ZeroedAlignedAndAdvised) {
#if defined(__EMSCRIPTEN__)
  const size_t align = 64;
#else
  const size_t align = size_t(2) << 20;
#endif
  g_seen = {};
  set_large_buffer_advice([](void* p, size_t bytes) { g_seen = {p, bytes, g_seen.calls + 1}; });
  const size_t n = 300000;  // 1.2 MB: not a multiple of the alignment
  LargeBuffer b(n);
  set_large_buffer_advice(nullptr);
  ASSERT_NE(b.data(), nullptr);
  EXPECT_EQ(b.size(), n);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % align, 0u);
  for (size_t i = 0; i < n; i++) ASSERT_EQ(b.data()[i], 0.f) << i;
  EXPECT_EQ(g_seen.calls, 1);
  EXPECT_EQ(g_seen.p, static_cast<void*>(b.data()));
  EXPECT_GE(g_seen.bytes, n * sizeof(float));
  EXPECT_EQ(g_seen.bytes % align, 0u);
}

TEST(LargeBuffer, MovesOwnership) {
  LargeBuffer a(1000);
  a.data()[999] = 7.f;
  float* p = a.data();
  LargeBuffer b(std::move(a));
  EXPECT_EQ(b.data(), p);
  EXPECT_EQ(b.data()[999], 7.f);
  EXPECT_EQ(a.data(), nullptr);
  EXPECT_EQ(a.size(), 0u);
  LargeBuffer c(10);
  c = std::move(b);  // frees c's old storage, takes b's
  EXPECT_EQ(c.data(), p);
  EXPECT_EQ(c.size(), 1000u);
  EXPECT_EQ(b.data(), nullptr);
  LargeBuffer empty(0);
  EXPECT_EQ(empty.data(), nullptr);
  EXPECT_EQ(empty.size(), 0u);
}

}  // namespace
}  // namespace llm
