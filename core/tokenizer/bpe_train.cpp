// The fast BPE trainer.
//
//  1. Cut specials out, pre-tokenize with the GPT-2 regex and count unique
//     pre-tokens ("words") -- OpenMP-parallel over chunks of the text.
//  2. Each unique word becomes a sequence of byte ids with a count. Count every
//     adjacent pair once, remembering which words contain it (pair -> words).
//  3. Repeat: pop the most frequent pair from a max-heap, merge it inside only
//     the words that contain it, and apply the resulting +/- changes to the
//     neighbouring pairs. Counts only ever go DOWN for existing pairs (pairs
//     that gain occurrences are brand new: they contain the new token), so heap
//     entries may be stale-high: a popped entry whose count disagrees with the
//     current count is pushed back with the current count ("lazy deletion").
//
// The cost per merge is proportional to the words that contain the pair, not
// to the corpus: that is the whole difference from bpe_teaching.cpp.
#include <algorithm>
#include <queue>
#include <stdexcept>
#include <string>

#include "core/tokenizer/bpe.h"
#include "core/tokenizer/pretokenize.h"
#include "core/tokenizer/unicode.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace llm {
namespace {

// Splits one big text into up to `parts` chunks at points where cutting cannot
// change the GPT-2 pre-tokens: just after a "\n" that sits between two
// non-whitespace bytes ("x\nY": the "\n" is a pre-token of its own either way).
std::vector<std::string_view> split_for_threads(std::string_view text, int parts) {
  std::vector<std::string_view> out;
  if (parts <= 1 || text.size() < (1u << 16)) { out.push_back(text); return out; }
  auto is_ws = [](unsigned char c) { return c == ' ' || (c >= 9 && c <= 13) || c >= 0x80; };
  size_t start = 0;
  for (int k = 1; k < parts; k++) {
    size_t p = std::max(start, text.size() * k / parts);
    for (; p + 1 < text.size(); p++) {
      if (p >= 2 && text[p - 1] == '\n' && !is_ws(text[p - 2]) && !is_ws(text[p])) break;
    }
    if (p + 1 >= text.size()) break;
    out.push_back(text.substr(start, p - start));
    start = p;
  }
  out.push_back(text.substr(start));
  return out;
}

// Step 1: unique pre-tokens and their counts, over all pieces.
flat::StringCounter count_pretokens(const std::vector<std::string_view>& pieces, const SpecialMatcher& specials,
                                    int threads) {
  const int n = int(pieces.size());
  int nt = 1;
#ifdef _OPENMP
  nt = std::max(1, std::min(threads, n));
#endif
  std::vector<flat::StringCounter> local(nt);
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
  for (int i = 0; i < n; i++) {
    int t = 0;
#ifdef _OPENMP
    t = omp_get_thread_num();
#endif
    flat::StringCounter& counter = local[t];
    specials.split(
        pieces[i], true,
        [&](std::string_view seg) {
          gpt2_pretokenize(seg, [&](size_t b, size_t e) { counter.add(seg.substr(b, e - b), 1); });
        },
        [](int32_t) {});
  }
  for (int t = 1; t < nt; t++) local[0].merge_from(local[t]);
  return std::move(local[0]);
}

// Steps 2-3.
class MergeEngine {
 public:
  MergeEngine(const flat::StringCounter& counts, int64_t min_count) : min_count_(min_count) {
    // Words sorted by bytes so everything below is independent of hash order.
    std::vector<std::pair<std::string_view, int64_t>> words;
    words.reserve(counts.size());
    counts.for_each([&](std::string_view w, int64_t c) { words.push_back({w, c}); });
    std::sort(words.begin(), words.end());
    word_off_.reserve(words.size());
    for (auto& [w, c] : words) {
      word_off_.push_back(uint32_t(syms_.size()));
      word_len_.push_back(uint32_t(w.size()));
      word_count_.push_back(c);
      for (unsigned char b : w) syms_.push_back(b);
    }
    // Initial pair counts and pair -> words index.
    for (int32_t w = 0; w < int32_t(word_len_.size()); w++) {
      const int32_t* s = &syms_[word_off_[w]];
      for (uint32_t i = 0; i + 1 < word_len_[w]; i++) add_pair(s[i], s[i + 1], word_count_[w], w);
    }
    for (size_t slot = 0; slot < pair_count_.size(); slot++)
      if (pair_count_[slot] > 0) heap_.push({pair_count_[slot], pair_left_[slot], pair_right_[slot]});
  }

  // Pops the best pair and merges it into new_id. Returns false when done.
  bool step(int32_t new_id, BpeMerge* merge) {
    while (!heap_.empty()) {
      HeapEntry top = heap_.top();
      heap_.pop();
      const int32_t slot = *pair_slot_.find(flat::pair_key(top.left, top.right));
      const int64_t now = pair_count_[slot];
      if (now != top.count) {  // stale: re-queue with the true count
        if (now > 0) heap_.push({now, top.left, top.right});
        continue;
      }
      if (now < min_count_) return false;
      *merge = {top.left, top.right, new_id, now};
      apply(slot, top.left, top.right, new_id);
      return true;
    }
    return false;
  }

