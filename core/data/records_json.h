// One-line JSON (JSONL) encodings of the records in core/data/records.h, in the
// schemas documented in datasets/README.md. Keys are written in a fixed order so
// generated files are byte-identical across runs and platforms.
#pragma once
#include <string>

#include "core/data/records.h"

namespace llm {

std::string to_jsonl(const Document& d);           // {"text": ...}
std::string to_jsonl(const Chat& c);               // {"messages": [{"role", "content"}...]}
std::string to_jsonl(const PreferencePair& p);     // {"prompt": [messages], "chosen": ..., "rejected": ...}
std::string to_jsonl(const SftExample& e);         // {"messages": [...], "answer": ..., "task": ...}
std::string to_jsonl(const PreferenceExample& e);  // {"system"?: ..., "prompt": "...", "chosen", "rejected", "reason", "task"}
std::string to_jsonl(const RlPrompt& p);           // {"prompt": ..., "answer": ..., "task": ...}

// Concatenate records, one per line, each line ending in '\n'.
template <class T>
std::string to_jsonl_lines(const std::vector<T>& items) {
  std::string out;
  for (const T& x : items) {
    out += to_jsonl(x);
    out += '\n';
  }
  return out;
}

}  // namespace llm
