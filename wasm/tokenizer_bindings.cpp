// Tokenizers for the page: train (BPE | WordPiece | Unigram), encode with byte spans for colouring,
// decode, tokenizer.json in and out, and the teaching BPE one merge at a time.
//   const tok = M.trainTokenizer('bpe', text, 512);   tok.encodeJson('hello') -> {ids, pieces, spans}
//   M.setSessionTokenizer(tok)                        the model lessons now use it
#include <emscripten/bind.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/tokenizer/bpe.h"
#include "core/tokenizer/bpe_teaching.h"
#include "core/tokenizer/unigram.h"
#include "core/tokenizer/wordpiece.h"
#include "wasm/js_util.h"
#include "wasm/session.h"

using namespace emscripten;
using json = nlohmann::json;

namespace llm::web {
namespace {

// Bytes may be any UTF-8 fragment (byte-level BPE splits characters): make them valid JSON text.
std::string printable(const std::string& bytes) {
  std::string out;
  for (size_t i = 0; i < bytes.size();) {
    const unsigned char c = bytes[i];
    const int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = n > 0 && i + n <= bytes.size();
    for (int k = 1; ok && k < n; k++) ok = (static_cast<unsigned char>(bytes[i + k]) >> 6) == 2;
    if (ok) {
      out.append(bytes, i, n);
      i += n;
    } else {  // a lone byte of a split character: show it as <0xNN>
      char buf[8];
      std::snprintf(buf, sizeof buf, "<0x%02X>", c);
      out += buf;
      i++;
    }
  }
  return out;
}

class JsTokenizer {
 public:
  explicit JsTokenizer(std::shared_ptr<const Tokenizer> t) : t_(std::move(t)) {}
  std::string type() const { return t_->type(); }
  int vocabSize() const { return t_->vocab_size(); }
  val encode(const std::string& text) const { return guarded([&] { return ints_to_js(t_->encode(text, true)); }); }
  std::string decode(const val& ids) const { return guarded([&] { return t_->decode(ints_from_js(ids)); }); }
  std::string idToToken(int id) const { return guarded([&] { return printable(t_->id_to_token(id)); }); }
  std::string toJson() const { return t_->to_json(); }
  // {ids, pieces, spans: [[begin, end] byte offsets into text]} for colouring. Byte-level BPE pieces
  // concatenate to the text exactly; WordPiece/Unigram pieces are found in the text left to right
  // (their normalisation may drop spaces), an unmatched piece gets an empty span at the cursor.
  std::string encodeJson(const std::string& text) const {
    return guarded([&] {
      const std::vector<int32_t> ids = t_->encode(text, true);
      json pieces = json::array(), spans = json::array();
      size_t cur = 0;
      for (int32_t id : ids) {
        std::string piece = t_->decode({id});
        std::string shown = t_->id_to_token(id);
        size_t b = cur, e = cur;
        if (t_->type() == "bpe") {
          e = std::min(text.size(), cur + piece.size());
        } else {
          std::string needle = piece;
          if (t_->type() == "wordpiece" && needle.rfind("##", 0) == 0) needle = needle.substr(2);
          while (!needle.empty() && needle[0] == ' ') needle.erase(0, 1);
          const size_t at = needle.empty() ? std::string::npos : text.find(needle, cur);
          if (at != std::string::npos && at - cur <= 8) b = at, e = at + needle.size();
        }
        cur = e;
        pieces.push_back(printable(t_->type() == "bpe" ? piece : shown));
        spans.push_back({b, e});
      }
      return json{{"ids", ids}, {"pieces", pieces}, {"spans", spans}}.dump();
    });
  }
  const std::shared_ptr<const Tokenizer>& ptr() const { return t_; }

