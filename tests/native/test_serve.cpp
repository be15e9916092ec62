// `llm serve` end to end over loopback: an in-process ApiServer on an ephemeral port, a tiny
// random-init model and a BPE trained in memory with the ChatML specials, real HTTP through
// httplib::Client. Covers the endpoints, SSE framing, n, seeds, stop strings, logprobs, every
// bad-request class (and that the server keeps serving), the API key, concurrent requests equal to
// sequential ones, a client that disconnects mid-stream (its KV blocks come back), and shutdown.
#include <gtest/gtest.h>
#include <httplib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "core/infer/chat_template.h"
#include "core/infer/text_stream.h"
#include "core/tokenizer/bpe.h"
#include "native/generate.h"
#include "native/serve.h"

namespace llm::cli {
namespace {

using json = nlohmann::json;

std::shared_ptr<const Tokenizer> test_tokenizer() {
  static std::shared_ptr<const Tokenizer> t = [] {
    BpeTrainOptions opt;  // default specials: <|endoftext|> <|pad|> <|im_start|> <|im_end|>
    opt.vocab_size = 360;
    std::string text;
    for (int i = 0; i < 30; i++)
      text += "Once upon a time a little cat sat on the mat. The dog ran to the park and played with a ball. "
              "user: hello, how are you? assistant: I am fine, thank you!\n";
    return std::make_shared<BpeTokenizer>(BpeTokenizer::train(text, opt));
  }();
  return t;
}

std::shared_ptr<const InferModel> test_model() {
  static std::shared_ptr<const InferModel> m = [] {
    ModelConfig c;
    c.dim = 48;
    c.n_layers = 2;
    c.n_heads = 4;
    c.n_kv_heads = 2;
    c.vocab_size = test_tokenizer()->vocab_size();
    c.max_seq_len = 96;
    c.init_std = 0.2;  // peaked logits: greedy choices are far from ties
    Transformer<float> t(c);
    t.init(3);
    return std::make_shared<const InferModel>(t);
  }();
  return m;
}

// An ApiServer running on its own thread for the lifetime of the object.
struct Running {
  std::unique_ptr<ApiServer> server;
  std::thread thread;
  int port = 0;
  explicit Running(ServeOptions o, std::shared_ptr<const InferModel> model = test_model()) {
    o.host = "127.0.0.1";
    o.port = 0;
    server = std::make_unique<ApiServer>(model, test_tokenizer(), o);
    port = server->bind();
    thread = std::thread([this] { server->run(); });
  }
  ~Running() {
    server->stop();
    thread.join();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(20, 0);
    return c;
  }
};

ServeOptions default_options() {
  ServeOptions o;
  o.model_name = "tiny";
  o.engine.block_size = 8;
  o.engine.num_blocks = 128;
  o.engine.max_num_seqs = 16;
  o.max_body_bytes = 64 * 1024;
  o.http_threads = 24;
  return o;
}

Running& shared_server() {
  static Running r(default_options());
  return r;
}

httplib::Result post(const Running& r, const std::string& path, const json& body) {
  httplib::Client c = r.client();
  return c.Post(path.c_str(), body.dump(), "application/json");
}

json post_ok(const Running& r, const std::string& path, const json& body) {
  auto res = post(r, path, body);
  EXPECT_TRUE(res) << "no response";
  if (!res) return json();
  EXPECT_EQ(res->status, 200) << res->body;
  return json::parse(res->body);
}

// "data: {...}\n\n" events of an SSE body, in order ("[DONE]" kept as a string)
std::vector<std::string> sse_events(const std::string& body) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < body.size()) {
    const size_t end = body.find("\n\n", pos);
    EXPECT_NE(end, std::string::npos) << "unterminated SSE event at " << pos;
    if (end == std::string::npos) break;
    const std::string ev = body.substr(pos, end - pos);
    pos = end + 2;
    if (ev.rfind(":", 0) == 0) continue;  // comment (keep-alive)
    EXPECT_EQ(ev.rfind("data: ", 0), 0u) << ev;
    out.push_back(ev.substr(6));
  }
  return out;
}

