#include "native/serve_api.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace llm::cli {

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string error_body(int status, const std::string& message, const std::string& type, const std::string& param,
                       const std::string& code) {
  json e = {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}};
  if (!param.empty()) e["param"] = param;
  if (!code.empty()) e["code"] = code;
  else e["code"] = status;  // like vLLM: the HTTP status when there is no symbolic code
  return dump(json{{"error", e}});
}

std::string error_body(const ApiError& e) { return error_body(e.status, e.what(), e.type, e.param, e.code); }

json parse_body(const std::string& text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw ApiError(400, std::string("could not parse the JSON body: ") + e.what(), "", "invalid_json");
  }
  if (!j.is_object())
    throw ApiError(400, "the JSON body must be an object, got " + std::string(j.type_name()), "", "invalid_type");
  return j;
}

// ---- typed field readers: null or absent = default; a present value of the wrong type is a 400 ----

static const json* field(const json& b, const char* key) {
  auto it = b.find(key);
  return it == b.end() || it->is_null() ? nullptr : &*it;
}

[[noreturn]] static void wrong_type(const char* key, const char* want, const json& v) {
  throw ApiError(400, std::string("'") + key + "' must be " + want + ", got " + v.type_name() + " " +
                          dump(v).substr(0, 60),
                 key, "invalid_type");
}

static bool get_bool(const json& b, const char* key, bool def) {
  const json* v = field(b, key);
  if (!v) return def;
  if (!v->is_boolean()) wrong_type(key, "a boolean", *v);
  return v->get<bool>();
}

static double get_number(const json& b, const char* key, double def, double lo, double hi, const char* range) {
  const json* v = field(b, key);
  if (!v) return def;
  if (!v->is_number()) wrong_type(key, "a number", *v);
  const double x = v->get<double>();
  if (!(x >= lo && x <= hi))
    throw ApiError(400, std::string("'") + key + "' must be in " + range + ", got " + dump(*v), key, "invalid_value");
  return x;
}

// integers only (5.0 is a float: a type error, as in OpenAI's validation)
static int64_t get_int(const json& b, const char* key, int64_t def, int64_t lo, int64_t hi) {
  const json* v = field(b, key);
  if (!v) return def;
  if (!v->is_number_integer()) wrong_type(key, "an integer", *v);
  if (v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
    throw ApiError(400, std::string("'") + key + "' is out of range: " + dump(*v), key, "invalid_value");
  const int64_t x = v->get<int64_t>();
  if (x < lo || x > hi)
    throw ApiError(400, std::string("'") + key + "' must be in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                            "], got " + std::to_string(x),
                   key, "invalid_value");
  return x;
}

static std::vector<std::string> get_stop(const json& b) {
  const json* v = field(b, "stop");
  std::vector<std::string> out;
  if (!v) return out;
  if (v->is_string()) {
    out.push_back(v->get<std::string>());
  } else if (v->is_array()) {
    if (v->size() > 16) throw ApiError(400, "'stop' holds at most 16 strings", "stop", "invalid_value");
    for (const json& s : *v) {
      if (!s.is_string()) wrong_type("stop", "a string or a list of strings", *v);
      out.push_back(s.get<std::string>());
    }
  } else {
    wrong_type("stop", "a string or a list of strings", *v);
  }
  out.erase(std::remove(out.begin(), out.end(), std::string()), out.end());  // "" never matches
  return out;
}

// Fields shared by both endpoints; max_tokens is resolved later (it needs the prompt length).
static void parse_common(const json& b, const ApiContext& ctx, GenRequest& r) {
  if (const json* m = field(b, "model")) {
    if (!m->is_string()) wrong_type("model", "a string", *m);
    if (m->get<std::string>() != ctx.model_name)
      throw ApiError(404, "The model '" + m->get<std::string>() + "' does not exist (this server serves '" +
                              ctx.model_name + "')",
                     "model", "model_not_found");
  }
  r.n = int(get_int(b, "n", 1, 1, ctx.max_n));
  r.stream = get_bool(b, "stream", false);
  if (const json* so = field(b, "stream_options")) {
    if (!so->is_object()) wrong_type("stream_options", "an object", *so);
    r.include_usage = get_bool(*so, "include_usage", false);
  }
  SamplingParams& sp = r.sp;
  sp.temperature = float(get_number(b, "temperature", 1.0, 0.0, 2.0, "[0, 2]"));
  sp.top_p = float(get_number(b, "top_p", 1.0, 0.0, 1.0, "(0, 1]"));
  if (sp.top_p <= 0.f) throw ApiError(400, "'top_p' must be in (0, 1], got 0", "top_p", "invalid_value");
  const int64_t top_k = get_int(b, "top_k", 0, -1, std::numeric_limits<int32_t>::max());
  sp.top_k = top_k < 0 ? 0 : int(top_k);  // -1 = off (vLLM)
  sp.min_p = float(get_number(b, "min_p", 0.0, 0.0, 1.0, "[0, 1]"));
  sp.presence_penalty = float(get_number(b, "presence_penalty", 0.0, -2.0, 2.0, "[-2, 2]"));
  sp.frequency_penalty = float(get_number(b, "frequency_penalty", 0.0, -2.0, 2.0, "[-2, 2]"));
  sp.repetition_penalty = float(get_number(b, "repetition_penalty", 1.0, 0.01, 10.0, "[0.01, 10]"));
  if (const json* s = field(b, "seed")) {
    if (!s->is_number_integer()) wrong_type("seed", "an integer", *s);
    sp.seed = s->is_number_unsigned() ? s->get<uint64_t>() : uint64_t(s->get<int64_t>());
  } else {
    sp.seed = ctx.default_seed;
  }
  sp.stop = get_stop(b);
  if (!get_bool(b, "ignore_eos", false)) sp.stop_token_ids = ctx.format.stop_ids;
}

