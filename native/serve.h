// `llm serve`: an OpenAI-compatible HTTP server over the paged engine (docs/server.md).
//
//   GET  /v1/models             the one model served
//   POST /v1/completions        prompt -> text      (stream: SSE chunks, data: [DONE])
//   POST /v1/chat/completions   messages -> reply   (ChatML, core/infer/chat_template.h)
//   GET  /health                200 {"status":"ok"} (503 while shutting down)
//   GET  /metrics               Prometheus text (native/serve_metrics.h)
//
// Threads: cpp-httplib's pool runs the handlers (one per connection); they validate the request
// (native/serve_api.h), submit it to the engine loop thread (native/serve_loop.h) and turn its
// GenerationEvents into JSON / SSE. Requests in flight are batched together by the engine.
#pragma once
#include <memory>
#include <string>

#include "core/infer/engine.h"
#include "core/tokenizer/tokenizer.h"

namespace llm::cli {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                  // 0: any free port (tests); bind() returns it
  std::string api_key;              // non-empty: /v1/* need "Authorization: Bearer <key>"
  std::string model_name = "llm";   // the id /v1/models lists and requests must name
  EngineConfig engine;
  size_t max_body_bytes = 1 << 20;  // larger bodies get 413
  int http_threads = 64;            // handler threads (a streaming request holds one)
  int max_n = 16;                   // upper bound of the n field (also <= engine.max_num_seqs)
  int step_delay_ms = 0;            // sleep after each engine step (tests, demos): slows generation
  bool log_requests = false;        // one stderr line per request
};

class ApiServer {
 public:
  ApiServer(std::shared_ptr<const InferModel> model, std::shared_ptr<const Tokenizer> tok, ServeOptions opt);
  ~ApiServer();
  // Binds host:port and returns the port (the chosen one for port 0). Throws when it cannot bind.
  int bind();
  // Serves until stop(); returns after the handler threads and the engine loop are joined.
  void run();
  // Thread-safe and idempotent. New requests get 503 at once; requests in flight may finish for
  // grace_ms, then the rest are aborted (streams end with finish_reason "abort") and the
  // listening socket closes.
  void stop(int grace_ms = 0);
  int port() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

int cmd_serve(int argc, char** argv);  // llm serve --checkpoint DIR [--host --port --api-key ...]

}  // namespace llm::cli
