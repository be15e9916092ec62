// The cleaning pipeline: configurable stages run in a fixed order, each
// reporting how many documents it removed or changed and why.
//
//   utf8_repair -> nfc -> html -> pii -> quality -> exact_dedup -> near_dedup
//
// Text fixes come first so later stages see the final text: quality filters
// judge what will be trained on, and dedup compares cleaned documents (two
// copies of a page that differ only in markup or encoding collapse to one).
// The config is strict JSON: an unknown key is an error that names it.
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/data/clean_pii.h"
#include "core/data/clean_quality.h"
#include "core/data/dedup.h"

namespace llm {

struct CleanConfig {
  bool utf8_repair = true;
  bool nfc = true;
  bool html = true;           // only documents that look like HTML are touched
  bool pii_enabled = true;
  PiiConfig pii;
  QualityConfig quality;
  bool exact_dedup = true;
  bool near_dedup = true;
  MinHashConfig minhash;

  // Strict parse; `where` names the source in errors ("cfg.json: unknown key 'quality.min_char'").
  static CleanConfig from_json(std::string_view json_text, const std::string& where = "clean config");
  std::string to_json() const;  // every key with its current value (a template to edit)
};

struct StageReport {
  std::string stage;
  size_t docs_in = 0, removed = 0, changed = 0;
  std::map<std::string, size_t> reasons;   // documents per reason (removed or changed)
  std::map<std::string, double> counters;  // totals: bytes repaired, tags stripped, LSH bands...
};

struct CleanReport {
  size_t docs_in = 0, docs_out = 0;
  std::vector<StageReport> stages;
  std::string to_text() const;  // aligned table for the terminal
  std::string to_json() const;
};

struct CleanResult {
  std::vector<std::string> docs;     // (K,) cleaned documents, in input order
  std::vector<size_t> source_index;  // (K,) index of each in the input
  CleanReport report;
};

CleanResult clean_documents(std::vector<std::string> docs, const CleanConfig& cfg);

}  // namespace llm
