#include "core/data/clean_quality.h"

#include <algorithm>
#include <unordered_set>

#include "core/data/dedup_hash.h"
#include "core/data/unicode_utf8.h"

namespace llm {
namespace {

bool is_space(char32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' ||
         c == 0xA0 || c == 0x3000 || (c >= 0x2000 && c <= 0x200A);
}
bool is_ascii_alpha(char32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char32_t c) { return c >= '0' && c <= '9'; }
bool is_plain_punct(char32_t c) {
  switch (c) {
    case '.': case ',': case ';': case ':': case '!': case '?': case '\'': case '"':
    case '(': case ')': case '-':
      return true;
    default:
      return (c >= 0x2010 && c <= 0x2027) || c == 0xAB || c == 0xBB;  // dashes, quotes, ellipsis
  }
}
// Without a full Unicode category table we call a non-ASCII code point a letter
// unless it sits in a punctuation/symbol/emoji block. Good enough for ratios.
bool is_symbol_block(char32_t c) {
  return (c >= 0x80 && c <= 0xBF) || c == 0xD7 || c == 0xF7 || (c >= 0x2000 && c <= 0x2BFF) ||
         (c >= 0x3000 && c <= 0x303F) || (c >= 0xFE00 && c <= 0xFE6F) || c == 0xFFFD ||
         (c >= 0xFF00 && c <= 0xFF20) || c >= 0x1F000;
}
bool is_letter(char32_t c) { return is_ascii_alpha(c) || (c >= 0xC0 && !is_symbol_block(c) && !is_space(c)); }

struct ScriptRange { char32_t lo, hi; };
bool in_script(const std::string& script, char32_t c) {
  static const std::map<std::string, std::vector<ScriptRange>> kScripts = {
      {"latin", {{'A', 'Z'}, {'a', 'z'}, {0xC0, 0x24F}, {0x1E00, 0x1EFF}}},
      {"cyrillic", {{0x400, 0x52F}}},
      {"greek", {{0x370, 0x3FF}, {0x1F00, 0x1FFF}}},
      {"arabic", {{0x600, 0x6FF}, {0x750, 0x77F}, {0xFB50, 0xFDFF}, {0xFE70, 0xFEFF}}},
      {"hebrew", {{0x590, 0x5FF}}},
      {"devanagari", {{0x900, 0x97F}}},
      {"thai", {{0xE00, 0xE7F}}},
      {"cjk", {{0x3040, 0x30FF}, {0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xAC00, 0xD7AF},
               {0x1100, 0x11FF}, {0xF900, 0xFAFF}, {0x20000, 0x2FFFF}}},
  };
  auto it = kScripts.find(script);
  if (it == kScripts.end()) return true;
  for (const ScriptRange& r : it->second)
    if (c >= r.lo && c <= r.hi) return true;
  return false;
}

bool is_trim_punct(char c) {
  return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
         (c >= '{' && c <= '~');
}

// Words as views into an ASCII-lowercased copy of the text.
std::vector<std::string_view> words_of(std::string_view lower) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < lower.size()) {
    while (i < lower.size() && (lower[i] == ' ' || lower[i] == '\n' || lower[i] == '\t' ||
                                lower[i] == '\r' || lower[i] == '\f' || lower[i] == '\v'))
      ++i;
    size_t j = i;
    while (j < lower.size() && !(lower[j] == ' ' || lower[j] == '\n' || lower[j] == '\t' ||
                                 lower[j] == '\r' || lower[j] == '\f' || lower[j] == '\v'))
      ++j;
    size_t b = i, e = j;
    while (b < e && is_trim_punct(lower[b])) ++b;
    while (e > b && is_trim_punct(lower[e - 1])) --e;
    if (e > b) out.push_back(lower.substr(b, e - b));
    i = j;
  }
  return out;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
  return out;
}

