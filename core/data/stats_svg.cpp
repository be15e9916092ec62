// SVG and HTML rendering of CorpusStats: hand-written SVG (no JS, no external
// assets) so the chart opens in any browser and diffs as text.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/data/stats.h"

namespace llm {
namespace {

const int kWidth = 960;        // SVG width in px
const int kPanelH = 280;       // height of one chart panel
const int kMarginL = 70, kMarginR = 30, kMarginT = 36, kMarginB = 44;

// XML text/attribute escaping; single-line labels show newlines as "\n".
std::string esc(const std::string& s, bool keep_newlines = false) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\n': out += keep_newlines ? "\n" : "\\n"; break;
      default:
        if (c < 0x20) out += "?";
        else out.push_back((char)c);
    }
  }
  return out;
}

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string label(double v) {  // compact axis label: 1200 -> 1.2k
  char buf[64];
  const double a = std::fabs(v);
  if (a >= 1e6) std::snprintf(buf, sizeof buf, "%.3gM", v / 1e6);
  else if (a >= 1e4) std::snprintf(buf, sizeof buf, "%.3gk", v / 1e3);
  else if (v == (double)(long long)v) std::snprintf(buf, sizeof buf, "%lld", (long long)v);
  else std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

double nice_tick(double range, int want) {
  const double raw = range / std::max(want, 1);
  if (raw <= 0) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= raw) return m * p;
  return 10 * p;
}

void text(std::string& o, double x, double y, const std::string& s, const char* anchor = "start",
          int size = 12, const char* extra = "") {
  o += "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" font-size=\"" + std::to_string(size) +
       "\" text-anchor=\"" + anchor + "\" " + extra + ">" + esc(s) + "</text>\n";
}

void line(std::string& o, double x1, double y1, double x2, double y2, const char* stroke, double w = 1) {
  o += "<line x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) + "\" y2=\"" + num(y2) +
       "\" stroke=\"" + stroke + "\" stroke-width=\"" + num(w) + "\"/>\n";
}

void frame(std::string& o, int y0, const std::string& title, const std::string& xlab, const std::string& ylab) {
  text(o, kMarginL, y0 + 22, title, "start", 15, "font-weight=\"bold\"");
  const double px0 = kMarginL, py1 = y0 + kPanelH - kMarginB;
  text(o, (px0 + kWidth - kMarginR) / 2, py1 + 36, xlab, "middle", 12);
  o += "<text x=\"16\" y=\"" + num(y0 + kPanelH / 2.0) + "\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 16 " +
       num(y0 + kPanelH / 2.0) + ")\">" + esc(ylab) + "</text>\n";
}

void histogram_panel(std::string& o, int y0, const std::string& title, const std::string& unit,
                     const Distribution& d, const char* color) {
  frame(o, y0, title, unit + " per document", "documents");
  const double px0 = kMarginL, px1 = kWidth - kMarginR, py0 = y0 + kMarginT, py1 = y0 + kPanelH - kMarginB;
  const Histogram& h = d.hist;
  const size_t nb = h.counts.size() + (h.overflow ? 1 : 0);
  size_t peak = 1;
  for (size_t c : h.counts) peak = std::max(peak, c);
  peak = std::max(peak, h.overflow);
  const double ytick = nice_tick((double)peak, 4);
  const double ymax = std::ceil(peak / ytick) * ytick;
  for (double t = 0; t <= ymax + 1e-9; t += ytick) {
    const double y = py1 - (py1 - py0) * t / ymax;
    line(o, px0, y, px1, y, "#e5e5e5");
    text(o, px0 - 6, y + 4, label(t), "end", 11);
  }
  const double bw = (px1 - px0) / std::max<size_t>(nb, 1);
  for (size_t i = 0; i < nb; ++i) {
    const bool over = i == h.counts.size();
    const size_t c = over ? h.overflow : h.counts[i];
    const double bh = (py1 - py0) * c / ymax;
    const double x = px0 + i * bw;
    const double lo = h.lo + i * h.width;
    o += "<rect x=\"" + num(x + 0.5) + "\" y=\"" + num(py1 - bh) + "\" width=\"" + num(std::max(bw - 1, 0.5)) +
         "\" height=\"" + num(bh) + "\" fill=\"" + (over ? "#999" : color) + "\"><title>" +
         esc(over ? "> " + label(h.hi()) + ": " + std::to_string(c)
                  : "[" + label(lo) + ", " + label(lo + h.width) + "): " + std::to_string(c)) +
         "</title></rect>\n";
  }
  // x ticks at bin edges, thinned to ~10 labels.
  const size_t every = std::max<size_t>(1, (h.counts.size() + 9) / 10);
  for (size_t i = 0; i <= h.counts.size(); i += every)
    text(o, px0 + i * bw, py1 + 16, label(h.lo + i * h.width), "middle", 11);
  if (h.overflow) text(o, px0 + (nb - 0.5) * bw, py1 + 16, "more", "middle", 11);
  line(o, px0, py1, px1, py1, "#333");
  char buf[256];
  std::snprintf(buf, sizeof buf, "n=%zu  mean=%s  median=%s  p90=%s  max=%s", d.n, label(d.mean).c_str(),
                label(d.p50).c_str(), label(d.p90).c_str(), label(d.max).c_str());
  text(o, px1, y0 + 22, buf, "end", 12, "fill=\"#555\"");
}

