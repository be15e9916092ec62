#include "core/data/clean.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <type_traits>
#include <stdexcept>

#include "core/data/clean_html.h"
#include "core/data/unicode_nfc.h"
#include "core/data/unicode_utf8.h"

namespace llm {
namespace {

using json = nlohmann::ordered_json;

// ---------------------------------------------------------------- strict config
// Reads one JSON object; every get() declares a key, finish() rejects the rest.
class Obj {
 public:
  Obj(const json& j, std::string where, std::string path) : j_(j), where_(std::move(where)), path_(std::move(path)) {
    if (!j_.is_object()) fail(path_.empty() ? "the config must be a JSON object" : "'" + path_ + "' must be an object");
  }
  const json* find(const char* key) {
    known_.insert(key);
    auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }
  std::string key(const char* k) const { return path_.empty() ? k : path_ + "." + k; }
  void get(const char* k, bool& v) {
    if (auto* p = find(k)) {
      if (!p->is_boolean()) fail("'" + key(k) + "' must be true or false, got " + p->dump());
      v = p->get<bool>();
    }
  }
  void get(const char* k, double& v, double lo, double hi) {
    if (auto* p = find(k)) {
      if (!p->is_number()) fail("'" + key(k) + "' must be a number, got " + p->dump());
      v = p->get<double>();
      check_range(k, v, lo, hi);
    }
  }
  // size_t and uint64_t are one type on x86-64 but two on wasm32: one template.
  template <class U, class = std::enable_if_t<std::is_unsigned_v<U> && !std::is_same_v<U, bool>>>
  void get(const char* k, U& v) {
    if (auto* p = find(k)) {
      if (!p->is_number_unsigned() && !(p->is_number_integer() && p->get<long long>() >= 0))
        fail("'" + key(k) + "' must be a non-negative integer, got " + p->dump());
      v = p->get<U>();
    }
  }
  void get(const char* k, int& v, double lo, double hi) {
    if (auto* p = find(k)) {
      if (!p->is_number_integer()) fail("'" + key(k) + "' must be an integer, got " + p->dump());
      v = p->get<int>();
      check_range(k, v, lo, hi);
    }
  }
  void get(const char* k, std::string& v) {
    if (auto* p = find(k)) {
      if (!p->is_string()) fail("'" + key(k) + "' must be a string, got " + p->dump());
      v = p->get<std::string>();
    }
  }
  // {"2": 0.2, "3": 0.18}: n-gram size -> fraction.
  void get(const char* k, std::map<int, double>& v) {
    if (auto* p = find(k)) {
      if (!p->is_object()) fail("'" + key(k) + "' must be an object like {\"2\": 0.2}, got " + p->dump());
      std::map<int, double> m;
      for (auto it = p->begin(); it != p->end(); ++it) {
        int n = 0;
        try {
          size_t used = 0;
          n = std::stoi(it.key(), &used);
          if (used != it.key().size()) throw std::invalid_argument("trailing");
        } catch (const std::exception&) {
          fail("'" + key(k) + "' has key '" + it.key() + "', expected an n-gram size 1..20");
        }
        if (n < 1 || n > 20) fail("'" + key(k) + "' has key '" + it.key() + "', expected an n-gram size 1..20");
        if (!it->is_number()) fail("'" + key(k) + "." + it.key() + "' must be a number");
        const double f = it->get<double>();
        if (f < 0 || f > 1) fail("'" + key(k) + "." + it.key() + "' must be in [0, 1]");
        m[n] = f;
      }
      v = std::move(m);
    }
  }
  void finish() const {
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      if (known_.count(it.key())) continue;
      std::string list;
      for (const auto& k : known_) list += (list.empty() ? "" : ", ") + k;
      fail("unknown key '" + key(it.key().c_str()) + "' (known" + (path_.empty() ? "" : " in '" + path_ + "'") +
           ": " + list + ")");
    }
  }
  [[noreturn]] void fail(const std::string& msg) const { throw std::runtime_error(where_ + ": " + msg); }

