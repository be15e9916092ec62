// The interface every tokenizer of the project implements (byte-level BPE,
// WordPiece, Unigram), so data packing, chat templates and the web page can
// take any of them. All of them save to / load from Hugging Face's
// tokenizer.json format.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace llm {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // "bpe", "wordpiece" or "unigram".
  virtual std::string type() const = 0;
  // Text -> ids. Special tokens in the text become their ids when allow_special;
  // otherwise they are encoded as ordinary text.
  virtual std::vector<int32_t> encode(std::string_view text, bool allow_special = true) const = 0;
  // Ids -> text. Throws std::runtime_error on an id outside [0, vocab_size()).
  virtual std::string decode(const std::vector<int32_t>& ids) const = 0;
  // Number of ids, specials included (ids are 0 .. vocab_size()-1).
  virtual int vocab_size() const = 0;
  // The token's string as tokenizer.json spells it (byte-level BPE: "Ġthe").
  virtual std::string id_to_token(int32_t id) const = 0;
  // Id of a token spelled as in tokenizer.json (or of a special), or -1.
  virtual int32_t token_id(std::string_view token) const = 0;
  // Hugging Face tokenizer.json text.
  virtual std::string to_json() const = 0;
  // Special tokens (content, id), in id order.
  virtual std::vector<std::pair<std::string, int32_t>> special_tokens() const = 0;
};

// Loads any tokenizer.json we can read, dispatching on model.type
// ("BPE" -> BpeTokenizer, "WordPiece", "Unigram"). Throws std::runtime_error
// naming the offending key on malformed input.
std::unique_ptr<Tokenizer> load_tokenizer_json(const std::string& json_text);

}  // namespace llm
