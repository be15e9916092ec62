// Internal helpers of the importers: walk the records of a JSON array or a JSONL
// text while tracking line numbers, and read fields with errors that say where.
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/data/records.h"

#include <nlohmann/json.hpp>

namespace llm::detail {

struct RecordPos {
  std::string_view source;  // file name for messages
  size_t index;             // 1-based record number
  size_t line;              // 1-based line where the record starts
};

[[noreturn]] void record_error(const RecordPos& pos, const std::string& msg);

// Call fn for each record; a leading '[' means one JSON array, otherwise JSONL
// (one value per non-blank line). fn returns false to stop early.
void for_each_json_record(std::string_view bytes, std::string_view source,
                          const std::function<bool(const nlohmann::json&, const RecordPos&)>& fn);

const char* json_type(const nlohmann::json& j);
// Required field of an object record.
const nlohmann::json& need(const nlohmann::json& obj, const char* key, const RecordPos& pos, const std::string& where = "");
// Required string field.
std::string need_string(const nlohmann::json& obj, const char* key, const RecordPos& pos, const std::string& where = "");
// Comma-separated key list of an object, for "found keys: ..." hints.
std::string key_list(const nlohmann::json& obj);

// One message object: {role, content} (OpenAI style) or {from, value} (ShareGPT).
// Roles are normalized (normalize_role in core/data/importers.h).
llm::Message parse_message(const nlohmann::json& m, const RecordPos& pos, const std::string& where);
// An array of message objects; `where` names it in errors ("field \"messages\"").
std::vector<llm::Message> parse_messages(const nlohmann::json& arr, const RecordPos& pos, const std::string& where);

}  // namespace llm::detail