 private:
  std::shared_ptr<const Tokenizer> t_;
};

JsTokenizer* train_tokenizer(const std::string& type, const std::string& text, int vocab) {
  return guarded([&]() -> JsTokenizer* {
    if (text.empty()) throw std::runtime_error("trainTokenizer: the text is empty");
    std::shared_ptr<const Tokenizer> t;
    if (type == "bpe") {
      BpeTrainOptions o;
      o.vocab_size = vocab;
      t = std::make_shared<BpeTokenizer>(BpeTokenizer::train(text, o));
    } else if (type == "wordpiece") {
      WordPieceTrainOptions o;
      o.vocab_size = vocab;
      t = std::make_shared<WordPieceTokenizer>(WordPieceTokenizer::train(text, o));
    } else if (type == "unigram") {
      UnigramTrainOptions o;
      o.vocab_size = vocab;
      t = std::make_shared<UnigramTokenizer>(UnigramTokenizer::train(text, o));
    } else {
      throw std::runtime_error("trainTokenizer: type must be bpe, wordpiece or unigram, got '" + type + "'");
    }
    return new JsTokenizer(std::move(t));
  });
}

JsTokenizer* tokenizer_from_json(const std::string& text) {
  return guarded([&] { return new JsTokenizer(std::shared_ptr<const Tokenizer>(load_tokenizer_json(text).release())); });
}

void set_session_tokenizer(const JsTokenizer& t) {
  guarded([&] {
    if (has_model() && t.ptr()->vocab_size() > model_config().vocab_size)
      throw std::runtime_error("this tokenizer has " + std::to_string(t.ptr()->vocab_size()) + " ids but the current model has " +
                               std::to_string(model_config().vocab_size) + " embedding rows: build a new model after switching");
    session().tok = t.ptr();
    session().version++;
  });
}

// The session's tokenizer as a new JsTokenizer handle (JS deletes it), or null (nullptr).
JsTokenizer* session_tokenizer() { return has_tokenizer() ? new JsTokenizer(tokenizer_ptr()) : nullptr; }

// Teaching BPE, one merge per step() for the animation.
class JsBpeTeacher {
 public:
  explicit JsBpeTeacher(const std::string& text) {
    guarded([&] {
      if (text.empty()) throw std::runtime_error("BpeTeacher: the text is empty");
      t_ = std::make_unique<BpeTeacher>(text);
    });
  }
  // the merge as JSON {left, right, id, count, leftText, rightText, text}, or "" when no pair is left
  std::string step() {
    TeachingMerge m;
    if (!t_->step(&m)) return "";
    return json{{"left", m.left},
                {"right", m.right},
                {"id", m.id},
                {"count", m.count},
                {"leftText", printable(t_->token_bytes(m.left))},
                {"rightText", printable(t_->token_bytes(m.right))},
                {"text", printable(t_->token_bytes(m.id))}}
        .dump();
  }
  int mergeCount() const { return int(t_->merges().size()); }
  // The `limit` most frequent words with their current split: [{count, pieces: [..]}]
  std::string wordsJson(int limit) const {
    std::vector<const BpeTeacher::Word*> ws;
    for (const auto& w : t_->words()) ws.push_back(&w);
    std::stable_sort(ws.begin(), ws.end(), [](auto* a, auto* b) { return a->count > b->count; });
    json out = json::array();
    for (int i = 0; i < std::min<int>(limit, int(ws.size())); i++) {
      json pieces = json::array();
      for (int32_t id : ws[size_t(i)]->ids) pieces.push_back(printable(t_->token_bytes(id)));
      out.push_back({{"count", ws[size_t(i)]->count}, {"pieces", pieces}, {"ids", ws[size_t(i)]->ids}});
    }
    return out.dump();
  }
  int distinctWords() const { return int(t_->words().size()); }

 private:
  std::unique_ptr<BpeTeacher> t_;
};

}  // namespace
}  // namespace llm::web

EMSCRIPTEN_BINDINGS(llm_tokenizer) {
  using namespace llm::web;
  class_<JsTokenizer>("Tokenizer")
      .function("type", &JsTokenizer::type)
      .function("vocabSize", &JsTokenizer::vocabSize)
      .function("encode", &JsTokenizer::encode)
      .function("encodeJson", &JsTokenizer::encodeJson)
      .function("decode", &JsTokenizer::decode)
      .function("idToToken", &JsTokenizer::idToToken)
      .function("toJson", &JsTokenizer::toJson);
  function("trainTokenizer", &train_tokenizer, allow_raw_pointers());
  function("tokenizerFromJson", &tokenizer_from_json, allow_raw_pointers());
  function("setSessionTokenizer", &set_session_tokenizer);
  function("sessionTokenizer", &session_tokenizer, allow_raw_pointers());
  class_<JsBpeTeacher>("BpeTeacher")
      .constructor<std::string>()
      .function("step", &JsBpeTeacher::step)
      .function("mergeCount", &JsBpeTeacher::mergeCount)
      .function("wordsJson", &JsBpeTeacher::wordsJson)
      .function("distinctWords", &JsBpeTeacher::distinctWords);
}
