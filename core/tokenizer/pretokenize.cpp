#include "core/tokenizer/pretokenize.h"

namespace llm {

std::vector<std::string_view> gpt2_pretokenize(std::string_view text) {
  std::vector<std::string_view> out;
  gpt2_pretokenize(text, [&](size_t b, size_t e) { out.push_back(text.substr(b, e - b)); });
  return out;
}

std::vector<std::string> metaspace_pretokenize(std::string_view text) {
  // Same result as Hugging Face's Metaspace(prepend_scheme="always", split=true):
  // spaces become "▁", one "▁" is prepended unless the text already starts
  // with one, and the text is split before every "▁" (a literal "▁" in the
  // input counts as a space too).
  std::vector<std::string> words;
  if (text.empty()) return words;
  std::string cur;
  auto is_marker = [&](size_t i) { return text.compare(i, kMetaspace.size(), kMetaspace) == 0; };
  if (text[0] != ' ' && !is_marker(0)) cur.assign(kMetaspace);
  for (size_t i = 0; i < text.size();) {
    const bool space = text[i] == ' ';
    if (space || is_marker(i)) {
      if (!cur.empty()) words.push_back(std::move(cur));
      cur.assign(kMetaspace);
      i += space ? 1 : kMetaspace.size();
    } else {
      cur += text[i++];
    }
  }
  if (!cur.empty()) words.push_back(std::move(cur));
  return words;
}

}  // namespace llm