// max_tokens against the context: the prompt must leave room for at least one token.
static void resolve_max_tokens(const json& b, const ApiContext& ctx, GenRequest& r, int default_max) {
  const int P = int(r.prompt.size()), room = ctx.context - P;
  if (room < 1)
    throw ApiError(400,
                   "This model's maximum context length is " + std::to_string(ctx.context) +
                       " tokens, but the prompt is " + std::to_string(P) + " tokens (no room to generate)",
                   r.chat ? "messages" : "prompt", "context_length_exceeded");
  const char* key = field(b, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
  if (field(b, key)) {
    const int64_t m = get_int(b, key, 0, 1, std::numeric_limits<int64_t>::max());
    if (m > room)
      throw ApiError(400,
                     "This model's maximum context length is " + std::to_string(ctx.context) + " tokens; you asked for " +
                         std::to_string(P) + " prompt + " + std::to_string(m) + " completion tokens",
                     key, "context_length_exceeded");
    r.sp.max_tokens = int(m);
  } else {
    r.sp.max_tokens = default_max > 0 ? std::min(default_max, room) : room;
  }
}

static void check_engine_params(GenRequest& r) {
  try {
    r.sp.validate();
  } catch (const std::invalid_argument& e) {
    throw ApiError(400, e.what(), "", "invalid_value");
  }
}

GenRequest parse_completion(const json& b, const ApiContext& ctx) {
  GenRequest r;
  r.chat = false;
  parse_common(b, ctx, r);
  const json* p = field(b, "prompt");
  if (!p) throw ApiError(400, "'prompt' is required", "prompt", "missing_field");
  const Tokenizer& tok = *ctx.tok;
  const json* one = p;
  if (p->is_array()) {
    if (p->empty()) throw ApiError(400, "'prompt' must not be an empty list", "prompt", "invalid_value");
    if ((*p)[0].is_number_integer()) {  // a pre-tokenized prompt: a list of token ids
      for (const json& t : *p) {
        if (!t.is_number_integer()) wrong_type("prompt", "a string, a list of one string or a list of token ids", *p);
        const int64_t id = t.get<int64_t>();
        if (id < 0 || id >= tok.vocab_size())
          throw ApiError(400, "prompt token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                                  std::to_string(tok.vocab_size()) + ")",
                         "prompt", "invalid_value");
        r.prompt.push_back(int32_t(id));
      }
      one = nullptr;
    } else {
      if (p->size() != 1)
        throw ApiError(400, "only one prompt per request is supported (got a list of " + std::to_string(p->size()) + ")",
                       "prompt", "invalid_value");
      one = &(*p)[0];
    }
  }
  if (one) {
    if (!one->is_string()) wrong_type("prompt", "a string, a list of one string or a list of token ids", *p);
    // a raw prompt is the client's own text: specials typed in it (ChatML written by hand) count
    r.prompt = tok.encode(one->get<std::string>(), /*allow_special=*/true);
  }
  // an empty prompt starts a new document, as in pretraining
  if (r.prompt.empty()) {
    if (ctx.format.doc_start < 0)
      throw ApiError(400, "'prompt' is empty and the tokenizer has no start-of-document token", "prompt",
                     "invalid_value");
    r.prompt.push_back(ctx.format.doc_start);
  }
  resolve_max_tokens(b, ctx, r, /*default_max=*/16);
  if (const json* lp = field(b, "logprobs")) {
    if (lp->is_boolean()) r.logprobs = lp->get<bool>() ? 0 : -1;
    else r.logprobs = int(get_int(b, "logprobs", -1, 0, 5));
  }
  r.sp.logprobs = r.logprobs >= 0;
  r.sp.top_logprobs = std::max(0, r.logprobs);
  check_engine_params(r);
  return r;
}

