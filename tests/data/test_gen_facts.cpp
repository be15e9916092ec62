// The world-knowledge paragraphs of core/data/gen_facts.h: every fact of the short-answer tables
// reaches the corpus, deterministically, and the classic wrong answers the preference pairs
// reject ("mouses", "runned") never do.
#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "core/data/gen_facts.h"
#include "core/data/gen_words.h"

namespace llm {
namespace {
using namespace llm::words;

std::vector<std::string> paragraphs(size_t n, uint64_t seed) {
  Rng rng = seeded_rng(seed, 7);
  std::vector<std::string> out;
  for (size_t i = 0; i < n; i++) out.push_back(facts_paragraph(rng));
  return out;
}

std::set<std::string> words_of(const std::string& text) {
  std::set<std::string> w;
  std::string cur;
  for (char c : text + " ") {
    if (std::isalpha((unsigned char)c) || c == '-') cur += char(std::tolower((unsigned char)c));
    else if (!cur.empty()) w.insert(cur), cur.clear();
  }
  return w;
}

TEST(GenFacts, SameSeedSameText) {
  EXPECT_EQ(paragraphs(50, 3), paragraphs(50, 3));
  EXPECT_NE(paragraphs(50, 3), paragraphs(50, 4));
}

TEST(GenFacts, EveryFactOfEveryTableAppears) {
  std::vector<std::set<std::string>> words;
  for (const std::string& p : paragraphs(3000, 1)) words.push_back(words_of(p));
  for (const auto* table : {&kThingColors, &kSounds, &kPlurals, &kPastTense, &kOpposites, &kBabyAnimals}) {
    for (const WordPair& wp : *table) {
      const std::string a = *words_of(wp.a).begin(), b = *words_of(wp.b).begin();
      size_t together = 0;
      for (const auto& w : words) together += w.count(a) && w.count(b);
      EXPECT_GE(together, 3u) << wp.a << " / " << wp.b << " appear together in too few paragraphs";
    }
  }
}

TEST(GenFacts, NeverStatesTheWrongAnswersTheTasksReject) {
  std::set<std::string> all;
  for (const std::string& p : paragraphs(3000, 1))
    for (const std::string& w : words_of(p)) all.insert(w);
  for (const WordPair& p : kPlurals) {  // the naive plural of task_short_answer (gen_tasks.cpp)
    const std::string a = p.a, naive = a + "s" == p.b ? a + "es" : a + "s";
    EXPECT_EQ(all.count(naive), 0u) << naive;
  }
  for (const WordPair& p : kPastTense) {
    const std::string a = p.a;
    std::string naive = a + (a.back() == 'e' ? "d" : "ed");
    if (naive == p.b) continue;  // regular verbs: the naive form is the right one
    EXPECT_EQ(all.count(naive), 0u) << naive;
  }
}

TEST(GenFacts, ThingPhraseNamesThingsAsTheColorQuestionsDo) {
  EXPECT_EQ(thing_phrase("sky"), "the sky");
  EXPECT_EQ(thing_phrase("grass"), "grass");
  EXPECT_EQ(thing_phrase("banana"), "a banana");
  EXPECT_EQ(thing_phrase("orange"), "an orange");
}

}  // namespace
}  // namespace llm

#include "core/data/gen_tasks.h"

namespace llm {
namespace {

// The question blocks of --facts-qa ask only train-split questions: not one of them is a
// question whose key the validation split holds (the held-out questions of SFT, RM and eval).
TEST(GenFacts, QuestionBlocksNeverAskAHeldOutQuestion) {
  GenOptions val;
  val.split = Split::validation;
  std::set<std::string> held_out, train;
  Rng g = seeded_rng(9, 1);
  for (int i = 0; i < 60000; i++) {
    const TaskItem t = i % 3 == 0 ? task_short_answer(g) : i % 3 == 1 ? task_arithmetic(g) : task_word(g);
    (in_split(t.key, val) ? held_out : train).insert(t.question);
  }
  ASSERT_GT(held_out.size(), 100u);
  Rng rng = seeded_rng(5, 2);
  size_t asked = 0, known = 0;
  for (int b = 0; b < 500; b++) {
    const std::string block = facts_qa_block(rng, 4);
    size_t pos = 0, lines = 0;
    while (pos < block.size()) {
      size_t e = block.find('\n', pos);
      if (e == std::string::npos) e = block.size();
      const std::string line = block.substr(pos, e - pos);
      ASSERT_TRUE(line.rfind(lines % 2 ? "A: " : "Q: ", 0) == 0) << line;
      if (lines % 2 == 0) {
        const std::string q = line.substr(3);
        EXPECT_EQ(held_out.count(q), 0u) << "held-out question in a pretraining block: " << q;
        known += train.count(q);
        asked++;
      }
      lines++;
      pos = e + 1;
    }
    ASSERT_EQ(lines, 8u) << block;
  }
  EXPECT_EQ(asked, 2000u);
  EXPECT_GT(known, asked / 2);  // the blocks ask the train split's questions, not something else
}

}  // namespace
}  // namespace llm
