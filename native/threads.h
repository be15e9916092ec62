#pragma once
#if defined(_OPENMP)
#include <omp.h>
#endif

namespace llm::cli {
inline void set_threads(int n) {
#if defined(_OPENMP)
  omp_set_num_threads(n > 0 ? n : 1);
#else
  (void)n;
#endif
}
inline int get_threads() {
#if defined(_OPENMP)
  return omp_get_max_threads();
#else
  return 1;
#endif
}
}  // namespace llm::cli