 private:
  void check_range(const char* k, double v, double lo, double hi) const {
    if (v < lo || v > hi) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "'%s' = %g is out of range [%g, %g]", key(k).c_str(), v, lo, hi);
      fail(buf);
    }
  }
  const json& j_;
  std::string where_, path_;
  std::set<std::string> known_;
};

json ngram_map_json(const std::map<int, double>& m) {
  json j = json::object();
  for (const auto& [n, f] : m) j[std::to_string(n)] = f;
  return j;
}

// --------------------------------------------------------------------- report
std::string fmt_count(double v) {
  char buf[64];
  if (v == (double)(long long)v) std::snprintf(buf, sizeof buf, "%lld", (long long)v);
  else std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

}  // namespace

CleanConfig CleanConfig::from_json(std::string_view text, const std::string& where) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw std::runtime_error(where + ": invalid JSON at byte " + std::to_string(e.byte) + ": " + e.what());
  }
  CleanConfig c;
  Obj root(j, where, "");
  root.get("utf8_repair", c.utf8_repair);
  root.get("nfc", c.nfc);
  root.get("html", c.html);
  root.get("exact_dedup", c.exact_dedup);
  if (const json* p = root.find("pii")) {
    Obj o(*p, where, "pii");
    o.get("enabled", c.pii_enabled);
    o.get("email", c.pii.email);
    o.get("phone", c.pii.phone);
    o.get("ipv4", c.pii.ipv4);
    o.get("ipv6", c.pii.ipv6);
    o.get("email_token", c.pii.email_token);
    o.get("phone_token", c.pii.phone_token);
    o.get("ip_token", c.pii.ip_token);
    o.finish();
  }
  if (const json* p = root.find("quality")) {
    QualityConfig& q = c.quality;
    Obj o(*p, where, "quality");
    o.get("enabled", q.enabled);
    o.get("min_chars", q.min_chars);
    o.get("max_chars", q.max_chars);
    o.get("min_words", q.min_words);
    o.get("max_words", q.max_words);
    o.get("max_symbol_ratio", q.max_symbol_ratio, 0, 1);
    o.get("max_digit_ratio", q.max_digit_ratio, 0, 1);
    o.get("max_dup_line_fraction", q.max_dup_line_fraction, 0, 1);
    o.get("max_dup_paragraph_fraction", q.max_dup_paragraph_fraction, 0, 1);
    o.get("max_top_ngram_fraction", q.max_top_ngram_fraction);
    o.get("max_dup_ngram_fraction", q.max_dup_ngram_fraction);
    o.get("gopher_min_words", q.gopher_min_words);
    o.get("min_mean_word_length", q.min_mean_word_length, 0, 1000);
    o.get("max_mean_word_length", q.max_mean_word_length, 0, 1000);
    o.get("min_alpha_word_fraction", q.min_alpha_word_fraction, 0, 1);
    o.get("script", q.script);
    o.get("min_script_fraction", q.min_script_fraction, 0, 1);
    o.get("language", q.language);
    o.get("min_stopwords", q.min_stopwords, 0, 8);
    o.finish();
    if (!is_known_script(q.script))
      o.fail("'quality.script' = '" + q.script +
             "' is not one of latin, cyrillic, greek, arabic, hebrew, devanagari, thai, cjk, any");
    if (q.language != "en" && !q.language.empty())
      o.fail("'quality.language' = '" + q.language + "': only \"en\" (stopword check) or \"\" (off) are known");
  }
  if (const json* p = root.find("near_dedup")) {
    MinHashConfig& m = c.minhash;
    Obj o(*p, where, "near_dedup");
    o.get("enabled", c.near_dedup);
    o.get("threshold", m.threshold, 0.01, 0.99);
    o.get("num_perm", m.num_perm, 1, 1024);
    o.get("bands", m.bands, 0, 1024);
    o.get("rows", m.rows, 0, 1024);
    std::string shingle = m.char_shingles ? "char" : "word";
    o.get("shingle", shingle);
    o.get("k", m.k, 1, 64);
    o.get("seed", m.seed);
    o.finish();
    if (shingle != "word" && shingle != "char")
      o.fail("'near_dedup.shingle' = '" + shingle + "' must be \"word\" or \"char\"");
    m.char_shingles = shingle == "char";
    if ((m.bands > 0) != (m.rows > 0)) o.fail("'near_dedup.bands' and 'near_dedup.rows' must be set together");
    if ((long long)m.bands * m.rows > m.num_perm)
      o.fail("'near_dedup.bands' x 'near_dedup.rows' = " + std::to_string(m.bands * m.rows) +
             " exceeds num_perm = " + std::to_string(m.num_perm));
  }
  root.finish();
  return c;
}

