#include "native/serve.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <random>
#include <thread>

#include "native/serve_api.h"
#include "native/serve_conn.h"
#include "native/serve_loop.h"
#include "native/serve_metrics.h"

namespace llm::cli {

// How often a non-streaming request checks that its client is still connected.
constexpr int kLivenessMs = 100;

// One generation request while its handler runs (shared with the streaming callbacks, which
// outlive the handler call).
struct Job {
  GenRequest req;
  ApiContext ctx;
  std::string id;
  int64_t created = 0;
  std::shared_ptr<RequestStream> stream;
  std::unique_ptr<Collector> col;
  bool sent_role = false;               // chat streams start with a {"role": "assistant"} delta
  std::atomic<bool> completed{false};   // [DONE] written: nothing to abort
};

struct ApiServer::Impl {
  ServeOptions opt;
  std::shared_ptr<const InferModel> model;
  std::shared_ptr<const Tokenizer> tok;
  ApiContext ctx;
  std::unique_ptr<EngineLoop> loop;
  httplib::Server svr;
  ServeMetrics metrics;
  std::atomic<bool> stopping{false};
  std::atomic<int> active{0};       // generation requests whose response is not finished yet
  std::atomic<bool> in_run{false};  // run() entered (stop() must then wait for the listener to start)
  std::atomic<uint64_t> counter{0};
  uint64_t seed_base = 0;
  int port = -1;

  std::string new_id(const char* prefix) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%s-%016llx%04llx", prefix, (unsigned long long)seed_base,
                  (unsigned long long)(counter.fetch_add(1) & 0xffff));
    return buf;
  }
  void routes();
  void generate(const httplib::Request& r, httplib::Response& res, bool chat);
  void stream_response(std::shared_ptr<Job> job, httplib::Response& res);
  bool stream_step(const std::shared_ptr<Job>& job, size_t offset, httplib::DataSink& sink);
};

static void send_error(httplib::Response& res, const ApiError& e) {
  res.status = e.status;
  res.set_content(error_body(e), "application/json");
}

static std::string endpoint_label(const std::string& path) {
  for (const char* p : {"/v1/models", "/v1/completions", "/v1/chat/completions", "/health", "/metrics"})
    if (path == p) return p;
  return "other";
}

