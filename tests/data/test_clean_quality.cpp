// Quality filters: each check fires on a document built to fail it, and an
// ordinary story passes them all.
#include <gtest/gtest.h>

#include <string>

#include "core/data/clean_quality.h"

namespace {

const char* kStory =
    "Once upon a time, there was a little girl named Lily. She loved to play with her red ball "
    "in the park near her house. One day, the wind took the ball up into a tall tree. Lily was "
    "sad, but her friend Tom had an idea. He got a long stick and they knocked the ball down "
    "together. Lily smiled and thanked Tom for his help. From that day on, they played with the "
    "ball every afternoon and shared their snacks.";

std::string repeat(const std::string& s, int n, const std::string& sep = " ") {
  std::string out;
  for (int i = 0; i < n; ++i) out += (i ? sep : "") + s;
  return out;
}

}  // namespace

TEST(CleanQuality, OrdinaryStoryPasses) {
  llm::QualityConfig cfg;
  EXPECT_EQ(llm::quality_reject_reason(kStory, cfg), "");
  const llm::TextMetrics m = llm::compute_text_metrics(kStory, cfg);
  EXPECT_GT(m.words, 70u);
  EXPECT_LT(m.symbol_ratio, 0.01);
  EXPECT_EQ(m.digit_ratio, 0.0);
  EXPECT_GE(m.stopwords, 4);  // the, to, with, and, that ...
  EXPECT_DOUBLE_EQ(m.script_fraction, 1.0);
}

TEST(CleanQuality, EachCheckHasItsReason) {
  llm::QualityConfig cfg;
  EXPECT_EQ(llm::quality_reject_reason("Too short.", cfg), "too_few_chars");
  EXPECT_EQ(llm::quality_reject_reason("Onlythreewords butverylongones here", cfg), "too_few_words");
  {
    llm::QualityConfig c = cfg;
    c.max_chars = 100;
    EXPECT_EQ(llm::quality_reject_reason(kStory, c), "too_many_chars");
    c = cfg;
    c.max_words = 10;
    EXPECT_EQ(llm::quality_reject_reason(kStory, c), "too_many_words");
  }
  EXPECT_EQ(llm::quality_reject_reason("#### $$$ @@@ the cat and the dog ### %%% ^^^ &&& *** the end", cfg),
            "symbol_ratio");
  EXPECT_EQ(llm::quality_reject_reason("the 1234567 and 8901234 to 5678901 of 2345678 with 99", cfg),
            "digit_ratio");
  EXPECT_EQ(llm::quality_reject_reason(
                "the and to of a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d", cfg),
            "mean_word_length");
  // Cyrillic text fails the latin script check; with script "cyrillic" and no
  // English stopword check it passes.
  const std::string ru =
      "\xD0\x9C\xD0\xB0\xD0\xBC\xD0\xB0 \xD0\xBC\xD1\x8B\xD0\xBB\xD0\xB0 \xD1\x80\xD0\xB0\xD0\xBC\xD1\x83 "
      "\xD0\xB8 \xD0\xBF\xD0\xB5\xD0\xBB\xD0\xB0 \xD0\xBF\xD0\xB5\xD1\x81\xD0\xBD\xD1\x8E \xD1\x83\xD1\x82\xD1\x80\xD0\xBE\xD0\xBC.";
  EXPECT_EQ(llm::quality_reject_reason(ru, cfg), "script");
  {
    llm::QualityConfig c = cfg;
    c.script = "cyrillic";
    c.language = "";
    EXPECT_EQ(llm::quality_reject_reason(ru, c), "");
  }
  // Not English: no stopwords in a document long enough to judge (>= 50 words)...
  const std::string lorem =
      "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore "
      "et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut "
      "aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum "
      "dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui "
      "officia deserunt mollit anim id est laborum.";
  EXPECT_EQ(llm::quality_reject_reason(lorem, cfg), "stopwords");
  // ... while a short line of dialogue is too little evidence to judge.
  EXPECT_EQ(llm::quality_reject_reason("\"Mommy, this card isn't real,\" she said. \"It's fake!\"", cfg), "");
}

TEST(CleanQuality, RepetitionChecks) {
  llm::QualityConfig cfg;
  // The same line many times.
  const std::string lines = repeat("Click here to subscribe to the newsletter and win.", 8, "\n") + "\n" + kStory;
  EXPECT_EQ(llm::quality_reject_reason(lines, cfg), "dup_lines");
  const llm::TextMetrics m = llm::compute_text_metrics(lines, cfg);
  EXPECT_GT(m.dup_line_fraction, 0.3);
  // The same paragraph twice among a few others (lines differ inside paragraphs).
  const std::string para = std::string(kStory) + "\n\n" + kStory + "\n\nThe end of the story and that is all.";
  llm::QualityConfig c = cfg;
  c.max_dup_line_fraction = 1.0;
  EXPECT_EQ(llm::quality_reject_reason(para, c), "dup_paragraphs");
  // One bigram dominating the text: "the ball" x many, inside otherwise varied words.
  std::string bigram;
  const char* fill[] = {"red", "big", "new", "old", "fun", "soft", "round", "blue"};
  for (int i = 0; i < 40; ++i) bigram += std::string("the ball ") + fill[i % 8] + " to and with ";
  const llm::TextMetrics mb = llm::compute_text_metrics(bigram, cfg);
  EXPECT_GT(mb.top_ngram_fraction.at(2), 0.2);
  c.max_dup_paragraph_fraction = 1.0;
  EXPECT_EQ(llm::quality_reject_reason(bigram, c).rfind("top_", 0), 0u) << llm::quality_reject_reason(bigram, c);
  // Repetition checks skip short documents.
  const llm::TextMetrics ms = llm::compute_text_metrics("the ball and the ball and the ball", cfg);
  EXPECT_GT(ms.top_ngram_fraction.at(2), 0.2);
  c.min_chars = 0;
  c.min_words = 0;
  EXPECT_EQ(llm::quality_reject_reason("the ball and the ball and the ball", c), "");
}

TEST(CleanQuality, DupNgramFractionCountsRepeatedSpans) {
  llm::QualityConfig cfg;
  // 20 distinct words then the first 10 again: the 10 repeated words (and the
  // first copy is not counted) cover 10 of 30 words -> fraction 1/3 for n = 5..10.
  std::string t;
  for (int i = 0; i < 20; ++i) t += "w" + std::string(1, (char)('a' + i)) + "x ";
  for (int i = 0; i < 10; ++i) t += "w" + std::string(1, (char)('a' + i)) + "x ";
  const llm::TextMetrics m = llm::compute_text_metrics(t, cfg);
  EXPECT_NEAR(m.dup_ngram_fraction.at(5), 1.0 / 3, 1e-9);
  EXPECT_NEAR(m.dup_ngram_fraction.at(10), 1.0 / 3, 1e-9);
}

TEST(CleanQuality, SplitWordsLowercasesAndTrims) {
  const auto w = llm::normalized_words("  \"Hello,\" she said -- (World)! ");
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[0], "hello");
  EXPECT_EQ(w[1], "she");
  EXPECT_EQ(w[2], "said");
  EXPECT_EQ(w[3], "world");
}
