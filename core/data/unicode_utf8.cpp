#include "core/data/unicode_utf8.h"

namespace llm {

int utf8_valid_seq_len(std::string_view s, size_t i, int* bad_len) {
  const size_t n = s.size();
  const uint8_t b0 = (uint8_t)s[i];
  if (b0 < 0x80) return 1;
  // Table 3-7: the lead byte fixes the length and the allowed range of byte 2;
  // bytes 3 and 4 are always 80..BF.
  int len = 0;
  uint8_t lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) len = 2;
  else if (b0 == 0xE0) { len = 3; lo = 0xA0; }                // no overlongs
  else if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) len = 3;
  else if (b0 == 0xED) { len = 3; hi = 0x9F; }                // no surrogates
  else if (b0 == 0xF0) { len = 4; lo = 0x90; }                // no overlongs
  else if (b0 >= 0xF1 && b0 <= 0xF3) len = 4;
  else if (b0 == 0xF4) { len = 4; hi = 0x8F; }                // <= U+10FFFF
  if (len == 0) {  // C0, C1, F5..FF or a stray continuation byte
    if (bad_len) *bad_len = 1;
    return 0;
  }
  for (int k = 1; k < len; ++k) {
    if (i + k >= n) {
      if (bad_len) *bad_len = k;  // truncated at end of input
      return 0;
    }
    const uint8_t b = (uint8_t)s[i + k];
    const uint8_t klo = (k == 1) ? lo : 0x80, khi = (k == 1) ? hi : 0xBF;
    if (b < klo || b > khi) {
      if (bad_len) *bad_len = k;  // the bytes before b are the maximal subpart
      return 0;
    }
  }
  return len;
}

bool utf8_is_valid(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if ((uint8_t)s[i] < 0x80) { ++i; continue; }
    const int len = utf8_valid_seq_len(s, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::string utf8_repair(std::string_view s, Utf8RepairStats* stats) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    // Copy the longest valid run in one append (the common case is all of it).
    size_t j = i;
    int bad = 0;
    while (j < s.size()) {
      if ((uint8_t)s[j] < 0x80) { ++j; continue; }
      const int len = utf8_valid_seq_len(s, j, &bad);
      if (len == 0) break;
      j += len;
    }
    out.append(s.data() + i, j - i);
    if (j >= s.size()) break;
    out.append("\xEF\xBF\xBD");
    if (stats) {
      stats->bytes_repaired += bad;
      stats->replacements += 1;
    }
    i = j + bad;
  }
  return out;
}

char32_t utf8_next(std::string_view s, size_t& i) {
  int bad = 1;
  const int len = utf8_valid_seq_len(s, i, &bad);
  const uint8_t* p = (const uint8_t*)s.data() + i;
  switch (len) {
    case 1: i += 1; return p[0];
    case 2: i += 2; return ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu);
    case 3: i += 3; return ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
    case 4:
      i += 4;
      return ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
    default: i += bad; return 0xFFFD;
  }
}

std::u32string utf8_to_u32(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) out.push_back(utf8_next(s, i));
  return out;
}

void utf8_append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back((char)cp);
  } else if (cp < 0x800) {
    out.push_back((char)(0xC0 | (cp >> 6)));
    out.push_back((char)(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back((char)(0xE0 | (cp >> 12)));
    out.push_back((char)(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back((char)(0x80 | (cp & 0x3F)));
  } else {
    out.push_back((char)(0xF0 | (cp >> 18)));
    out.push_back((char)(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back((char)(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back((char)(0x80 | (cp & 0x3F)));
  }
}

std::string u32_to_utf8(std::u32string_view cps) {
  std::string out;
  out.reserve(cps.size());
  for (char32_t c : cps) utf8_append(out, c);
  return out;
}

}  // namespace llm
