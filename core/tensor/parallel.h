// A parallel-for hook. core/ never starts threads (it must build for single-thread wasm), but a
// host can lend it some: the pthreads wasm module installs a pool (wasm/threads.cpp) through
// set_parallel_runner(). Without a runner every loop runs serially on the caller, in order.
// The native build keeps its OpenMP pragmas (eigen_util.h) and needs no runner.
//
// Work is split into contiguous chunks [begin, end); the caller must make chunks independent
// (disjoint writes) and must not rely on chunk order, so results never depend on the thread count.
#pragma once
#include <cstdint>

namespace llm {

// body(ctx, begin, end) runs one chunk; a runner calls it on `parts` disjoint chunks covering
// [0, n) (chunk i = [n*i/parts, n*(i+1)/parts)) and returns when all are done.
using ParallelBody = void (*)(void* ctx, int64_t begin, int64_t end);
using ParallelRunner = void (*)(int64_t n, int parts, void* ctx, ParallelBody body);

// Install (or with nullptr remove) the runner; `threads` is how many chunks it runs at once.
void set_parallel_runner(ParallelRunner runner, int threads);
int parallel_threads();  // 1 without a runner

namespace detail {
void parallel_run(int64_t n, int parts, void* ctx, ParallelBody body);
}

// f(begin, end) over [0, n) in at most parallel_threads() chunks of at least `grain` items each.
template <class F>
void parallel_for(int64_t n, int64_t grain, F&& f) {
  if (n <= 0) return;
  int64_t parts = parallel_threads();
  if (grain > 0 && n / grain < parts) parts = n / grain;
  if (parts <= 1) {
    f(int64_t(0), n);
    return;
  }
  detail::parallel_run(n, int(parts), &f, [](void* ctx, int64_t b, int64_t e) { (*static_cast<F*>(ctx))(b, e); });
}

// body(i) for i in [0, n), the iterations independent: OpenMP natively (as LLM_OMP_FOR_IF),
// core's hook otherwise (wasm: serial, or the pthread pool of the threaded module).
template <class F>
void parallel_loop(int64_t n, bool worth_it, F&& body) {
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) if (worth_it)
  for (int64_t i = 0; i < n; i++) body(i);
#else
  parallel_for(n, worth_it ? 1 : n, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) body(i);
  });
#endif
}

}  // namespace llm
