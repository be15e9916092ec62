#include "core/eval/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "core/util/strict_json.h"

namespace llm {

static std::string fmt(double v) {
  char b[32];
  if (v != 0 && (std::abs(v) < 1e-3 || std::abs(v) >= 1e5)) std::snprintf(b, sizeof b, "%.2e", v);
  else std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}

static std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) o += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : std::string(1, c);
  return o;
}

std::string plot_svg(const std::string& title, const std::vector<Panel>& panels, int cols) {
  const int pw = 460, ph = 260, m = 50, top = 40;
  const int rows = int((panels.size() + size_t(cols) - 1) / size_t(cols));
  const int W = cols * pw, H = top + rows * ph;
  std::ostringstream o;
  o << "<svg xmlns='http://www.w3.org/2000/svg' width='" << W << "' height='" << H << "' viewBox='0 0 " << W << " "
    << H << "' font-family='sans-serif' font-size='11'>\n<rect width='100%' height='100%' fill='white'/>\n"
    << "<text x='10' y='24' font-size='16' font-weight='bold'>" << esc(title) << "</text>\n";
  for (size_t pi = 0; pi < panels.size(); pi++) {
    const Panel& p = panels[pi];
    const int ox = int(pi % size_t(cols)) * pw, oy = top + int(pi / size_t(cols)) * ph;
    double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
    auto ty = [&](double y) { return p.log_y ? std::log10(std::max(y, 1e-12)) : y; };
    for (auto& s : p.series)
      for (auto& pt : s.points)
        if (std::isfinite(pt.second)) {
          x0 = std::min(x0, pt.first), x1 = std::max(x1, pt.first);
          y0 = std::min(y0, ty(pt.second)), y1 = std::max(y1, ty(pt.second));
        }
    o << "<g transform='translate(" << ox << "," << oy << ")'>\n<text x='" << m << "' y='16' font-weight='bold'>"
      << esc(p.title) << (p.log_y ? " (log)" : "") << "</text>\n";
    const int w = pw - m - 15, h = ph - 60;
    o << "<rect x='" << m << "' y='24' width='" << w << "' height='" << h << "' fill='none' stroke='#ccc'/>\n";
    if (x0 > x1) {
      o << "<text x='" << m + 10 << "' y='60' fill='#888'>no data</text></g>\n";
      continue;
    }
    if (x1 == x0) x1 = x0 + 1;
    if (y1 == y0) y1 = y0 + 1, y0 = y0 - 1;
    auto X = [&](double x) { return m + (x - x0) / (x1 - x0) * w; };
    auto Y = [&](double y) { return 24 + h - (ty(y) - y0) / (y1 - y0) * h; };
    for (int k = 0; k <= 4; k++) {
      const double yv = y0 + (y1 - y0) * k / 4, yy = 24 + h - double(h) * k / 4;
      o << "<line x1='" << m << "' x2='" << m + w << "' y1='" << yy << "' y2='" << yy << "' stroke='#eee'/>"
        << "<text x='" << m - 4 << "' y='" << yy + 4 << "' text-anchor='end'>"
        << fmt(p.log_y ? std::pow(10.0, yv) : yv) << "</text>\n";
      const double xv = x0 + (x1 - x0) * k / 4, xx = m + double(w) * k / 4;
      o << "<text x='" << xx << "' y='" << 24 + h + 14 << "' text-anchor='middle'>" << fmt(xv) << "</text>\n";
    }
    int li = 0;
    for (auto& s : p.series) {
      o << "<polyline fill='none' stroke='" << s.color << "' stroke-width='1.5' points='";
      for (auto& pt : s.points)
        if (std::isfinite(pt.second)) o << X(pt.first) << "," << Y(pt.second) << " ";
      o << "'/>\n<text x='" << m + w - 4 << "' y='" << 38 + 13 * li << "' text-anchor='end' fill='" << s.color
        << "'>" << esc(s.name) << "</text>\n";
      li++;
    }
    o << "</g>\n";
  }
  o << "</svg>\n";
  return o.str();
}

std::string plot_metrics_svg(const std::string& jsonl, const std::string& title) {
  static const char* palette[] = {"#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563", "#db2777"};
  Series loss{"train loss", {}, palette[0]}, val{"val loss", {}, palette[1]}, lr{"lr", {}, palette[2]},
      gn{"grad norm", {}, palette[3]}, tps{"tokens/s", {}, palette[4]};
  std::map<int, Series> act, lgn;
  std::istringstream in(jsonl);
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    lineno++;
    if (line.empty()) continue;
    json j = parse_json(line, "metrics line " + std::to_string(lineno));
    const std::string type = j.value("type", "");
    const double step = j.value("step", 0.0);
    if (type == "step") {
      loss.points.push_back({step, j.value("loss", NAN)});
      lr.points.push_back({step, j.value("lr", NAN)});
      gn.points.push_back({step, j.value("grad_norm", NAN)});
      tps.points.push_back({step, j.value("tokens_per_s", NAN)});
    } else if (type == "eval") {
      val.points.push_back({step, j.value("val_loss", NAN)});
    } else if (type == "telemetry" && j.contains("layers")) {
      for (auto& l : j["layers"]) {
        const int li = l.value("layer", 0);
        auto& a = act[li];
        a.name = "layer " + std::to_string(li);
        a.color = palette[li % 8];
        a.points.push_back({step, l.value("act_rms", NAN)});
        auto& g = lgn[li];
        g.name = a.name;
        g.color = a.color;
        g.points.push_back({step, l.value("grad_norm", NAN)});
      }
    }
  }
  std::vector<Panel> panels{{"loss", {loss, val}, false}, {"learning rate", {lr}, false},
                            {"gradient norm (before clipping)", {gn}, true}, {"throughput", {tps}, false}};
  Panel pa{"activation RMS per layer", {}, false}, pg{"gradient norm per layer", {}, true};
  for (auto& kv : act) pa.series.push_back(kv.second);
  for (auto& kv : lgn) pg.series.push_back(kv.second);
  panels.push_back(pa);
  panels.push_back(pg);
  return plot_svg(title, panels, 2);
}

}  // namespace llm
