#include "native/serve_metrics.h"

#include <sstream>

namespace llm::cli {

void ServeMetrics::count_request(const std::string& endpoint, int status) {
  std::lock_guard<std::mutex> lk(mu_);
  requests_[{endpoint, status}]++;
}

static void metric(std::ostringstream& o, const char* name, const char* type, const char* help, int64_t v) {
  o << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n" << name << " " << v << "\n";
}

std::string ServeMetrics::render(const LoopStats& s, int http_threads) const {
  std::ostringstream o;
  o << "# HELP llm_requests_total HTTP requests answered, by endpoint and status code\n"
       "# TYPE llm_requests_total counter\n";
  {
    std::lock_guard<std::mutex> lk(mu_);
    for (const auto& [k, v] : requests_)
      o << "llm_requests_total{endpoint=\"" << k.first << "\",status=\"" << k.second << "\"} " << v << "\n";
  }
  metric(o, "llm_prompt_tokens_total", "counter", "Prompt tokens of accepted requests", prompt_tokens.load());
  metric(o, "llm_generation_tokens_total", "counter", "Tokens generated for clients", generation_tokens.load());
  metric(o, "llm_client_aborts_total", "counter", "Requests aborted because the client disconnected",
         client_aborts.load());
  metric(o, "llm_stop_string_aborts_total", "counter", "Requests ended early by a stop string",
         stop_string_aborts.load());
  const EngineSnapshot& e = s.engine;
  metric(o, "llm_kv_blocks_total", "gauge", "KV cache blocks in the pool", e.num_blocks);
  metric(o, "llm_kv_blocks_in_use", "gauge", "KV cache blocks holding a sequence's tokens", e.num_blocks - e.free_blocks);
  metric(o, "llm_kv_block_size", "gauge", "Tokens per KV block", e.block_size);
  metric(o, "llm_kv_tokens_in_blocks", "gauge",
         "Tokens written in the blocks in use (slots of those blocks minus this: internal fragmentation)",
         s.kv_tokens);
  metric(o, "llm_num_requests_running", "gauge", "Sequences in the running batch", e.running);
  metric(o, "llm_num_requests_waiting", "gauge", "Sequences waiting for admission", e.waiting);
  metric(o, "llm_requests_in_flight", "gauge", "HTTP requests submitted to the engine and not finished", s.in_flight);
  metric(o, "llm_preemptions_total", "counter", "Sequences preempted (recomputed) because the pool was full",
         e.preemptions);
  metric(o, "llm_prefix_cache_hits_total", "counter", "Full KV blocks reused from an identical prompt prefix",
         e.prefix_hits);
  metric(o, "llm_cow_copies_total", "counter", "Copy-on-write block copies", e.cow_copies);
  metric(o, "llm_engine_tokens_generated_total", "counter", "Tokens sampled by the engine", e.tokens_generated);
  metric(o, "llm_engine_prompt_tokens_total", "counter", "Prompt tokens admitted by the engine", e.prompt_tokens);
  metric(o, "llm_engine_steps_total", "counter", "Engine scheduler iterations", s.steps);
  metric(o, "llm_http_threads", "gauge", "HTTP handler threads", http_threads);
  return o.str();
}

}  // namespace llm::cli
