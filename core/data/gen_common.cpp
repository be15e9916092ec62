#include "core/data/gen_common.h"

#include <stdexcept>

namespace llm {

Split parse_split(std::string_view s) {
  if (s == "train") return Split::train;
  if (s == "validation" || s == "val" || s == "valid") return Split::validation;
  throw std::runtime_error("unknown split '" + std::string(s) + "' (expected train or validation)");
}

const char* split_name(Split s) { return s == Split::train ? "train" : "validation"; }

uint64_t fnv1a64(std::string_view s, uint64_t h) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

bool in_split(std::string_view key, const GenOptions& opt) {
  // Top 24 bits of the hash as a fraction in [0, 1): integer compare, no float drift.
  uint64_t h = fnv1a64(key);
  h ^= h >> 29;  // FNV's high bits mix poorly for short keys; fold the low ones in
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 32;
  uint64_t bucket = h >> 40;  // [0, 2^24)
  uint64_t cut = uint64_t(opt.val_fraction * 16777216.0);
  bool is_val = bucket < cut;
  return (opt.split == Split::validation) == is_val;
}

void Slots::set(const std::string& key, std::string value) {
  for (auto& kv : kv_)
    if (kv.first == key) {
      kv.second = std::move(value);
      return;
    }
  kv_.emplace_back(key, std::move(value));
}

const std::string* Slots::find(std::string_view key) const {
  for (auto& kv : kv_)
    if (kv.first == key) return &kv.second;
  return nullptr;
}

std::string capitalize(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = char(s[0] - 'a' + 'A');
  return s;
}

std::string fill(std::string_view tmpl, const Slots& slots) {
  std::string out;
  out.reserve(tmpl.size() + 32);
  size_t i = 0;
  while (i < tmpl.size()) {
    char c = tmpl[i];
    if (c != '{') {
      out += c;
      i++;
      continue;
    }
    size_t close = tmpl.find('}', i);
    if (close == std::string_view::npos) throw std::runtime_error("template: unclosed '{' in: " + std::string(tmpl));
    std::string key(tmpl.substr(i + 1, close - i - 1));
    const std::string* v = slots.find(key);
    if (v) {
      out += *v;
    } else if (!key.empty() && key[0] >= 'A' && key[0] <= 'Z') {
      std::string lower = key;
      lower[0] = char(lower[0] - 'A' + 'a');
      v = slots.find(lower);
      if (!v) throw std::runtime_error("template: unknown slot {" + key + "} in: " + std::string(tmpl));
      out += capitalize(*v);
    } else {
      throw std::runtime_error("template: unknown slot {" + key + "} in: " + std::string(tmpl));
    }
    i = close + 1;
  }
  return out;
}

const char* article_for(std::string_view w) {
  if (w.empty()) return "a";
  char c = w[0];
  if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  bool vowel = c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
  if (w.substr(0, 3) == "uni" || w.substr(0, 3) == "use") vowel = false;  // "a unicorn"
  if (w.substr(0, 4) == "hour") vowel = true;
  return vowel ? "an" : "a";
}

std::string with_article(const std::string& phrase) { return std::string(article_for(phrase)) + " " + phrase; }

std::vector<std::string> split_whitespace(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r')) i++;
    size_t j = i;
    while (j < s.size() && !(s[j] == ' ' || s[j] == '\n' || s[j] == '\t' || s[j] == '\r')) j++;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); i++) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

}  // namespace llm
