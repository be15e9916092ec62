// The serving engine (vLLM-style, docs/paged_attention.md): a pool of fixed-size KV blocks,
// per-sequence block tables, a ref-counted block allocator with prefix sharing of full blocks and
// copy-on-write, and a continuous-batching scheduler. Single-threaded and OS-free: the native
// server drives it from one loop thread; the web page drives it from its worker.
//
// Each step(): admit waiting requests while blocks allow (prefill of a prompt may be chunked by
// max_batched_tokens), run ONE batched forward that mixes prefill chunks and decode tokens, sample,
// and free the blocks of finished sequences at once. When the pool is full a running sequence is
// preempted (its blocks freed, it goes back to the front of the waiting queue and is recomputed).
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/infer/infer_model.h"
#include "core/infer/sampler.h"

namespace llm {

struct EngineConfig {
  int block_size = 16;          // tokens per KV block
  int num_blocks = 256;         // blocks in the pool (each holds K and V of all layers)
  int max_num_seqs = 16;        // running sequences at most
  int max_batched_tokens = 512; // tokens per forward (prefill chunks + decodes)
  bool prefix_sharing = true;   // reuse full blocks of identical prompt prefixes across requests
  KVDtype kv_dtype = KVDtype::kF32;  // element type of the pool: fp16 halves its bytes (docs/kv_cache.md)
};

struct GenerationEvent {
  int64_t request_id = 0;
  int index = 0;                 // which of the request's n samples
  int32_t token = -1;            // -1 on a finish-only event (abort)
  TokenChoice choice;            // token + logprobs
  bool finished = false;
  std::string finish_reason;     // "stop" (stop token), "length" (max_tokens / context), "abort"
};

// What the web page draws and /metrics reports.
struct EngineSnapshot {
  int num_blocks = 0, block_size = 0, free_blocks = 0;
  std::vector<int> ref_count;            // (num_blocks) 0 = free
  std::vector<int32_t> block_tokens;     // (num_blocks) tokens written in each block (0 when free)
  std::vector<uint8_t> cached;           // (num_blocks) 1 = holds a published full prefix block
                                         //   (a free cached block can still be revived by a hit)
  struct Seq {
    int64_t request_id; int index; int length; std::string state;  // "waiting" | "running"
    std::vector<int> block_table;        // logical block -> physical block
  };
  std::vector<Seq> seqs;
  int waiting = 0, running = 0;
  int64_t preemptions = 0, prefix_hits = 0, cow_copies = 0, tokens_generated = 0, prompt_tokens = 0;
  int64_t requests_added = 0, requests_finished = 0, requests_aborted = 0;
  int64_t steps = 0, tokens_computed = 0;  // forwards run; tokens whose K/V were computed (incl. recompute)
  int last_batch_tokens = 0, last_batch_seqs = 0;  // size of the latest forward
  size_t kv_bytes = 0;                             // pool memory
};

class Engine {
 public:
  Engine(std::shared_ptr<const InferModel> model, EngineConfig cfg);
  ~Engine();
  // Queues a request; n samples share the prompt's blocks (copy-on-write on divergence).
  // Throws std::invalid_argument (message fit for an HTTP 400) on an empty prompt, a prompt
  // + max_tokens beyond the context, a prompt that can never fit the pool, or bad params.
  int64_t add_request(const std::vector<int32_t>& prompt, const SamplingParams& sp, int n = 1);
  // Ends a request now (client gone / stop string found): frees its blocks, emits nothing more.
  void abort(int64_t request_id);
  bool has_work() const;
  // One scheduler iteration; returns the tokens produced (and finish events).
  std::vector<GenerationEvent> step();
  EngineSnapshot snapshot() const;
  const EngineConfig& config() const;
  const InferModel& model() const;
  // Times every forward by phase into *p (null: off). The benchmark's breakdown of a step.
  void set_profile(StepProfile* p);
  // Internal consistency (tests): every block's ref count equals the number of block tables
  // holding it, free count matches, each table covers its computed tokens. Throws std::logic_error.
  void check() const;

  struct Impl;
 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace llm
