// A byte trie of vocabulary pieces: finds every piece that starts at a given
// position of a text in one walk, stopping as soon as no piece continues
// (instead of hashing every substring up to the longest piece). Unigram's
// lattice building is almost all this.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/tokenizer/flat_hash.h"

namespace llm {

class PieceTrie {
 public:
  PieceTrie() { clear(); }
  void clear() {
    child_ = flat::U64Map<int32_t>(1024);
    piece_.assign(1, -1);
  }
  void insert(std::string_view s, int32_t id) {
    int32_t node = 0;
    for (unsigned char b : s) {
      bool inserted;
      int32_t& c = child_.get_or_insert((uint64_t(node) << 8) | b, -1, &inserted);
      if (inserted) {
        c = int32_t(piece_.size());
        piece_.push_back(-1);
      }
      node = c;
    }
    piece_[node] = id;
  }
  // Calls f(end, id) for each piece equal to text[pos, end), shortest first.
  template <class F>
  void prefixes(std::string_view text, size_t pos, F&& f) const {
    int32_t node = 0;
    for (size_t i = pos; i < text.size(); i++) {
      const int32_t* c = child_.find((uint64_t(node) << 8) | static_cast<unsigned char>(text[i]));
      if (!c) return;
      node = *c;
      if (piece_[node] >= 0) f(i + 1, piece_[node]);
    }
  }

 private:
  flat::U64Map<int32_t> child_;  // (node << 8 | byte) -> child node
  std::vector<int32_t> piece_;   // (nodes,) piece id ending at the node, or -1
};

}  // namespace llm
