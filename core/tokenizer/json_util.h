// Helpers shared by the tokenizer.json writers and readers. Writing is done by
// hand (a 50k-entry vocab through nlohmann's ordered_json is quadratic);
// reading uses nlohmann::json with errors rethrown as std::runtime_error that
// name the key.
#pragma once
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>
#include <cstdint>
#include <climits>

namespace llm::tokjson {

// s as a JSON string literal (quotes included). s must be valid UTF-8.
inline std::string quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          static const char* hex = "0123456789abcdef";
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += char(c);
        }
    }
  }
  out += '"';
  return out;
}

[[noreturn]] inline void fail(const std::string& what) { throw std::runtime_error("tokenizer.json: " + what); }

inline nlohmann::json parse(const std::string& text) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail(std::string("not valid JSON (") + e.what() + ")");
  }
}

// j[key] as an object; fails with the path when missing or of another type.
inline const nlohmann::json& member(const nlohmann::json& j, const char* key, const std::string& path) {
  if (!j.is_object()) fail(path + " is not an object");
  auto it = j.find(key);
  if (it == j.end()) fail("missing key '" + path + "." + key + "'");
  return *it;
}

inline std::string get_string(const nlohmann::json& j, const char* key, const std::string& path) {
  const auto& v = member(j, key, path);
  if (!v.is_string()) fail("'" + path + "." + key + "' must be a string");
  return v.get<std::string>();
}

inline int64_t get_int(const nlohmann::json& j, const char* key, const std::string& path) {
  const auto& v = member(j, key, path);
  if (!v.is_number_integer()) fail("'" + path + "." + key + "' must be an integer");
  return v.get<int64_t>();
}

// Optional boolean member with a default.
inline bool get_bool_or(const nlohmann::json& j, const char* key, bool dflt, const std::string& path) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return dflt;
  if (!it->is_boolean()) fail("'" + path + "." + key + "' must be true or false");
  return it->get<bool>();
}

// The "added_tokens" list entry line, as Hugging Face writes it.
// The checks every tokenizer.json loader starts with: the top level is an object, `model.type`
// is `type`, and there is no normalizer (we reproduce none). Returns the "model" object.
inline const nlohmann::json& model_of_type(const nlohmann::json& root, const std::string& type) {
  if (!root.is_object()) fail("top level must be an object");
  const nlohmann::json& model = member(root, "model", "");
  const std::string t = get_string(model, "type", "model");
  if (t != type) fail("'model.type' is \"" + t + "\", expected \"" + type + "\"");
  if (root.contains("normalizer") && !root["normalizer"].is_null()) fail("'normalizer' must be null");
  return model;
}

inline std::string added_token_entry(int32_t id, std::string_view content, bool special) {
  return "{\"id\": " + std::to_string(id) + ", \"content\": " + quote(content) +
         ", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": " +
         (special ? "true" : "false") + "}";
}

struct AddedToken {
  int32_t id;
  std::string content;
  bool special;
};

// root["added_tokens"] (missing or null: none), validated.
inline std::vector<AddedToken> read_added_tokens(const nlohmann::json& root) {
  std::vector<AddedToken> out;
  auto it = root.find("added_tokens");
  if (it == root.end() || it->is_null()) return out;
  if (!it->is_array()) fail("'added_tokens' must be a list");
  for (size_t i = 0; i < it->size(); i++) {
    const auto& e = (*it)[i];
    const std::string path = "added_tokens[" + std::to_string(i) + "]";
    const int64_t id = get_int(e, "id", path);
    if (id < 0 || id > INT32_MAX) fail("'" + path + ".id' is out of range");
    std::string content = get_string(e, "content", path);
    if (content.empty()) fail("'" + path + ".content' is empty");
    out.push_back({int32_t(id), std::move(content), get_bool_or(e, "special", false, path)});
  }
  return out;
}

}  // namespace llm::tokjson
