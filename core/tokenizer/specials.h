// Special tokens ("<|endoftext|>", "<|im_start|>", ...) are found in the raw
// text BEFORE pre-tokenization and are never split or merged. Matching is
// leftmost-longest, like Hugging Face's added-token matcher: at the first
// position where any special occurs, the longest one wins.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace llm {

// The four specials every tokenizer of this project starts with.
std::vector<std::string> default_special_tokens();

class SpecialMatcher {
 public:
  // content must be non-empty valid UTF-8; re-adding a content replaces its id.
  void add(const std::string& content, int32_t id);
  bool empty() const { return tokens_.empty(); }

  // Position of the leftmost-longest special at or after pos, or npos.
  // *len and *id describe the match.
  size_t find(std::string_view text, size_t pos, size_t* len, int32_t* id) const;

  // Splits text into plain segments and specials, in order: calls
  // on_text(std::string_view) for each non-empty plain segment and
  // on_special(int32_t id) for each special. With allow_special == false the
  // whole text is one plain segment (specials are ordinary text then).
  template <class OnText, class OnSpecial>
  void split(std::string_view text, bool allow_special, OnText&& on_text, OnSpecial&& on_special) const {
    if (!allow_special || tokens_.empty()) {
      if (!text.empty()) on_text(text);
      return;
    }
    size_t pos = 0;
    while (pos < text.size()) {
      size_t len = 0;
      int32_t id = -1;
      const size_t at = find(text, pos, &len, &id);
      if (at == std::string_view::npos) break;
      if (at > pos) on_text(text.substr(pos, at - pos));
      on_special(id);
      pos = at + len;
    }
    if (pos < text.size()) on_text(text.substr(pos));
  }

  struct Entry {
    std::string content;
    int32_t id;
  };
  const std::vector<Entry>& tokens() const { return tokens_; }

 private:
  std::vector<Entry> tokens_;
  std::vector<std::vector<int32_t>> by_first_byte_ = std::vector<std::vector<int32_t>>(256);  // indices, longest first
};

}  // namespace llm