// Characters in pieces (lines or paragraphs) that repeat an earlier piece, over
// the characters of all non-empty pieces.
double dup_piece_fraction(std::string_view text, bool paragraphs) {
  std::unordered_set<uint64_t> seen;
  size_t total = 0, dup = 0, i = 0;
  while (i <= text.size()) {
    size_t j = paragraphs ? text.find("\n\n", i) : text.find('\n', i);
    if (j == std::string_view::npos) j = text.size();
    std::string_view piece = text.substr(i, j - i);
    while (!piece.empty() && (piece.front() == ' ' || piece.front() == '\n' || piece.front() == '\r'))
      piece.remove_prefix(1);
    while (!piece.empty() && (piece.back() == ' ' || piece.back() == '\n' || piece.back() == '\r'))
      piece.remove_suffix(1);
    if (!piece.empty()) {
      total += piece.size();
      if (!seen.insert(hash64(piece)).second) dup += piece.size();
    }
    i = j + (paragraphs ? 2 : 1);
  }
  return total ? (double)dup / total : 0.0;
}

const char* const kStopwords[] = {"the", "be", "to", "of", "and", "that", "have", "with"};

}  // namespace

bool is_known_script(const std::string& name) {
  static const char* names[] = {"latin", "cyrillic", "greek", "arabic", "hebrew",
                                "devanagari", "thai", "cjk", "any"};
  for (const char* n : names)
    if (name == n) return true;
  return false;
}

std::vector<std::string> normalized_words(std::string_view text) {
  const std::string lower = ascii_lower(text);
  std::vector<std::string> out;
  for (std::string_view w : words_of(lower)) out.emplace_back(w);
  return out;
}

TextMetrics compute_text_metrics(std::string_view text, const QualityConfig& cfg) {
  TextMetrics m;
  size_t symbols = 0, digits = 0, letters = 0, script_letters = 0;
  for (size_t i = 0; i < text.size();) {
    const char32_t c = utf8_next(text, i);
    ++m.chars;
    if (is_space(c)) continue;
    ++m.non_space;
    if (is_digit(c)) ++digits;
    else if (is_letter(c)) {
      ++letters;
      if (in_script(cfg.script, c)) ++script_letters;
    } else if (!is_plain_punct(c)) {
      ++symbols;
    }
  }
  if (m.non_space) {
    m.symbol_ratio = (double)symbols / m.non_space;
    m.digit_ratio = (double)digits / m.non_space;
  }
  m.script_fraction = letters ? (double)script_letters / letters : 0.0;

  const std::string lower = ascii_lower(text);
  const std::vector<std::string_view> words = words_of(lower);
  // Whitespace words (before punctuation trimming) for the word-count limits.
  {
    size_t n = 0;
    bool in_word = false;
    for (char c : text) {
      const bool sp = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
      if (!sp && !in_word) ++n;
      in_word = !sp;
    }
    m.words = n;
  }
  size_t word_chars = 0, alpha_words = 0;
  std::vector<uint64_t> wh(words.size());  // (W,) hash of each word
  for (size_t i = 0; i < words.size(); ++i) {
    word_chars += words[i].size();
    wh[i] = hash64(words[i]);
    for (char c : words[i])
      if (is_ascii_alpha((unsigned char)c) || (unsigned char)c >= 0x80) {
        ++alpha_words;
        break;
      }
  }
  if (!words.empty()) {
    m.mean_word_length = (double)word_chars / words.size();
    m.alpha_word_fraction = (double)alpha_words / words.size();
  }
  {
    std::unordered_set<std::string_view> hits;
    for (std::string_view w : words)
      for (const char* sw : kStopwords)
        if (w == sw) hits.insert(w);
    m.stopwords = (int)hits.size();
  }
  m.dup_line_fraction = dup_piece_fraction(text, false);
  m.dup_paragraph_fraction = dup_piece_fraction(text, true);

  // n-gram repetition. An n-gram is identified by the order-dependent combination
  // of its word hashes; its character length is the sum of its word lengths.
  // Sorting (hash, position) pairs groups equal n-grams without a hash table:
  // a group's size is the n-gram's count, and every member after the first
  // (smallest position) is a repeat.
  std::vector<std::pair<uint64_t, uint32_t>> grams;  // (W-n+1,) (n-gram hash, start word)
  auto collect = [&](int n) {
    grams.clear();
    for (size_t i = 0; i + n <= words.size(); ++i) {
      uint64_t h = 0;
      for (int k = 0; k < n; ++k) h = hash_combine(h, wh[i + k]);
      grams.push_back({h, (uint32_t)i});
    }
    std::sort(grams.begin(), grams.end());
  };
  auto gram_chars = [&](size_t start, int n) {
    size_t len = 0;
    for (int k = 0; k < n; ++k) len += words[start + k].size();
    return len;
  };
  for (const auto& [n, thr] : cfg.max_top_ngram_fraction) {
    (void)thr;
    double frac = 0;
    if (n >= 1 && words.size() >= (size_t)n && word_chars) {
      collect(n);
      size_t best = 0;
      for (size_t i = 0; i < grams.size();) {
        size_t j = i + 1;
        while (j < grams.size() && grams[j].first == grams[i].first) ++j;
        if (j - i > 1) best = std::max(best, (j - i) * gram_chars(grams[i].second, n));
        i = j;
      }
      frac = (double)best / word_chars;
    }
    m.top_ngram_fraction[n] = frac;
  }
  std::vector<char> covered;  // (W,) word is inside a repeated n-gram
  for (const auto& [n, thr] : cfg.max_dup_ngram_fraction) {
    (void)thr;
    double frac = 0;
    if (n >= 1 && words.size() >= (size_t)n && word_chars) {
      collect(n);
      covered.assign(words.size(), 0);
      for (size_t i = 0; i < grams.size();) {
        size_t j = i + 1;
        while (j < grams.size() && grams[j].first == grams[i].first) ++j;
        for (size_t k = i + 1; k < j; ++k)  // sorted by position within the group
          for (int w = 0; w < n; ++w) covered[grams[k].second + w] = 1;
        i = j;
      }
      size_t dup = 0;
      for (size_t i = 0; i < words.size(); ++i)
        if (covered[i]) dup += words[i].size();
      frac = (double)dup / word_chars;
    }
    m.dup_ngram_fraction[n] = frac;
  }
  return m;
}

