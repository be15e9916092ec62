#include "core/tokenizer/specials.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "core/tokenizer/unicode.h"

namespace llm {

std::vector<std::string> default_special_tokens() {
  return {"<|endoftext|>", "<|pad|>", "<|im_start|>", "<|im_end|>"};
}

void SpecialMatcher::add(const std::string& content, int32_t id) {
  if (content.empty()) throw std::runtime_error("special token: empty content");
  if (!uni::is_valid_utf8(content))
    throw std::runtime_error("special token '" + content + "': not valid UTF-8");
  for (Entry& e : tokens_)
    if (e.content == content) { e.id = id; return; }
  tokens_.push_back({content, id});
  auto& bucket = by_first_byte_[static_cast<unsigned char>(content[0])];
  bucket.push_back(int32_t(tokens_.size() - 1));
  std::stable_sort(bucket.begin(), bucket.end(), [&](int32_t a, int32_t b) {
    return tokens_[a].content.size() > tokens_[b].content.size();
  });
}

size_t SpecialMatcher::find(std::string_view text, size_t pos, size_t* len, int32_t* id) const {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  for (size_t i = pos; i < text.size(); i++) {
    const auto& bucket = by_first_byte_[s[i]];
    if (bucket.empty()) continue;
    for (int32_t k : bucket) {  // longest first, so the first hit is the longest
      const std::string& c = tokens_[k].content;
      if (c.size() <= text.size() - i && std::memcmp(text.data() + i, c.data(), c.size()) == 0) {
        *len = c.size();
        *id = tokens_[k].id;
        return i;
      }
    }
  }
  return std::string_view::npos;
}

}  // namespace llm
