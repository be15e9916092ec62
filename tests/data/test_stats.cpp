// Corpus statistics: distributions, frequency/Zipf, and the text/SVG/HTML renderings.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/data/stats.h"

namespace {
size_t count_of(const std::string& s, const std::string& needle) {
  size_t n = 0;
  for (size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
  return n;
}
}  // namespace

TEST(Stats, SummarizeKnownValues) {
  std::vector<double> v;
  for (int i = 1; i <= 100; ++i) v.push_back(i);
  const llm::Distribution d = llm::summarize(v, 10);
  EXPECT_EQ(d.n, 100u);
  EXPECT_DOUBLE_EQ(d.total, 5050);
  EXPECT_DOUBLE_EQ(d.mean, 50.5);
  EXPECT_DOUBLE_EQ(d.min, 1);
  EXPECT_DOUBLE_EQ(d.max, 100);
  EXPECT_DOUBLE_EQ(d.p50, 50);  // nearest rank
  EXPECT_DOUBLE_EQ(d.p90, 90);
  EXPECT_DOUBLE_EQ(d.p99, 99);
  EXPECT_NEAR(d.stddev, std::sqrt((100.0 * 100 - 1) / 12), 1e-9);
  // Width 10 (a "nice" step), bins [0,10) ... [100,110): every value counted once.
  EXPECT_DOUBLE_EQ(d.hist.width, 10);
  EXPECT_DOUBLE_EQ(d.hist.lo, 0);
  size_t sum = d.hist.overflow;
  for (size_t c : d.hist.counts) sum += c;
  EXPECT_EQ(sum, 100u);
  EXPECT_EQ(d.hist.counts[0], 9u);  // 1..9
  EXPECT_EQ(d.hist.counts[1], 10u);
}

TEST(Stats, LongTailGoesToOverflow) {
  std::vector<double> v(1000, 10.0);
  for (int i = 0; i < 1000; ++i) v[i] = 10 + i % 50;
  v.push_back(100000);  // one huge document
  const llm::Distribution d = llm::summarize(v, 20);
  EXPECT_EQ(d.hist.overflow, 1u);
  EXPECT_LT(d.hist.hi(), 100.0);
}

TEST(Stats, ZipfExponentOfAnExactPowerLaw) {
  std::vector<std::pair<std::string, size_t>> counts;
  for (int r = 1; r <= 2000; ++r) counts.push_back({"w" + std::to_string(r), (size_t)std::llround(1e6 / r)});
  const llm::FrequencyStats f = llm::frequency_stats(counts, "word", 5);
  EXPECT_NEAR(f.zipf_exponent, 1.0, 0.01);
  ASSERT_EQ(f.top.size(), 5u);
  EXPECT_EQ(f.top[0].item, "w1");
  EXPECT_EQ(f.top[4].item, "w5");
  EXPECT_EQ(f.distinct, 2000u);
  EXPECT_EQ(f.zipf.front().first, 1.0);
  EXPECT_LE(f.zipf.back().first, 2000.0);
  EXPECT_LT(f.zipf.size(), 200u);  // log-spaced, not one point per rank
}

TEST(Stats, CorpusStatsWithTokens) {
  const std::vector<std::string> docs = {"The cat sat.", "The dog and the cat ran far away.", "A cat!"};
  const std::vector<std::vector<int32_t>> ids = {{1, 2, 3}, {1, 4, 5, 2, 2, 6, 7, 8, 3}, {9, 2, 10}};
  const llm::CorpusStats s = llm::compute_corpus_stats(docs, {10, 3}, &ids,
                                                       [](int32_t id) { return "t" + std::to_string(id); });
  EXPECT_EQ(s.docs, 3u);
  EXPECT_DOUBLE_EQ(s.words.total, 3 + 8 + 2);
  EXPECT_DOUBLE_EQ(s.chars.max, 33);
  EXPECT_TRUE(s.has_tokens);
  EXPECT_DOUBLE_EQ(s.tokens.total, 15);
  ASSERT_EQ(s.word_freq.top.size(), 3u);
  EXPECT_EQ(s.word_freq.top[0].item, "cat");  // 3 (ties broken alphabetically)
  EXPECT_EQ(s.word_freq.top[0].count, 3u);
  EXPECT_EQ(s.word_freq.top[1].item, "the");
  EXPECT_EQ(s.token_freq.top[0].item, "t2");  // id 2 appears 4 times
  EXPECT_EQ(s.token_freq.total, 15u);

  const std::string text = llm::stats_to_text(s);
  EXPECT_NE(text.find("documents: 3"), std::string::npos);
  EXPECT_NE(text.find("tokens per document"), std::string::npos);
  EXPECT_NE(text.find("\"cat\""), std::string::npos);

  const std::string svg = llm::stats_to_svg(s, "A <small> & tidy corpus");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("A &lt;small&gt; &amp; tidy corpus"), std::string::npos);  // escaped
  EXPECT_EQ(count_of(svg, "<polyline"), 2u);  // Zipf curves of words and tokens
  EXPECT_NE(svg.find("Document length in tokens"), std::string::npos);
  EXPECT_EQ(count_of(svg, "<svg"), count_of(svg, "</svg>"));

  const std::string html = llm::stats_to_html(s, "corpus");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("documents: 3\n"), std::string::npos);  // <pre> keeps newlines
}

TEST(Stats, WordsOnlyWithoutTokenizer) {
  const llm::CorpusStats s = llm::compute_corpus_stats({"one two", "three"});
  EXPECT_FALSE(s.has_tokens);
  EXPECT_EQ(llm::stats_to_text(s).find("token"), std::string::npos);
  EXPECT_EQ(count_of(llm::stats_to_svg(s, "x"), "<polyline"), 1u);
}
