// Unigram: Viterbi segmentation, byte fallback, EM training, json.
#include <gtest/gtest.h>

#include <cmath>

#include "core/tokenizer/unigram.h"
#include "tests/tokenizer/tok_test_util.h"

namespace llm {
namespace {

using Piece = UnigramTokenizer::Piece;
using V = std::vector<std::string>;

std::vector<Piece> hand_pieces(bool with_bytes) {
  std::vector<Piece> p = {{"<unk>", 0, UnigramTokenizer::kSpecial}, {"<|endoftext|>", 0, UnigramTokenizer::kSpecial}};
  if (with_bytes) {
    char buf[8];
    for (int b = 0; b < 256; b++) {
      std::snprintf(buf, sizeof buf, "<0x%02X>", b);
      p.push_back({buf, 0, UnigramTokenizer::kByte});
    }
  }
  for (auto [t, s] : std::vector<std::pair<const char*, double>>{
           {"▁", -2}, {"a", -3}, {"b", -3}, {"c", -3}, {"▁a", -2.5}, {"bc", -2.0}, {"▁ab", -4.8}, {"abc", -9}}) {
    p.push_back({t, s, UnigramTokenizer::kNormal});
  }
  return p;
}

std::vector<std::string> pieces_of(const UnigramTokenizer& t, const std::string& text) {
  std::vector<std::string> out;
  for (int32_t id : t.encode(text)) out.push_back(t.id_to_token(id));
  return out;
}

TEST(TokUnigram, ViterbiPicksTheMostProbableSplit) {
  const UnigramTokenizer t(hand_pieces(false), 0, false);
  // "▁abc": ▁a + bc = -4.5 beats ▁ab + c = -7.8, ▁ + abc = -11, ▁a + b + c = -8.5.
  double score;
  const auto ids = t.viterbi("▁abc", &score);
  EXPECT_NEAR(score, -4.5, 1e-12);
  EXPECT_EQ(pieces_of(t, "abc"), (V{"▁a", "bc"}));
  EXPECT_EQ(pieces_of(t, "ab"), (V{"▁ab"}));  // -4.8 beats ▁a + b = -5.5
  EXPECT_EQ(pieces_of(t, "a b"), (V{"▁a", "▁", "b"}));
  // No piece covers "x": without byte fallback it is <unk>.
  EXPECT_EQ(pieces_of(t, "axb"), (V{"▁a", "<unk>", "b"}));
  EXPECT_EQ(pieces_of(t, "a<|endoftext|>b"), (V{"▁a", "<|endoftext|>", "▁", "b"}));
}

TEST(TokUnigram, ByteFallbackRoundTrips) {
  const UnigramTokenizer t(hand_pieces(true), 0, true);
  EXPECT_EQ(pieces_of(t, "aΩ"), (V{"▁a", "<0xCE>", "<0xA9>"}));
  for (const std::string s : {"abc cab", "Ω and 你好 😀", "bad \xFF\xC3 bytes", "a  b\n\tc", "a<|endoftext|>b"})
    EXPECT_EQ(t.decode(t.encode(s)), s);
  // The one lossy case, shared with Hugging Face: a leading space.
  EXPECT_EQ(t.decode(t.encode(" a")), "a");
  EXPECT_THROW(t.decode({100000}), std::runtime_error);
}

const UnigramTokenizer& trained() {
  static const UnigramTokenizer tok = [] {
    UnigramTrainOptions opt;
    opt.vocab_size = 500;
    return UnigramTokenizer::train(toktest::corpus(), opt);
  }();
  return tok;
}

TEST(TokUnigram, TrainOnCorpus) {
  const UnigramTokenizer& t = trained();
  ASSERT_EQ(t.vocab_size(), 500);
  EXPECT_EQ(t.id_to_token(0), "<unk>");
  EXPECT_EQ(t.token_id("<|endoftext|>"), 1);
  EXPECT_EQ(t.id_to_token(5), "<0x00>");
  const int first = 5 + 256;
  double total = 0;
  for (int id = first; id < t.vocab_size(); id++) {
    EXPECT_LE(t.piece(id).score, 0.0);
    if (id > first) {
      EXPECT_LE(t.piece(id).score, t.piece(id - 1).score) << "pieces sorted by probability";
    }
    total += std::exp(t.piece(id).score);
  }
  EXPECT_NEAR(total, 1.0, 0.05);  // a (nearly) normalized unigram distribution
  // Frequent words are single pieces; the corpus compresses well.
  // (metaspace keeps punctuation in the word: the corpus has "▁time," only)
  EXPECT_EQ(pieces_of(t, "Once upon a time,"), (V{"▁Once", "▁upon", "▁a", "▁time,"}));
  const auto ids = t.encode(toktest::corpus());
  EXPECT_LT(double(ids.size()), 0.3 * double(toktest::corpus().size()));
  EXPECT_EQ(t.decode(ids), toktest::corpus());
}

TEST(TokUnigram, TrainedRoundTripsArbitraryText) {
  const UnigramTokenizer& t = trained();
  uint64_t x = 12345;
  for (int k = 0; k < 50; k++) {
    std::string s = "x";  // not starting with a space (see decode())
    for (int i = 0; i < k; i++) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      const char* pool[] = {"a", " ", "the ", "Ω", "\xFF", "\n", "你", "😀", "'s", "."};
      s += pool[(x >> 33) % 10];
    }
    ASSERT_EQ(t.decode(t.encode(s)), s) << k;
  }
}

TEST(TokUnigram, JsonRoundTrip) {
  const UnigramTokenizer& t = trained();
  const std::unique_ptr<Tokenizer> back = load_tokenizer_json(t.to_json());
  EXPECT_EQ(back->type(), "unigram");
  EXPECT_EQ(back->to_json(), t.to_json());
  EXPECT_EQ(back->encode(toktest::corpus()), t.encode(toktest::corpus()));
  EXPECT_THROW(UnigramTokenizer::from_hf_json(R"({"model": {"type": "Unigram", "unk_id": 3, "vocab": [["a", -1]]},
      "pre_tokenizer": {"type": "Metaspace"}})"),
               std::runtime_error);
  EXPECT_THROW(UnigramTokenizer::from_hf_json(R"({"model": {"type": "Unigram", "unk_id": 0, "vocab": [["a"]]},
      "pre_tokenizer": {"type": "Metaspace"}})"),
               std::runtime_error);
}

TEST(TokUnigram, SmallCorpusGivesFewerPieces) {
  // Pieces expected to be used less than half a time are dropped, so a small
  // corpus cannot fill a large vocabulary (like BPE running out of pairs).
  UnigramTrainOptions opt;
  opt.vocab_size = 5000;
  const UnigramTokenizer t = UnigramTokenizer::train(toktest::corpus(), opt);
  EXPECT_LT(t.vocab_size(), 1000);
  EXPECT_EQ(t.decode(t.encode(toktest::corpus())), toktest::corpus());
}

TEST(TokUnigram, TooSmallVocabularyIsAnError) {
  UnigramTrainOptions opt;
  opt.vocab_size = 100;  // < 5 specials + 256 byte pieces
  EXPECT_THROW(UnigramTokenizer::train("hello", opt), std::runtime_error);
  opt.byte_fallback = false;
  const UnigramTokenizer t = UnigramTokenizer::train(toktest::corpus(), opt);
  EXPECT_EQ(t.vocab_size(), 100);
}

}  // namespace
}  // namespace llm
