#include "core/data/importers_json.h"

#include <stdexcept>

namespace llm::detail {

void record_error(const RecordPos& pos, const std::string& msg) {
  throw std::runtime_error(std::string(pos.source) + ":" + std::to_string(pos.line) + ": record " + std::to_string(pos.index) + ": " + msg);
}

namespace {

bool is_ws(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// nlohmann's message says "parse error at line 1, column 7: syntax error ..."
// relative to the record; keep only the description (we report the file line).
std::string describe(const nlohmann::json::parse_error& e) {
  std::string w = e.what();
  size_t c = w.find("column ");
  if (c != std::string::npos) {
    size_t colon = w.find(": ", c);
    if (colon != std::string::npos) return w.substr(colon + 2);
  }
  return w;
}

size_t count_newlines(std::string_view s, size_t from, size_t to) {
  size_t n = 0;
  for (size_t i = from; i < to && i < s.size(); i++) n += s[i] == '\n';
  return n;
}

nlohmann::json parse_record(std::string_view text, std::string_view source, size_t index, size_t line) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    size_t at = e.byte > 0 ? e.byte - 1 : 0;
    record_error({source, index, line + count_newlines(text, 0, at)}, "invalid JSON: " + describe(e));
  }
}

// End (exclusive) of the JSON value starting at i, or npos when it never ends
// (a truncated file). Only brackets and strings matter here; nlohmann checks the rest.
size_t value_end(std::string_view s, size_t i) {
  size_t depth = 0;
  bool in_str = false;
  if (s[i] != '{' && s[i] != '[' && s[i] != '"') {  // number / true / false / null
    while (i < s.size() && s[i] != ',' && s[i] != ']' && !is_ws(s[i])) i++;
    return i;
  }
  for (; i < s.size(); i++) {
    char c = s[i];
    if (in_str) {
      if (c == '\\') i++;
      else if (c == '"') {
        in_str = false;
        if (depth == 0) return i + 1;
      }
    } else if (c == '"') {
      in_str = true;
    } else if (c == '{' || c == '[') {
      depth++;
    } else if (c == '}' || c == ']') {
      if (depth == 0) return std::string_view::npos;
      if (--depth == 0) return i + 1;
    }
  }
  return std::string_view::npos;
}

}  // namespace

void for_each_json_record(std::string_view s, std::string_view source,
                          const std::function<bool(const nlohmann::json&, const RecordPos&)>& fn) {
  if (s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);  // UTF-8 byte order mark
  size_t i = 0, line = 1;
  auto skip_ws = [&] {
    while (i < s.size() && is_ws(s[i])) line += s[i++] == '\n';
  };
  skip_ws();
  if (i < s.size() && s[i] == '[') {
    i++;
    size_t index = 0;
    skip_ws();
    if (i < s.size() && s[i] == ']') return;  // empty array
    for (;;) {
      skip_ws();
      if (i >= s.size()) throw std::runtime_error(std::string(source) + ":" + std::to_string(line) + ": JSON array ends early (no closing ']'); is the file truncated?");
      size_t start = i, start_line = line, end = value_end(s, i);
      index++;
      if (end == std::string_view::npos)
        record_error({source, index, start_line}, "JSON value never ends (unbalanced brackets or quotes); is the file truncated?");
      line += count_newlines(s, start, end);
      i = end;
      nlohmann::json rec = parse_record(s.substr(start, end - start), source, index, start_line);
      if (!fn(rec, {source, index, start_line})) return;
      skip_ws();
      if (i < s.size() && s[i] == ',') {
        i++;
        continue;
      }
      if (i < s.size() && s[i] == ']') {
        i++;
        skip_ws();
        if (i < s.size()) throw std::runtime_error(std::string(source) + ":" + std::to_string(line) + ": unexpected text after the closing ']' of the JSON array");
        return;
      }
      throw std::runtime_error(std::string(source) + ":" + std::to_string(line) + ": expected ',' or ']' after record " + std::to_string(index) +
                               (i >= s.size() ? " but the file ended; is it truncated?" : ""));
    }
  }
  // JSONL: one record per non-blank line.
  size_t index = 0;
  line = 1;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    if (nl == std::string_view::npos) nl = s.size();
    std::string_view ln = s.substr(pos, nl - pos);
    bool blank = true;
    for (char c : ln) blank = blank && is_ws(c);
    if (!blank) {
      index++;
      nlohmann::json rec = parse_record(ln, source, index, line);
      if (!fn(rec, {source, index, line})) return;
    }
    pos = nl + 1;
    line++;
  }
}

const char* json_type(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::object: return "object";
    case nlohmann::json::value_t::array: return "array";
    case nlohmann::json::value_t::string: return "string";
    case nlohmann::json::value_t::boolean: return "boolean";
    default: return "number";
  }
}

const nlohmann::json& need(const nlohmann::json& obj, const char* key, const RecordPos& pos, const std::string& where) {
  if (!obj.is_object()) record_error(pos, where + "expected a JSON object, got " + json_type(obj));
  auto it = obj.find(key);
  if (it == obj.end()) record_error(pos, where + "missing field \"" + key + "\" (found keys: " + key_list(obj) + ")");
  return *it;
}

std::string need_string(const nlohmann::json& obj, const char* key, const RecordPos& pos, const std::string& where) {
  const nlohmann::json& v = need(obj, key, pos, where);
  if (!v.is_string()) record_error(pos, where + "field \"" + key + "\" must be a string, got " + json_type(v));
  return v.get<std::string>();
}

std::string key_list(const nlohmann::json& obj) {
  std::string out;
  if (!obj.is_object()) return out;
  for (auto it = obj.begin(); it != obj.end(); ++it) out += (out.empty() ? "" : ", ") + it.key();
  return out.empty() ? "none" : out;
}

}  // namespace llm::detail
