// Threads for the wasm core: a small pthread pool behind core's parallel-for hook
// (core/tensor/parallel.h). Linked into both modules; only the pthreads build
// (web/generated/llm_core_mt.*, compiled with -pthread) has a pool, the single-thread build
// answers maxThreads() == 1 and setThreads() is a no-op there.
//   M.maxThreads()   how many threads setThreads may ask for (1 without pthreads)
//   M.setThreads(n)  use n threads (the caller + n-1 pool workers); returns the count in use
//   M.threadCount()  the count in use
//
// The calling thread is the page's Web Worker (blocking is allowed there), never the browser's
// main thread. A job is split into `parts` chunks; each thread claims chunks under one mutex
// (there are only a handful per job) and the caller joins in, then waits for the last one.
// Workers spin briefly before sleeping: a training step issues dozens of GEMMs back to back and a
// futex wake-up in the browser costs tens of microseconds.
#include <emscripten/bind.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/tensor/parallel.h"
#include "wasm/threads.h"

namespace {

#if defined(__EMSCRIPTEN_PTHREADS__)
// keep in step with -sPTHREAD_POOL_SIZE in CMakeLists.txt: a pthread can only start on a
// pre-spawned Web Worker while the caller blocks, so the pool bounds the thread count
constexpr int kMaxThreads = LLM_WASM_POOL_SIZE + 1;

thread_local bool t_in_job = false;  // a parallel_for inside a chunk runs serially

class Pool {
 public:
  explicit Pool(int workers) {
    for (int i = 0; i < workers; i++) threads_.emplace_back([this] { worker(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lk(m_);
      stop_ = true;
      gen_.fetch_add(1);
    }
    start_cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  int size() const { return int(threads_.size()) + 1; }

  void run(int64_t n, int parts, void* ctx, llm::ParallelBody body) {
    if (t_in_job) {
      body(ctx, 0, n);
      return;
    }
    uint64_t g;
    {
      std::lock_guard<std::mutex> lk(m_);
      n_ = n, parts_ = parts, ctx_ = ctx, body_ = body, next_ = 0;
      left_.store(parts);
      g = gen_.fetch_add(1) + 1;
    }
    start_cv_.notify_all();
    work(g);
    for (int spin = 0; spin < 1 << 16 && left_.load() > 0; spin++) {
    }
    std::unique_lock<std::mutex> lk(m_);
    done_cv_.wait(lk, [&] { return left_.load() == 0; });
  }

 private:
  // claim and run chunks of job g until none are left
  void work(uint64_t g) {
    t_in_job = true;
    for (;;) {
      int64_t b, e;
      void* ctx;
      llm::ParallelBody body;
      {
        std::lock_guard<std::mutex> lk(m_);
        if (gen_.load() != g || next_ >= parts_) break;
        const int i = next_++;
        b = n_ * i / parts_, e = n_ * (i + 1) / parts_;
        ctx = ctx_, body = body_;
      }
      body(ctx, b, e);
      if (left_.fetch_sub(1) == 1) {
        std::lock_guard<std::mutex> lk(m_);
        done_cv_.notify_all();
      }
    }
    t_in_job = false;
  }
  void worker() {
    uint64_t seen = 0;
    for (;;) {
      for (int spin = 0; spin < 1 << 16 && gen_.load() == seen; spin++) {
      }
      {
        std::unique_lock<std::mutex> lk(m_);
        start_cv_.wait(lk, [&] { return gen_.load() != seen; });
        if (stop_) return;
        seen = gen_.load();
      }
      work(seen);
    }
  }

  std::mutex m_;
  std::condition_variable start_cv_, done_cv_;
  std::atomic<uint64_t> gen_{0};  // bumped once per job (and to stop)
  std::atomic<int> left_{0};      // chunks of the current job not finished yet
  int64_t n_ = 0;                 // the current job, guarded by m_
  int parts_ = 0, next_ = 0;
  void* ctx_ = nullptr;
  llm::ParallelBody body_ = nullptr;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

std::unique_ptr<Pool> g_pool;

void pool_runner(int64_t n, int parts, void* ctx, llm::ParallelBody body) { g_pool->run(n, parts, ctx, body); }
#endif

int thread_count() { return llm::parallel_threads(); }

}  // namespace

namespace llm::wasm {
#if defined(__EMSCRIPTEN_PTHREADS__)
int set_threads(int n) {
  n = std::max(1, std::min(n, kMaxThreads));
  if (n == 1) {
    llm::set_parallel_runner(nullptr, 1);
    return 1;  // the pool (if any) stays asleep for a later setThreads(n > 1)
  }
  if (!g_pool || g_pool->size() < n) {
    llm::set_parallel_runner(nullptr, 1);
    g_pool.reset();
    g_pool = std::make_unique<Pool>(n - 1);
  }
  llm::set_parallel_runner(pool_runner, n);
  return n;
}
int max_threads() { return kMaxThreads; }
#else
int set_threads(int) { return 1; }
int max_threads() { return 1; }
#endif
}  // namespace llm::wasm

EMSCRIPTEN_BINDINGS(llm_threads) {
  emscripten::function("maxThreads", &llm::wasm::max_threads);
  emscripten::function("setThreads", &llm::wasm::set_threads);
  emscripten::function("threadCount", &thread_count);
}