std::string quality_reject_reason(std::string_view text, const QualityConfig& cfg) {
  // Length checks first: they are cheap and decide most rejections.
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i)
    if (((unsigned char)text[i] & 0xC0) != 0x80) ++chars;
  if (chars < cfg.min_chars) return "too_few_chars";
  if (cfg.max_chars && chars > cfg.max_chars) return "too_many_chars";
  const TextMetrics m = compute_text_metrics(text, cfg);
  if (m.words < cfg.min_words) return "too_few_words";
  if (cfg.max_words && m.words > cfg.max_words) return "too_many_words";
  if (m.symbol_ratio > cfg.max_symbol_ratio) return "symbol_ratio";
  if (m.digit_ratio > cfg.max_digit_ratio) return "digit_ratio";
  if (cfg.min_mean_word_length > 0 && m.mean_word_length < cfg.min_mean_word_length)
    return "mean_word_length";
  if (cfg.max_mean_word_length > 0 && m.mean_word_length > cfg.max_mean_word_length)
    return "mean_word_length";
  if (m.alpha_word_fraction < cfg.min_alpha_word_fraction) return "alpha_words";
  if (cfg.script != "any" && m.script_fraction < cfg.min_script_fraction) return "script";
  if (cfg.language == "en" && m.words >= cfg.gopher_min_words && m.stopwords < cfg.min_stopwords)
    return "stopwords";
  if (m.dup_line_fraction > cfg.max_dup_line_fraction) return "dup_lines";
  if (m.dup_paragraph_fraction > cfg.max_dup_paragraph_fraction) return "dup_paragraphs";
  if (m.words < cfg.gopher_min_words) return "";
  for (const auto& [n, thr] : cfg.max_top_ngram_fraction)
    if (m.top_ngram_fraction.at(n) > thr) return "top_" + std::to_string(n) + "gram";
  for (const auto& [n, thr] : cfg.max_dup_ngram_fraction)
    if (m.dup_ngram_fraction.at(n) > thr) return "dup_" + std::to_string(n) + "gram";
  return "";
}

}  // namespace llm
