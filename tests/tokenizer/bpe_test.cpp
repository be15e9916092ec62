// Fast byte-level BPE: training invariants, round trips, special tokens.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/tokenizer/bpe.h"
#include "tests/tokenizer/tok_test_util.h"

namespace llm {
namespace {

const BpeTokenizer& small_bpe() {
  static const BpeTokenizer tok = [] {
    BpeTrainOptions opt;
    opt.vocab_size = 400;
    return BpeTokenizer::train(toktest::corpus(), opt);
  }();
  return tok;
}

std::string random_bytes(uint64_t seed, int n) {
  std::string s;
  for (int i = 0; i < n; i++) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    s += char(seed >> 56);
  }
  return s;
}

TEST(TokBpe, VocabularyLayout) {
  const BpeTokenizer& tok = small_bpe();
  ASSERT_EQ(tok.vocab_size(), 400);
  ASSERT_EQ(tok.merges().size(), 400u - 256 - 4);
  for (int b = 0; b < 256; b++) EXPECT_EQ(tok.token_bytes(b), std::string(1, char(b)));
  for (size_t k = 0; k < tok.merges().size(); k++) {
    const BpeMerge& m = tok.merges()[k];
    EXPECT_EQ(m.id, int32_t(256 + k));
    EXPECT_LT(m.left, m.id);
    EXPECT_LT(m.right, m.id);
    EXPECT_EQ(tok.token_bytes(m.id), tok.token_bytes(m.left) + tok.token_bytes(m.right));
    if (k) {
      EXPECT_LE(m.count, tok.merges()[k - 1].count) << "merge counts must not increase";
    }
  }
  EXPECT_EQ(tok.token_id("<|endoftext|>"), 396);
  EXPECT_EQ(tok.token_id("<|pad|>"), 397);
  EXPECT_EQ(tok.token_id("<|im_start|>"), 398);
  EXPECT_EQ(tok.token_id("<|im_end|>"), 399);
  EXPECT_TRUE(tok.is_special(399));
  EXPECT_FALSE(tok.is_special(300));
  // The first merge on this English corpus is the most frequent byte pair.
  EXPECT_EQ(tok.id_to_token(256), tok.id_to_token(tok.merges()[0].left) + tok.id_to_token(tok.merges()[0].right));
  EXPECT_EQ(tok.token_id(tok.id_to_token(300)), 300);
}

TEST(TokBpe, RoundTripsAnyBytes) {
  const BpeTokenizer& tok = small_bpe();
  const std::vector<std::string> texts = {
      "",
      "Once upon a time, Lily went to the park.",
      "  leading and trailing  \n\n\t ",
      "mixed 你好 😀👍🏽 café e\u0301 \u00A0\u3000 end",
      "invalid \xFF\xFE utf-8 \xC3 and \xE4\xBD truncated",
      std::string("nul \0 inside", 12),
      toktest::corpus(),
  };
  for (const auto& t : texts) EXPECT_EQ(tok.decode(tok.encode(t)), t);
  for (int k = 0; k < 50; k++) {
    const std::string t = random_bytes(k, 1 + k * 7);
    ASSERT_EQ(tok.decode(tok.encode(t)), t) << "seed " << k;
    ASSERT_EQ(tok.decode(tok.encode(t, false)), t) << "seed " << k;
  }
}

TEST(TokBpe, CompressesTrainingText) {
  const BpeTokenizer& tok = small_bpe();
  const auto ids = tok.encode(toktest::corpus());
  // 140 merges on a repetitive corpus: well under one token per 2 bytes.
  EXPECT_LT(double(ids.size()), 0.5 * double(toktest::corpus().size()));
}

TEST(TokBpe, SpecialTokensAreAtomic) {
  const BpeTokenizer& tok = small_bpe();
  const int32_t eot = tok.token_id("<|endoftext|>"), s = tok.token_id("<|im_start|>"), e = tok.token_id("<|im_end|>");
  const std::string chat = "<|im_start|>user\nhi<|im_end|><|endoftext|>";
  const auto ids = tok.encode(chat);
  ASSERT_GE(ids.size(), 4u);
  EXPECT_EQ(ids.front(), s);
  EXPECT_EQ(ids[ids.size() - 2], e);
  EXPECT_EQ(ids.back(), eot);
  EXPECT_EQ(tok.decode(ids), chat);
  // With allow_special=false the same characters are plain text: no special ids.
  const auto plain = tok.encode(chat, false);
  for (int32_t id : plain) EXPECT_FALSE(tok.is_special(id));
  EXPECT_EQ(tok.decode(plain), chat);
  // A special glued to words does not change how the words around it split.
  const auto a = tok.encode("the cat");
  const auto b = tok.encode("the cat<|endoftext|>");
  ASSERT_EQ(b.size(), a.size() + 1);
  EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin()));
}

TEST(TokBpe, UserSpecialTokens) {
  BpeTrainOptions opt;
  opt.vocab_size = 300;
  opt.specials = {"<|endoftext|>", "<|tool|>"};
  BpeTokenizer tok = BpeTokenizer::train(toktest::corpus(), opt);
  EXPECT_EQ(tok.vocab_size(), 300);
  EXPECT_EQ(tok.token_id("<|tool|>"), 299);
  const int32_t added = tok.add_special_token("<|sep|>");
  EXPECT_EQ(added, 300);
  EXPECT_EQ(tok.add_special_token("<|sep|>"), 300);  // idempotent
  EXPECT_EQ(tok.encode("a<|sep|>b"), (std::vector<int32_t>{tok.bytes_to_id("a"), 300, tok.bytes_to_id("b")}));
  // Longest match wins when specials share a prefix.
  tok.add_special_token("<|sep|><|sep|>");
  EXPECT_EQ(tok.encode("<|sep|><|sep|>"), (std::vector<int32_t>{301}));
  // A special equal to a regular token would make tokenizer.json ambiguous.
  EXPECT_THROW(tok.add_special_token("a"), std::runtime_error);
  EXPECT_THROW(tok.add_special_token(""), std::runtime_error);
}

