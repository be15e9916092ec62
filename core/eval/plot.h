// Line charts as self-contained SVG (llm plot): one panel per metric, steps on x.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace llm {

struct Series {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y)
  std::string color = "#2563eb";
};

struct Panel {
  std::string title;
  std::vector<Series> series;
  bool log_y = false;
};

// panels stacked in a grid of `cols` columns
std::string plot_svg(const std::string& title, const std::vector<Panel>& panels, int cols = 2);

// Reads a run's metrics.jsonl text (lines of {"type": "step"|"eval"|"telemetry", ...}) and
// draws loss (train and validation), learning rate, gradient norm, tokens/s and the per-layer
// activation RMS / gradient norm.
std::string plot_metrics_svg(const std::string& jsonl, const std::string& title);

}  // namespace llm