std::string CleanConfig::to_json() const {
  json j;
  j["utf8_repair"] = utf8_repair;
  j["nfc"] = nfc;
  j["html"] = html;
  j["pii"] = {{"enabled", pii_enabled},          {"email", pii.email},
              {"phone", pii.phone},              {"ipv4", pii.ipv4},
              {"ipv6", pii.ipv6},                {"email_token", pii.email_token},
              {"phone_token", pii.phone_token},  {"ip_token", pii.ip_token}};
  const QualityConfig& q = quality;
  j["quality"] = {{"enabled", q.enabled},
                  {"min_chars", q.min_chars},
                  {"max_chars", q.max_chars},
                  {"min_words", q.min_words},
                  {"max_words", q.max_words},
                  {"max_symbol_ratio", q.max_symbol_ratio},
                  {"max_digit_ratio", q.max_digit_ratio},
                  {"max_dup_line_fraction", q.max_dup_line_fraction},
                  {"max_dup_paragraph_fraction", q.max_dup_paragraph_fraction},
                  {"max_top_ngram_fraction", ngram_map_json(q.max_top_ngram_fraction)},
                  {"max_dup_ngram_fraction", ngram_map_json(q.max_dup_ngram_fraction)},
                  {"gopher_min_words", q.gopher_min_words},
                  {"min_mean_word_length", q.min_mean_word_length},
                  {"max_mean_word_length", q.max_mean_word_length},
                  {"min_alpha_word_fraction", q.min_alpha_word_fraction},
                  {"script", q.script},
                  {"min_script_fraction", q.min_script_fraction},
                  {"language", q.language},
                  {"min_stopwords", q.min_stopwords}};
  j["exact_dedup"] = exact_dedup;
  j["near_dedup"] = {{"enabled", near_dedup},
                     {"threshold", minhash.threshold},
                     {"num_perm", minhash.num_perm},
                     {"bands", minhash.bands},
                     {"rows", minhash.rows},
                     {"shingle", minhash.char_shingles ? "char" : "word"},
                     {"k", minhash.k},
                     {"seed", minhash.seed}};
  return j.dump(2) + "\n";
}

std::string CleanReport::to_text() const {
  std::string out;
  char buf[256];
  std::snprintf(buf, sizeof buf, "clean: %zu documents in, %zu out (%zu removed)\n", docs_in, docs_out,
                docs_in - docs_out);
  out += buf;
  std::snprintf(buf, sizeof buf, "  %-12s %10s %10s %10s  %s\n", "stage", "in", "removed", "changed", "why");
  out += buf;
  for (const StageReport& s : stages) {
    std::string why;
    for (const auto& [r, n] : s.reasons) why += (why.empty() ? "" : ", ") + r + "=" + std::to_string(n);
    std::string extra;
    for (const auto& [k, v] : s.counters) extra += (extra.empty() ? "" : ", ") + k + "=" + fmt_count(v);
    if (!extra.empty()) why += (why.empty() ? "[" : "  [") + extra + "]";
    std::snprintf(buf, sizeof buf, "  %-12s %10zu %10zu %10zu  ", s.stage.c_str(), s.docs_in, s.removed, s.changed);
    out += buf;
    out += why.empty() ? "-" : why;
    out += "\n";
  }
  return out;
}

