// `llm bench serve`: generated tokens/s of the OpenAI server under 1, 4, 16 and 64 concurrent
// streaming clients (JSON on stdout, docs/server.md "Benchmark").
//
// The server runs in-process on a free loopback port (or --url points at a running `llm serve`).
// The load generator is one cpp-httplib client per stream, each on its own thread, all started
// together. Every stream asks POST /v1/completions with stream: true, ignore_eos and the same
// max_tokens, so every stream generates exactly --tokens tokens whatever the model says: the work
// per stream is equal at every concurrency level. Prompts differ per stream (no prefix sharing
// between them) and sampling is seeded, so a run is repeatable.
//
// Per level: aggregate tokens/s (all tokens / wall time from the first request to the last
// [DONE]), per-stream tokens/s (tokens / that stream's wall time, median), time to first token
// (p50, p95), and KV blocks wasted per sequence: while all streams of the level are running,
// /metrics is sampled and (blocks in use * block size - tokens written in them) / block size /
// running sequences is averaged — the internal fragmentation of the last, partial block. Engine
// steps over the level give tokens per step (how full the batches ran) and wall ms per step.
// --engine-only steps the same streams on an Engine in-process, without HTTP (engine_only_row).
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "core/data/gen_stories.h"
#include "core/infer/engine.h"
#include "core/tokenizer/bpe.h"
#include "core/util/strict_json.h"
#include "native/args.h"
#include "native/bench_util.h"
#include "native/configs.h"
#include "native/generate.h"
#include "native/serve.h"
#include "native/threads.h"

namespace llm::cli {

namespace {

struct StreamResult {
  double t_send = 0, t_first = 0, t_last = 0;  // seconds (bench clock)
  int tokens = 0;                               // usage.completion_tokens
  double cpu_s = 0;                             // CPU time of this client thread
  bool ok = false;
  std::string error;
};

// Released once every stream of a level has its connection open.
struct StartGate {
  std::mutex mu;
  std::condition_variable cv;
  int connected = 0;
  bool open = false;
  void arrive() {
    std::lock_guard<std::mutex> lk(mu);
    connected++;
    cv.notify_all();
  }
  void wait_open() {
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk, [&] { return open; });
  }
  // the coordinator: wait for n connections, then let every stream send
  void wait_connected(int n) {
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk, [&] { return connected == n; });
  }
  void release() {
    {
      std::lock_guard<std::mutex> lk(mu);
      open = true;
    }
    cv.notify_all();
  }
};

// One streaming completion; parses the SSE events as they arrive. With a gate, the connection is
// opened first (a keep-alive GET /health), then the completion waits for the gate to open.
StreamResult run_stream(const std::string& host, int port, const json& body, StartGate* gate = nullptr) {
  StreamResult r;
  const double cpu0 = thread_cpu_s();
  httplib::Client c(host, port);
  c.set_read_timeout(600, 0);
  c.set_connection_timeout(10, 0);
  // the request goes out as two writes (headers, body): on a connection already used, Nagle would
  // hold the body back for the server's delayed ACK (~40-90 ms of time to first token)
  c.set_tcp_nodelay(true);
  if (gate) {
    c.set_keep_alive(true);
    auto h = c.Get("/health");
    gate->arrive();
    if (!h || h->status != 200) {
      r.error = "GET /health before the stream failed";
      return r;
    }
    gate->wait_open();
  }
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/completions";
  req.body = body.dump();
  req.set_header("Content-Type", "application/json");
  std::string buf;
  bool done = false;
  auto stamp = [&] {  // a token chunk arrived
    const double t = now_s();
    if (r.t_first == 0) r.t_first = t;
    r.t_last = t;
  };
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    buf.append(data, n);
    size_t end;
    while ((end = buf.find("\n\n")) != std::string::npos) {
      const std::string ev = buf.substr(0, end);
      buf.erase(0, end + 2);
      if (ev.rfind("data: ", 0) != 0) continue;  // keep-alive comment
      const std::string payload = ev.substr(6);
      if (payload == "[DONE]") {
        done = true;
        continue;
      }
      // A token chunk only needs its arrival time: a full JSON parse of each one (16 per engine
      // step at 16 streams) was load-generator CPU taken from the server on the same cores. The
      // last chunks (usage, errors) are parsed.
      if (payload.find("\"usage\"") == std::string::npos && payload.find("\"error\"") == std::string::npos) {
        if (payload.find("\"choices\":[{") != std::string::npos) stamp();
        continue;
      }
      const json j = json::parse(payload, nullptr, false);
      if (j.is_discarded()) continue;
      if (j.contains("error")) r.error = j["error"].dump();
      if (j.contains("usage") && j["usage"].is_object()) r.tokens = j["usage"].value("completion_tokens", 0);
      if (j.contains("choices") && !j["choices"].empty()) stamp();
    }
    return true;
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  r.t_send = now_s();
  const bool sent = c.send(req, res, err);
  if (!sent) r.error = "http error " + std::to_string(int(err));
  else if (res.status != 200) r.error = "status " + std::to_string(res.status) + ": " + res.body;
  if (r.t_last == 0) r.t_last = now_s();
  r.ok = sent && res.status == 200 && done && r.error.empty();
  r.cpu_s = thread_cpu_s() - cpu0;
  return r;
}

