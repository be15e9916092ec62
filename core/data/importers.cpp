// Plain-text and JSONL-text documents, format detection, role names.
#include "core/data/importers.h"

#include <stdexcept>

#include "core/data/importers_json.h"

namespace llm {

using detail::RecordPos;

const char* format_name(DataFormat f) {
  switch (f) {
    case DataFormat::text: return "text";
    case DataFormat::jsonl_text: return "jsonl_text";
    case DataFormat::alpaca: return "alpaca";
    case DataFormat::chat: return "chat";
    case DataFormat::preference: return "preference";
    default: return "unknown";
  }
}

DataFormat parse_format(std::string_view n) {
  if (n == "text" || n == "txt") return DataFormat::text;
  if (n == "jsonl" || n == "jsonl_text" || n == "json_text") return DataFormat::jsonl_text;
  if (n == "alpaca") return DataFormat::alpaca;
  if (n == "chat" || n == "messages" || n == "sharegpt") return DataFormat::chat;
  if (n == "preference" || n == "dpo") return DataFormat::preference;
  if (n == "auto") return DataFormat::unknown;
  throw std::runtime_error("unknown data format '" + std::string(n) + "' (expected text, jsonl, alpaca, chat, preference or auto)");
}

DataFormat detect_format(std::string_view bytes, std::string_view source) {
  size_t i = bytes.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  while (i < bytes.size() && (bytes[i] == ' ' || bytes[i] == '\n' || bytes[i] == '\r' || bytes[i] == '\t')) i++;
  if (i >= bytes.size() || (bytes[i] != '[' && bytes[i] != '{')) return DataFormat::text;
  DataFormat f = DataFormat::unknown;
  detail::for_each_json_record(bytes, source, [&](const nlohmann::json& r, const RecordPos&) {
    if (!r.is_object()) return false;
    bool pref = r.contains("chosen") || r.contains("preferred_output");
    if (pref) f = DataFormat::preference;
    else if (r.contains("instruction")) f = DataFormat::alpaca;
    else if (r.contains("messages") || r.contains("conversations")) f = DataFormat::chat;
    else if (r.contains("text")) f = DataFormat::jsonl_text;
    return false;  // the first record decides
  });
  return f;
}

namespace {

bool blank(std::string_view s) {
  for (char c : s)
    if (!(c == ' ' || c == '\t' || c == '\r' || c == '\n')) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::vector<std::string_view> split_text_documents(std::string_view bytes, const TextSplit& how) {
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);
  std::vector<std::string_view> docs;
  size_t doc_start = 0, pos = 0;
  auto close = [&](size_t end) {  // document = bytes[doc_start, end)
    std::string_view d = trim(bytes.substr(doc_start, end - doc_start));
    if (!d.empty()) docs.push_back(d);
  };
  while (pos < bytes.size()) {
    size_t nl = bytes.find('\n', pos);
    size_t line_end = nl == std::string_view::npos ? bytes.size() : nl;
    size_t next = nl == std::string_view::npos ? bytes.size() : nl + 1;
    std::string_view line = bytes.substr(pos, line_end - pos);
    switch (how.mode) {
      case TextSplit::lines:
        close(line_end);
        doc_start = next;
        break;
      case TextSplit::blank_lines:
        if (blank(line)) {
          close(pos);
          doc_start = next;
        }
        break;
      case TextSplit::separator_lines:
        if (trim(line) == how.separator) {
          close(pos);
          doc_start = next;
        }
        break;
    }
    pos = next;
  }
  close(bytes.size());
  return docs;
}

std::vector<Document> import_text(std::string_view bytes, const TextSplit& how) {
  std::vector<Document> out;
  for (std::string_view d : split_text_documents(bytes, how)) out.push_back(Document{std::string(d)});
  return out;
}

std::vector<Document> import_jsonl_text(std::string_view bytes, std::string_view source, const std::string& field) {
  std::vector<Document> out;
  detail::for_each_json_record(bytes, source, [&](const nlohmann::json& r, const RecordPos& pos) {
    out.push_back(Document{detail::need_string(r, field.c_str(), pos)});
    return true;
  });
  return out;
}

std::vector<Document> import_documents(std::string_view bytes, std::string_view source, DataFormat fmt, const TextSplit& how) {
  if (fmt == DataFormat::unknown) fmt = detect_format(bytes, source);
  switch (fmt) {
    case DataFormat::text: return import_text(bytes, how);
    case DataFormat::jsonl_text: return import_jsonl_text(bytes, source);
    case DataFormat::unknown:
      throw std::runtime_error(std::string(source) + ": JSON records have no \"text\" field and match no known format; pass the format explicitly");
    default:
      throw std::runtime_error(std::string(source) + ": is " + format_name(fmt) +
                               " data, not pretraining documents; pack plain text or JSONL with a \"text\" field (use the " + format_name(fmt) +
                               " importer for SFT/DPO)");
  }
}

std::string normalize_role(std::string_view r) {
  if (r == "user" || r == "human") return "user";
  if (r == "assistant" || r == "gpt" || r == "bot" || r == "model" || r == "function_call") return "assistant";
  if (r == "system") return "system";
  if (r == "tool" || r == "observation" || r == "function") return "tool";
  return "";
}

}  // namespace llm
