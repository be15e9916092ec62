#include "core/data/stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "core/data/clean_quality.h"

namespace llm {
namespace {

// Smallest of 1, 2, 5 x 10^k that is >= x.
double nice_step(double x) {
  if (x <= 0) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(x)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= x * (1 - 1e-12)) return m * p;
  return 10 * p;
}

double percentile(const std::vector<double>& sorted, double q) {  // nearest rank
  if (sorted.empty()) return 0;
  size_t r = (size_t)std::ceil(q * sorted.size());
  r = std::min(std::max<size_t>(r, 1), sorted.size());
  return sorted[r - 1];
}

size_t count_code_points(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

size_t count_ws_words(const std::string& s) {
  size_t n = 0;
  bool in_word = false;
  for (char c : s) {
    const bool sp = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
    if (!sp && !in_word) ++n;
    in_word = !sp;
  }
  return n;
}

std::string fmt(double v) {
  char buf[64];
  if (std::fabs(v) >= 1e6 || v == (double)(long long)v) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// Control characters and newlines would break the one-line table rows.
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20) out += "?";
    else out.push_back((char)c);
  }
  return out;
}

void append_distribution(std::string& out, const char* name, const Distribution& d) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "%s per document: mean %s, std %s, min %s, p10 %s, median %s, p90 %s, p99 %s, max %s (total %s)\n",
                name, fmt(d.mean).c_str(), fmt(d.stddev).c_str(), fmt(d.min).c_str(), fmt(d.p10).c_str(),
                fmt(d.p50).c_str(), fmt(d.p90).c_str(), fmt(d.p99).c_str(), fmt(d.max).c_str(),
                fmt(d.total).c_str());
  out += buf;
  size_t peak = 1;
  for (size_t c : d.hist.counts) peak = std::max(peak, c);
  // Text histogram: merge adjacent bins down to <= 20 rows to stay readable.
  const size_t nb = d.hist.counts.size();
  const size_t group = nb > 20 ? (nb + 19) / 20 : 1;
  size_t gpeak = 1;
  for (size_t i = 0; i < nb; i += group) {
    size_t c = 0;
    for (size_t k = i; k < std::min(nb, i + group); ++k) c += d.hist.counts[k];
    gpeak = std::max(gpeak, c);
  }
  for (size_t i = 0; i < nb; i += group) {
    size_t c = 0;
    for (size_t k = i; k < std::min(nb, i + group); ++k) c += d.hist.counts[k];
    const double lo = d.hist.lo + i * d.hist.width;
    const double hi = d.hist.lo + std::min(nb, i + group) * d.hist.width;
    const int bar = (int)std::lround(40.0 * c / gpeak);
    std::snprintf(buf, sizeof buf, "  [%8s, %8s) %8zu %s\n", fmt(lo).c_str(), fmt(hi).c_str(), c,
                  std::string(bar, '#').c_str());
    out += buf;
  }
  if (d.hist.overflow) {
    std::snprintf(buf, sizeof buf, "  [%8s,      max] %8zu (tail beyond the plotted range)\n",
                  fmt(d.hist.hi()).c_str(), d.hist.overflow);
    out += buf;
  }
}

void append_frequency(std::string& out, const FrequencyStats& f) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "%s frequency: %zu occurrences, %zu distinct, %zu seen once, Zipf exponent %.2f\n",
                f.unit.c_str(), f.total, f.distinct, f.hapax, f.zipf_exponent);
  out += buf;
  double cum = 0;
  for (size_t i = 0; i < f.top.size(); ++i) {
    const double pct = f.total ? 100.0 * f.top[i].count / f.total : 0;
    cum += pct;
    // Pad by code points, not bytes, so "Ġthe" lines up with "the".
    std::string item = "\"" + printable(f.top[i].item) + "\"";
    size_t width = 0;
    for (unsigned char c : item) width += (c & 0xC0) != 0x80;
    if (width < 24) item.append(24 - width, ' ');
    std::snprintf(buf, sizeof buf, "  %3zu. %s %10zu %6.2f%%  (cum %6.2f%%)\n", i + 1, item.c_str(),
                  f.top[i].count, pct, cum);
    out += buf;
  }
}

}  // namespace

