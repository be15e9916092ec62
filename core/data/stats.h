// Corpus statistics for `llm data stats`: document-length distributions (chars,
// words, tokens) and word/token frequency (top-k and the Zipf rank-frequency
// curve), rendered as text, as a self-contained SVG, or as an HTML page.
// Pure computation and string building: no files here (native/ writes them).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace llm {

// Bin i covers [lo + i*width, lo + (i+1)*width). Values above the last bin
// (the long tail past ~p99) are counted in `overflow` instead of stretching the axis.
struct Histogram {
  double lo = 0, width = 1;
  std::vector<size_t> counts;  // (bins,)
  size_t overflow = 0;
  double hi() const { return lo + width * counts.size(); }
};

struct Distribution {
  size_t n = 0;
  double total = 0, mean = 0, stddev = 0, min = 0, max = 0, p10 = 0, p50 = 0, p90 = 0, p99 = 0;
  Histogram hist;
};

// Summary statistics and a histogram with `bins` bins of a "nice" width (1, 2 or
// 5 times a power of ten) covering [min, p99] -- or [min, max] when the tail is short.
Distribution summarize(std::vector<double> values, int bins = 40);

struct FreqEntry {
  std::string item;
  size_t count = 0;
};

struct FrequencyStats {
  std::string unit;         // "word" or "token"
  size_t total = 0;         // occurrences
  size_t distinct = 0;      // vocabulary actually used
  size_t hapax = 0;         // items seen exactly once
  std::vector<FreqEntry> top;                   // (k,) most frequent first
  std::vector<std::pair<double, double>> zipf;  // (rank, count) at ~log-spaced ranks
  // s in count(rank) ~ C * rank^-s: least-squares slope of log count against
  // log rank over the log-spaced points with count >= 2 (the hapax tail is flat).
  double zipf_exponent = 0;
};

FrequencyStats frequency_stats(const std::vector<std::pair<std::string, size_t>>& counts,
                               const std::string& unit, int top_k);

struct CorpusStats {
  size_t docs = 0;
  Distribution chars, words;  // code points and whitespace-separated words per document
  bool has_tokens = false;
  Distribution tokens;
  FrequencyStats word_freq, token_freq;
};

struct StatsOptions {
  int bins = 40;
  int top_k = 30;
};

// token_ids (optional): ids of each document from a tokenizer, (D,) lists;
// token_name maps an id to a printable string for the top-k table.
CorpusStats compute_corpus_stats(const std::vector<std::string>& docs, const StatsOptions& opt = {},
                                 const std::vector<std::vector<int32_t>>* token_ids = nullptr,
                                 const std::function<std::string(int32_t)>& token_name = nullptr);

std::string stats_to_text(const CorpusStats& s);
std::string stats_to_svg(const CorpusStats& s, const std::string& title);
std::string stats_to_html(const CorpusStats& s, const std::string& title);

}  // namespace llm
