// WordPiece: greedy longest-match encoding, [UNK], training, json.
#include <gtest/gtest.h>

#include "core/tokenizer/wordpiece.h"
#include "tests/tokenizer/tok_test_util.h"

namespace llm {
namespace {

std::vector<std::string> tokens_of(const Tokenizer& t, const std::string& text) {
  std::vector<std::string> out;
  for (int32_t id : t.encode(text)) out.push_back(t.id_to_token(id));
  return out;
}
using V = std::vector<std::string>;

WordPieceTokenizer hand_made() {
  // ids:             0        1        2     3       4       5      6       7      8     9
  return WordPieceTokenizer({"[UNK]", "[SEP]", "un", "##aff", "##able", "##a", "##ff", "a", "!", "##b"},
                            {"[UNK]", "[SEP]"});
}

TEST(TokWordPiece, GreedyLongestMatchFirst) {
  const WordPieceTokenizer t = hand_made();
  EXPECT_EQ(tokens_of(t, "unaffable"), (V{"un", "##aff", "##able"}));
  EXPECT_EQ(tokens_of(t, "a unaffable!"), (V{"a", "un", "##aff", "##able", "!"}));
  // After "un" the longest continuation of "ab" is "##a", then "##b".
  EXPECT_EQ(tokens_of(t, "unab"), (V{"un", "##a", "##b"}));
  // A word with an uncoverable position is a single [UNK], not a partial split.
  EXPECT_EQ(tokens_of(t, "unaffablex a"), (V{"[UNK]", "a"}));
  EXPECT_EQ(tokens_of(t, "b"), (V{"[UNK]"}));  // "b" only exists as a continuation
  EXPECT_EQ(tokens_of(t, "a[SEP]a"), (V{"a", "[SEP]", "a"}));
  EXPECT_EQ(t.encode("a[SEP]a", false), (std::vector<int32_t>{7, 0, 0, 0, 7}));  // '[' 'SEP' ']' unknown
}

TEST(TokWordPiece, LongWordsAreUnknown) {
  const WordPieceTokenizer t({"[UNK]", "a", "##a"}, {"[UNK]"}, "[UNK]", "##", 5);
  EXPECT_EQ(t.encode("aaaaa"), (std::vector<int32_t>{1, 2, 2, 2, 2}));
  EXPECT_EQ(t.encode("aaaaaa"), (std::vector<int32_t>{0}));
}

TEST(TokWordPiece, DecodeGluesContinuations) {
  const WordPieceTokenizer t = hand_made();
  EXPECT_EQ(t.decode(t.encode("a  unaffable !")), "a unaffable !");
  EXPECT_THROW(t.decode({10}), std::runtime_error);
}

TEST(TokWordPiece, TrainOnCorpus) {
  WordPieceTrainOptions opt;
  opt.vocab_size = 450;
  const WordPieceTokenizer t = WordPieceTokenizer::train(toktest::corpus(), opt);
  EXPECT_EQ(t.vocab_size(), 450);
  // Asking for more than the corpus supports stops when every word is one token.
  opt.vocab_size = 5000;
  const WordPieceTokenizer all = WordPieceTokenizer::train(toktest::corpus(), opt);
  EXPECT_LT(all.vocab_size(), 5000);
  EXPECT_EQ(all.encode("Once upon a time"), (std::vector<int32_t>{all.token_id("Once"), all.token_id("upon"),
                                                                  all.token_id("a"), all.token_id("time")}));
  EXPECT_EQ(t.id_to_token(1), "[UNK]");
  EXPECT_EQ(t.unk_id(), 1);
  // The score favours pairs whose parts are rarely seen apart: "upon" is
  // whole, while "##e" is everywhere and joins late ("the" -> "th ##e").
  EXPECT_EQ(tokens_of(t, "upon"), (V{"upon"}));
  EXPECT_EQ(tokens_of(t, "the"), (V{"th", "##e"}));
  // Every word of the training text is covered: no [UNK] and decode gives
  // the text back up to whitespace (WordPiece drops it).
  const std::string line = "Once upon a time, Lily went to the beach with a small bird.";
  for (int32_t id : t.encode(line)) EXPECT_NE(id, t.unk_id());
  EXPECT_EQ(t.decode(t.encode(line)), "Once upon a time , Lily went to the beach with a small bird .");
  // Continuation pieces carry the prefix; unseen characters give [UNK].
  bool has_cont = false;
  for (int32_t id = 0; id < t.vocab_size(); id++) has_cont |= t.id_to_token(id).rfind("##", 0) == 0;
  EXPECT_TRUE(has_cont);
  EXPECT_EQ(t.encode("Ωmega"), (std::vector<int32_t>{t.unk_id()}));
}

TEST(TokWordPiece, JsonRoundTripAndErrors) {
  WordPieceTrainOptions opt;
  opt.vocab_size = 300;
  const WordPieceTokenizer t = WordPieceTokenizer::train(toktest::corpus(), opt);
  const std::unique_ptr<Tokenizer> back = load_tokenizer_json(t.to_json());
  EXPECT_EQ(back->type(), "wordpiece");
  EXPECT_EQ(back->to_json(), t.to_json());
  EXPECT_EQ(back->encode(toktest::corpus()), t.encode(toktest::corpus()));
  EXPECT_THROW(WordPieceTokenizer::from_hf_json(R"({"model": {"type": "WordPiece", "unk_token": "[UNK]",
      "vocab": {"a": 0}}, "pre_tokenizer": {"type": "BertPreTokenizer"}})"),
               std::runtime_error);  // unk missing from the vocabulary
  EXPECT_THROW(WordPieceTokenizer::from_hf_json(R"({"model": {"type": "WordPiece", "unk_token": "[UNK]",
      "vocab": {"[UNK]": 0, "a": 5}}, "pre_tokenizer": {"type": "BertPreTokenizer"}})"),
               std::runtime_error);  // id gap
}

}  // namespace
}  // namespace llm