Distribution summarize(std::vector<double> v, int bins) {
  Distribution d;
  d.n = v.size();
  d.hist.counts.assign(std::max(bins, 1), 0);
  if (v.empty()) return d;
  std::sort(v.begin(), v.end());
  double sum = 0, sq = 0;
  for (double x : v) sum += x;
  d.total = sum;
  d.mean = sum / v.size();
  for (double x : v) sq += (x - d.mean) * (x - d.mean);
  d.stddev = std::sqrt(sq / v.size());
  d.min = v.front();
  d.max = v.back();
  d.p10 = percentile(v, 0.10);
  d.p50 = percentile(v, 0.50);
  d.p90 = percentile(v, 0.90);
  d.p99 = percentile(v, 0.99);
  // Plot range: cut the tail at p99 only when it would squash the bulk.
  const double top = (d.max > 2 * d.p99 && d.p99 > d.min) ? d.p99 : d.max;
  const int nb = std::max(bins, 1);
  d.hist.width = nice_step((top - d.min) / nb);
  d.hist.lo = std::floor(d.min / d.hist.width) * d.hist.width;
  // Fewer bins may cover the range after rounding the width up.
  const int used = std::max(1, std::min(nb, (int)std::floor((top - d.hist.lo) / d.hist.width) + 1));
  d.hist.counts.assign(used, 0);
  for (double x : v) {
    const double b = std::floor((x - d.hist.lo) / d.hist.width);
    if (b >= used) ++d.hist.overflow;
    else ++d.hist.counts[(size_t)std::max(0.0, b)];
  }
  return d;
}

FrequencyStats frequency_stats(const std::vector<std::pair<std::string, size_t>>& counts,
                               const std::string& unit, int top_k) {
  FrequencyStats f;
  f.unit = unit;
  std::vector<size_t> order(counts.size());  // (V,) indices sorted by count, then item
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (counts[a].second != counts[b].second) return counts[a].second > counts[b].second;
    return counts[a].first < counts[b].first;
  });
  f.distinct = counts.size();
  for (const auto& c : counts) {
    f.total += c.second;
    f.hapax += c.second == 1;
  }
  for (size_t i = 0; i < order.size() && (int)i < top_k; ++i)
    f.top.push_back({counts[order[i]].first, counts[order[i]].second});
  // Log-spaced ranks: 1, 2, 3, ... then multiplying by ~1.15 (about 16 points per decade).
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  int m = 0;
  for (double r = 1; r <= (double)order.size();) {
    const size_t rank = (size_t)r;
    const double c = (double)counts[order[rank - 1]].second;
    f.zipf.push_back({(double)rank, c});
    if (c >= 2) {
      const double x = std::log((double)rank), y = std::log(c);
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
      ++m;
    }
    r = std::max(r + 1, std::floor(r * 1.15));
  }
  if (m >= 2 && m * sxx - sx * sx > 0) f.zipf_exponent = -(m * sxy - sx * sy) / (m * sxx - sx * sx);
  return f;
}

CorpusStats compute_corpus_stats(const std::vector<std::string>& docs, const StatsOptions& opt,
                                 const std::vector<std::vector<int32_t>>* token_ids,
                                 const std::function<std::string(int32_t)>& token_name) {
  CorpusStats s;
  s.docs = docs.size();
  std::vector<double> chars(docs.size()), words(docs.size());  // (D,) each
  std::unordered_map<std::string, size_t> wc;
  for (size_t i = 0; i < docs.size(); ++i) {
    chars[i] = (double)count_code_points(docs[i]);
    words[i] = (double)count_ws_words(docs[i]);
    for (std::string& w : normalized_words(docs[i])) ++wc[std::move(w)];
  }
  s.chars = summarize(std::move(chars), opt.bins);
  s.words = summarize(std::move(words), opt.bins);
  std::vector<std::pair<std::string, size_t>> wv(wc.begin(), wc.end());
  s.word_freq = frequency_stats(wv, "word", opt.top_k);
  if (token_ids) {
    s.has_tokens = true;
    std::vector<double> lens;
    std::unordered_map<int32_t, size_t> tc;
    for (const auto& ids : *token_ids) {
      lens.push_back((double)ids.size());
      for (int32_t id : ids) ++tc[id];
    }
    s.tokens = summarize(std::move(lens), opt.bins);
    std::vector<std::pair<std::string, size_t>> tv;
    tv.reserve(tc.size());
    for (const auto& [id, c] : tc)
      tv.push_back({token_name ? token_name(id) : "#" + std::to_string(id), c});
    s.token_freq = frequency_stats(tv, "token", opt.top_k);
  }
  return s;
}

std::string stats_to_text(const CorpusStats& s) {
  std::string out = "documents: " + std::to_string(s.docs) + "\n\n";
  append_distribution(out, "chars", s.chars);
  out += "\n";
  append_distribution(out, "words", s.words);
  if (s.has_tokens) {
    out += "\n";
    append_distribution(out, "tokens", s.tokens);
  }
  out += "\n";
  append_frequency(out, s.word_freq);
  if (s.has_tokens) {
    out += "\n";
    append_frequency(out, s.token_freq);
  }
  return out;
}

}  // namespace llm
