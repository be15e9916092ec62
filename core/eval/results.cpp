#include "core/eval/results.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace llm {

EvalResult mean_result(const std::string& task, const std::string& metric, const std::vector<double>& xs) {
  EvalResult r;
  r.task = task;
  r.metric = metric;
  r.n = int64_t(xs.size());
  r.value = NAN;  // no items: no value (null in JSON), not a misleading 0
  if (xs.empty()) return r;
  double s = 0;
  for (double x : xs) s += x;
  r.value = s / double(xs.size());
  if (xs.size() > 1) {
    double ss = 0;
    for (double x : xs) ss += (x - r.value) * (x - r.value);
    r.std_err = std::sqrt(ss / double(xs.size() - 1) / double(xs.size()));
  }
  return r;
}

EvalResult skipped_result(const std::string& task, const std::string& reason) {
  EvalResult r;
  r.task = task;
  r.skipped = true;
  r.note = reason;
  return r;
}

nlohmann::json results_to_json(const std::vector<EvalResult>& rs) {
  nlohmann::json a = nlohmann::json::array();
  for (const EvalResult& r : rs) {
    nlohmann::json o = {{"task", r.task}, {"metric", r.metric}, {"n", r.n}};
    // NaN/inf are not JSON: write null (a loss of an empty set, say)
    o["value"] = r.skipped || !std::isfinite(r.value) ? nlohmann::json() : nlohmann::json(r.value);
    o["stderr"] = r.skipped || !std::isfinite(r.std_err) ? nlohmann::json() : nlohmann::json(r.std_err);
    if (r.skipped) o["skipped"] = true;
    if (!r.note.empty()) o["note"] = r.note;
    a.push_back(o);
  }
  return a;
}

std::vector<EvalResult> results_from_json(const nlohmann::json& j) {
  if (!j.is_array()) throw std::runtime_error("eval results: expected a JSON array of result rows");
  std::vector<EvalResult> out;
  for (size_t i = 0; i < j.size(); i++) {
    const nlohmann::json& o = j[i];
    auto need = [&](const char* k) -> const nlohmann::json& {
      if (!o.is_object() || !o.contains(k))
        throw std::runtime_error("eval results: row " + std::to_string(i) + " has no key '" + k + "'");
      return o[k];
    };
    EvalResult r;
    try {
      r.task = need("task").get<std::string>();
      r.metric = need("metric").get<std::string>();
      r.n = need("n").get<int64_t>();
      r.skipped = o.value("skipped", false);
      r.value = need("value").is_null() ? NAN : o["value"].get<double>();
      r.std_err = need("stderr").is_null() ? NAN : o["stderr"].get<double>();
      r.note = o.value("note", std::string());
    } catch (const nlohmann::json::exception& e) {
      throw std::runtime_error("eval results: row " + std::to_string(i) + ": " + e.what());
    }
    out.push_back(r);
  }
  return out;
}

std::string results_table(const std::vector<EvalResult>& rs) {
  size_t wt = 4, wm = 6;  // widths of the "task" and "metric" columns
  for (const EvalResult& r : rs) wt = std::max(wt, r.task.size()), wm = std::max(wm, r.metric.size());
  char buf[512];
  std::string out;
  std::snprintf(buf, sizeof buf, "%-*s  %-*s  %7s  %10s    %s\n", int(wt), "task", int(wm), "metric", "n", "value",
                "stderr");
  out += buf;
  for (const EvalResult& r : rs) {
    if (r.skipped) {
      std::snprintf(buf, sizeof buf, "%-*s  %-*s  %7s  %10s    (%s)\n", int(wt), r.task.c_str(), int(wm), "-", "-",
                    "skipped", r.note.c_str());
    } else {
      std::snprintf(buf, sizeof buf, "%-*s  %-*s  %7lld  %10.4f  ± %.4f\n", int(wt), r.task.c_str(), int(wm),
                    r.metric.c_str(), static_cast<long long>(r.n), r.value, r.std_err);
    }
    out += buf;
  }
  return out;
}

}  // namespace llm
