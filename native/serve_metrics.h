// Prometheus text exposition of `llm serve` (GET /metrics, docs/server.md "Metrics").
// HTTP-side counters live here (updated by handler threads, atomics + one mutex); the engine's
// numbers (KV blocks, queue lengths, preemptions) are read from the engine loop on each scrape.
#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "native/serve_loop.h"

namespace llm::cli {

struct ServeMetrics {
  std::atomic<int64_t> prompt_tokens{0};      // prompt tokens of accepted requests
  std::atomic<int64_t> generation_tokens{0};  // tokens generated for clients (stop tokens included)
  std::atomic<int64_t> client_aborts{0};      // requests ended because the client went away
  std::atomic<int64_t> stop_string_aborts{0}; // requests ended early by a stop string

  // one count per answered HTTP request
  void count_request(const std::string& endpoint, int status);
  // the whole page; `engine` from EngineLoop::stats()
  std::string render(const LoopStats& engine, int http_threads) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, int64_t> requests_;  // (endpoint, status) -> count
};

}  // namespace llm::cli
