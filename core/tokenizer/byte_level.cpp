#include "core/tokenizer/byte_level.h"

#include "core/tokenizer/unicode.h"

namespace llm::byte_level {
namespace {

struct Tables {
  uint32_t to_char[256];   // byte -> code point
  int16_t to_byte[324];    // code point (< 324) -> byte, or -1
  Tables() {
    for (int i = 0; i < 324; i++) to_byte[i] = -1;
    int extra = 0;
    for (int b = 0; b < 256; b++) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      to_char[b] = printable ? uint32_t(b) : uint32_t(256 + extra++);
      to_byte[to_char[b]] = int16_t(b);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

uint32_t byte_to_char(uint8_t b) { return tables().to_char[b]; }

int char_to_byte(uint32_t cp) { return cp < 324 ? tables().to_byte[cp] : -1; }

std::string encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) uni::append_utf8(out, byte_to_char(b));
  return out;
}

bool decode(std::string_view s, std::string* bytes) {
  bytes->clear();
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    i += uni::decode_utf8(p, i, s.size(), &cp);
    const int b = char_to_byte(cp);
    if (b < 0) return false;
    *bytes += char(b);
  }
  return true;
}

}  // namespace llm::byte_level