GenRequest parse_chat(const json& b, const ApiContext& ctx) {
  GenRequest r;
  r.chat = true;
  parse_common(b, ctx, r);
  const json* ms = field(b, "messages");
  if (!ms) throw ApiError(400, "'messages' is required", "messages", "missing_field");
  if (!ms->is_array()) wrong_type("messages", "a list of messages", *ms);
  if (ms->empty()) throw ApiError(400, "'messages' must hold at least one message", "messages", "invalid_value");
  std::vector<ChatMessage> msgs;
  for (size_t i = 0; i < ms->size(); i++) {
    const json& m = (*ms)[i];
    const std::string where = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) throw ApiError(400, where + " must be an object", where, "invalid_type");
    const json* role = field(m, "role");
    if (!role || !role->is_string()) throw ApiError(400, where + ".role must be a string", where + ".role", "invalid_type");
    ChatMessage cm;
    cm.role = role->get<std::string>();
    if (cm.role == "developer") cm.role = "system";  // OpenAI's newer name for it
    const json* c = field(m, "content");
    if (!c) {
      cm.content = "";
    } else if (c->is_string()) {
      cm.content = c->get<std::string>();
    } else if (c->is_array()) {  // content parts: only text ones
      for (const json& part : *c) {
        if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") || !part["text"].is_string())
          throw ApiError(400, where + ".content: only {\"type\": \"text\", \"text\": ...} parts are supported",
                         where + ".content", "invalid_type");
        cm.content += part["text"].get<std::string>();
      }
    } else {
      throw ApiError(400, where + ".content must be a string or a list of text parts", where + ".content",
                     "invalid_type");
    }
    msgs.push_back(std::move(cm));
  }
  try {
    r.prompt = encode_chat_prompt(*ctx.tok, ctx.format, msgs, /*add_generation_prompt=*/true);
  } catch (const std::invalid_argument& e) {
    throw ApiError(400, e.what(), "messages", "invalid_value");
  }
  // plain template: the model starting the next "User:" turn itself ends the reply
  for (const std::string& s : ctx.format.stop_strings)
    if (std::find(r.sp.stop.begin(), r.sp.stop.end(), s) == r.sp.stop.end()) r.sp.stop.push_back(s);
  resolve_max_tokens(b, ctx, r, /*default_max=*/0);
  r.chat_logprobs = get_bool(b, "logprobs", false);
  r.top_logprobs = int(get_int(b, "top_logprobs", 0, 0, 20));
  if (r.top_logprobs > 0 && !r.chat_logprobs)
    throw ApiError(400, "'top_logprobs' needs 'logprobs': true", "top_logprobs", "invalid_value");
  r.sp.logprobs = r.chat_logprobs;
  r.sp.top_logprobs = r.top_logprobs;
  check_engine_params(r);
  return r;
}

// ---------------------------------- collecting -----------------------------------------------

Collector::Collector(const GenRequest& req, const ApiContext& ctx) : req_(req), ctx_(ctx) {
  samples_.reserve(size_t(req.n));
  for (int i = 0; i < req.n; i++) samples_.emplace_back(*ctx.tok, req.sp.stop);
}

// One token's logprob entry, in the chat format ({token, logprob, bytes, top_logprobs}) plus the
// text offset the legacy completions format needs.
json Collector::logprob_entry(const TokenChoice& c, size_t text_offset) const {
  auto one = [&](int32_t id, float lp) {
    // rows of a model padded beyond the tokenizer's vocabulary have no text
    const std::string s = id >= 0 && id < ctx_.tok->vocab_size() ? ctx_.tok->decode({id}) : "";
    json bytes = json::array();
    for (unsigned char ch : s) bytes.push_back(int(ch));
    return json{{"token", s}, {"logprob", lp}, {"bytes", bytes}};
  };
  json e = one(c.token, c.logprob);
  json top = json::array();
  for (const auto& [id, lp] : c.top) top.push_back(one(id, lp));
  e["top_logprobs"] = top;
  e["text_offset"] = text_offset;
  return e;
}

