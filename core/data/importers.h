// Importers: foreign dataset formats -> the common records of core/data/records.h.
// They work on bytes already in memory (native code reads the file; the browser
// passes an uploaded file), and take a `source` name only for error messages.
//
// Every malformed input throws std::runtime_error naming the place:
//   "alpaca.json:341: record 12: missing field \"output\""
//   "chat.jsonl:7: invalid JSON: ... "
// Formats (datasets/README.md has examples of each):
//   text        plain text; documents separated by blank lines (or one per line, or a separator line)
//   jsonl_text  JSONL (or a JSON array) of objects with a "text" string
//   alpaca      {instruction, input?, output, system?, history?} -- JSON array or JSONL
//   chat        {messages: [{role, content}]} or ShareGPT {conversations: [{from, value}], system?}
//   preference  {prompt, chosen, rejected} (strings or messages),
//               {conversations, chosen, rejected} (LLaMA-Factory; chosen/rejected are {from, value}),
//               {input: {messages}, preferred_output, non_preferred_output} (OpenAI/orca DPO)
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "core/data/records.h"

namespace llm {

enum class DataFormat { text, jsonl_text, alpaca, chat, preference, unknown };

const char* format_name(DataFormat f);
// "text", "jsonl" / "jsonl_text", "alpaca", "chat", "preference"; throws otherwise.
DataFormat parse_format(std::string_view name);
// Look at the first record: '[' or '{' means JSON, then the keys decide. Anything
// else is plain text. Returns unknown for JSON whose keys match no format.
DataFormat detect_format(std::string_view bytes, std::string_view source = "<input>");

struct TextSplit {
  enum Mode { blank_lines, lines, separator_lines } mode = blank_lines;
  std::string separator = "<|endoftext|>";  // mode == separator_lines: a line holding only this ends a document
};
// Documents as views into `bytes` (no copies: packing a 2 GB corpus stays cheap),
// trimmed of surrounding whitespace; empty documents are dropped. "\r\n" is accepted.
std::vector<std::string_view> split_text_documents(std::string_view bytes, const TextSplit& how = {});

std::vector<Document> import_text(std::string_view bytes, const TextSplit& how = {});
std::vector<Document> import_jsonl_text(std::string_view bytes, std::string_view source = "<input>", const std::string& field = "text");
std::vector<Chat> import_alpaca(std::string_view bytes, std::string_view source = "<input>");
std::vector<Chat> import_chat(std::string_view bytes, std::string_view source = "<input>");
std::vector<PreferencePair> import_preference(std::string_view bytes, std::string_view source = "<input>");

// Pretraining documents from a text or jsonl_text input (format auto-detected when
// fmt == unknown). Chat/preference inputs are rejected with a message saying so.
std::vector<Document> import_documents(std::string_view bytes, std::string_view source = "<input>", DataFormat fmt = DataFormat::unknown,
                                       const TextSplit& how = {});

// "human"/"user" -> "user", "gpt"/"assistant"/"bot"/"model" -> "assistant", "system" -> "system",
// "observation"/"tool"/"function" -> "tool", "function_call" -> "assistant"; "" for anything else.
std::string normalize_role(std::string_view role);

}  // namespace llm
