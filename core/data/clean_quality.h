// Heuristic quality filters in the style of Gopher (Rae et al. 2021, appendix A)
// and C4: cheap document-level statistics with thresholds, each failing check
// giving a named reason so the cleaning report can say why a document left.
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace llm {

struct QualityConfig {
  bool enabled = true;
  // Lengths in Unicode code points and whitespace-separated words. 0 = no limit.
  size_t min_chars = 20, max_chars = 0;
  size_t min_words = 5, max_words = 0;
  // Ratios over non-space code points. A "symbol" is neither letter, digit nor
  // ordinary punctuation .,;:!?'"()- (curly quotes and dashes count as punctuation).
  double max_symbol_ratio = 0.10;
  double max_digit_ratio = 0.20;
  // Fraction of characters in lines / paragraphs that repeat an earlier one.
  double max_dup_line_fraction = 0.30;
  double max_dup_paragraph_fraction = 0.30;
  // Gopher's n-gram repetition: characters covered by the single most frequent
  // n-gram (n = 2..4), and by all repeated n-grams (n = 5..10), over all word chars.
  std::map<int, double> max_top_ngram_fraction = {{2, 0.20}, {3, 0.18}, {4, 0.16}};
  std::map<int, double> max_dup_ngram_fraction = {{5, 0.15}, {6, 0.14}, {7, 0.13},
                                                  {8, 0.12}, {9, 0.11}, {10, 0.10}};
  // The n-gram checks and the stopword check only judge documents with at least
  // this many words -- Gopher's own minimum length, for which its thresholds were
  // tuned. In a 30-word paragraph one repeated phrase ("the bunny") already
  // exceeds 20%, and a line of dialogue may hold a single stopword.
  size_t gopher_min_words = 50;
  double min_mean_word_length = 2.5, max_mean_word_length = 12.0;  // 0 disables
  double min_alpha_word_fraction = 0.70;  // words with at least one letter
  // Language heuristic. script: latin|cyrillic|greek|arabic|hebrew|devanagari|
  // thai|cjk|any -- the fraction of letters that belong to it must reach
  // min_script_fraction. language "en" also requires >= min_stopwords distinct
  // words of {the, be, to, of, and, that, have, with} (documents with at least
  // gopher_min_words words); "" skips that check.
  std::string script = "latin";
  double min_script_fraction = 0.80;
  std::string language = "en";
  int min_stopwords = 2;
};

// The statistics the filters look at, exposed for tests and `llm data stats`.
struct TextMetrics {
  size_t chars = 0, words = 0, non_space = 0;
  double symbol_ratio = 0, digit_ratio = 0;
  double dup_line_fraction = 0, dup_paragraph_fraction = 0;
  std::map<int, double> top_ngram_fraction;  // n -> fraction
  std::map<int, double> dup_ngram_fraction;
  double mean_word_length = 0, alpha_word_fraction = 0;
  double script_fraction = 1;  // letters in the configured script / all letters
  int stopwords = 0;           // distinct English stopwords present
};

TextMetrics compute_text_metrics(std::string_view text, const QualityConfig& cfg);

// "" if the document passes, else the first failing reason: too_few_chars,
// too_many_chars, too_few_words, too_many_words, symbol_ratio, digit_ratio,
// mean_word_length, alpha_words, script, stopwords, dup_lines, dup_paragraphs,
// top_<n>gram, dup_<n>gram.
std::string quality_reject_reason(std::string_view text, const QualityConfig& cfg);

// Lower-cased words with surrounding ASCII punctuation trimmed (empty ones
// dropped): the unit for n-gram and stopword statistics.
std::vector<std::string> normalized_words(std::string_view text);

bool is_known_script(const std::string& name);

}  // namespace llm
