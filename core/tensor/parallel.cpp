// The parallel-for hook's state: one runner for the whole process (see parallel.h).
#include "core/tensor/parallel.h"

namespace llm {

namespace {
ParallelRunner g_runner = nullptr;
int g_threads = 1;
}  // namespace

void set_parallel_runner(ParallelRunner runner, int threads) {
  g_runner = runner;
  g_threads = runner && threads > 1 ? threads : 1;
}

int parallel_threads() { return g_threads; }

namespace detail {
void parallel_run(int64_t n, int parts, void* ctx, ParallelBody body) {
  if (!g_runner || parts <= 1) {
    body(ctx, 0, n);
    return;
  }
  g_runner(n, parts, ctx, body);
}
}  // namespace detail

}  // namespace llm
