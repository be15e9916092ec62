// Row-major Eigen views over raw buffers (docs/layout.md).
#pragma once
#include <Eigen/Dense>

namespace llm {
template <class T>
using MatR = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using MapR = Eigen::Map<MatR<T>>;
template <class T>
using CMapR = Eigen::Map<const MatR<T>>;
// a (rows, cols) block whose rows are `stride` elements apart (one head inside (B*T, H*hd))
template <class T>
using SMapR = Eigen::Map<MatR<T>, 0, Eigen::OuterStride<>>;
template <class T>
using CSMapR = Eigen::Map<const MatR<T>, 0, Eigen::OuterStride<>>;
}  // namespace llm

// Parallel loops are optional: without OpenMP (wasm) they run serially.
#if defined(_OPENMP)
#define LLM_PRAGMA(x) _Pragma(#x)
#define LLM_OMP_FOR_IF(cond) LLM_PRAGMA(omp parallel for schedule(static) if (cond))
// a team for several loops (each LLM_OMP_FOR inside splits its iterations, then waits for all)
#define LLM_OMP_PARALLEL_IF(cond) LLM_PRAGMA(omp parallel if (cond))
#define LLM_OMP_FOR LLM_PRAGMA(omp for schedule(static))
#else
#define LLM_OMP_FOR_IF(cond)
#define LLM_OMP_PARALLEL_IF(cond)
#define LLM_OMP_FOR
#endif