// value of an unlabelled metric, or of the labelled line matched by `line_prefix`
double metric(const Running& r, const std::string& line_prefix) {
  httplib::Client c = r.client();
  auto res = c.Get("/metrics");
  if (!res || res->status != 200) return -1;
  std::istringstream in(res->body);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(line_prefix + " ", 0) == 0) return std::stod(line.substr(line_prefix.size() + 1));
  return 0;  // a counter with no samples yet
}

// waits until the metric equals v (the loop answers between steps; counters lag a response)
bool wait_metric(const Running& r, const std::string& name, double v, int timeout_ms = 3000) {
  for (int t = 0; t < timeout_ms; t += 10) {
    if (metric(r, name) == v) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// Greedy continuation computed without the server or the paged engine: full forward passes and
// argmax, detokenized by TextStream like the server does.
std::string reference_greedy(const std::vector<int32_t>& prompt, int n) {
  const InferModel& m = *test_model();
  const int V = m.cfg().vocab_size;
  std::vector<int32_t> ids = prompt;
  TextStream ts(*test_tokenizer(), {});
  std::string text;
  for (int i = 0; i < n; i++) {
    const std::vector<float> logits = m.forward_full(ids);
    const int32_t t = argmax(logits.data() + (ids.size() - 1) * size_t(V), V);
    ids.push_back(t);
    text += ts.push(t);
  }
  return text + ts.flush();
}

json completion(const std::string& prompt, int max_tokens, json extra = json::object()) {
  json b = {{"model", "tiny"}, {"prompt", prompt}, {"max_tokens", max_tokens}, {"temperature", 0}, {"ignore_eos", true}};
  for (auto& [k, v] : extra.items()) b[k] = v;
  return b;
}

TEST(Serve, HealthModelsMetrics) {
  Running& s = shared_server();
  httplib::Client c = s.client();
  auto h = c.Get("/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(json::parse(h->body)["status"], "ok");
  auto m = c.Get("/v1/models");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  const json mj = json::parse(m->body);
  EXPECT_EQ(mj["object"], "list");
  ASSERT_EQ(mj["data"].size(), 1u);
  EXPECT_EQ(mj["data"][0]["id"], "tiny");
  EXPECT_EQ(mj["data"][0]["max_model_len"], 96);
  auto x = c.Get("/metrics");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->status, 200);
  EXPECT_NE(x->body.find("# TYPE llm_requests_total counter"), std::string::npos);
  EXPECT_EQ(metric(s, "llm_kv_blocks_total"), 128);
  EXPECT_EQ(metric(s, "llm_kv_block_size"), 8);
  // counted by the logger once the response is out
  for (int t = 0; t < 300 && metric(s, "llm_requests_total{endpoint=\"/v1/models\",status=\"200\"}") < 1; t++)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GE(metric(s, "llm_requests_total{endpoint=\"/v1/models\",status=\"200\"}"), 1);
  EXPECT_GE(metric(s, "llm_requests_total{endpoint=\"/health\",status=\"200\"}"), 1);
}

TEST(Serve, CompletionGreedyMatchesReferenceAndGenerate) {
  Running& s = shared_server();
  const std::string prompt = "Once upon a time";
  const json r = post_ok(s, "/v1/completions", completion(prompt, 12));
  EXPECT_EQ(r["object"], "text_completion");
  EXPECT_EQ(r["model"], "tiny");
  ASSERT_EQ(r["choices"].size(), 1u);
  EXPECT_EQ(r["choices"][0]["finish_reason"], "length");
  const std::vector<int32_t> ids = test_tokenizer()->encode(prompt, true);
  EXPECT_EQ(r["usage"]["prompt_tokens"], int(ids.size()));
  EXPECT_EQ(r["usage"]["completion_tokens"], 12);
  EXPECT_EQ(r["usage"]["total_tokens"], int(ids.size()) + 12);
  const std::string text = r["choices"][0]["text"];
  EXPECT_EQ(text, reference_greedy(ids, 12));
  // the `llm generate` path: one request through its own Engine
  Engine engine(test_model(), single_stream_engine_config(test_model()->cfg()));
  SamplingParams sp;
  sp.temperature = 0;
  sp.max_tokens = 12;
  EXPECT_EQ(generate_once(engine, *test_tokenizer(), ids, sp, nullptr).text, text);
}

TEST(Serve, CompletionStreamFraming) {
  Running& s = shared_server();
  const json plain = post_ok(s, "/v1/completions", completion("The dog", 10));
  auto res = post(s, "/v1/completions",
                  completion("The dog", 10, {{"stream", true}, {"stream_options", {{"include_usage", true}}}}));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->get_header_value("Content-Type").find("text/event-stream"), std::string::npos);
  const std::vector<std::string> ev = sse_events(res->body);
  ASSERT_GE(ev.size(), 3u);
  EXPECT_EQ(ev.back(), "[DONE]");
  std::string text;
  int finishes = 0;
  for (size_t i = 0; i + 2 < ev.size(); i++) {
    const json c = json::parse(ev[i]);
    EXPECT_EQ(c["object"], "text_completion");
    EXPECT_EQ(c["id"], json::parse(ev[0])["id"]);
    ASSERT_EQ(c["choices"].size(), 1u);
    text += c["choices"][0]["text"].get<std::string>();
    if (!c["choices"][0]["finish_reason"].is_null()) {
      finishes++;
      EXPECT_EQ(c["choices"][0]["finish_reason"], "length");
    }
  }
  EXPECT_EQ(finishes, 1);
  EXPECT_EQ(text, plain["choices"][0]["text"].get<std::string>());
  const json usage = json::parse(ev[ev.size() - 2]);  // the usage chunk comes last
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"], plain["usage"]);
  // without include_usage there is no usage chunk
  auto res2 = post(s, "/v1/completions", completion("The dog", 10, {{"stream", true}}));
  ASSERT_TRUE(res2);
  const std::vector<std::string> ev2 = sse_events(res2->body);
  EXPECT_EQ(ev2.back(), "[DONE]");
  for (size_t i = 0; i + 1 < ev2.size(); i++) EXPECT_FALSE(json::parse(ev2[i]).contains("usage"));
}

TEST(Serve, ChatCompletion) {
  Running& s = shared_server();
  const json msgs = json::array({{{"role", "system"}, {"content", "Be nice."}}, {{"role", "user"}, {"content", "hello"}}});
  const json body = {{"model", "tiny"}, {"messages", msgs}, {"max_tokens", 10}, {"temperature", 0}, {"ignore_eos", true}};
  const json r = post_ok(s, "/v1/chat/completions", body);
  EXPECT_EQ(r["object"], "chat.completion");
  EXPECT_EQ(r["choices"][0]["message"]["role"], "assistant");
  const std::vector<int32_t> ids =
      encode_chat(*test_tokenizer(), {{"system", "Be nice."}, {"user", "hello"}}, true).ids;
  EXPECT_EQ(r["usage"]["prompt_tokens"], int(ids.size()));
  const std::string content = r["choices"][0]["message"]["content"];
  EXPECT_EQ(content, reference_greedy(ids, 10));

  json sb = body;
  sb["stream"] = true;
  auto res = post(s, "/v1/chat/completions", sb);
  ASSERT_TRUE(res);
  const std::vector<std::string> ev = sse_events(res->body);
  ASSERT_GE(ev.size(), 2u);
  EXPECT_EQ(ev.back(), "[DONE]");
  const json first = json::parse(ev[0]);
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  std::string streamed;
  for (size_t i = 0; i + 1 < ev.size(); i++) {
    const json d = json::parse(ev[i])["choices"][0]["delta"];
    if (d.contains("content")) streamed += d["content"].get<std::string>();
  }
  EXPECT_EQ(streamed, content);
  EXPECT_EQ(json::parse(ev[ev.size() - 2])["choices"][0]["finish_reason"], "length");
}

TEST(Serve, NSamplesAndSeeds) {
  Running& s = shared_server();
  const json b = {{"model", "tiny"}, {"prompt", "The cat"}, {"max_tokens", 12}, {"temperature", 1.0},
                  {"seed", 7},      {"n", 2},             {"ignore_eos", true}};
  const json r = post_ok(s, "/v1/completions", b);
  ASSERT_EQ(r["choices"].size(), 2u);
  EXPECT_EQ(r["choices"][0]["index"], 0);
  EXPECT_EQ(r["choices"][1]["index"], 1);
  EXPECT_EQ(r["usage"]["completion_tokens"], 24);
  EXPECT_NE(r["choices"][0]["text"], r["choices"][1]["text"]);  // the n samples differ
  // same seed: same texts; another seed: other texts
  const json again = post_ok(s, "/v1/completions", b);
  EXPECT_EQ(again["choices"], r["choices"]);
  json b2 = b;
  b2["seed"] = 8;
  const json other = post_ok(s, "/v1/completions", b2);
  EXPECT_NE(other["choices"][0]["text"], r["choices"][0]["text"]);
  // n = 2 streamed: both indices finish once
  json bs = b;
  bs["stream"] = true;
  auto res = post(s, "/v1/completions", bs);
  ASSERT_TRUE(res);
  std::map<int, std::string> texts;
  std::map<int, int> finishes;
  for (const std::string& e : sse_events(res->body)) {
    if (e == "[DONE]") continue;
    const json c = json::parse(e)["choices"][0];
    texts[c["index"]] += c["text"].get<std::string>();
    if (!c["finish_reason"].is_null()) finishes[c["index"]]++;
  }
  EXPECT_EQ(texts[0], r["choices"][0]["text"].get<std::string>());
  EXPECT_EQ(texts[1], r["choices"][1]["text"].get<std::string>());
  EXPECT_EQ(finishes[0], 1);
  EXPECT_EQ(finishes[1], 1);
}

TEST(Serve, StopStrings) {
  Running& s = shared_server();
  const std::string full = post_ok(s, "/v1/completions", completion("The cat", 24))["choices"][0]["text"];
  // an ASCII character of the middle of the text as the stop string
  size_t at = std::string::npos;
  for (size_t i = 2; i < full.size(); i++)
    if (std::isalpha(static_cast<unsigned char>(full[i]))) {
      at = i;
      break;
    }
  ASSERT_NE(at, std::string::npos) << "no letter in '" << full << "'";
  const std::string stop = full.substr(at, 1);
  const std::string expect = full.substr(0, full.find(stop));
  for (const json& st : {json(stop), json::array({"\x01never", stop})}) {
    const json r = post_ok(s, "/v1/completions", completion("The cat", 24, {{"stop", st}}));
    EXPECT_EQ(r["choices"][0]["text"], expect) << "stop " << st.dump();
    EXPECT_EQ(r["choices"][0]["finish_reason"], "stop");
    EXPECT_LT(r["usage"]["completion_tokens"].get<int>(), 24);
  }
  auto res = post(s, "/v1/completions", completion("The cat", 24, {{"stop", stop}, {"stream", true}}));
  ASSERT_TRUE(res);
  std::string streamed, fin;
  for (const std::string& e : sse_events(res->body)) {
    if (e == "[DONE]") continue;
    const json c = json::parse(e)["choices"][0];
    streamed += c["text"].get<std::string>();
    if (!c["finish_reason"].is_null()) fin = c["finish_reason"];
  }
  EXPECT_EQ(streamed, expect);
  EXPECT_EQ(fin, "stop");
  EXPECT_TRUE(wait_metric(s, "llm_kv_blocks_in_use", 0));
}

TEST(Serve, Logprobs) {
  Running& s = shared_server();
  const json r = post_ok(s, "/v1/completions", completion("The dog", 6, {{"logprobs", 2}}));
  const json lp = r["choices"][0]["logprobs"];
  ASSERT_EQ(lp["tokens"].size(), 6u);
  ASSERT_EQ(lp["token_logprobs"].size(), 6u);
  for (size_t i = 0; i < 6; i++) {
    EXPECT_LE(lp["token_logprobs"][i].get<double>(), 0.0);
    // a {token: logprob} map: two alternatives that decode to the same text (U+FFFD) share a key
    EXPECT_GE(lp["top_logprobs"][i].size(), 1u);
    EXPECT_LE(lp["top_logprobs"][i].size(), 2u);
  }
  const json msgs = json::array({{{"role", "user"}, {"content", "hello"}}});
  const json c = post_ok(s, "/v1/chat/completions",
                         {{"model", "tiny"}, {"messages", msgs}, {"max_tokens", 5}, {"temperature", 0},
                          {"ignore_eos", true}, {"logprobs", true}, {"top_logprobs", 3}});
  const json content = c["choices"][0]["logprobs"]["content"];
  ASSERT_EQ(content.size(), 5u);
  for (const json& e : content) {
    ASSERT_EQ(e["top_logprobs"].size(), 3u);
    // greedy without penalties picks the most likely raw token: it is the best alternative
    EXPECT_FLOAT_EQ(e["logprob"].get<float>(), e["top_logprobs"][0]["logprob"].get<float>());
    EXPECT_EQ(e["token"], e["top_logprobs"][0]["token"]);
    EXPECT_TRUE(e["bytes"].is_array());
  }
  EXPECT_TRUE(post_ok(s, "/v1/completions", completion("The dog", 3))["choices"][0]["logprobs"].is_null());
}

struct Bad {
  const char* what;
  std::string path;
  std::string body;
  int status;
  std::string param;  // "" = not checked
};

TEST(Serve, BadRequestsGetOpenAiErrorsAndTheServerGoesOn) {
  Running& s = shared_server();
  const std::string C = "/v1/completions", H = "/v1/chat/completions";
  auto cj = [](json extra) {
    json b = {{"model", "tiny"}, {"prompt", "hi"}};
    for (auto& [k, v] : extra.items()) b[k] = v;
    return b.dump();
  };
  auto hj = [](json extra) {
    json b = {{"model", "tiny"}, {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}};
    for (auto& [k, v] : extra.items()) b[k] = v;
    return b.dump();
  };
  std::string long_prompt;
  for (int i = 0; i < 300; i++) long_prompt += "little cat ";
  const std::vector<Bad> cases = {
      {"malformed json", C, "{\"prompt\": \"hi\",", 400, ""},
      {"body not an object", C, "[1, 2]", 400, ""},
      {"prompt wrong type", C, cj({{"prompt", 5}}), 400, "prompt"},
      {"prompt missing", C, R"({"model": "tiny"})", 400, "prompt"},
      {"two prompts", C, cj({{"prompt", {"a", "b"}}}), 400, "prompt"},
      {"token id out of vocab", C, cj({{"prompt", {1, 99999}}}), 400, "prompt"},
      {"max_tokens string", C, cj({{"max_tokens", "ten"}}), 400, "max_tokens"},
      {"max_tokens float", C, cj({{"max_tokens", 5.5}}), 400, "max_tokens"},
      {"max_tokens negative", C, cj({{"max_tokens", -1}}), 400, "max_tokens"},
      {"max_tokens huge", C, cj({{"max_tokens", 1000000000}}), 400, "max_tokens"},
      {"max_tokens beyond uint64", C, R"({"prompt": "hi", "max_tokens": 99999999999999999999999})", 400, "max_tokens"},
      {"temperature string", C, cj({{"temperature", "hot"}}), 400, "temperature"},
      {"temperature range", C, cj({{"temperature", 5}}), 400, "temperature"},
      {"top_p range", C, cj({{"top_p", 0}}), 400, "top_p"},
      {"top_k type", C, cj({{"top_k", "all"}}), 400, "top_k"},
      {"min_p range", C, cj({{"min_p", 1.5}}), 400, "min_p"},
      {"penalty range", C, cj({{"presence_penalty", 3}}), 400, "presence_penalty"},
      {"n zero", C, cj({{"n", 0}}), 400, "n"},
      {"n huge", C, cj({{"n", 1000}}), 400, "n"},
      {"stop wrong type", C, cj({{"stop", 5}}), 400, "stop"},
      {"stop list of numbers", C, cj({{"stop", {1, 2}}}), 400, "stop"},
      {"stream not bool", C, cj({{"stream", "yes"}}), 400, "stream"},
      {"seed not int", C, cj({{"seed", "x"}}), 400, "seed"},
      {"logprobs range", C, cj({{"logprobs", 9}}), 400, "logprobs"},
      {"unknown model", C, cj({{"model", "gpt-9"}}), 404, "model"},
      {"model wrong type", C, cj({{"model", 3}}), 400, "model"},
      {"prompt longer than context", C, cj({{"prompt", long_prompt}}), 400, "prompt"},
      {"messages missing", H, R"({"model": "tiny"})", 400, "messages"},
      {"messages not a list", H, hj({{"messages", "hi"}}), 400, "messages"},
      {"messages empty", H, hj({{"messages", json::array()}}), 400, "messages"},
      {"message not an object", H, hj({{"messages", {1}}}), 400, "messages[0]"},
      {"bad role", H, hj({{"messages", {{{"role", "tool"}, {"content", "x"}}}}}), 400, "messages"},
      {"content wrong type", H, hj({{"messages", {{{"role", "user"}, {"content", 5}}}}}), 400, "messages[0].content"},
      {"chat logprobs type", H, hj({{"logprobs", "yes"}}), 400, "logprobs"},
      {"top_logprobs range", H, hj({{"logprobs", true}, {"top_logprobs", 50}}), 400, "top_logprobs"},
      {"top_logprobs without logprobs", H, hj({{"top_logprobs", 2}}), 400, "top_logprobs"},
      {"chat context", H, hj({{"messages", {{{"role", "user"}, {"content", long_prompt}}}}}), 400, "messages"},
      {"oversized body", C, cj({{"prompt", std::string(100 * 1024, 'a')}}), 413, ""},
  };
  httplib::Client c = s.client();
  for (const Bad& b : cases) {
    auto res = c.Post(b.path.c_str(), b.body, "application/json");
    ASSERT_TRUE(res) << b.what << ": no response";
    EXPECT_EQ(res->status, b.status) << b.what << ": " << res->body;
    json e;
    ASSERT_NO_THROW(e = json::parse(res->body)) << b.what << ": " << res->body;
    ASSERT_TRUE(e.contains("error")) << b.what;
    EXPECT_TRUE(e["error"]["message"].is_string()) << b.what;
    EXPECT_FALSE(e["error"]["message"].get<std::string>().empty()) << b.what;
    EXPECT_TRUE(e["error"]["type"].is_string()) << b.what;
    EXPECT_TRUE(e["error"].contains("param") && e["error"].contains("code")) << b.what;
    if (!b.param.empty()) {
      EXPECT_EQ(e["error"]["param"], b.param) << b.what << ": " << res->body;
    }
  }
  auto nf = c.Get("/v1/nothing");
  ASSERT_TRUE(nf);
  EXPECT_EQ(nf->status, 404);
  EXPECT_TRUE(json::parse(nf->body).contains("error"));
  // still serving, nothing leaked
  EXPECT_EQ(c.Get("/health")->status, 200);
  EXPECT_EQ(post_ok(s, C, completion("hi", 4))["usage"]["completion_tokens"], 4);
  EXPECT_TRUE(wait_metric(s, "llm_kv_blocks_in_use", 0));
  EXPECT_GE(metric(s, "llm_requests_total{endpoint=\"/v1/completions\",status=\"400\"}"), 20);
  EXPECT_GE(metric(s, "llm_requests_total{endpoint=\"/v1/completions\",status=\"404\"}"), 1);
}

TEST(Serve, ApiKey) {
  ServeOptions o = default_options();
  o.api_key = "sekret";
  Running s(o);
  httplib::Client c = s.client();
  auto none = c.Get("/v1/models");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(json::parse(none->body)["error"]["type"], "authentication_error");
  auto wrong = c.Get("/v1/models", {{"Authorization", "Bearer nope"}});
  EXPECT_EQ(wrong->status, 401);
  auto post_none = c.Post("/v1/completions", completion("hi", 2).dump(), "application/json");
  EXPECT_EQ(post_none->status, 401);
  auto right = c.Get("/v1/models", {{"Authorization", "Bearer sekret"}});
  EXPECT_EQ(right->status, 200);
  auto gen = c.Post("/v1/completions", {{"Authorization", "Bearer sekret"}}, completion("hi", 2).dump(),
                    "application/json");
  EXPECT_EQ(gen->status, 200);
  EXPECT_EQ(c.Get("/health")->status, 200);  // probes need no key
}

TEST(Serve, ConcurrentRequestsEqualSequential) {
  Running& s = shared_server();
  const std::vector<std::string> prompts = {"Once upon", "The dog ran", "a little cat", "hello",
                                            "The park",  "played with", "I am fine",   "thank you"};
  std::vector<std::string> seq(prompts.size()), par(prompts.size());
  for (size_t i = 0; i < prompts.size(); i++)
    seq[i] = post_ok(s, "/v1/completions", completion(prompts[i], 20 + int(i)))["choices"][0]["text"];
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (size_t i = 0; i < prompts.size(); i++)
    ts.emplace_back([&, i] {
      json b = completion(prompts[i], 20 + int(i));
      if (i % 2) {  // half of them streamed
        b["stream"] = true;
        auto res = post(s, "/v1/completions", b);
        if (!res || res->status != 200) return;
        for (const std::string& e : sse_events(res->body))
          if (e != "[DONE]") par[i] += json::parse(e)["choices"][0]["text"].get<std::string>();
      } else {
        auto res = post(s, "/v1/completions", b);
        if (!res || res->status != 200) return;
        par[i] = json::parse(res->body)["choices"][0]["text"];
      }
      ok++;
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), int(prompts.size()));
  for (size_t i = 0; i < prompts.size(); i++) EXPECT_EQ(par[i], seq[i]) << "prompt " << i;
  EXPECT_TRUE(wait_metric(s, "llm_kv_blocks_in_use", 0));
  EXPECT_TRUE(wait_metric(s, "llm_requests_in_flight", 0));
}

TEST(Serve, ClientDisconnectMidStreamFreesBlocks) {
  ServeOptions o = default_options();
  o.step_delay_ms = 20;  // 80 tokens take >= 1.6 s: the client leaves long before the end
  Running s(o);
  httplib::Client c = s.client();
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/completions";
  req.body = completion("Once upon a time", 80, {{"stream", true}}).dump();
  req.set_header("Content-Type", "application/json");
  int chunks = 0;
  double blocks_while_streaming = -1;
  req.content_receiver = [&](const char*, size_t, uint64_t, uint64_t) {
    if (++chunks == 2) {
      blocks_while_streaming = metric(s, "llm_kv_blocks_in_use");
      return false;  // hang up
    }
    return true;
  };
  const auto t0 = std::chrono::steady_clock::now();
  httplib::Response res;
  httplib::Error err;
  c.send(req, res, err);
  EXPECT_GT(blocks_while_streaming, 0);
  EXPECT_TRUE(wait_metric(s, "llm_client_aborts_total", 1, 1500));
  EXPECT_TRUE(wait_metric(s, "llm_kv_blocks_in_use", 0, 1500));
  EXPECT_EQ(metric(s, "llm_requests_in_flight"), 0);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(secs, 1.5) << "the request was not aborted early";
  EXPECT_LT(metric(s, "llm_engine_tokens_generated_total"), 80);
  // and the server goes on
  EXPECT_EQ(post_ok(s, "/v1/completions", completion("hi", 3))["usage"]["completion_tokens"], 3);
}

TEST(Serve, ClientDisconnectNonStreamingAbortsTheRequest) {
  ServeOptions o = default_options();
  o.step_delay_ms = 20;  // 80 tokens take >= 1.6 s
  Running s(o);
  // a raw socket: send the request, wait until it generates, hang up without reading
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(s.port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string body = completion("Once upon a time", 80).dump();
  const std::string req = "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  ASSERT_EQ(::send(fd, req.data(), req.size(), 0), ssize_t(req.size()));
  double blocks = 0;
  for (int t = 0; t < 100 && blocks <= 0; t++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    blocks = metric(s, "llm_kv_blocks_in_use");
  }
  EXPECT_GT(blocks, 0) << "the request never started";
  const auto t0 = std::chrono::steady_clock::now();
  ::close(fd);
  EXPECT_TRUE(wait_metric(s, "llm_client_aborts_total", 1, 1000));
  EXPECT_TRUE(wait_metric(s, "llm_kv_blocks_in_use", 0, 1000));
  EXPECT_EQ(metric(s, "llm_requests_in_flight"), 0);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1.0);
  EXPECT_LT(metric(s, "llm_engine_tokens_generated_total"), 80) << "ran to max_tokens";
  // a client that stays gets its full answer
  EXPECT_EQ(post_ok(s, "/v1/completions", completion("hi", 3))["usage"]["completion_tokens"], 3);
}

TEST(Serve, ModelRowsBeyondTheTokenizerHaveNoText) {
  // pretraining may give the model more embedding rows than the tokenizer has ids
  ModelConfig c = test_model()->cfg();
  c.vocab_size = test_tokenizer()->vocab_size() + 200;
  Transformer<float> t(c);
  t.init(5);
  Running s(default_options(), std::make_shared<const InferModel>(t));
  const json b = {{"model", "tiny"}, {"prompt", "The cat"}, {"max_tokens", 40}, {"temperature", 1.0},
                  {"seed", 1},      {"ignore_eos", true},  {"logprobs", 5}};
  const json r = post_ok(s, "/v1/completions", b);
  EXPECT_EQ(r["usage"]["completion_tokens"], 40);
  json bs = b;
  bs["stream"] = true;
  auto res = post(s, "/v1/completions", bs);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  std::string text;
  for (const std::string& e : sse_events(res->body))
    if (e != "[DONE]") text += json::parse(e)["choices"][0]["text"].get<std::string>();
  EXPECT_EQ(text, r["choices"][0]["text"].get<std::string>());
}

TEST(Serve, StopEndsStreamsAndJoins) {
  ServeOptions o = default_options();
  o.step_delay_ms = 20;
  auto s = std::make_unique<Running>(o);
  std::string body;
  std::thread client([&] {
    auto res = post(*s, "/v1/completions", completion("Once upon a time", 80, {{"stream", true}}));
    if (res) body = res->body;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto t0 = std::chrono::steady_clock::now();
  s.reset();  // stop() + join
  client.join();
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1.0);
  // the stream ended cleanly: its choice finished with "abort", then [DONE]
  const std::vector<std::string> ev = sse_events(body);
  ASSERT_GE(ev.size(), 3u) << body;
  EXPECT_EQ(ev.back(), "[DONE]");
  EXPECT_EQ(json::parse(ev[ev.size() - 2])["choices"][0]["finish_reason"], "abort");
}

}  // namespace
}  // namespace llm::cli