std::string Collector::on_event(const GenerationEvent& e, json* entry) {
  if (entry) *entry = nullptr;
  if (e.index < 0 || e.index >= int(samples_.size())) return "";
  Sample& s = samples_[size_t(e.index)];
  if (s.done) return "";
  std::string delta;
  if (e.token >= 0) {
    s.tokens++;
    const auto& stops = req_.sp.stop_token_ids;
    const bool in_vocab = e.token < ctx_.tok->vocab_size();  // padded model rows: no text
    if (in_vocab && std::find(stops.begin(), stops.end(), e.token) == stops.end()) {
      delta = s.ts.push(e.token);
      if (req_.sp.logprobs) {
        json lp = logprob_entry(e.choice, s.text.size());
        s.logprobs.push_back(lp);
        if (entry) *entry = lp;
      }
      if (s.ts.stopped()) s.done = true, s.finish_reason = "stop", s.by_stop_string = true;
    }
  }
  if (e.finished && !s.done) {
    delta += s.ts.flush();
    s.done = true;
    s.finish_reason = e.finish_reason.empty() ? "stop" : e.finish_reason;
  }
  s.text += delta;
  return delta;
}

bool Collector::all_done() const {
  for (const Sample& s : samples_)
    if (!s.done) return false;
  return true;
}

bool Collector::should_abort() const {
  if (!all_done()) return false;
  for (const Sample& s : samples_)
    if (s.by_stop_string) return true;
  return false;
}

int Collector::completion_tokens() const {
  int n = 0;
  for (const Sample& s : samples_) n += s.tokens;
  return n;
}

// ---------------------------------- responses ------------------------------------------------

json usage_json(int prompt_tokens, int completion_tokens) {
  return {{"prompt_tokens", prompt_tokens},
          {"completion_tokens", completion_tokens},
          {"total_tokens", prompt_tokens + completion_tokens}};
}

// legacy completions logprobs: parallel lists
static json legacy_logprobs(const json& entries) {
  json tokens = json::array(), lps = json::array(), tops = json::array(), offs = json::array();
  for (const json& e : entries) {
    tokens.push_back(e["token"]);
    lps.push_back(e["logprob"]);
    json t = json::object();
    for (const json& a : e["top_logprobs"]) t[a["token"].get<std::string>()] = a["logprob"];
    tops.push_back(t);
    offs.push_back(e["text_offset"]);
  }
  return {{"tokens", tokens}, {"token_logprobs", lps}, {"top_logprobs", tops}, {"text_offset", offs}};
}

static json chat_logprobs(const json& entries) {
  json content = json::array();
  for (json e : entries) {
    e.erase("text_offset");
    for (json& a : e["top_logprobs"]) a.erase("top_logprobs");
    content.push_back(e);
  }
  return {{"content", content}};
}

static json finish_json(const std::string& r) { return r.empty() ? json(nullptr) : json(r); }

json completion_response(const std::string& id, int64_t created, const GenRequest& req, Collector& col,
                         const ApiContext& ctx) {
  json choices = json::array();
  for (size_t i = 0; i < col.samples().size(); i++) {
    const Sample& s = col.samples()[i];
    json c = {{"index", i}, {"finish_reason", finish_json(s.finish_reason)}};
    if (req.chat) {
      c["message"] = {{"role", "assistant"}, {"content", s.text}};
      c["logprobs"] = req.chat_logprobs ? chat_logprobs(s.logprobs) : json(nullptr);
    } else {
      c["text"] = s.text;
      c["logprobs"] = req.logprobs >= 0 ? legacy_logprobs(s.logprobs) : json(nullptr);
    }
    choices.push_back(c);
  }
  return {{"id", id},
          {"object", req.chat ? "chat.completion" : "text_completion"},
          {"created", created},
          {"model", ctx.model_name},
          {"choices", choices},
          {"usage", usage_json(int(req.prompt.size()), col.completion_tokens())}};
}

json completion_chunk(const std::string& id, int64_t created, const ApiContext& ctx, int index,
                      const std::string& text, const json& entry, const std::string& finish_reason) {
  json c = {{"index", index},
            {"text", text},
            {"logprobs", entry.is_null() ? json(nullptr) : legacy_logprobs(json::array({entry}))},
            {"finish_reason", finish_json(finish_reason)}};
  return {{"id", id},
          {"object", "text_completion"},
          {"created", created},
          {"model", ctx.model_name},
          {"choices", json::array({c})}};
}

json chat_chunk(const std::string& id, int64_t created, const ApiContext& ctx, int index, const json& delta,
                const json& entry, const std::string& finish_reason) {
  json c = {{"index", index},
            {"delta", delta},
            {"logprobs", entry.is_null() ? json(nullptr) : chat_logprobs(json::array({entry}))},
            {"finish_reason", finish_json(finish_reason)}};
  return {{"id", id},
          {"object", "chat.completion.chunk"},
          {"created", created},
          {"model", ctx.model_name},
          {"choices", json::array({c})}};
}

std::string sse(const json& j) { return "data: " + dump(j) + "\n\n"; }

}  // namespace llm::cli