 private:
  struct HeapEntry {
    int64_t count;
    int32_t left, right;
    // std::priority_queue pops the "largest": highest count, then smallest (left, right).
    bool operator<(const HeapEntry& o) const {
      if (count != o.count) return count < o.count;
      if (left != o.left) return left > o.left;
      return right > o.right;
    }
  };

  int32_t slot_of(int32_t a, int32_t b) {
    bool inserted;
    int32_t& slot = pair_slot_.get_or_insert(flat::pair_key(a, b), -1, &inserted);
    if (inserted) {
      slot = int32_t(pair_count_.size());
      pair_count_.push_back(0);
      pair_left_.push_back(a);
      pair_right_.push_back(b);
      pair_words_.emplace_back();
    }
    return slot;
  }

  // Adds n to the count of (a, b); positive changes also record word w.
  int32_t add_pair(int32_t a, int32_t b, int64_t n, int32_t w) {
    const int32_t slot = slot_of(a, b);
    pair_count_[slot] += n;
    if (n > 0) {
      auto& ws = pair_words_[slot];
      if (ws.empty() || ws.back() != w) ws.push_back(w);
    }
    return slot;
  }

  // Replaces every (a, b) by c in the words that contain it, left to right,
  // non-overlapping ("a a a" with (a, a) -> "c a"), compacting in place.
  void apply(int32_t slot_ab, int32_t a, int32_t b, int32_t c) {
    std::vector<int32_t> words = std::move(pair_words_[slot_ab]);
    pair_count_[slot_ab] = 0;
    touched_.clear();
    for (int32_t w : words) {
      int32_t* s = &syms_[word_off_[w]];
      const uint32_t len = word_len_[w];
      const int64_t n = word_count_[w];
      uint32_t o = 0;
      for (uint32_t i = 0; i < len;) {
        if (i + 1 < len && s[i] == a && s[i + 1] == b) {
          if (o > 0) {  // left neighbour (already rewritten, may itself be c)
            add_pair(s[o - 1], a, -n, w);
            touched_.push_back(add_pair(s[o - 1], c, n, w));
          }
          if (i + 2 < len) {  // right neighbour (not rewritten yet)
            add_pair(b, s[i + 2], -n, w);
            touched_.push_back(add_pair(c, s[i + 2], n, w));
          }
          s[o++] = c;
          i += 2;
        } else {
          s[o++] = s[i++];
        }
      }
      word_len_[w] = o;
    }
    pair_count_[slot_ab] = 0;  // the neighbour updates above may have touched (a, b) itself ("a b a b")
    std::sort(touched_.begin(), touched_.end());
    touched_.erase(std::unique(touched_.begin(), touched_.end()), touched_.end());
    for (int32_t t : touched_)
      if (pair_count_[t] > 0) heap_.push({pair_count_[t], pair_left_[t], pair_right_[t]});
  }

  int64_t min_count_;
  // Words: symbols of word w are syms_[word_off_[w] .. + word_len_[w]).
  std::vector<int32_t> syms_;  // (total bytes of unique words,) shrinks in place as merges apply
  std::vector<uint32_t> word_off_, word_len_;
  std::vector<int64_t> word_count_;
  // Pairs, indexed by slot.
  flat::U64Map<int32_t> pair_slot_{1 << 16};
  std::vector<int64_t> pair_count_;
  std::vector<int32_t> pair_left_, pair_right_;
  std::vector<std::vector<int32_t>> pair_words_;  // words that contained the pair (may be stale)
  std::priority_queue<HeapEntry> heap_;
  std::vector<int32_t> touched_;
};

}  // namespace

BpeTokenizer BpeTokenizer::train(std::string_view text, const BpeTrainOptions& opt) {
  bool special_has_newline = false;
  for (const auto& s : opt.specials) special_has_newline |= s.find('\n') != std::string::npos;
  const int parts = special_has_newline ? 1 : std::max(1, opt.threads) * 8;
  return train(split_for_threads(text, parts), opt);
}

BpeTokenizer BpeTokenizer::train(const std::vector<std::string_view>& docs, const BpeTrainOptions& opt) {
  const int n_special = int(opt.specials.size());
  if (opt.vocab_size < 256 + n_special)
    throw std::runtime_error("bpe train: vocab_size " + std::to_string(opt.vocab_size) +
                             " is smaller than 256 bytes + " + std::to_string(n_special) + " specials");
  SpecialMatcher matcher;
  for (int i = 0; i < n_special; i++) matcher.add(opt.specials[i], i);

  flat::StringCounter counts = count_pretokens(docs, matcher, opt.threads);
  MergeEngine engine(counts, std::max<int64_t>(1, opt.min_count));

  BpeTokenizer tok;
  const int n_merges = opt.vocab_size - 256 - n_special;
  for (int k = 0; k < n_merges; k++) {
    BpeMerge m;
    if (!engine.step(256 + k, &m)) break;
    tok.merges_.push_back(m);
    tok.tokens_.push_back(tok.tokens_[m.left] + tok.tokens_[m.right]);
    tok.special_.push_back(0);
  }
  tok.rebuild_indexes();
  for (const auto& s : opt.specials) tok.add_special_token(s);
  return tok;
}

}  // namespace llm