void zipf_panel(std::string& o, int y0, const std::vector<const FrequencyStats*>& series) {
  frame(o, y0, "Rank-frequency (Zipf, log-log)", "rank", "count");
  const double px0 = kMarginL, px1 = kWidth - kMarginR, py0 = y0 + kMarginT, py1 = y0 + kPanelH - kMarginB;
  double rmax = 10, cmax = 10;
  for (const FrequencyStats* f : series)
    for (const auto& [r, c] : f->zipf) {
      rmax = std::max(rmax, r);
      cmax = std::max(cmax, c);
    }
  const double lx1 = std::ceil(std::log10(rmax)), ly1 = std::ceil(std::log10(cmax));
  auto X = [&](double r) { return px0 + (px1 - px0) * std::log10(r) / lx1; };
  auto Y = [&](double c) { return py1 - (py1 - py0) * std::log10(c) / ly1; };
  for (int e = 0; e <= (int)lx1; ++e) {
    line(o, X(std::pow(10, e)), py0, X(std::pow(10, e)), py1, "#e5e5e5");
    text(o, X(std::pow(10, e)), py1 + 16, label(std::pow(10, e)), "middle", 11);
  }
  for (int e = 0; e <= (int)ly1; ++e) {
    line(o, px0, Y(std::pow(10, e)), px1, Y(std::pow(10, e)), "#e5e5e5");
    text(o, px0 - 6, Y(std::pow(10, e)) + 4, label(std::pow(10, e)), "end", 11);
  }
  const char* colors[] = {"#3b6fb6", "#d9822b"};
  for (size_t k = 0; k < series.size(); ++k) {
    const FrequencyStats& f = *series[k];
    std::string pts;
    for (const auto& [r, c] : f.zipf) pts += num(X(r)) + "," + num(Y(c)) + " ";
    o += "<polyline fill=\"none\" stroke=\"" + std::string(colors[k % 2]) + "\" stroke-width=\"2\" points=\"" + pts + "\"/>\n";
    char buf[160];
    std::snprintf(buf, sizeof buf, "%ss: %zu distinct, exponent %.2f", f.unit.c_str(), f.distinct, f.zipf_exponent);
    text(o, px1 - 8, py0 + 16 + 16 * k, buf, "end", 12, ("fill=\"" + std::string(colors[k % 2]) + "\"").c_str());
  }
  line(o, px0, py1, px1, py1, "#333");
}

void bars_panel(std::string& o, int y0, int height, const FrequencyStats& f, const char* color) {
  text(o, kMarginL, y0 + 22, "Top " + std::to_string(f.top.size()) + " " + f.unit + "s", "start", 15,
       "font-weight=\"bold\"");
  const double px0 = 230, px1 = kWidth - kMarginR - 90, py0 = y0 + kMarginT;
  const double rowh = f.top.empty() ? 1 : (height - kMarginT - 10.0) / f.top.size();
  const double peak = f.top.empty() ? 1 : (double)f.top[0].count;
  for (size_t i = 0; i < f.top.size(); ++i) {
    const double y = py0 + i * rowh;
    const double w = (px1 - px0) * f.top[i].count / peak;
    text(o, px0 - 8, y + rowh * 0.75, "\"" + f.top[i].item + "\"", "end", 11,
         "font-family=\"monospace\"");
    o += "<rect x=\"" + num(px0) + "\" y=\"" + num(y + 1) + "\" width=\"" + num(std::max(w, 0.5)) + "\" height=\"" +
         num(std::max(rowh - 2, 1.0)) + "\" fill=\"" + color + "\"/>\n";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%zu (%.2f%%)", f.top[i].count, f.total ? 100.0 * f.top[i].count / f.total : 0);
    text(o, px0 + w + 6, y + rowh * 0.75, buf, "start", 11);
  }
}

}  // namespace

std::string stats_to_svg(const CorpusStats& s, const std::string& title) {
  const int hist_panels = s.has_tokens ? 3 : 2;
  const int bar_h = 40 + 16 * (int)std::max<size_t>(s.word_freq.top.size(), 1);
  const int bars = s.has_tokens ? 2 : 1;
  const int height = 50 + kPanelH * (hist_panels + 1) + bars * (bar_h + 20);
  std::string o;
  o += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(kWidth) + "\" height=\"" +
       std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(kWidth) + " " + std::to_string(height) +
       "\" font-family=\"sans-serif\">\n";
  o += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  text(o, kWidth / 2.0, 30, title + " (" + std::to_string(s.docs) + " documents)", "middle", 18,
       "font-weight=\"bold\"");
  int y = 50;
  histogram_panel(o, y, "Document length in characters", "characters", s.chars, "#3b6fb6");
  y += kPanelH;
  histogram_panel(o, y, "Document length in words", "words", s.words, "#5a9e4b");
  y += kPanelH;
  if (s.has_tokens) {
    histogram_panel(o, y, "Document length in tokens", "tokens", s.tokens, "#d9822b");
    y += kPanelH;
  }
  std::vector<const FrequencyStats*> series = {&s.word_freq};
  if (s.has_tokens) series.push_back(&s.token_freq);
  zipf_panel(o, y, series);
  y += kPanelH;
  bars_panel(o, y, bar_h, s.word_freq, "#5a9e4b");
  y += bar_h + 20;
  if (s.has_tokens) bars_panel(o, y, bar_h, s.token_freq, "#d9822b");
  o += "</svg>\n";
  return o;
}

std::string stats_to_html(const CorpusStats& s, const std::string& title) {
  std::string o;
  o += "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + esc(title) + "</title>\n";
  o += "<style>body{font-family:sans-serif;margin:2em;color:#222}pre{background:#f6f6f6;padding:1em;"
       "overflow:auto}</style>\n</head><body>\n";
  o += "<h1>" + esc(title) + "</h1>\n";
  o += stats_to_svg(s, title);
  o += "<h2>Summary</h2>\n<pre>" + esc(stats_to_text(s), true) + "</pre>\n";
  o += "</body></html>\n";
  return o;
}

}  // namespace llm
