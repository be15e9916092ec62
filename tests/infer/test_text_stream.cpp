// TextStream: streamed text equals decode(all ids), whole UTF-8 chars only, stop strings across
// token boundaries, special tokens, context-dependent decoders.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/data/unicode_utf8.h"
#include "core/infer/text_stream.h"
#include "core/tokenizer/bpe.h"

namespace llm {
namespace {

// A small byte-level BPE trained in memory on mixed-script text: merges cover some multi-byte
// characters, and byte ids (0..255 = byte value) let tests split characters at will.
const BpeTokenizer& tok() {
  static const BpeTokenizer t = [] {
    std::string text;
    for (int i = 0; i < 20; i++)
      text += "hello world, 你好世界! emoji 🙂🚀 naïve café. The answer is 42. 数据很好。 ";
    BpeTrainOptions opt;
    opt.vocab_size = 256 + 60 + 4;
    return BpeTokenizer::train(text, opt);
  }();
  return t;
}

std::vector<int32_t> bytes_of(const std::string& s) {
  std::vector<int32_t> ids;
  for (unsigned char c : s) ids.push_back(int32_t(c));
  return ids;
}

// Feeds ids one by one; checks every chunk is valid UTF-8 and that text() grows by the chunk.
std::string stream_all(TextStream& ts, const std::vector<int32_t>& ids, bool flush = true) {
  std::string out;
  for (int32_t id : ids) {
    const std::string chunk = ts.push(id);
    EXPECT_TRUE(utf8_is_valid(chunk)) << "partial UTF-8 emitted after id " << id;
    out += chunk;
    EXPECT_EQ(ts.text(), out);
  }
  if (flush) out += ts.flush();
  EXPECT_EQ(ts.text(), out);
  return out;
}

const std::string kMixed = "The answer is 42. 你好世界! 🙂🚀 naïve café — 数据很好。 tail";

TEST(TextStream, SameTextAsDecodeAllWithBpeTokens) {
  const std::vector<int32_t> ids = tok().encode(kMixed, false);
  ASSERT_LT(ids.size(), kMixed.size()) << "the tokenizer should merge something";
  TextStream ts(tok(), {});
  EXPECT_EQ(stream_all(ts, ids), tok().decode(ids));
  EXPECT_EQ(ts.text(), kMixed);
  EXPECT_FALSE(ts.stopped());
}

TEST(TextStream, ByteTokensNeverEmitPartialCharacters) {
  const std::vector<int32_t> ids = bytes_of(kMixed);
  TextStream ts(tok(), {});
  std::string out;
  size_t held_max = 0;
  for (size_t i = 0; i < ids.size(); i++) {
    out += ts.push(ids[i]);
    ASSERT_TRUE(utf8_is_valid(out));
    held_max = std::max(held_max, i + 1 - out.size());
  }
  EXPECT_EQ(held_max, 3u);  // the emoji wait for their 4th byte
  EXPECT_EQ(out, kMixed);   // everything was complete: nothing left for flush
  EXPECT_EQ(ts.flush(), "");
}

TEST(TextStream, StopStringSpanningTokens) {
  const std::string text = "The answer is 42. STOP here and more";
  TextStream ts(tok(), {"STOP", "never"});
  std::string out;
  for (int32_t id : bytes_of(text)) {
    out += ts.push(id);
    EXPECT_EQ(std::string("The answer is 42. ").compare(0, out.size(), out), 0) << "emitted: " << out;
  }
  EXPECT_TRUE(ts.stopped());
  EXPECT_EQ(out, "The answer is 42. ");
  EXPECT_EQ(ts.matched_stop(), "STOP");
  EXPECT_EQ(ts.push('x'), "");
  EXPECT_EQ(ts.flush(), "");
  EXPECT_EQ(ts.text(), "The answer is 42. ");

  // the same with BPE tokens, and a multi-byte stop string split inside its characters
  TextStream t2(tok(), {"世界"});
  const std::vector<int32_t> ids = tok().encode(kMixed, false);
  EXPECT_EQ(stream_all(t2, ids), "The answer is 42. 你好");
  EXPECT_TRUE(t2.stopped());
  TextStream t3(tok(), {"世界"});
  EXPECT_EQ(stream_all(t3, bytes_of(kMixed)), "The answer is 42. 你好");
}

TEST(TextStream, EarliestStopWins) {
  TextStream ts(tok(), {"is 42", "answer"});
  EXPECT_EQ(stream_all(ts, bytes_of("The answer is 42.")), "The ");
  EXPECT_EQ(ts.matched_stop(), "answer");
}

TEST(TextStream, HeldBackPrefixIsReleasedWhenItDoesNotMatch) {
  TextStream ts(tok(), {"STOP"});
  std::string out;
  for (int32_t id : bytes_of("a STO")) out += ts.push(id);
  EXPECT_EQ(out, "a ");  // "STO" might still become "STOP"
  out += ts.push('M');
  EXPECT_EQ(out, "a STOM");
  for (int32_t id : bytes_of("P ST")) out += ts.push(id);
  EXPECT_EQ(out, "a STOMP ");
  out += ts.flush();  // generation ended: the held "ST" is text after all
  EXPECT_EQ(out, "a STOMP ST");
  EXPECT_FALSE(ts.stopped());
}

TEST(TextStream, IncompleteOrInvalidUtf8BecomesReplacementChar) {
  TextStream ts(tok(), {});
  EXPECT_EQ(ts.push(0xE4), "");             // first byte of a 3-byte char: wait
  EXPECT_EQ(ts.push(0xBD), "");
  EXPECT_EQ(ts.flush(), "\xEF\xBF\xBD");    // never completed
  TextStream t2(tok(), {});
  EXPECT_EQ(t2.push('a'), "a");
  EXPECT_EQ(t2.push(0xFF), "\xEF\xBF\xBD");  // can never start a character: replaced at once
  EXPECT_EQ(t2.push(0xE4), "");
  EXPECT_EQ(t2.push('b'), "\xEF\xBF\xBD" "b");  // interrupted sequence
  EXPECT_THROW(t2.push(-1), std::runtime_error);
  EXPECT_THROW(t2.push(tok().vocab_size()), std::runtime_error);
}

TEST(TextStream, SpecialTokensSkippedByDefaultOrRendered) {
  const int32_t im_end = tok().token_id("<|im_end|>");
  ASSERT_GE(im_end, 0);
  std::vector<int32_t> ids = bytes_of("hi");
  ids.push_back(im_end);
  ids.push_back('!');
  TextStream skip(tok(), {});
  EXPECT_EQ(stream_all(skip, ids), "hi!");
  TextStream render(tok(), {}, /*skip_special=*/false);
  EXPECT_EQ(stream_all(render, ids), "hi<|im_end|>!");
  TextStream stop(tok(), {"<|im_end|>"}, false);
  EXPECT_EQ(stream_all(stop, ids), "hi");
  EXPECT_TRUE(stop.stopped());
}

// A decoder whose output depends on context, like WordPiece: words joined by single spaces.
class SpaceJoinTokenizer : public Tokenizer {
 public:
  std::vector<std::string> words = {"alpha", "beta", "γάμμα", "δ", "end"};
  std::string type() const override { return "test"; }
  std::vector<int32_t> encode(std::string_view, bool) const override { return {}; }
  std::string decode(const std::vector<int32_t>& ids) const override {
    std::string s;
    for (size_t i = 0; i < ids.size(); i++) s += (i ? " " : "") + words.at(ids[i]);
    return s;
  }
  int vocab_size() const override { return int(words.size()); }
  std::string id_to_token(int32_t id) const override { return words.at(id); }
  int32_t token_id(std::string_view) const override { return -1; }
  std::string to_json() const override { return "{}"; }
  std::vector<std::pair<std::string, int32_t>> special_tokens() const override { return {}; }
};

TEST(TextStream, ContextDependentDecoderMatchesDecodeAll) {
  SpaceJoinTokenizer t;
  const std::vector<int32_t> ids = {0, 1, 2, 3, 2, 0, 4};
  TextStream ts(t, {});
  std::vector<std::string> chunks;
  for (int32_t id : ids) chunks.push_back(ts.push(id));
  EXPECT_EQ(chunks[0], "alpha");
  EXPECT_EQ(chunks[1], " beta");
  EXPECT_EQ(ts.text() + ts.flush(), t.decode(ids));
  // stop string across the space the decoder inserts
  TextStream s2(t, {"δ γά"});
  for (int32_t id : ids) s2.push(id);
  EXPECT_TRUE(s2.stopped());
  EXPECT_EQ(s2.text(), "alpha beta γάμμα ");
}

}  // namespace
}  // namespace llm
