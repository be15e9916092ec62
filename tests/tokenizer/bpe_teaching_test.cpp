// The teaching BPE must learn exactly what the fast trainer learns.
#include <gtest/gtest.h>

#include "core/tokenizer/bpe.h"
#include "core/tokenizer/bpe_teaching.h"
#include "tests/tokenizer/tok_test_util.h"

namespace llm {
namespace {

void expect_same_merges(std::string_view text, int n_merges, const std::vector<std::string>& specials) {
  BpeTeacher teacher(text, specials);
  teacher.train(n_merges);
  BpeTrainOptions opt;
  opt.vocab_size = 256 + n_merges + int(specials.size());
  opt.specials = specials;
  opt.threads = 2;
  const BpeTokenizer fast = BpeTokenizer::train(text, opt);
  ASSERT_EQ(teacher.merges().size(), fast.merges().size());
  for (size_t k = 0; k < fast.merges().size(); k++) {
    const TeachingMerge& t = teacher.merges()[k];
    const BpeMerge& f = fast.merges()[k];
    ASSERT_EQ(t.left, f.left) << "merge " << k;
    ASSERT_EQ(t.right, f.right) << "merge " << k;
    ASSERT_EQ(t.id, f.id) << "merge " << k;
    ASSERT_EQ(t.count, f.count) << "merge " << k;
    ASSERT_EQ(teacher.token_bytes(t.id), fast.token_bytes(f.id)) << "merge " << k;
  }
}

TEST(TokBpeTeaching, SameMergesAsFastTrainerOnCorpus) {
  // 600 asked, 444 possible: both run to exhaustion, through long runs of
  // equal counts where only the tie-breaking rule decides the order.
  expect_same_merges(toktest::corpus(), 600, default_special_tokens());
  BpeTeacher t(toktest::corpus());
  t.train(600);
  EXPECT_GT(t.merges().size(), 400u);
}

TEST(TokBpeTeaching, SameMergesOnTiesAndRepeats) {
  expect_same_merges("aaaa aaaa aaaa ab ba abab baba", 20, {});
  expect_same_merges("xy ab yx ba", 10, {});
  expect_same_merges("<|endoftext|>aaa<|endoftext|>aaa bbb \xFF\xFF\xFF 你你你", 30, {"<|endoftext|>"});
}

TEST(TokBpeTeaching, StepApi) {
  BpeTeacher t("low lower lowest", {});
  EXPECT_EQ(t.next_id(), 256);
  TeachingMerge m;
  ASSERT_TRUE(t.step(&m));
  // "low", " lower", " lowest": ('o','w') occurs 3 times, as do ('l','o'),
  // but ('l','o') = (108, 111) < ('o','w') = (111, 119).
  EXPECT_EQ(m.left, 'l');
  EXPECT_EQ(m.right, 'o');
  EXPECT_EQ(m.count, 3);
  EXPECT_EQ(m.id, 256);
  EXPECT_EQ(t.token_bytes(256), "lo");
  ASSERT_TRUE(t.step(&m));
  EXPECT_EQ(t.token_bytes(m.id), "low");
  // The words now show the merged tokens.
  bool found = false;
  for (const auto& w : t.words())
    if (w.ids == std::vector<int32_t>{257}) found = true;
  EXPECT_TRUE(found);
  // Train to exhaustion: every word ends up a single token and step() stops.
  t.train(1000);
  EXPECT_FALSE(t.step(&m));
  for (const auto& w : t.words()) EXPECT_EQ(w.ids.size(), 1u);
}

}  // namespace
}  // namespace llm
