// Pre-tokenizers and Unicode classes. The GPT-2 expectations were recorded
// from Hugging Face's ByteLevel pre-tokenizer (npm `tokenizers` 0.23).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/tokenizer/pretokenize.h"
#include "core/tokenizer/unicode.h"

namespace llm {
namespace {

std::vector<std::string> gpt2(const std::string& s) {
  std::vector<std::string> out;
  for (auto v : gpt2_pretokenize(s)) out.emplace_back(v);
  return out;
}

using V = std::vector<std::string>;

TEST(TokPretokenize, Gpt2MatchesHuggingFace) {
  EXPECT_EQ(gpt2("hello  world\n\n x"), (V{"hello", " ", " world", "\n\n", " x"}));
  EXPECT_EQ(gpt2("it's 'sa don't"), (V{"it", "'s", " '", "sa", " don", "'t"}));
  EXPECT_EQ(gpt2("x  \ny"), (V{"x", "  ", "\n", "y"}));
  EXPECT_EQ(gpt2("a\tb"), (V{"a", "\t", "b"}));
  EXPECT_EQ(gpt2("12345 ab\uFF11\uFF12"), (V{"12345", " ab", "\uFF11\uFF12"}));
  EXPECT_EQ(gpt2("\u2177\u00BD\u00B2"), (V{"\u2177\u00BD\u00B2"}));  // Nl No No: one \p{N}+ run
  EXPECT_EQ(gpt2("你好世界 😀😀 ok"), (V{"你好世界", " 😀😀", " ok"}));
  EXPECT_EQ(gpt2("a   "), (V{"a", "   "}));
  EXPECT_EQ(gpt2(" "), (V{" "}));
  EXPECT_EQ(gpt2("a\u00A0\u00A0b"), (V{"a", "\u00A0", "\u00A0", "b"}));      // NBSP is \s
  EXPECT_EQ(gpt2("a\u200B\u200Bb"), (V{"a", "\u200B\u200B", "b"}));          // ZWSP is not
  // Contractions are case-sensitive, as in GPT-2: "'M" is not one.
  EXPECT_EQ(gpt2("I'M we'll they've you're he'd"),
            (V{"I", "'", "M", " we", "'ll", " they", "'ve", " you", "'re", " he", "'d"}));
  EXPECT_EQ(gpt2("!!! ?? x"), (V{"!!!", " ??", " x"}));
  EXPECT_TRUE(gpt2("").empty());
}

TEST(TokPretokenize, Gpt2PiecesTileAnyBytes) {
  // Random bytes (mostly invalid UTF-8): pieces must be non-empty and their
  // concatenation must be the input, or byte-level BPE could not round-trip.
  uint64_t x = 88172645463325252ull;
  for (int t = 0; t < 200; t++) {
    std::string s;
    const int n = t % 40;
    for (int i = 0; i < n; i++) {
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;
      const char pool[] = {'a', ' ', '\n', '\'', 's', '1', '!', char(0xE4), char(0xBD), char(0xA0), char(0xFF), char(0x80)};
      s += pool[x % sizeof pool];
    }
    std::string joined;
    for (const auto& p : gpt2(s)) {
      ASSERT_FALSE(p.empty());
      joined += p;
    }
    ASSERT_EQ(joined, s);
  }
}

TEST(TokPretokenize, InvalidUtf8IsPunctuationLike) {
  // "\xFF" is no letter: it splits from letters like punctuation would.
  EXPECT_EQ(gpt2("ab\xFF\xFE" "cd"), (V{"ab", "\xFF\xFE", "cd"}));
  EXPECT_EQ(gpt2(" \xC3"), (V{" \xC3"}));  // truncated 2-byte sequence
}

TEST(TokUnicode, Classes) {
  EXPECT_EQ(uni::char_class('a'), uni::kLetter);
  EXPECT_EQ(uni::char_class(0x4F60), uni::kLetter);   // 你
  EXPECT_EQ(uni::char_class(0x0663), uni::kNumber);   // Arabic-Indic three
  EXPECT_EQ(uni::char_class(0x3000), uni::kSpace);    // ideographic space
  EXPECT_EQ(uni::char_class(0x1F600), uni::kOther);   // emoji
  EXPECT_EQ(uni::char_class(0x1D538), uni::kLetter);  // mathematical double-struck A (outside the BMP)
  EXPECT_EQ(uni::char_class(uni::kInvalidBase + 0xFF), uni::kOther);
  EXPECT_TRUE(uni::is_punctuation('$'));              // ASCII symbol: BERT splits it
  EXPECT_TRUE(uni::is_punctuation(0x3002));           // 。
  EXPECT_FALSE(uni::is_punctuation(0x20AC));          // € is a symbol, not punctuation
}

TEST(TokUnicode, Utf8Decoding) {
  auto first = [](const std::string& s, uint32_t* cp) {
    return uni::decode_utf8(reinterpret_cast<const unsigned char*>(s.data()), 0, s.size(), cp);
  };
  uint32_t cp;
  EXPECT_EQ(first("\xE4\xBD\xA0", &cp), 3);
  EXPECT_EQ(cp, 0x4F60u);
  EXPECT_EQ(first("\xF0\x9F\x98\x80", &cp), 4);
  EXPECT_EQ(cp, 0x1F600u);
  EXPECT_EQ(first("\xC0\x80", &cp), 1);  // overlong
  EXPECT_GE(cp, uni::kInvalidBase);
  EXPECT_EQ(first("\xED\xA0\x80", &cp), 1);  // surrogate
  EXPECT_GE(cp, uni::kInvalidBase);
  EXPECT_EQ(first("\xE4\xBD", &cp), 1);  // truncated
  EXPECT_TRUE(uni::is_valid_utf8("héllo 你好"));
  EXPECT_FALSE(uni::is_valid_utf8("a\xFF"));
}

TEST(TokPretokenize, Bert) {
  std::vector<std::string> out;
  const std::string s = "Hello, world!  It's  $5\t你好。";
  bert_pretokenize(s, [&](size_t b, size_t e) { out.push_back(s.substr(b, e - b)); });
  EXPECT_EQ(out, (V{"Hello", ",", "world", "!", "It", "'", "s", "$", "5", "你好", "。"}));
}

TEST(TokPretokenize, Metaspace) {
  EXPECT_EQ(metaspace_pretokenize("hello  world"), (V{"▁hello", "▁", "▁world"}));
  EXPECT_EQ(metaspace_pretokenize(" x"), (V{"▁x"}));  // no second "▁" (Hugging Face's rule)
  EXPECT_EQ(metaspace_pretokenize("a▁b "), (V{"▁a", "▁b", "▁"}));
  EXPECT_TRUE(metaspace_pretokenize("").empty());
}

}  // namespace
}  // namespace llm
