// WordPiece (BERT's subword model).
//
// Pre-tokenization: BERT's splitter (whitespace separates words, every
// punctuation character is a word). A word is encoded greedily, longest match
// first: the longest vocabulary entry that starts the word, then the longest
// "##"-prefixed entry that continues it, and so on; if some position has no
// match the whole word becomes [UNK].
//
// Training starts from the characters (word-initial "c" and continuation
// "##c") and repeatedly merges the adjacent pair with the highest score
//     score(a, b) = count(a b) / (count(a) * count(b))
// i.e. the pair whose parts occur together far more often than apart (the
// likelihood-gain criterion of the original WordPiece), ties to the smallest
// (left id, right id).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/tokenizer/specials.h"
#include "core/tokenizer/tokenizer.h"

namespace llm {

struct WordPieceTrainOptions {
  int vocab_size = 4096;  // total, specials included
  std::vector<std::string> specials = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  std::string unk_token = "[UNK]";  // added to specials when missing
  std::string prefix = "##";        // continuation prefix
  int max_input_chars_per_word = 100;
};

class WordPieceTokenizer : public Tokenizer {
 public:
  static WordPieceTokenizer train(std::string_view text, const WordPieceTrainOptions& opt = {});
  // tokens[i] is id i; the specials among them are listed in specials.
  WordPieceTokenizer(std::vector<std::string> tokens, const std::vector<std::string>& specials,
                     std::string unk_token = "[UNK]", std::string prefix = "##", int max_input_chars_per_word = 100);

  static WordPieceTokenizer from_hf_json(const std::string& json_text);

  std::string type() const override { return "wordpiece"; }
  std::vector<int32_t> encode(std::string_view text, bool allow_special = true) const override;
  // Tokens joined by spaces, "##" pieces glued to the previous token. Lossy:
  // the original whitespace is not kept.
  std::string decode(const std::vector<int32_t>& ids) const override;
  int vocab_size() const override { return int(tokens_.size()); }
  std::string id_to_token(int32_t id) const override;
  int32_t token_id(std::string_view token) const override;
  std::string to_json() const override;
  std::vector<std::pair<std::string, int32_t>> special_tokens() const override;

  int32_t unk_id() const { return unk_id_; }
  const std::string& prefix() const { return prefix_; }

 private:
  void encode_word(std::string_view word, std::vector<int32_t>* out) const;

  std::vector<std::string> tokens_;  // (vocab,) id -> token ("##" included)
  std::vector<uint8_t> special_;     // (vocab,)
  std::unordered_map<std::string, int32_t> index_;  // regular token -> id
  SpecialMatcher specials_;
  std::string unk_, prefix_;
  int32_t unk_id_ = -1;
  int max_chars_ = 100;
  size_t max_token_bytes_ = 0;
};

}  // namespace llm