TEST(TokBpe, DeterministicAcrossThreadsAndInputSplits) {
  // 16 copies (> 64 KiB) so train(text) really splits the text into chunks.
  std::string big;
  for (int i = 0; i < 16; i++) big += toktest::corpus();
  BpeTrainOptions opt;
  opt.vocab_size = 350;
  opt.threads = 1;
  const BpeTokenizer one = BpeTokenizer::train(big, opt);
  opt.threads = 4;
  const BpeTokenizer four = BpeTokenizer::train(big, opt);
  const BpeTokenizer docs = BpeTokenizer::train(std::vector<std::string_view>{big}, opt);
  ASSERT_EQ(one.merges().size(), four.merges().size());
  for (size_t k = 0; k < one.merges().size(); k++) {
    EXPECT_EQ(one.merges()[k].left, four.merges()[k].left);
    EXPECT_EQ(one.merges()[k].right, four.merges()[k].right);
    EXPECT_EQ(one.merges()[k].count, docs.merges()[k].count);
  }
}

TEST(TokBpe, MergeOrderAndTies) {
  // "aaaa" x3 and "ab" x1: the pair (a, a) occurs 9 times, so it is merged
  // first; "aaaa" then becomes "aa aa" (left to right, non-overlapping).
  BpeTrainOptions opt;
  opt.vocab_size = 256 + 2;
  opt.specials = {};
  const BpeTokenizer tok = BpeTokenizer::train("aaaa aaaa aaaa ab", opt);
  ASSERT_EQ(tok.merges().size(), 2u);
  EXPECT_EQ(tok.token_bytes(256), "aa");
  EXPECT_EQ(tok.merges()[0].count, 9);
  EXPECT_EQ(tok.token_bytes(257), "aaaa");
  EXPECT_EQ(tok.merges()[1].count, 3);
  // Ties go to the smallest (left, right): in "xy ab" the pairs (x, y),
  // (' ', a) and (a, b) occur once each; (' ', 'a') = (32, 97) is smallest.
  const BpeTokenizer tie = BpeTokenizer::train("xy ab", BpeTrainOptions{257, {}, 1, 1});
  EXPECT_EQ(tie.token_bytes(256), " a");
  EXPECT_EQ(tie.encode("aaaaa"), (std::vector<int32_t>{'a', 'a', 'a', 'a', 'a'}));
  EXPECT_EQ(tok.encode("aaaaa"), (std::vector<int32_t>{257, 'a'}));
  EXPECT_EQ(tok.encode("aaa"), (std::vector<int32_t>{256, 'a'}));
}

TEST(TokBpe, StopsWhenNothingLeftToMerge) {
  BpeTrainOptions opt;
  opt.vocab_size = 10000;
  opt.specials = {"<|endoftext|>"};
  const BpeTokenizer tok = BpeTokenizer::train("abc abc", opt);
  // " abc" and "abc": merges ab, abc, " a"... at most 5 merges possible.
  EXPECT_LE(tok.vocab_size(), 256 + 5 + 1);
  EXPECT_EQ(tok.encode("abc"), (std::vector<int32_t>{tok.bytes_to_id("abc")}));
  EXPECT_THROW(BpeTokenizer::train("x", BpeTrainOptions{100, {}, 1, 1}), std::runtime_error);
}

TEST(TokBpe, BatchAndCacheAgreeWithPlainEncode) {
  const BpeTokenizer& tok = small_bpe();
  std::vector<std::string> texts;
  for (int k = 0; k < 40; k++) texts.push_back(toktest::corpus().substr(k * 500, 700) + random_bytes(k, 9));
  std::vector<std::string_view> views(texts.begin(), texts.end());
  const auto batch = tok.encode_batch(views, 2);
  BpeCache cache(64);  // tiny: forces the cache to clear and refill
  for (size_t k = 0; k < texts.size(); k++) {
    const auto plain = tok.encode(texts[k]);
    EXPECT_EQ(batch[k], plain);
    std::vector<int32_t> cached;
    tok.encode_into(texts[k], &cached, true, &cache);
    EXPECT_EQ(cached, plain);
  }
  // A cache filled by another tokenizer is not trusted.
  BpeTokenizer other = BpeTokenizer::from_merges({}, {});
  std::vector<int32_t> ids;
  other.encode_into("the cat", &ids, true, &cache);
  EXPECT_EQ(ids.size(), 7u);
}

TEST(TokBpe, FromMergesRebuildsTheSameTokenizer) {
  const BpeTokenizer& tok = small_bpe();
  std::vector<std::pair<int32_t, int32_t>> pairs;
  for (const auto& m : tok.merges()) pairs.push_back({m.left, m.right});
  const BpeTokenizer again = BpeTokenizer::from_merges(pairs, default_special_tokens());
  EXPECT_EQ(again.to_hf_json(), tok.to_hf_json());
  EXPECT_THROW(BpeTokenizer::from_merges({{5, 900}}, {}), std::runtime_error);
}

TEST(TokBpe, DecodeRejectsBadIds) {
  const BpeTokenizer& tok = small_bpe();
  EXPECT_THROW(tok.decode({1, 2, 400}), std::runtime_error);
  EXPECT_THROW(tok.decode({-1}), std::runtime_error);
  try {
    tok.decode({1, 2, 400});
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("position 2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace llm
