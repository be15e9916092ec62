// Helpers for the tokenizer tests: fixture paths and file reading.
#pragma once
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#ifndef LLM_SOURCE_DIR
#define LLM_SOURCE_DIR "."
#endif

namespace llm::toktest {

inline std::string data_path(const std::string& name) {
  return std::string(LLM_SOURCE_DIR) + "/tests/tokenizer/data/" + name;
}

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot write " + path);
  f << text;
}

// Golden files are rewritten (and the test skipped) when LLM_UPDATE_GOLDEN=1.
inline bool update_golden() {
  const char* v = std::getenv("LLM_UPDATE_GOLDEN");
  return v && std::string(v) == "1";
}

// The committed training text of the golden/interop tests.
inline const std::string& corpus() {
  static const std::string text = read_file(data_path("corpus.txt"));
  return text;
}

}  // namespace llm::toktest
