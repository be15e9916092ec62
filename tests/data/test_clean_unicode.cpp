// NFC normalization and UTF-8 repair against Python's unicodedata: the fixture
// tests/data/data/unicode_cases.txt is written by core/data/gen_unicode_tables.py
// together with the tables, so these tests pin the C++ code to the reference.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/data/unicode_nfc.h"
#include "core/data/unicode_utf8.h"

#ifndef LLM_SOURCE_DIR
#define LLM_SOURCE_DIR "."
#endif

namespace {

std::vector<uint32_t> parse_hex_list(const std::string& field) {
  std::vector<uint32_t> v;
  std::istringstream in(field);
  std::string tok;
  while (in >> tok) v.push_back((uint32_t)std::stoul(tok, nullptr, 16));
  return v;
}

std::vector<std::string> split_semicolons(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t p = s.find(';', start);
    parts.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) break;
    start = p + 1;
  }
  return parts;
}

std::u32string to_u32(const std::vector<uint32_t>& v) { return std::u32string(v.begin(), v.end()); }

std::string hex(std::u32string_view s) {
  std::ostringstream o;
  for (char32_t c : s) o << std::hex << std::uppercase << (uint32_t)c << ' ';
  return o.str();
}

}  // namespace

TEST(CleanUnicode, MatchesPythonFixture) {
  const std::string path = LLM_SOURCE_DIR "/tests/data/data/unicode_cases.txt";
  std::ifstream f(path);
  ASSERT_TRUE(f) << "missing fixture " << path;
  std::string line;
  int n_nfc = 0, n_nfd = 0, n_utf8 = 0, lineno = 0;
  while (std::getline(f, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    const size_t sp = line.find(' ');
    const std::string kind = line.substr(0, sp);
    const auto parts = split_semicolons(line.substr(sp + 1));
    if (kind == "nfc" || kind == "nfd") {
      ASSERT_EQ(parts.size(), 2u) << "line " << lineno;
      const std::u32string in = to_u32(parse_hex_list(parts[0]));
      const std::u32string want = to_u32(parse_hex_list(parts[1]));
      const std::u32string got = kind == "nfc" ? llm::nfc(in) : llm::nfd(in);
      ASSERT_EQ(hex(got), hex(want)) << kind << " of " << hex(in) << " (line " << lineno << ")";
      if (kind == "nfc") {
        // The UTF-8 front end must agree, and NFC must be idempotent.
        ASSERT_EQ(llm::nfc_utf8(llm::u32_to_utf8(in)), llm::u32_to_utf8(want)) << "line " << lineno;
        ASSERT_EQ(hex(llm::nfc(got)), hex(got)) << "line " << lineno;
        ++n_nfc;
      } else {
        ++n_nfd;
      }
    } else if (kind == "utf8") {
      ASSERT_EQ(parts.size(), 3u) << "line " << lineno;
      std::string in, want;
      for (uint32_t b : parse_hex_list(parts[0])) in.push_back((char)b);
      for (uint32_t b : parse_hex_list(parts[1])) want.push_back((char)b);
      const size_t count = std::stoul(parts[2], nullptr, 16);
      llm::Utf8RepairStats st;
      const std::string got = llm::utf8_repair(in, &st);
      ASSERT_EQ(got, want) << "utf8 repair, line " << lineno;
      ASSERT_EQ(st.replacements, count) << "line " << lineno;
      ASSERT_TRUE(llm::utf8_is_valid(got));
      ASSERT_EQ(llm::utf8_is_valid(in), count == 0) << "line " << lineno;
      ++n_utf8;
    } else {
      FAIL() << "unknown fixture kind '" << kind << "' at line " << lineno;
    }
  }
  EXPECT_GT(n_nfc, 2500);
  EXPECT_GT(n_nfd, 100);
  EXPECT_GT(n_utf8, 300);
}

TEST(CleanUnicode, ComposesAndReorders) {
  // e + combining acute -> é (U+00E9)
  EXPECT_EQ(llm::nfc_utf8("caf" "e\xCC\x81"), "caf\xC3\xA9");
  // Already-composed and ASCII text pass through untouched.
  EXPECT_EQ(llm::nfc_utf8("caf\xC3\xA9 ok"), "caf\xC3\xA9 ok");
  EXPECT_TRUE(llm::nfc_quick_check_utf8("plain ascii"));
  // a + dot below (ccc 220) + dot above (ccc 230) in the "wrong" order:
  // canonical ordering puts 0323 first; composition then yields U+1EA1 + U+0307.
  const std::u32string in = {U'a', 0x0307, 0x0323};
  EXPECT_EQ(hex(llm::nfd(in)), hex(std::u32string{U'a', 0x0323, 0x0307}));
  EXPECT_EQ(hex(llm::nfc(in)), hex(std::u32string{0x1EA1, 0x0307}));
  // Singleton decomposition: OHM SIGN U+2126 -> GREEK CAPITAL OMEGA U+03A9.
  EXPECT_EQ(hex(llm::nfc(std::u32string{0x2126})), hex(std::u32string{0x03A9}));
  // Composition exclusion: U+0958 (DEVANAGARI QA) stays decomposed.
  EXPECT_EQ(hex(llm::nfc(std::u32string{0x0958})), hex(std::u32string{0x0915, 0x093C}));
}

TEST(CleanUnicode, HangulIsAlgorithmic) {
  // 한 = U+D55C = L U+1112 + V U+1161 + T U+11AB
  const std::u32string jamo = {0x1112, 0x1161, 0x11AB};
  EXPECT_EQ(hex(llm::nfc(jamo)), hex(std::u32string{0xD55C}));
  EXPECT_EQ(hex(llm::nfd(std::u32string{0xD55C})), hex(jamo));
  // LV syllable + T composes; LVT + T does not.
  EXPECT_EQ(hex(llm::nfc(std::u32string{0xD558, 0x11AB})), hex(std::u32string{0xD55C}));
  EXPECT_EQ(hex(llm::nfc(std::u32string{0xD55C, 0x11AB})), hex(std::u32string{0xD55C, 0x11AB}));
}

TEST(CleanUnicode, RepairReportsBytes) {
  llm::Utf8RepairStats st;
  // overlong "/" (C0 AF), a lone surrogate (ED A0 80), a truncated 3-byte seq (E2 82), valid €
  const std::string bad = std::string("a\xC0\xAF") + "b\xED\xA0\x80" + "c\xE2\x82" + "\xE2\x82\xAC";
  const std::string fixed = llm::utf8_repair(bad, &st);
  // C0 and AF are each invalid alone (2 U+FFFD); ED A0 80 -> 3 U+FFFD (ED is only
  // valid with 80..9F next); E2 82 is one maximal subpart -> 1 U+FFFD.
  EXPECT_EQ(fixed, "a\xEF\xBF\xBD\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
                   "c\xEF\xBF\xBD\xE2\x82\xAC");
  EXPECT_EQ(st.replacements, 6u);
  EXPECT_EQ(st.bytes_repaired, 7u);
  // Valid text is untouched and reports nothing.
  llm::Utf8RepairStats ok;
  EXPECT_EQ(llm::utf8_repair("h\xC3\xA9llo \xF0\x9F\x98\x80", &ok), "h\xC3\xA9llo \xF0\x9F\x98\x80");
  EXPECT_EQ(ok.bytes_repaired, 0u);
}
