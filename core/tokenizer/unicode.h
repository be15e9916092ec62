// Just enough Unicode for the pre-tokenizers: UTF-8 decoding that never fails
// (invalid bytes become pseudo code points, so any byte string can be split and
// round-tripped) and the four character classes the GPT-2 regex and the BERT
// splitter ask about. Tables come from unicode_tables.h (generated).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace llm::uni {

// A byte that does not start a valid UTF-8 sequence decodes to kInvalidBase + byte.
// These values lie above U+10FFFF, so they are in no Unicode class: the GPT-2
// regex treats them like punctuation ("[^\s\p{L}\p{N}]"), which keeps them in
// the byte stream and lets byte-level BPE round-trip invalid UTF-8 exactly.
constexpr uint32_t kInvalidBase = 0x110000;

// Character classes used by the GPT-2 pre-tokenizer. kOther is everything else
// (punctuation, symbols, emoji, marks, control characters, invalid bytes).
enum CharClass : uint8_t { kOther = 0, kLetter = 1, kNumber = 2, kSpace = 3 };

// Decodes the code point starting at s[i] (i < n). Returns its length in bytes
// (1..4) and writes the code point to *cp. Overlong forms, surrogates, values
// above U+10FFFF and truncated sequences are invalid: length 1, kInvalidBase+byte.
inline int decode_utf8(const unsigned char* s, size_t i, size_t n, uint32_t* cp) {
  unsigned c = s[i];
  if (c < 0x80) { *cp = c; return 1; }
  int len;
  uint32_t v, min;
  if (c >= 0xC2 && c <= 0xDF) { len = 2; v = c & 0x1F; min = 0x80; }
  else if (c >= 0xE0 && c <= 0xEF) { len = 3; v = c & 0x0F; min = 0x800; }
  else if (c >= 0xF0 && c <= 0xF4) { len = 4; v = c & 0x07; min = 0x10000; }
  else { *cp = kInvalidBase + c; return 1; }
  if (i + len > n) { *cp = kInvalidBase + c; return 1; }
  for (int k = 1; k < len; k++) {
    unsigned d = s[i + k];
    if ((d & 0xC0) != 0x80) { *cp = kInvalidBase + c; return 1; }
    v = (v << 6) | (d & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) { *cp = kInvalidBase + c; return 1; }
  *cp = v;
  return len;
}

// Class of a code point for the GPT-2 regex: \p{L}, \p{N}, \s or other.
CharClass char_class(uint32_t cp);
// \p{P} or ASCII punctuation (what BERT's pre-tokenizer splits off).
bool is_punctuation(uint32_t cp);

// Appends the UTF-8 encoding of a valid code point.
void append_utf8(std::string& out, uint32_t cp);
// True when the whole string is valid UTF-8.
bool is_valid_utf8(std::string_view s);

}  // namespace llm::uni