void ApiServer::Impl::routes() {
  svr.set_payload_max_length(opt.max_body_bytes);
  // httplib's default sets SO_REUSEPORT, which lets a second server silently share the port;
  // SO_REUSEADDR alone still allows a quick restart and makes a busy port an error
  svr.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const void*>(&yes), sizeof(yes));
  });
  // SSE sends one small chunk per token: without TCP_NODELAY, Nagle holds a chunk back until the
  // previous one is acknowledged, and a delayed ACK makes that ~40 ms (accepted sockets inherit it)
  svr.set_tcp_nodelay(true);
  const int threads = opt.http_threads;
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(size_t(threads)); };

  // the API key guards /v1/*; /health and /metrics stay open for probes and scrapers
  svr.set_pre_routing_handler([this](const httplib::Request& r, httplib::Response& res) {
    if (opt.api_key.empty() || r.path.rfind("/v1/", 0) != 0) return httplib::Server::HandlerResponse::Unhandled;
    if (r.get_header_value("Authorization") == "Bearer " + opt.api_key)
      return httplib::Server::HandlerResponse::Unhandled;
    send_error(res, ApiError(401, "Incorrect or missing API key (send 'Authorization: Bearer <key>')", "",
                             "invalid_api_key", "authentication_error"));
    return httplib::Server::HandlerResponse::Handled;
  });
  // httplib's own errors (404 no route, 413 body too large, 400 bad request line) get a JSON body too
  svr.set_error_handler([](const httplib::Request& r, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string msg = "HTTP " + std::to_string(res.status);
    std::string code;
    if (res.status == 404) msg = "no route " + r.method + " " + r.path, code = "not_found";
    if (res.status == 413) msg = "request body too large", code = "payload_too_large";
    if (res.status == 405) msg = "method not allowed", code = "method_not_allowed";
    res.set_content(error_body(res.status, msg, "invalid_request_error", "", code), "application/json");
  });
  svr.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string msg = "internal error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      msg += std::string(": ") + e.what();
    } catch (...) {
    }
    send_error(res, ApiError(500, msg, "", "", "server_error"));
  });
  svr.set_logger([this](const httplib::Request& r, const httplib::Response& res) {
    metrics.count_request(endpoint_label(r.path), res.status);
    if (opt.log_requests) std::fprintf(stderr, "%s %s -> %d\n", r.method.c_str(), r.path.c_str(), res.status);
  });

  svr.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    if (stopping) {
      res.status = 503;
      res.set_content(R"({"status":"shutting down"})", "application/json");
      return;
    }
    res.set_content(R"({"status":"ok"})", "application/json");
  });
  svr.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.render(loop->stats(), opt.http_threads), "text/plain; version=0.0.4");
  });
  svr.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
    json m = {{"id", opt.model_name},
              {"object", "model"},
              {"created", int64_t(std::time(nullptr))},
              {"owned_by", "llm"},
              {"max_model_len", ctx.context}};
    res.set_content(dump(json{{"object", "list"}, {"data", json::array({m})}}), "application/json");
  });
  svr.Post("/v1/completions",
           [this](const httplib::Request& r, httplib::Response& res) { generate(r, res, /*chat=*/false); });
  svr.Post("/v1/chat/completions",
           [this](const httplib::Request& r, httplib::Response& res) { generate(r, res, /*chat=*/true); });
}

void ApiServer::Impl::generate(const httplib::Request& r, httplib::Response& res, bool chat) {
  // counts this request as active until its answer is out (a stream: until the releaser runs)
  struct Active {
    std::atomic<int>& n;
    bool owned = true;
    explicit Active(std::atomic<int>& c) : n(c) { n++; }
    ~Active() {
      if (owned) n--;
    }
  } active_guard(active);
  try {
    if (stopping) throw ApiError(503, "the server is shutting down", "", "shutting_down", "server_error");
    auto job = std::make_shared<Job>();
    job->ctx = ctx;
    job->ctx.default_seed = seed_base ^ (counter.fetch_add(1) * 0x9E3779B97F4A7C15ull);
    const json body = parse_body(r.body);
    job->req = chat ? parse_chat(body, job->ctx) : parse_completion(body, job->ctx);
    job->id = new_id(chat ? "chatcmpl" : "cmpl");
    job->created = int64_t(std::time(nullptr));
    job->col = std::make_unique<Collector>(job->req, job->ctx);
    job->stream = loop->submit(job->req.prompt, job->req.sp, job->req.n);  // std::invalid_argument -> 400
    metrics.prompt_tokens += int64_t(job->req.prompt.size());
    if (job->req.stream) {
      stream_response(job, res);
      active_guard.owned = false;  // the releaser decrements
      return;
    }
    // non-streaming: collect everything, then answer once. Leaving early (an exception) must
    // not leave the request generating: abort on every exit (a finished id is ignored).
    struct AbortOnExit {
      EngineLoop& loop;
      int64_t id;
      ~AbortOnExit() { loop.abort(id); }
    } abort_on_exit{*loop, job->stream->id};
    Collector& col = *job->col;
    // a client that hangs up is noticed within kLivenessMs (serve_conn.h) and its request aborted
    const int fd = find_connection_socket(r.local_addr, r.local_port, r.remote_addr, r.remote_port);
    while (!col.all_done()) {
      for (const GenerationEvent& e : job->stream->wait(fd >= 0 ? kLivenessMs : 1000)) col.on_event(e, nullptr);
      if (col.should_abort()) metrics.stop_string_aborts++;  // abort_on_exit ends it
      if (!col.all_done() && peer_closed(fd)) {
        metrics.client_aborts++;
        return;  // abort_on_exit frees the blocks; there is nobody to answer
      }
    }
    metrics.generation_tokens += col.completion_tokens();
    {
      std::lock_guard<std::mutex> lk(job->stream->mu);
      if (!job->stream->error.empty()) throw ApiError(500, job->stream->error, "", "engine_error", "server_error");
    }
    res.set_content(dump(completion_response(job->id, job->created, job->req, col, job->ctx)), "application/json");
  } catch (const ApiError& e) {
    send_error(res, e);
  } catch (const std::invalid_argument& e) {  // the engine refused the request
    send_error(res, ApiError(400, e.what(), "", "invalid_value"));
  } catch (const std::exception& e) {
    send_error(res, ApiError(stopping ? 503 : 500, e.what(), "", "", "server_error"));
  }
}

