// One row of an evaluation report and its two renderings: JSON (machine-readable, one object per
// row: task, metric, n, value, stderr) and a plain-text table (what `llm eval` prints).
//
// stderr is the standard error of the mean over items, s / sqrt(n) with the sample standard
// deviation s (n - 1 in its denominator), as lm-evaluation-harness reports it. For a 0/1 metric
// this is sqrt(p (1 - p) / (n - 1)).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace llm {

struct EvalResult {
  std::string task;     // "gsm8k", "arith_gen", "piqa", "pref_gen", "ppl", ...
  std::string metric;   // "exact_match", "acc", "acc_norm", "loss", "ppl", "margin", ...
  int64_t n = 0;        // items scored
  double value = 0;     // the metric
  double std_err = 0;   // standard error of value (named "stderr" in JSON; stderr is a C macro)
  bool skipped = false;  // data not available: `note` says why, value/stderr are null in JSON
  std::string note;      // free text: skip reason, data path, prompt format
};

// mean and standard error of per-item values (0/1 for accuracies); n = xs.size()
EvalResult mean_result(const std::string& task, const std::string& metric, const std::vector<double>& xs);
EvalResult skipped_result(const std::string& task, const std::string& reason);

// [{"task", "metric", "n", "value", "stderr", ["skipped", "note"]}, ...]
nlohmann::json results_to_json(const std::vector<EvalResult>& rs);
// Parses results_to_json's output back (round-trip; throws naming the bad row/key).
std::vector<EvalResult> results_from_json(const nlohmann::json& j);

// Fixed-width table, one row per result, values with 4 decimals, "±" before the stderr:
//   task   metric        n       value    stderr
//   piqa   acc        1838      0.5277  ± 0.0116
//   gsm8k  -             -     skipped    (../shared/data/math/gsm8k_test.jsonl not found)
std::string results_table(const std::vector<EvalResult>& rs);

}  // namespace llm