// name -> value of the unlabelled lines of a Prometheus text page
std::map<std::string, double> scrape(httplib::Client& c) {
  std::map<std::string, double> m;
  auto res = c.Get("/metrics");
  if (!res || res->status != 200) return m;
  std::istringstream in(res->body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line.find('{') != std::string::npos) continue;
    const size_t sp = line.find(' ');
    if (sp != std::string::npos) m[line.substr(0, sp)] = std::atof(line.c_str() + sp + 1);
  }
  return m;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = size_t(std::min<double>(double(v.size() - 1), std::ceil(p * double(v.size())) - 1));
  return v[i];
}

// A model and tokenizer for the in-process server when no --checkpoint is given: the named config
// with random weights, its vocabulary cut to a byte-level BPE trained here on generated stories
// (so every sampled id has text and every token reaches the client as an SSE chunk).
LoadedModel synthetic_model(const std::string& config, int vocab, uint64_t seed, const InferOptions& io) {
  GenOptions go;
  go.seed = seed;
  const std::string text = stories_to_text(generate_stories(400, go));
  BpeTrainOptions bo;
  bo.vocab_size = vocab;
  auto tok = std::make_shared<BpeTokenizer>(BpeTokenizer::train(text, bo));
  ModelConfig mc = load_model_config(config);
  mc.vocab_size = tok->vocab_size();
  Transformer<float> t(mc);
  t.init(seed);
  LoadedModel L;
  L.model = std::make_shared<const InferModel>(t, io);
  L.tok = tok;
  L.dir = "(random " + config + ", vocab " + std::to_string(mc.vocab_size) + ")";
  return L;
}

}  // namespace

// --engine-only: the same streams (prompts, sampling, seeds, token counts) stepped straight on an
// Engine in this thread, no HTTP: what the server's engine loop could deliver at best, so the
// difference to the server rows is what HTTP and the load generator cost on this machine.
json engine_only_row(const LoadedModel& L, const EngineConfig& ec, int level, int tokens,
                     const std::function<std::string(int)>& prompt_of, const std::function<uint64_t(int)>& seed_of) {
  Engine e(L.model, ec);
  for (int i = 0; i < level; i++) {
    SamplingParams sp;
    sp.temperature = 0.8f;
    sp.max_tokens = tokens;  // no stop ids: as ignore_eos in the server rows
    sp.seed = seed_of(i);
    e.add_request(L.tok->encode(prompt_of(i), true), sp, 1);
  }
  StepProfile prof;
  e.set_profile(&prof);
  const CpuJiffies j0 = cpu_jiffies();
  const double t0 = now_s();
  int64_t steps = 0, total = 0;
  while (e.has_work()) {
    for (const GenerationEvent& ev : e.step()) total += ev.token >= 0;
    steps++;
  }
  const double wall = now_s() - t0;
  const CpuJiffies j1 = cpu_jiffies();
  // where a step goes: the forward's phases, and the rest of step() (scheduling, sampling)
  const double per = steps > 0 ? 1.0 / double(steps) : 0.0;
  const json phases = {{"embed", prof.embed * per},   {"norm", prof.norm * per},
                       {"gemv", prof.gemv * per},     {"attention", prof.attention * per},
                       {"act", prof.act * per},       {"residual", prof.residual * per},
                       {"head", prof.head * per},     {"outside_forward", (1e3 * wall - prof.total()) * per}};
  return {{"concurrency", level},
          {"ms_per_step_by_phase", phases},
          {"generated_tokens", total},
          {"wall_s", wall},
          {"aggregate_tokens_per_s", double(total) / wall},
          {"engine_steps", steps},
          {"tokens_per_engine_step", steps > 0 ? double(total) / double(steps) : 0.0},
          {"ms_per_engine_step", steps > 0 ? 1e3 * wall / double(steps) : 0.0},
          {"cpu_steal_pct", steal_pct(j0, j1)}};
}

