// Strict JSON reading for configs: every key must be known (an unknown key is an error that names
// it and lists the known ones), every value must have the right type.
#pragma once
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>

namespace llm {

using json = nlohmann::json;

class StrictReader {
 public:
  StrictReader(const json& j, std::string what) : j_(j), what_(std::move(what)) {
    if (!j_.is_object()) throw std::runtime_error(what_ + ": expected a JSON object");
  }
  template <class V>
  void get(const char* key, V& out) {
    known_.insert(key);
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return;
    try {
      check_type<V>(*it);
      out = it->get<V>();
    } catch (const std::exception& e) {
      throw std::runtime_error(what_ + ": key '" + key + "' has the wrong type (" + it->dump() + "): " + e.what());
    }
  }
  // call after all get()s
  void finish() const {
    for (auto it = j_.begin(); it != j_.end(); ++it)
      if (!known_.count(it.key())) {
        std::string known;
        for (auto& k : known_) known += (known.empty() ? "" : ", ") + k;
        throw std::runtime_error(what_ + ": unknown key '" + it.key() + "' (known keys: " + known + ")");
      }
  }

 private:
  template <class V>
  static void check_type(const json& v) {
    if constexpr (std::is_same_v<V, bool>) {
      if (!v.is_boolean()) throw std::runtime_error("expected true/false");
    } else if constexpr (std::is_integral_v<V>) {
      if (!v.is_number_integer()) throw std::runtime_error("expected an integer");
    } else if constexpr (std::is_floating_point_v<V>) {
      if (!v.is_number()) throw std::runtime_error("expected a number");
    } else if constexpr (std::is_same_v<V, std::string>) {
      if (!v.is_string()) throw std::runtime_error("expected a string");
    }
    // json: any value
  }
  const json& j_;
  std::string what_;
  std::set<std::string> known_;
};

inline json parse_json(const std::string& text, const std::string& what) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw std::runtime_error(what + ": invalid JSON at byte " + std::to_string(e.byte) + ": " + e.what());
  }
}

}  // namespace llm
