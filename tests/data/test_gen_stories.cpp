// The TinyStories-like generator: determinism, split hygiene, variety, and the
// grammar promises of core/data/gen_stories.h (pronoun agreement, past-tense
// narration, no unfilled slots).
#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "core/data/gen_stories.h"
#include "core/data/importers.h"

namespace llm {
namespace {

std::vector<Story> make(size_t n, uint64_t seed, Split split = Split::train) {
  GenOptions o;
  o.seed = seed;
  o.split = split;
  return generate_stories(n, o);
}

// Lower-case words of the text with quoted dialogue removed.
std::string narration(const std::string& text) {
  std::string out;
  bool in_quote = false;
  for (char c : text) {
    if (c == '"') {
      in_quote = !in_quote;
      out += ' ';
      continue;
    }
    if (!in_quote) out += char(std::tolower((unsigned char)c));
  }
  return out;
}

std::set<std::string> words_of(const std::string& text) {
  std::set<std::string> w;
  std::string cur;
  for (char c : text + " ") {
    if (std::isalpha((unsigned char)c) || c == '\'') cur += char(std::tolower((unsigned char)c));
    else if (!cur.empty()) w.insert(cur), cur.clear();
  }
  return w;
}

TEST(GenStories, SameSeedSameBytesDifferentSeedDifferentStories) {
  auto a = make(50, 7), b = make(50, 7), c = make(50, 8);
  EXPECT_EQ(stories_to_text(a), stories_to_text(b));
  size_t same = 0;
  for (size_t i = 0; i < 50; i++) same += a[i].text == c[i].text;
  EXPECT_LT(same, 3u);
  // neighbouring seeds must not replay each other's stream shifted by a few draws
  std::set<std::string> seen;
  for (auto& s : a) seen.insert(s.text);
  for (auto& s : c) EXPECT_EQ(seen.count(s.text), 0u) << s.text;
}

// Pins the generator's output: it must be identical on every compiler, standard
// library and in WebAssembly. If you change a template on purpose, update the
// constant (the failure message prints the new value).
TEST(GenStories, GoldenHash) {
  std::string text = stories_to_text(make(20, 1));
  EXPECT_EQ(fnv1a64(text), 0xa2f754e919eae31cull) << "new golden value: 0x" << std::hex << fnv1a64(text) << "ull";
}

TEST(GenStories, TrainAndValidationNeverShareAStory) {
  auto train = make(1500, 3, Split::train), val = make(200, 3, Split::validation), val2 = make(200, 99, Split::validation);
  std::set<std::string> t;
  for (auto& s : train) t.insert(s.text);
  for (auto& s : val) EXPECT_EQ(t.count(s.text), 0u);
  for (auto& s : val2) EXPECT_EQ(t.count(s.text), 0u);
  GenOptions o;
  for (auto& s : val) {
    o.split = Split::validation;
    EXPECT_TRUE(in_split(s.text, o));
  }
}

TEST(GenStories, EnoughVarietyNotToBeMemorizedAtOnce) {
  auto stories = make(3000, 11);
  std::set<std::string> texts, first_sentences, sentences, vocab;
  std::map<std::string, int> plots;
  size_t words = 0;
  for (auto& s : stories) {
    texts.insert(s.text);
    first_sentences.insert(s.sentences.at(0));
    for (auto& x : s.sentences) sentences.insert(x);
    for (auto& w : words_of(s.text)) vocab.insert(w);
    words += split_whitespace(s.text).size();
    plots[s.facts.plot]++;
  }
  EXPECT_EQ(texts.size(), stories.size());  // no duplicate stories
  EXPECT_EQ(plots.size(), 13u);
  for (auto& p : plots) EXPECT_GT(p.second, 100) << p.first;  // every plot is common
  EXPECT_GT(first_sentences.size(), 800u);
  EXPECT_GT(sentences.size(), 15000u);
  // a controlled vocabulary: big enough to be a language, small enough for a tiny model
  EXPECT_GT(vocab.size(), 700u);
  EXPECT_LT(vocab.size(), 2500u);
  double mean_words = double(words) / stories.size();
  EXPECT_GT(mean_words, 80.0);
  EXPECT_LT(mean_words, 260.0);
}

TEST(GenStories, WellFormedText) {
  for (auto& s : make(1000, 5)) {
    const std::string& t = s.text;
    ASSERT_FALSE(t.empty());
    EXPECT_EQ(t.find('{'), std::string::npos) << t;  // no unfilled slot
    EXPECT_EQ(t.find('\n'), std::string::npos);
    EXPECT_EQ(t.find("  "), std::string::npos) << t;
    EXPECT_TRUE(std::isupper((unsigned char)t[0])) << t;
    char last = t.back();
    EXPECT_TRUE(last == '.' || last == '!' || last == '?' || last == '"') << t;
    size_t quotes = 0;
    for (char c : t) quotes += c == '"';
    EXPECT_EQ(quotes % 2, 0u) << t;
    EXPECT_EQ(join(s.sentences, " "), t);
    for (auto& sentence : s.sentences) EXPECT_TRUE(std::isupper((unsigned char)sentence[0]) || sentence[0] == '"') << sentence;
    EXPECT_EQ(t.find(" a a"), std::string::npos) << t;
    EXPECT_EQ(std::regex_search(t, std::regex("\\ba [aeiou]")), false) << t;  // "a apple"
  }
}

TEST(GenStories, PronounsAgreeWithTheCast) {
  static const std::regex male("\\b(he|him|his|himself)\\b"), female("\\b(she|her|hers|herself)\\b");
  size_t checked_m = 0, checked_f = 0;
  for (auto& s : make(1500, 21)) {
    std::string lower;
    for (char c : s.text) lower += char(std::tolower((unsigned char)c));
    if (!s.facts.has_male) {
      EXPECT_FALSE(std::regex_search(lower, male)) << s.text;
      checked_m++;
    }
    if (!s.facts.has_female) {
      EXPECT_FALSE(std::regex_search(lower, female)) << s.text;
      checked_f++;
    }
    // the hero's own pronoun is used
    EXPECT_TRUE(std::regex_search(lower, s.facts.hero_female ? female : male) || s.sentences.size() < 6) << s.text;
  }
  EXPECT_GT(checked_m, 200u);
  EXPECT_GT(checked_f, 200u);
}

TEST(GenStories, NarrationStaysInThePastTense) {
  // present-tense verbs may only appear inside dialogue
  static const std::regex present("\\b(is|are|am|has|does|goes|wants|likes|loves|says|runs|sees)\\b");
  for (auto& s : make(1500, 13)) {
    std::string n = narration(s.text);
    std::smatch m;
    EXPECT_FALSE(std::regex_search(n, m, present)) << "'" << m.str() << "' in: " << s.text;
  }
}

TEST(GenStories, FactsMatchTheText) {
  for (auto& s : make(800, 17)) {
    const StoryFacts& f = s.facts;
    EXPECT_NE(s.text.find(f.name), std::string::npos);
    if (!f.object.empty() && f.plot != "treasure") { EXPECT_NE(s.text.find(f.object), std::string::npos) << f.plot << ": " << s.text; }
    if (!f.color.empty()) { EXPECT_NE(s.text.find(f.color), std::string::npos) << s.text; }
    if (!f.place.empty() && f.place != "house") { EXPECT_NE(s.text.find(f.place), std::string::npos) << s.text; }
    if (!f.friend_name.empty()) { EXPECT_NE(s.text.find(f.friend_name), std::string::npos); }
    EXPECT_NE(s.text.find(f.feeling_end), std::string::npos) << f.plot << " " << f.feeling_end << ": " << s.text;
    if (!f.detail.empty()) { EXPECT_NE(s.text.find(f.detail), std::string::npos) << s.text; }
    EXPECT_NE(s.text.find(f.kind), std::string::npos);
  }
}

TEST(GenStories, CorpusFileRoundTripsThroughTheTextImporter) {
  auto stories = make(100, 2);
  std::string file = stories_to_text(stories);
  EXPECT_EQ(file.back(), '\n');
  auto docs = import_text(file);
  ASSERT_EQ(docs.size(), stories.size());
  for (size_t i = 0; i < docs.size(); i++) EXPECT_EQ(docs[i].text, stories[i].text);
}

}  // namespace
}  // namespace llm
