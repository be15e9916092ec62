// Generation from the session model through the inference core (core/infer): the same engine,
// sampler and streaming detokenizer as `llm generate`, so greedy text matches the CLI exactly.
//   const g = new M.Generator(prompt, samplingJson);   // {temperature, top_k, top_p, min_p, max_tokens, seed, ...}
//   while (!g.done()) piece = g.next();   // a little text per call (maybe ""); g.delete() at the end
//   M.chatPrompt(messagesJson)          // ChatML rendering, for the Chat lesson
#include <emscripten/bind.h>

#include <nlohmann/json.hpp>

#include "core/infer/chat_template.h"
#include "core/infer/engine.h"
#include "core/infer/text_stream.h"
#include "wasm/js_util.h"
#include "wasm/session.h"

using namespace emscripten;
using json = nlohmann::json;

namespace llm::web {
namespace {

SamplingParams sampling_from_json(const std::string& text) {
  SamplingParams sp;
  sp.temperature = 0.8f;
  sp.top_p = 0.95f;
  const json j = json::parse(text.empty() ? "{}" : text);
  if (!j.is_object()) throw std::runtime_error("sampling options must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    if (k == "temperature") sp.temperature = it->get<float>();
    else if (k == "top_k") sp.top_k = it->get<int>();
    else if (k == "top_p") sp.top_p = it->get<float>();
    else if (k == "min_p") sp.min_p = it->get<float>();
    else if (k == "repetition_penalty") sp.repetition_penalty = it->get<float>();
    else if (k == "frequency_penalty") sp.frequency_penalty = it->get<float>();
    else if (k == "presence_penalty") sp.presence_penalty = it->get<float>();
    else if (k == "max_tokens") sp.max_tokens = it->get<int>();
    else if (k == "seed") sp.seed = uint64_t(it->get<double>());
    else if (k == "stop") sp.stop = it->get<std::vector<std::string>>();
    else throw std::runtime_error("sampling options: unknown key '" + k + "'");
  }
  try {
    sp.validate();
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("sampling options: ") + e.what());
  }
  return sp;
}

// One streamed answer. The prompt is encoded with specials allowed (a hand-written ChatML prompt
// works), generation ends at <|endoftext|> / <|im_end|>, at max_tokens or at the context's end.
class JsGenerator {
 public:
  JsGenerator(const std::string& prompt, const std::string& sampling_json) {
    guarded([&] {
      tok_ = tokenizer_ptr();
      model_ = infer_model();
      SamplingParams sp = sampling_from_json(sampling_json);
      const int32_t eot = tok_->token_id("<|endoftext|>"), im_end = tok_->token_id("<|im_end|>");
      for (int32_t s : {eot, im_end})
        if (s >= 0) sp.stop_token_ids.push_back(s);
      std::vector<int32_t> ids = tok_->encode(prompt, true);
      if (ids.empty()) {
        if (eot < 0) throw std::runtime_error("the prompt is empty and the tokenizer has no <|endoftext|> to start from");
        ids.push_back(eot);
      }
      const int room = model_->cfg().max_seq_len - int(ids.size());
      if (room < 1)
        throw std::runtime_error("the prompt is " + std::to_string(ids.size()) + " tokens; the context is " +
                                 std::to_string(model_->cfg().max_seq_len));
      if (sp.max_tokens > room) sp.max_tokens = room;
      prompt_tokens_ = int(ids.size());
      EngineConfig ec;  // one sequence, one full context (as native/generate.cpp)
      ec.block_size = 16;
      ec.num_blocks = (model_->cfg().max_seq_len + ec.block_size - 1) / ec.block_size + 1;
      ec.max_num_seqs = 1;
      ec.max_batched_tokens = std::max(512, model_->cfg().max_seq_len);
      engine_ = std::make_unique<Engine>(model_, ec);
      stream_ = std::make_unique<TextStream>(*tok_, sp.stop);
      stop_ids_ = sp.stop_token_ids;
      id_ = engine_->add_request(ids, sp, 1);
    });
  }
  bool done() const { return done_; }
  int tokens() const { return tokens_; }
  int promptTokens() const { return prompt_tokens_; }
  std::string finishReason() const { return finish_; }
  // Runs one engine step (prefill, then one token per call); returns the new text (maybe "").
  std::string next() {
    return guarded([&] {
      std::string piece;
      if (done_) return piece;
      if (!engine_->has_work()) {
        done_ = true;
        return stream_->flush();
      }
      for (const GenerationEvent& e : engine_->step()) {
        if (e.request_id != id_ || done_) continue;
        if (e.token >= 0) {
          tokens_++;
          last_token_ = e.token;
          bool is_stop = e.token >= tok_->vocab_size();  // padded model rows have no text
          for (int32_t s : stop_ids_) is_stop |= s == e.token;
          if (!is_stop) piece += stream_->push(e.token);
          if (stream_->stopped()) {
            engine_->abort(id_);
            finish_ = "stop";
            done_ = true;
          }
        }
        if (e.finished && !done_) {
          piece += stream_->flush();
          finish_ = e.finish_reason;
          done_ = true;
        }
      }
      return piece;
    });
  }
  int lastToken() const { return last_token_; }

 private:
  std::shared_ptr<const Tokenizer> tok_;
  std::shared_ptr<const InferModel> model_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<TextStream> stream_;
  std::vector<int32_t> stop_ids_;
  int64_t id_ = 0;
  bool done_ = false;
  int tokens_ = 0, prompt_tokens_ = 0, last_token_ = -1;
  std::string finish_;
};

// [{role, content}, ...] -> the ChatML text with the assistant generation prompt.
std::string chat_prompt(const std::string& messages_json) {
  return guarded([&] {
    const json j = json::parse(messages_json);
    std::vector<ChatMessage> msgs;
    for (const json& m : j) msgs.push_back({m.at("role").get<std::string>(), m.at("content").get<std::string>()});
    try {
      validate_chat(msgs);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(e.what());
    }
    return render_chat(msgs, true).text;
  });
}

}  // namespace
}  // namespace llm::web

EMSCRIPTEN_BINDINGS(llm_infer) {
  using namespace llm::web;
  class_<JsGenerator>("Generator")
      .constructor<std::string, std::string>()
      .function("next", &JsGenerator::next)
      .function("done", &JsGenerator::done)
      .function("tokens", &JsGenerator::tokens)
      .function("promptTokens", &JsGenerator::promptTokens)
      .function("finishReason", &JsGenerator::finishReason)
      .function("lastToken", &JsGenerator::lastToken);
  function("chatPrompt", &chat_prompt);
}
