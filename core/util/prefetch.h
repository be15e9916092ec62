// Software prefetch of a byte range, one request per 64-byte cache line. Locality 3 asks for L1,
// 2 for L2 (GCC/Clang __builtin_prefetch; em++ compiles it to nothing). Used where the hardware
// prefetcher cannot see the next access coming: the next tile of a batched GEMV (gemv.cpp) and
// the next KV block of a sequence, anywhere in the pool (infer_model.cpp).
#pragma once
#include <cstddef>

namespace llm {

template <int Locality = 3>
inline void prefetch_bytes(const void* p, size_t bytes) {
  const char* c = static_cast<const char*>(p);
  for (size_t i = 0; i < bytes; i += 64) __builtin_prefetch(c + i, 0, Locality);
}

}  // namespace llm
