// Teaching BPE. Read this file top to bottom; it is the whole algorithm.
//
// Byte-pair encoding starts with one token per byte and repeatedly glues the
// most frequent pair of neighbouring tokens into a new token:
//
//   corpus "low lower lowest"  ->  words "low", " lower", " lowest"
//   step 1: most frequent pair ('l','o') -> token 256 "lo"
//   step 2: ('lo','w')                  -> token 257 "low"   ...
//
// Each step here recounts every pair in every word and rewrites every word:
// O(corpus size) per merge, O(corpus size x merges) in total. The fast trainer
// (bpe_train.cpp) gets the same answer by only touching the words that contain
// the merged pair and keeping counts in a priority queue.
#include "core/tokenizer/bpe_teaching.h"

#include <map>
#include <utility>

#include "core/tokenizer/pretokenize.h"

namespace llm {

BpeTeacher::BpeTeacher(std::string_view text, const std::vector<std::string>& specials) {
  // Tokens 0..255 are the 256 possible bytes: any text, even invalid UTF-8,
  // can be written with them, so nothing is ever "unknown".
  for (int b = 0; b < 256; b++) vocab_.push_back(std::string(1, char(b)));

  // Special tokens (like "<|endoftext|>") must never be merged with their
  // neighbours, so we cut them out and only learn from the text between them.
  SpecialMatcher matcher;
  for (size_t i = 0; i < specials.size(); i++) matcher.add(specials[i], int32_t(i));

  // Merges never cross pre-token boundaries: GPT-2 first splits text into
  // words, numbers, punctuation runs and spaces (" the", "'s", "123", "\n\n").
  // Many words repeat, so we count each distinct pre-token once.
  std::map<std::string, int64_t> counts;  // sorted by bytes: a fixed, reproducible order
  matcher.split(
      text, true,
      [&](std::string_view segment) {
        for (std::string_view piece : gpt2_pretokenize(segment)) counts[std::string(piece)] += 1;
      },
      [](int32_t) {});

  for (const auto& [piece, count] : counts) {
    Word w;
    for (unsigned char b : piece) w.ids.push_back(b);  // start from single bytes
    w.count = count;
    words_.push_back(w);
  }
}

bool BpeTeacher::step(TeachingMerge* merge) {
  // 1. Count every adjacent pair. A word that occurs 7 times contributes 7.
  std::map<std::pair<int32_t, int32_t>, int64_t> pair_counts;
  for (const Word& w : words_)
    for (size_t i = 0; i + 1 < w.ids.size(); i++) pair_counts[{w.ids[i], w.ids[i + 1]}] += w.count;
  if (pair_counts.empty()) return false;  // every word is a single token already

  // 2. Pick the most frequent pair. std::map iterates pairs in increasing
  //    (left, right) order and we only replace on a strictly larger count, so
  //    among equally frequent pairs the smallest one wins -- the same rule as
  //    the fast trainer, which is why both learn identical merges.
  std::pair<int32_t, int32_t> best{-1, -1};
  int64_t best_count = 0;
  for (const auto& [pair, count] : pair_counts) {
    if (count > best_count) {
      best = pair;
      best_count = count;
    }
  }

  // 3. The new token is the concatenation of the two.
  const int32_t new_id = next_id();
  vocab_.push_back(vocab_[best.first] + vocab_[best.second]);

  // 4. Rewrite every word, replacing each occurrence of the pair from left to
  //    right. Occurrences cannot overlap: in "a a a" the pair (a, a) becomes
  //    "aa a", not "a aa" and not both.
  for (Word& w : words_) {
    std::vector<int32_t> merged;
    for (size_t i = 0; i < w.ids.size();) {
      if (i + 1 < w.ids.size() && w.ids[i] == best.first && w.ids[i + 1] == best.second) {
        merged.push_back(new_id);
        i += 2;
      } else {
        merged.push_back(w.ids[i]);
        i += 1;
      }
    }
    w.ids = std::move(merged);
  }

  *merge = {best.first, best.second, new_id, best_count};
  merges_.push_back(*merge);
  return true;
}

void BpeTeacher::train(int num_merges) {
  TeachingMerge m;
  while (int(merges_.size()) < num_merges && step(&m)) {
  }
}

}  // namespace llm
