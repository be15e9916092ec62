// Teaching BPE: the byte-pair-encoding training algorithm written to be read,
// not to be fast. It learns exactly the same merges, in the same order, as the
// fast trainer in bpe_train.cpp (a test checks it), so you can study this one
// and trust the other.
//
// It can also run one merge at a time (step()), which is what the web page
// uses to animate training.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/tokenizer/specials.h"

namespace llm {

// One learned merge: the adjacent tokens (left, right) become the new token id.
struct TeachingMerge {
  int32_t left, right, id;
  int64_t count;  // how many times the pair occurred in the corpus when it was picked
};

class BpeTeacher {
 public:
  // A distinct pre-token ("word") of the corpus, its current split into
  // tokens, and how many times it occurs.
  struct Word {
    std::vector<int32_t> ids;
    int64_t count;
  };

  // Cuts the specials out of text, splits the rest into GPT-2 pre-tokens and
  // counts each distinct one. Tokens 0..255 are the bytes.
  explicit BpeTeacher(std::string_view text, const std::vector<std::string>& specials = default_special_tokens());

  // Learns one merge: the most frequent adjacent pair (ties: smallest left id,
  // then smallest right id) becomes token next_id() everywhere. Returns false,
  // changing nothing, when no word has two tokens left.
  bool step(TeachingMerge* merge);
  // step() until num_merges merges are learned in total (or no pair is left).
  void train(int num_merges);

  const std::vector<TeachingMerge>& merges() const { return merges_; }
  const std::vector<Word>& words() const { return words_; }
  // The bytes a token stands for.
  const std::string& token_bytes(int32_t id) const { return vocab_.at(id); }
  int32_t next_id() const { return int32_t(vocab_.size()); }

 private:
  std::vector<Word> words_;
  std::vector<std::string> vocab_;  // id -> bytes
  std::vector<TeachingMerge> merges_;
};

}  // namespace llm
