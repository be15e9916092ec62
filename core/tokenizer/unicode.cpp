#include "core/tokenizer/unicode.h"

#include <vector>

#include "core/tokenizer/unicode_tables.h"

namespace llm::uni {
namespace {

template <size_t N>
bool in_ranges(const uint32_t (&r)[N][2], uint32_t cp) {
  // Binary search for the last range with lo <= cp.
  size_t lo = 0, hi = N;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (r[mid][0] <= cp) lo = mid + 1; else hi = mid;
  }
  return lo > 0 && cp <= r[lo - 1][1];
}

CharClass class_slow(uint32_t cp) {
  if (in_ranges(unicode_tables::kWhiteSpace, cp)) return kSpace;
  if (in_ranges(unicode_tables::kLetter, cp)) return kLetter;
  if (in_ranges(unicode_tables::kNumber, cp)) return kNumber;
  return kOther;
}

// The Basic Multilingual Plane covers nearly all text, so its classes live in
// a 64 KiB table built once on first use; the rest of Unicode is searched.
struct BmpTable {
  std::vector<uint8_t> cls;  // (65536,) CharClass per code point
  BmpTable() : cls(65536) {
    for (uint32_t cp = 0; cp < 65536; cp++) cls[cp] = class_slow(cp);
  }
};

const BmpTable& bmp() {
  static const BmpTable table;
  return table;
}

}  // namespace

CharClass char_class(uint32_t cp) {
  if (cp < 65536) return CharClass(bmp().cls[cp]);
  if (cp >= kInvalidBase) return kOther;
  return class_slow(cp);
}

bool is_punctuation(uint32_t cp) {
  // BERT treats every non-alphanumeric printable ASCII character as
  // punctuation ("$", "+", "^", ... are symbols in Unicode but split anyway).
  if (cp < 128) return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
                       (cp >= 123 && cp <= 126);
  if (cp >= kInvalidBase) return false;
  return in_ranges(unicode_tables::kPunct, cp);
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

bool is_valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    i += decode_utf8(p, i, s.size(), &cp);
    if (cp >= kInvalidBase) return false;
  }
  return true;
}

}  // namespace llm::uni
