// `llm serve`: flags, model loading, signals. The server itself is native/serve.cpp.
#include <pthread.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>

#include "native/generate.h"
#include "native/serve.h"
#include "native/threads.h"

namespace llm::cli {

int cmd_serve(int argc, char** argv) {
  Args a(argc, argv,
         {"checkpoint", "adapter", "host", "port", "api-key", "num-blocks", "block-size", "max-num-seqs", "max-batched-tokens",
          "model-name", "threads", "http-threads", "max-body-bytes", "shutdown-grace", "kv-dtype"},
         {"quantize", "int8-activations", "bf16", "no-prefix-sharing", "log-requests"});
  set_threads(int(a.integer("threads", 2)));
  ServeOptions o;
  o.host = a.str("host", "127.0.0.1");
  o.port = int(a.integer("port", 8080));
  o.api_key = a.str("api-key");
  o.engine.num_blocks = int(a.integer("num-blocks", o.engine.num_blocks));
  o.engine.block_size = int(a.integer("block-size", o.engine.block_size));
  o.engine.max_num_seqs = int(a.integer("max-num-seqs", o.engine.max_num_seqs));
  o.engine.max_batched_tokens = int(a.integer("max-batched-tokens", o.engine.max_batched_tokens));
  o.engine.prefix_sharing = !a.flag("no-prefix-sharing");
  o.engine.kv_dtype = kv_dtype_from_args(a);
  o.http_threads = int(a.integer("http-threads", o.http_threads));
  o.max_body_bytes = size_t(a.integer("max-body-bytes", int64_t(o.max_body_bytes)));
  o.log_requests = a.flag("log-requests");
  const int grace_ms = int(a.number("shutdown-grace", 5.0) * 1000);
  if (o.port < 0 || o.port > 65535) throw std::runtime_error("--port must be in [0, 65535]");
  if (o.engine.num_blocks < 1 || o.engine.block_size < 1 || o.engine.max_num_seqs < 1 || o.http_threads < 1)
    throw std::runtime_error("--num-blocks, --block-size, --max-num-seqs and --http-threads must be >= 1");

  const LoadedModel L = load_for_inference(a.str("checkpoint"), infer_options_from_args(a), a.str("adapter"));
  o.model_name = a.str("model-name", "llm");

  // SIGINT/SIGTERM are blocked in every thread (the mask is inherited) and taken by one waiter
  // thread with sigwait, which may then call stop() safely (no work inside a signal handler).
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  ApiServer server(L.model, L.tok, o);
  const int port = server.bind();
  std::atomic<bool> signalled{false};
  std::thread waiter([&server, &signalled, sigs, grace_ms] {
    int sig = 0;
    sigwait(&sigs, &sig);
    if (signalled.exchange(true)) return;  // woken by main below: the server already stopped
    std::fprintf(stderr, "\nllm serve: %s, finishing requests in flight (up to %d ms)...\n",
                 sig == SIGINT ? "SIGINT" : "SIGTERM", grace_ms);
    server.stop(grace_ms);
  });
  std::fprintf(stderr,
               "llm serve: model '%s' from %s (context %d, %s) on http://%s:%d  "
               "[KV pool %d blocks x %d tokens, %s, %d seqs]\n",
               o.model_name.c_str(), L.dir.c_str(), L.model->cfg().max_seq_len, precision_name(L.model->options()),
               o.host.c_str(), port, o.engine.num_blocks, o.engine.block_size, kv_dtype_name(o.engine.kv_dtype),
               o.engine.max_num_seqs);
  server.run();
  // run() returns after the waiter's stop(), or on its own when listening failed: then wake it
  if (!signalled.exchange(true)) pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  std::fprintf(stderr, "llm serve: stopped\n");
  return 0;
}

}  // namespace llm::cli
