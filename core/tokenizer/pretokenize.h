// Pre-tokenizers: split text into "words" before the subword model runs.
//
// gpt2_pretokenize is a hand-written matcher for the GPT-2 regex
//
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// with the regex engine's semantics (alternatives tried left to right at each
// position, greedy runs, backtracking for the lookahead). It is what Hugging
// Face's ByteLevel pre-tokenizer does, so our ids match theirs. It is a template
// on the callback so the hot loop inlines: no allocation, no std::regex.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/tokenizer/unicode.h"

namespace llm {

namespace detail {
// Class and byte length of the character at s[i].
struct CharAt {
  uni::CharClass cls;
  int len;
};
inline CharAt char_at(const unsigned char* s, size_t i, size_t n) {
  // ASCII fast path: letters, digits, the six \s characters, else other.
  static constexpr auto ascii = [] {
    struct T { uint8_t c[128]; } t{};
    for (int ch = 0; ch < 128; ch++) {
      uint8_t k = uni::kOther;
      if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) k = uni::kLetter;
      else if (ch >= '0' && ch <= '9') k = uni::kNumber;
      else if (ch == ' ' || (ch >= 9 && ch <= 13)) k = uni::kSpace;
      t.c[ch] = k;
    }
    return t;
  }();
  unsigned c = s[i];
  if (c < 128) return {uni::CharClass(ascii.c[c]), 1};
  uint32_t cp;
  int len = uni::decode_utf8(s, i, n, &cp);
  return {uni::char_class(cp), len};
}
}  // namespace detail

// Calls emit(begin, end) with the byte offsets of each GPT-2 pre-token of text,
// in order; the pieces tile the text exactly (their concatenation is the text).
template <class Emit>
void gpt2_pretokenize(std::string_view text, Emit&& emit) {
  using detail::char_at;
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned c = s[i];
    // 1. contractions, case-sensitive as in GPT-2: 's 't 're 've 'm 'll 'd
    if (c == '\'' && i + 1 < n) {
      const unsigned d = s[i + 1];
      if (d == 's' || d == 't' || d == 'm' || d == 'd') { emit(i, i + 2); i += 2; continue; }
      if (i + 2 < n) {
        const unsigned e = s[i + 2];
        if ((d == 'r' && e == 'e') || (d == 'v' && e == 'e') || (d == 'l' && e == 'l')) {
          emit(i, i + 3); i += 3; continue;
        }
      }
    }
    // 2-4. " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": an optional single
    // space (U+0020 only) glued to a run of one class.
    size_t j = i;
    detail::CharAt ch = char_at(s, j, n);
    if (c == ' ' && i + 1 < n) {
      detail::CharAt next = char_at(s, i + 1, n);
      if (next.cls != uni::kSpace) { j = i + 1; ch = next; }
    }
    if (ch.cls != uni::kSpace) {
      const uni::CharClass run = ch.cls;
      j += ch.len;
      while (j < n) {
        detail::CharAt k = char_at(s, j, n);
        if (k.cls != run) break;
        j += k.len;
      }
      emit(i, j);
      i = j;
      continue;
    }
    // 5-6. A whitespace run of k characters. "\s+(?!\S)" takes all of it at the
    // end of the text; before a non-space it backtracks one character (k >= 2),
    // leaving the last space to glue onto the next word; for k == 1 it fails
    // and "\s+" takes the single character.
    size_t last = i;  // start of the last whitespace character of the run
    j = i + ch.len;
    while (j < n) {
      detail::CharAt k = char_at(s, j, n);
      if (k.cls != uni::kSpace) break;
      last = j;
      j += k.len;
    }
    if (j == n || last == i) { emit(i, j); i = j; }
    else { emit(i, last); i = last; }
  }
}

// Convenience: the pieces as string_views into text.
std::vector<std::string_view> gpt2_pretokenize(std::string_view text);

// BERT's basic splitter (used by WordPiece): whitespace separates words and is
// dropped; every punctuation character (\p{P} or ASCII punctuation) is a word
// of its own. Calls emit(begin, end) for each word.
template <class Emit>
void bert_pretokenize(std::string_view text, Emit&& emit) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t start = 0, i = 0;
  bool in_word = false;
  while (i < n) {
    uint32_t cp;
    const int len = uni::decode_utf8(s, i, n, &cp);
    if (uni::char_class(cp) == uni::kSpace) {
      if (in_word) emit(start, i);
      in_word = false;
    } else if (uni::is_punctuation(cp)) {
      if (in_word) emit(start, i);
      emit(i, i + len);
      in_word = false;
    } else if (!in_word) {
      start = i;
      in_word = true;
    }
    i += len;
  }
  if (in_word) emit(start, n);
}

// SentencePiece-style "Metaspace" (used by Unigram), exactly as Hugging
// Face's Metaspace pre-tokenizer (prepend_scheme "always", split true): every
// space becomes U+2581 "▁", a "▁" is prepended unless the text starts with a
// space, and the text is split before each "▁".
// "hello  world" -> "▁hello", "▁", "▁world";  " x" -> "▁x".
std::vector<std::string> metaspace_pretokenize(std::string_view text);

// The metaspace marker "▁" (U+2581) in UTF-8.
inline constexpr std::string_view kMetaspace = "\xE2\x96\x81";

}  // namespace llm