std::string CleanReport::to_json() const {
  json j;
  j["docs_in"] = docs_in;
  j["docs_out"] = docs_out;
  j["stages"] = json::array();
  for (const StageReport& s : stages) {
    json st = {{"stage", s.stage}, {"docs_in", s.docs_in}, {"removed", s.removed}, {"changed", s.changed}};
    st["reasons"] = json::object();
    for (const auto& [r, n] : s.reasons) st["reasons"][r] = n;
    st["counters"] = json::object();
    for (const auto& [k, v] : s.counters) st["counters"][k] = v;
    j["stages"].push_back(st);
  }
  return j.dump(2) + "\n";
}

CleanResult clean_documents(std::vector<std::string> docs, const CleanConfig& cfg) {
  CleanResult res;
  CleanReport& rep = res.report;
  rep.docs_in = docs.size();
  std::vector<size_t> src(docs.size());  // (D,) input index of each surviving doc
  for (size_t i = 0; i < src.size(); ++i) src[i] = i;

  // Drops documents whose keep flag is 0, keeping docs and src aligned.
  auto compact = [&](const std::vector<char>& keep) {
    size_t w = 0;
    for (size_t i = 0; i < docs.size(); ++i) {
      if (!keep[i]) continue;
      if (w != i) {
        docs[w] = std::move(docs[i]);
        src[w] = src[i];
      }
      ++w;
    }
    docs.resize(w);
    src.resize(w);
  };

  if (cfg.utf8_repair) {
    StageReport s{"utf8_repair"};
    s.docs_in = docs.size();
    const long long n_docs = (long long)docs.size();  // OpenMP wants a plain loop bound
    std::vector<Utf8RepairStats> st(docs.size());  // (D,)
#pragma omp parallel for schedule(dynamic, 64)
    for (long long i = 0; i < n_docs; ++i)
      if (!utf8_is_valid(docs[i])) docs[i] = utf8_repair(docs[i], &st[i]);
    size_t bytes = 0, repl = 0;
    for (const auto& x : st) {
      s.changed += x.replacements > 0;
      bytes += x.bytes_repaired;
      repl += x.replacements;
    }
    if (s.changed) s.reasons["invalid_utf8"] = s.changed;
    s.counters["bytes_repaired"] = (double)bytes;
    s.counters["replacements"] = (double)repl;
    rep.stages.push_back(s);
  }

  if (cfg.nfc) {
    StageReport s{"nfc"};
    s.docs_in = docs.size();
    const long long n_docs = (long long)docs.size();  // OpenMP wants a plain loop bound
    std::vector<char> changed(docs.size(), 0);  // (D,)
#pragma omp parallel for schedule(dynamic, 64)
    for (long long i = 0; i < n_docs; ++i) {
      if (nfc_quick_check_utf8(docs[i])) continue;
      std::string n = nfc_utf8(docs[i]);
      if (n != docs[i]) {
        docs[i] = std::move(n);
        changed[i] = 1;
      }
    }
    for (char c : changed) s.changed += c;
    if (s.changed) s.reasons["not_nfc"] = s.changed;
    rep.stages.push_back(s);
  }

  if (cfg.html) {
    StageReport s{"html"};
    s.docs_in = docs.size();
    const long long n_docs = (long long)docs.size();  // OpenMP wants a plain loop bound
    std::vector<HtmlStripStats> st(docs.size());  // (D,)
    std::vector<char> changed(docs.size(), 0), keep(docs.size(), 1);  // (D,) each
#pragma omp parallel for schedule(dynamic, 64)
    for (long long i = 0; i < n_docs; ++i) {
      if (!looks_like_html(docs[i])) continue;
      std::string t = strip_html(docs[i], &st[i]);
      if (t != docs[i]) {
        changed[i] = 1;
        docs[i] = std::move(t);
        if (docs[i].empty()) keep[i] = 0;
      }
    }
    size_t tags = 0, ents = 0, dropped = 0, emptied = 0;
    for (size_t i = 0; i < st.size(); ++i) {
      tags += st[i].tags;
      ents += st[i].entities;
      dropped += st[i].dropped_elements;
      if (!keep[i]) ++emptied;
      else if (changed[i]) ++s.changed;
    }
    s.removed = emptied;
    if (s.changed) s.reasons["markup_stripped"] = s.changed;
    if (emptied) s.reasons["empty_after_strip"] = emptied;
    s.counters["tags"] = (double)tags;
    s.counters["entities"] = (double)ents;
    s.counters["script_style_blocks"] = (double)dropped;
    compact(keep);
    rep.stages.push_back(s);
  }

  if (cfg.pii_enabled) {
    StageReport s{"pii"};
    s.docs_in = docs.size();
    const long long n_docs = (long long)docs.size();  // OpenMP wants a plain loop bound
    std::vector<PiiCounts> st(docs.size());  // (D,)
#pragma omp parallel for schedule(dynamic, 64)
    for (long long i = 0; i < n_docs; ++i) {
      std::string t = mask_pii(docs[i], cfg.pii, &st[i]);
      if (st[i].total()) docs[i] = std::move(t);
    }
    size_t e = 0, p = 0, v4 = 0, v6 = 0, de = 0, dp = 0, di = 0;
    for (const PiiCounts& c : st) {
      s.changed += c.total() > 0;
      e += c.emails;
      p += c.phones;
      v4 += c.ipv4;
      v6 += c.ipv6;
      de += c.emails > 0;
      dp += c.phones > 0;
      di += (c.ipv4 + c.ipv6) > 0;
    }
    if (de) s.reasons["email"] = de;
    if (dp) s.reasons["phone"] = dp;
    if (di) s.reasons["ip"] = di;
    s.counters["emails"] = (double)e;
    s.counters["phones"] = (double)p;
    s.counters["ipv4"] = (double)v4;
    s.counters["ipv6"] = (double)v6;
    rep.stages.push_back(s);
  }

  if (cfg.quality.enabled) {
    StageReport s{"quality"};
    s.docs_in = docs.size();
    const long long n_docs = (long long)docs.size();  // OpenMP wants a plain loop bound
    std::vector<std::string> why(docs.size());  // (D,) "" = keep
#pragma omp parallel for schedule(dynamic, 64)
    for (long long i = 0; i < n_docs; ++i) why[i] = quality_reject_reason(docs[i], cfg.quality);
    std::vector<char> keep(docs.size(), 1);
    for (size_t i = 0; i < why.size(); ++i) {
      if (why[i].empty()) continue;
      keep[i] = 0;
      ++s.removed;
      ++s.reasons[why[i]];
    }
    compact(keep);
    rep.stages.push_back(s);
  }

  if (cfg.exact_dedup) {
    StageReport s{"exact_dedup"};
    s.docs_in = docs.size();
    const ExactDedupResult r = exact_dedup(docs);
    s.removed = r.removed;
    if (r.removed) s.reasons["exact_duplicate"] = r.removed;
    compact(r.keep);
    rep.stages.push_back(s);
  }

  if (cfg.near_dedup) {
    StageReport s{"near_dedup"};
    s.docs_in = docs.size();
    const NearDedupResult r = near_dedup(docs, cfg.minhash);
    s.removed = r.removed;
    if (r.removed) s.reasons["near_duplicate"] = r.removed;
    s.counters["bands"] = r.bands;
    s.counters["rows"] = r.rows;
    s.counters["candidate_pairs"] = (double)r.candidate_pairs;
    s.counters["verified_pairs"] = (double)r.verified_pairs;
    s.counters["clusters"] = (double)r.clusters;
    compact(r.keep);
    rep.stages.push_back(s);
  }

  rep.docs_out = docs.size();
  res.docs = std::move(docs);
  res.source_index = std::move(src);
  return res;
}

}  // namespace llm
