// The engine loop thread of `llm serve` (docs/server.md, "Threading model").
//
// The Engine (core/infer/engine.h) is single-threaded, so exactly ONE thread owns it: the loop
// thread started here. HTTP handler threads never touch the Engine; they post commands (add,
// abort, stats) into a mutex + condition-variable queue and read their tokens from a per-request
// mailbox (RequestStream). Between two engine steps the loop drains the command queue, so new
// requests join the running batch at the next step (continuous batching across HTTP requests).
//
//   handler threads                     loop thread (owns Engine)
//   ---------------                     ------------------------
//   submit() --Add--> queue_ ---------> engine.add_request()   -> promise: id or error
//   abort()  --Abort-> queue_ --------> engine.abort()         -> abort events into the mailbox
//   stream->wait() <---- events ------- engine.step()          -> GenerationEvents by request id
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/infer/engine.h"

namespace llm::cli {

// Mailbox of one HTTP request: the loop pushes events, the handler pops them.
struct RequestStream {
  int64_t id = -1;
  int n = 1;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<GenerationEvent> events;  // guarded by mu
  std::string error;                   // set when the engine failed (guarded by mu)
  // Waits up to timeout_ms for events and moves them out (empty on timeout).
  std::deque<GenerationEvent> wait(int timeout_ms);
};

struct LoopStats {
  EngineSnapshot engine;  // without the per-block vectors (kept small)
  int64_t steps = 0;
  int in_flight = 0;      // requests submitted and not finished
  int64_t kv_tokens = 0;  // tokens written in the blocks in use (their slots minus these = waste)
};

class EngineLoop {
 public:
  EngineLoop(std::shared_ptr<const InferModel> model, EngineConfig cfg, int step_delay_ms = 0);
  ~EngineLoop();  // stop()

  // Handler thread: queues the request and blocks until the loop thread accepted it. Throws
  // std::invalid_argument with the engine's message when it was refused (an HTTP 400), and
  // std::runtime_error when the loop is stopped.
  std::shared_ptr<RequestStream> submit(const std::vector<int32_t>& prompt, const SamplingParams& sp, int n);
  // Any thread: ends a request (client gone, stop string found). Its unfinished samples get an
  // "abort" finish event; unknown / finished ids are ignored.
  void abort(int64_t id);
  // Ends every request in flight (shutdown) the same way.
  void abort_all();
  // Blocks until the loop answered (between two steps), so the numbers are consistent.
  LoopStats stats();
  // Blocks until no request is in flight or timeout_ms passed; true when idle.
  bool wait_idle(int timeout_ms);
  // Aborts what is left, stops and joins the loop thread. Idempotent.
  void stop();

 private:
  struct Cmd {
    enum Kind { Add, Abort, AbortAll, Stats } kind;
    std::vector<int32_t> prompt;
    SamplingParams sp;
    int n = 1;
    int64_t id = -1;
    std::shared_ptr<RequestStream> stream;
    std::shared_ptr<std::promise<int64_t>> added;  // Add: id or exception
    std::shared_ptr<std::promise<LoopStats>> stats;
  };
  struct Live {  // loop-thread bookkeeping of one request
    std::shared_ptr<RequestStream> stream;
    std::vector<uint8_t> finished;  // (n) sample done
    int remaining = 0;
  };
  void post(Cmd c);
  void run();
  void handle(Cmd& c);
  void deliver(const std::vector<GenerationEvent>& events);
  void finish_all_of(int64_t id, const std::string& reason, const std::string& error);

  Engine engine_;  // touched by the loop thread only (after construction)
  int step_delay_ms_;
  std::mutex mu_;
  std::condition_variable cv_;       // wakes the loop: command queued or stop
  std::condition_variable idle_cv_;  // wakes wait_idle()
  std::deque<Cmd> queue_;            // guarded by mu_
  bool stop_ = false;                // guarded by mu_
  int in_flight_ = 0;                // guarded by mu_
  std::unordered_map<int64_t, Live> live_;  // loop thread only: requests in the engine
  int64_t steps_ = 0;
  std::thread thread_;
};

}  // namespace llm::cli