// SSE: every call of the provider waits for the next events (at most 1 s), writes their chunks,
// and returns; httplib calls it again until sink.done(). An idle second writes an SSE comment,
// which is how a vanished client is noticed even while its request waits for admission.
void ApiServer::Impl::stream_response(std::shared_ptr<Job> job, httplib::Response& res) {
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  auto provider = [this, job](size_t offset, httplib::DataSink& sink) -> bool {
    try {
      return stream_step(job, offset, sink);
    } catch (const std::exception& e) {  // never let an exception unwind into httplib
      const std::string out = sse(json::parse(error_body(500, e.what(), "server_error", "", ""))) + "data: [DONE]\n\n";
      job->completed = true;
      loop->abort(job->stream->id);
      if (!sink.write(out.data(), out.size())) return false;
      sink.done();
      return true;
    }
  };
  // runs when the response is destroyed: after [DONE], or after a failed write / shutdown
  auto releaser = [this, job](bool /*success*/) {
    if (!job->completed) {
      job->completed = true;
      loop->abort(job->stream->id);
      if (!stopping) metrics.client_aborts++;
    }
    active--;
  };
  res.set_chunked_content_provider("text/event-stream", provider, releaser);
}

// One call of the SSE content provider: waits for events, writes their chunks.
bool ApiServer::Impl::stream_step(const std::shared_ptr<Job>& job, size_t /*offset*/, httplib::DataSink& sink) {
  Collector& col = *job->col;
  const GenRequest& rq = job->req;
  std::string out;
  if (rq.chat && !job->sent_role) {
    for (int i = 0; i < rq.n; i++)
      out += sse(chat_chunk(job->id, job->created, job->ctx, i, json{{"role", "assistant"}, {"content", ""}},
                            nullptr, ""));
    job->sent_role = true;
  }
  const bool want_lp = rq.sp.logprobs;
  int generated = 0;
  for (const GenerationEvent& e : job->stream->wait(out.empty() ? 1000 : 0)) {
    const int before = col.samples()[size_t(std::max(0, std::min(e.index, rq.n - 1)))].tokens;
    json entry;
    const bool was_done = e.index >= 0 && e.index < rq.n && col.samples()[size_t(e.index)].done;
    const std::string delta = col.on_event(e, want_lp ? &entry : nullptr);
    if (e.index < 0 || e.index >= rq.n || was_done) continue;
    const Sample& s = col.samples()[size_t(e.index)];
    generated += s.tokens - before;
    const std::string fin = s.done ? s.finish_reason : "";
    if (delta.empty() && entry.is_null() && fin.empty()) continue;
    if (rq.chat) {
      json d = json::object();
      if (!delta.empty()) d["content"] = delta;
      out += sse(chat_chunk(job->id, job->created, job->ctx, e.index, d, entry, fin));
    } else {
      out += sse(completion_chunk(job->id, job->created, job->ctx, e.index, delta, entry, fin));
    }
  }
  metrics.generation_tokens += generated;
  if (col.should_abort() && !job->completed) {
    loop->abort(job->stream->id);
    metrics.stop_string_aborts++;
  }
  const bool done = col.all_done();
  if (done) {
    std::string err;
    {
      std::lock_guard<std::mutex> lk(job->stream->mu);
      err = job->stream->error;
    }
    if (!err.empty())
      out += sse(json::parse(error_body(500, err, "server_error", "", "engine_error")));
    if (rq.include_usage) {
      json u = {{"id", job->id},
                {"object", rq.chat ? "chat.completion.chunk" : "text_completion"},
                {"created", job->created},
                {"model", job->ctx.model_name},
                {"choices", json::array()},
                {"usage", usage_json(int(rq.prompt.size()), col.completion_tokens())}};
      out += sse(u);
    }
    out += "data: [DONE]\n\n";
  }
  if (out.empty()) out = ": keep-alive\n\n";
  if (!sink.write(out.data(), out.size())) return false;  // client gone: the releaser aborts
  if (done) {
    job->completed = true;
    sink.done();
  }
  return true;
}