int cmd_bench_serve(int argc, char** argv) {
  Args a(argc, argv,
         {"checkpoint", "config", "vocab", "url", "concurrency", "tokens", "threads", "block-size", "num-blocks",
          "max-batched-tokens", "seed", "kv-dtype", "rounds"},
         [] {
           std::set<std::string> b = kInferFlags;
           b.insert("engine-only");
           return b;
         }());
  const bool engine_only = a.has("engine-only");
  if (engine_only && a.has("url")) throw std::runtime_error("--engine-only runs the engine in this process: drop --url");
  const std::vector<int> levels = parse_int_list(a.str("concurrency", "1,4,16,64"));
  const int tokens = int(a.integer("tokens", 128));
  const uint64_t seed = uint64_t(a.integer("seed", 1));
  if (levels.empty() || tokens < 1) throw std::runtime_error("--concurrency needs levels >= 1 and --tokens >= 1");
  for (int c : levels)
    if (c < 1 || c > 1024) throw std::runtime_error("--concurrency levels must be in [1, 1024]");
  const int max_c = *std::max_element(levels.begin(), levels.end());
  const int rounds = int(a.integer("rounds", 1));
  if (rounds < 1 || rounds > 100) throw std::runtime_error("--rounds must be in [1, 100]");
  set_threads(int(a.integer("threads", 2)));

  // stream i of a level: its prompt and seed (the server rows and --engine-only use the same)
  auto prompt_for = [](int level, int i) {
    return "Story " + std::to_string(level) + "." + std::to_string(i) + ": Once upon a time, there was a little dog named Max.";
  };
  auto seed_for = [seed](int level, int i) { return seed * 1000003 + uint64_t(level) * 1009 + uint64_t(i); };
  std::string host = "127.0.0.1";
  int port = 0;
  std::unique_ptr<ApiServer> server;
  std::thread server_thread;
  json info;
  // One row per level in both modes. With --rounds R every level runs R times, the levels
  // interleaved (1, 4, 16, 64, 1, 4, ...): a level's row is its median round, and
  // aggregate_vs_1_stream is the median over rounds of (this level / the 1-stream level of the
  // same round), a ratio of two runs seconds apart, which a shared machine's drifting speed
  // disturbs far less than one pair of runs.
  json rows = json::array();
  auto run_levels = [&](const std::function<json(int)>& one) {
    std::vector<std::vector<json>> got(levels.size());
    for (int r = 0; r < rounds; r++)
      for (size_t k = 0; k < levels.size(); k++) {
        json row = one(levels[k]);
        if (rounds > 1) row["round"] = r + 1;
        std::cerr << row.dump() << "\n";
        got[k].push_back(std::move(row));
      }
    auto agg = [](const json& row) { return row["aggregate_tokens_per_s"].get<double>(); };
    for (size_t k = 0; k < levels.size(); k++) {
      std::vector<json> g = got[k];  // sorted copy: g[size / 2] is the median round (as median_of)
      std::sort(g.begin(), g.end(), [&](const json& x, const json& y) { return agg(x) < agg(y); });
      json row = g[g.size() / 2];
      row.erase("round");
      if (levels.front() == 1) {  // got[0] holds the 1-stream rounds
        std::vector<double> ratio;
        for (int r = 0; r < rounds; r++) ratio.push_back(agg(got[k][size_t(r)]) / agg(got[0][size_t(r)]));
        row["aggregate_vs_1_stream"] = median_of(ratio);
        if (rounds > 1) row["rounds_vs_1_stream"] = ratio;
      }
      if (rounds > 1) {
        json all = json::array();
        for (const json& x : got[k]) all.push_back(x["aggregate_tokens_per_s"]);  // in round order
        row["rounds_aggregate_tokens_per_s"] = all;
        row["rounds"] = rounds;
      }
      rows.push_back(std::move(row));
    }
  };
  auto print_rows = [&] { std::cout << json{{"serve", rows}, {"setup", info}, {"tokens_per_stream", tokens}}.dump(2) << "\n"; };
  if (a.has("url")) {
    // http://host:port
    std::string u = a.str("url");
    if (u.rfind("http://", 0) == 0) u = u.substr(7);
    while (!u.empty() && u.back() == '/') u.pop_back();
    const size_t colon = u.rfind(':');
    if (colon == std::string::npos) throw std::runtime_error("--url must look like http://HOST:PORT");
    host = u.substr(0, colon);
    port = std::stoi(u.substr(colon + 1));
    info["url"] = a.str("url");
  } else {
    const LoadedModel L = a.has("checkpoint")
                              ? load_for_inference(a.str("checkpoint"), infer_options_from_args(a))
                              : synthetic_model(a.str("config", "small"), int(a.integer("vocab", 1024)), seed,
                                                infer_options_from_args(a));
    const ModelConfig& mc = L.model->cfg();
    ServeOptions o;
    o.host = host;
    o.port = 0;
    o.model_name = "bench";
    o.engine.block_size = int(a.integer("block-size", 16));
    o.engine.kv_dtype = kv_dtype_from_args(a);
    o.engine.max_num_seqs = max_c;
    o.engine.max_batched_tokens = int(a.integer("max-batched-tokens", 512));
    // enough blocks for every stream of the largest level at its full length, plus one each
    const int per_seq = (64 + tokens + o.engine.block_size - 1) / o.engine.block_size + 1;
    o.engine.num_blocks = int(a.integer("num-blocks", int64_t(per_seq) * max_c));
    o.http_threads = max_c + 8;
    o.max_n = 1;
    if (tokens + 32 > mc.max_seq_len)
      throw std::runtime_error("--tokens " + std::to_string(tokens) + " leaves no room for a prompt in the context of " +
                               std::to_string(mc.max_seq_len));
    info = {{"model", L.dir},
            {"config", mc.summary()},
            {"precision", precision_name(L.model->options())},
            {"threads", get_threads()},
            {"block_size", o.engine.block_size},
            {"kv_dtype", kv_dtype_name(o.engine.kv_dtype)},
            {"num_blocks", o.engine.num_blocks},
            {"max_num_seqs", o.engine.max_num_seqs}};
    if (engine_only) {
      info["mode"] = "engine only (no HTTP)";
      engine_only_row(L, o.engine, 1, 4, [&](int) { return prompt_for(0, 0); }, [&](int) { return seed; });  // warm up
      run_levels([&](int level) {
        return engine_only_row(L, o.engine, level, tokens, [&](int i) { return prompt_for(level, i); },
                               [&](int i) { return seed_for(level, i); });
      });
      print_rows();
      return 0;
    }
    server = std::make_unique<ApiServer>(L.model, L.tok, o);
    port = server->bind();
    server_thread = std::thread([&] { server->run(); });
  }
  std::string model_name = "bench";
  {
    httplib::Client c(host, port);
    auto res = c.Get("/v1/models");
    if (!res || res->status != 200) throw std::runtime_error("no server answering GET /v1/models on " + host + ":" + std::to_string(port));
    model_name = json::parse(res->body)["data"][0]["id"].get<std::string>();
  }
  auto body_for = [&](int level, int i, int n_tokens) {
    return json{{"model", model_name},
                {"prompt", prompt_for(level, i)},
                {"max_tokens", n_tokens},
                {"temperature", 0.8},
                {"seed", seed_for(level, i)},
                {"ignore_eos", true},
                {"stream", true},
                {"stream_options", {{"include_usage", true}}}};
  };
  run_stream(host, port, body_for(0, 0, 4));  // warm up (threads, first-touch of the KV pool)

  run_levels([&](int level) {
    std::vector<StreamResult> res(static_cast<size_t>(level));
    std::atomic<bool> running{true};
    std::vector<double> waste;  // blocks wasted per running sequence, one value per full sample
    double waste_any = -1;      // fallback when the level never had all its streams running at once
    std::thread sampler([&] {
      httplib::Client mc(host, port);
      std::vector<double> partial;
      while (running) {
        std::map<std::string, double> m = scrape(mc);
        const double run = m["llm_num_requests_running"], bs = m["llm_kv_block_size"];
        if (run > 0 && bs > 0) {
          const double w = (m["llm_kv_blocks_in_use"] * bs - m["llm_kv_tokens_in_blocks"]) / bs / run;
          (run >= level ? waste : partial).push_back(w);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (!partial.empty()) waste_any = median_of(partial);
    });
    double steps0 = 0;  // engine steps before the level: tokens per step = how full the batches ran
    {
      httplib::Client mc(host, port);
      steps0 = scrape(mc)["llm_engine_steps_total"];
    }
    std::vector<std::thread> clients;
    // Every stream first opens its keep-alive connection, 2 ms apart (cpp-httplib listens with a
    // backlog of 5, and a burst of 64 SYNs would overflow it: dropped SYNs are retried after 1 s),
    // then all requests are sent at once and the clock starts: the level measures N streams
    // generating together, not the ramp of N connects.
    StartGate gate;
    for (int i = 0; i < level; i++) {
      clients.emplace_back([&, i] { res[size_t(i)] = run_stream(host, port, body_for(level, i, tokens), &gate); });
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    gate.wait_connected(level);
    const CpuJiffies j0 = cpu_jiffies();
    const double t0 = now_s(), cpu0 = process_cpu_s();
    gate.release();
    for (std::thread& t : clients) t.join();
    const double wall = now_s() - t0, cpu = process_cpu_s() - cpu0;
    const CpuJiffies j1 = cpu_jiffies();
    running = false;
    sampler.join();
    double steps = 0;
    {
      httplib::Client mc(host, port);
      steps = scrape(mc)["llm_engine_steps_total"] - steps0;
    }

    int ok = 0, total = 0;
    std::vector<double> ttft, per_stream;
    std::string first_error;
    double client_cpu = 0;
    for (const StreamResult& r : res) {
      client_cpu += r.cpu_s;
      if (!r.ok) {
        if (first_error.empty()) first_error = r.error.empty() ? "no [DONE]" : r.error;
        continue;
      }
      ok++;
      total += r.tokens;
      ttft.push_back(r.t_first - r.t_send);
      per_stream.push_back(r.tokens / std::max(1e-9, r.t_last - r.t_send));
    }
    json row = {{"concurrency", level},
                {"streams_ok", ok},
                {"tokens_per_stream", tokens},
                {"generated_tokens", total},
                {"wall_s", wall},
                {"aggregate_tokens_per_s", total / wall},
                {"per_stream_tokens_per_s_median", median_of(per_stream)},
                {"ttft_p50_ms", 1e3 * percentile(ttft, 0.5)},
                {"ttft_p95_ms", 1e3 * percentile(ttft, 0.95)},
                {"kv_blocks_wasted_per_seq", waste.empty() ? waste_any : median_of(waste)},
                {"kv_waste_samples", int(waste.size())},
                {"engine_steps", steps},
                {"tokens_per_engine_step", steps > 0 ? total / steps : 0.0},
                {"ms_per_engine_step", steps > 0 ? 1e3 * wall / steps : 0.0},
                // CPU time per engine step of the whole process and of the load generator's
                // client threads in it (the rest is the server: engine, HTTP threads, spinning)
                {"cpu_ms_per_step", {{"process", steps > 0 ? 1e3 * cpu / steps : 0.0},
                                     {"load_generator", steps > 0 ? 1e3 * client_cpu / steps : 0.0}}},
                // share of the machine's CPU time the hypervisor took during the level
                {"cpu_steal_pct", steal_pct(j0, j1)}};
    if (!first_error.empty()) row["first_error"] = first_error;
    return row;
  });
  if (server) {
    server->stop();
    server_thread.join();
  }
  print_rows();
  return 0;
}

}  // namespace llm::cli
