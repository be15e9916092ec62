// The OpenAI-compatible request/response layer of `llm serve` (docs/server.md): JSON bodies in,
// validated generation requests out; events in, OpenAI-shaped JSON (whole answers and SSE chunks)
// out. No sockets and no threads here, so every rule is testable on its own.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/infer/chat_template.h"
#include "core/infer/engine.h"
#include "core/infer/text_stream.h"
#include "core/tokenizer/tokenizer.h"

namespace llm::cli {

using json = nlohmann::json;

// An error the client caused (or the server reports), rendered as
//   {"error": {"message": ..., "type": ..., "param": ..., "code": ...}}   with HTTP `status`.
struct ApiError : std::runtime_error {
  int status;
  std::string type, param, code;
  ApiError(int status, std::string message, std::string param = "", std::string code = "",
           std::string type = "invalid_request_error")
      : std::runtime_error(std::move(message)), status(status), type(std::move(type)), param(std::move(param)),
        code(std::move(code)) {}
};
std::string error_body(int status, const std::string& message, const std::string& type, const std::string& param,
                       const std::string& code);
std::string error_body(const ApiError& e);

// Always dump with this: token strings of byte-level tokens may be partial UTF-8 (replaced by U+FFFD)
std::string dump(const json& j);

// What the server knows when it validates a request.
struct ApiContext {
  const Tokenizer* tok = nullptr;
  ChatFormat format;           // ChatML or the plain fallback (chat_template.h)
  int context = 0;             // model max_seq_len
  std::string model_name;
  int max_n = 16;
  uint64_t default_seed = 0;   // used when the request has no seed (then runs differ)
};

// A validated /v1/completions or /v1/chat/completions request.
struct GenRequest {
  bool chat = false;
  std::vector<int32_t> prompt;  // (P) token ids
  SamplingParams sp;            // max_tokens resolved, stop_token_ids = ChatML stops unless ignore_eos
  int n = 1;
  bool stream = false;
  bool include_usage = false;   // stream_options.include_usage
  int logprobs = -1;            // completions: -1 off, else alternatives per position (0..5)
  bool chat_logprobs = false;   // chat: logprobs: true
  int top_logprobs = 0;         // chat: 0..20
};

// Throws ApiError (400 wrong type / out of range / too long, 404 unknown model).
GenRequest parse_completion(const json& body, const ApiContext& ctx);
GenRequest parse_chat(const json& body, const ApiContext& ctx);
json parse_body(const std::string& text);  // ApiError 400 on malformed JSON or a non-object

// Turns a request's GenerationEvents into text, one Sample per choice index: stop strings (via
// TextStream), finish reasons, token counts and logprobs.
struct Sample {
  explicit Sample(const Tokenizer& tok, const std::vector<std::string>& stop) : ts(tok, stop) {}
  TextStream ts;
  std::string text;            // emitted so far
  int tokens = 0;              // generated tokens (stop token included: usage counts it)
  bool done = false;
  bool by_stop_string = false; // done because a stop string matched (the engine still runs it)
  std::string finish_reason;   // "stop" | "length" | "abort" | "error"
  json logprobs = json::array();        // one entry per text token (format depends on endpoint)
};

class Collector {
 public:
  Collector(const GenRequest& req, const ApiContext& ctx);
  // Feeds one event; returns the text delta of that sample (maybe ""). Sets *entry to the
  // logprob entry of the token when logprobs were requested (else null).
  std::string on_event(const GenerationEvent& e, json* entry);
  bool all_done() const;
  // true when every unfinished sample was stopped by a stop string: the engine request can end
  bool should_abort() const;
  int completion_tokens() const;
  std::vector<Sample>& samples() { return samples_; }

 private:
  json logprob_entry(const TokenChoice& c, size_t text_offset) const;
  const GenRequest& req_;
  const ApiContext& ctx_;
  std::vector<Sample> samples_;
};

// Response JSON (non-stream) and SSE chunk JSON.
json usage_json(int prompt_tokens, int completion_tokens);
json completion_response(const std::string& id, int64_t created, const GenRequest& req, Collector& col,
                         const ApiContext& ctx);
json completion_chunk(const std::string& id, int64_t created, const ApiContext& ctx, int index,
                      const std::string& text, const json& logprobs_entry, const std::string& finish_reason);
json chat_chunk(const std::string& id, int64_t created, const ApiContext& ctx, int index, const json& delta,
                const json& logprobs_entry, const std::string& finish_reason);
std::string sse(const json& j);  // "data: {...}\n\n"

}  // namespace llm::cli