ApiServer::ApiServer(std::shared_ptr<const InferModel> model, std::shared_ptr<const Tokenizer> tok, ServeOptions opt)
    : impl_(std::make_unique<Impl>()) {
  // a write to a socket the client closed must be an error return, not a process-killing signal
  std::signal(SIGPIPE, SIG_IGN);
  Impl& I = *impl_;
  I.opt = std::move(opt);
  I.model = std::move(model);
  I.tok = std::move(tok);
  I.ctx.tok = I.tok.get();
  I.ctx.format = chat_format(*I.tok);  // ChatML, or the plain-text template for base models
  I.ctx.context = I.model->cfg().max_seq_len;
  I.ctx.model_name = I.opt.model_name;
  I.ctx.max_n = std::max(1, std::min(I.opt.max_n, I.opt.engine.max_num_seqs));
  if (I.tok->vocab_size() > I.model->cfg().vocab_size)
    throw std::runtime_error("tokenizer has " + std::to_string(I.tok->vocab_size()) + " ids but the model only " +
                             std::to_string(I.model->cfg().vocab_size) + " rows");
  I.seed_base = std::random_device{}() * 0x100000001ull ^ uint64_t(std::time(nullptr));
  I.loop = std::make_unique<EngineLoop>(I.model, I.opt.engine, I.opt.step_delay_ms);
  I.routes();
}

ApiServer::~ApiServer() {
  stop(0);
  impl_->loop->stop();
}

int ApiServer::bind() {
  Impl& I = *impl_;
  if (I.opt.port == 0) {
    I.port = I.svr.bind_to_any_port(I.opt.host);
  } else {
    I.port = I.svr.bind_to_port(I.opt.host, I.opt.port) ? I.opt.port : -1;
  }
  if (I.port <= 0)
    throw std::runtime_error("cannot listen on " + I.opt.host + ":" + std::to_string(I.opt.port) +
                             " (address in use or not permitted)");
  return I.port;
}

void ApiServer::run() {
  Impl& I = *impl_;
  if (I.port <= 0) bind();
  I.in_run = true;
  if (!I.stopping) I.svr.listen_after_bind();  // returns after stop(): handler threads joined
  I.loop->stop();
  I.in_run = false;
}

void ApiServer::stop(int grace_ms) {
  Impl& I = *impl_;
  if (I.stopping.exchange(true)) return;
  if (grace_ms > 0) I.loop->wait_idle(grace_ms);
  I.loop->abort_all();  // wakes every handler still waiting for tokens
  // let them write their last chunk and [DONE] before the sockets close (at most 2 s)
  for (int t = 0; t < 2000 && I.active > 0; t++) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  // run() may be between its stopping check and the listener start: wait for it to listen
  while (I.in_run && !I.svr.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  I.svr.stop();
}

int ApiServer::port() const { return impl_->port; }

}  // namespace llm::cli
