// Unigram language-model tokenizer (SentencePiece's default model).
//
// Every piece has a log-probability; a word is split into the sequence of
// pieces with the highest total log-probability (Viterbi over the lattice of
// all pieces that match somewhere in the word). Characters no piece covers
// fall back to byte pieces "<0xNN>" (or [unk] without byte fallback).
//
// Pre-tokenization is SentencePiece's "metaspace": spaces become "▁" and a
// "▁" is prepended, so "hello world" is the words "▁hello", "▁world" and
// decoding turns every "▁" back into a space (see decode() for the one case
// that is not exact). Ids match Hugging Face's Unigram + Metaspace.
//
// Training (EM with pruning, as in SentencePiece):
//   seed: all characters + the most frequent substrings of the words
//   repeat: EM (expected piece counts by forward-backward over each word's
//     lattice, re-estimate log-probs, drop pieces expected < 0.5 times);
//     then prune the pieces whose removal costs the least likelihood
//     (keep shrink_factor of them) until the vocabulary fits.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/tokenizer/piece_trie.h"
#include "core/tokenizer/specials.h"
#include "core/tokenizer/tokenizer.h"

namespace llm {

struct UnigramTrainOptions {
  // Upper bound on the total: specials + 256 byte pieces (with byte_fallback)
  // + learned pieces. A small corpus may support fewer useful pieces.
  int vocab_size = 4096;
  std::vector<std::string> specials = {"<unk>", "<|endoftext|>", "<|pad|>", "<|im_start|>", "<|im_end|>"};
  std::string unk_token = "<unk>";  // added to specials when missing
  bool byte_fallback = true;        // unknown characters -> UTF-8 byte pieces instead of <unk>
  int max_piece_chars = 16;
  double shrink_factor = 0.75;      // fraction of pieces kept by each pruning round
  int em_iterations = 2;            // EM passes per pruning round
  int seed_pieces = 100000;         // most frequent substrings kept as the initial vocabulary
};

class UnigramTokenizer : public Tokenizer {
 public:
  enum Kind : uint8_t { kNormal = 0, kSpecial = 1, kByte = 2 };
  struct Piece {
    std::string text;  // as stored in tokenizer.json ("▁the", "<0x0A>", "<unk>")
    double score;      // log-probability (0 for specials and byte pieces)
    Kind kind;
  };

  static UnigramTokenizer train(std::string_view text, const UnigramTrainOptions& opt = {});
  UnigramTokenizer(std::vector<Piece> pieces, int32_t unk_id, bool byte_fallback);
  static UnigramTokenizer from_hf_json(const std::string& json_text);

  std::string type() const override { return "unigram"; }
  std::vector<int32_t> encode(std::string_view text, bool allow_special = true) const override;
  // Inverse of encode, exact for any byte string without a literal "▁" except
  // that a plain segment (the text, or the part after a special token) that
  // starts with a space loses that one space -- the price of giving the same
  // ids as Hugging Face's Metaspace, where " x" and "x" both become "▁x".
  std::string decode(const std::vector<int32_t>& ids) const override;
  int vocab_size() const override { return int(pieces_.size()); }
  std::string id_to_token(int32_t id) const override;
  int32_t token_id(std::string_view token) const override;
  std::string to_json() const override;
  std::vector<std::pair<std::string, int32_t>> special_tokens() const override;

  const Piece& piece(int32_t id) const { return pieces_.at(id); }
  int32_t unk_id() const { return unk_id_; }
  // Best segmentation of one metaspace word ("▁hello") and its log-probability.
  std::vector<int32_t> viterbi(std::string_view word, double* score = nullptr) const;

 private:
  std::vector<Piece> pieces_;                         // (vocab,)
  std::unordered_map<std::string, int32_t> index_;    // normal piece text -> id
  PieceTrie trie_;                                    // the same, for lattice building
  SpecialMatcher specials_;
  int32_t unk_id_ = -1;
  bool byte_fallback_ = true;
  int32_t byte_id_[256];        // byte -> "<0xNN>" id, or -1
  double unk_score_ = -100;     // cost of covering one character by fallback
};

}  // namespace llm
