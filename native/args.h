// Tiny --key value argument parser: unknown flags are errors that name the flag.
#pragma once
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace llm::cli {

class Args {
 public:
  // argv[0] is the subcommand; flags are --name value or --flag (boolean, listed in `bools`)
  Args(int argc, char** argv, const std::set<std::string>& known, const std::set<std::string>& bools = {}) {
    for (int i = 1; i < argc; i++) {
      std::string a = argv[i];
      if (a.rfind("--", 0) != 0) {
        positional.push_back(a);
        continue;
      }
      std::string k = a.substr(2), v;
      const size_t eq = k.find('=');
      if (eq != std::string::npos) v = k.substr(eq + 1), k = k.substr(0, eq);
      if (!known.count(k) && !bools.count(k)) {
        std::string all;
        for (auto& s : known) all += " --" + s + " <value>";
        for (auto& s : bools) all += " --" + s;
        if (k == "help") throw std::runtime_error(std::string("usage: llm ") + argv[0] + all);
        throw std::runtime_error("unknown option --" + k + " (options:" + all + ")");
      }
      if (bools.count(k)) {
        values[k] = eq == std::string::npos ? "1" : v;
      } else {
        if (eq == std::string::npos) {
          if (i + 1 >= argc) throw std::runtime_error("option --" + k + " needs a value");
          v = argv[++i];
        }
        values[k] = v;
      }
    }
  }
  bool has(const std::string& k) const { return values.count(k) > 0; }
  std::string str(const std::string& k, const std::string& def = "") const {
    auto it = values.find(k);
    return it == values.end() ? def : it->second;
  }
  long long integer(const std::string& k, long long def) const {
    auto it = values.find(k);
    if (it == values.end()) return def;
    try {
      size_t pos;
      long long v = std::stoll(it->second, &pos);
      if (pos != it->second.size()) throw std::invalid_argument("");
      return v;
    } catch (...) {
      throw std::runtime_error("option --" + k + " expects an integer, got '" + it->second + "'");
    }
  }
  double number(const std::string& k, double def) const {
    auto it = values.find(k);
    if (it == values.end()) return def;
    try {
      size_t pos;
      double v = std::stod(it->second, &pos);
      if (pos != it->second.size()) throw std::invalid_argument("");
      return v;
    } catch (...) {
      throw std::runtime_error("option --" + k + " expects a number, got '" + it->second + "'");
    }
  }
  bool flag(const std::string& k) const { return has(k) && values.at(k) != "0" && values.at(k) != "false"; }
  std::map<std::string, std::string> values;
  std::vector<std::string> positional;
};

}  // namespace llm::cli
