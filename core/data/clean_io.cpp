#include "core/data/clean_io.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/data/unicode_utf8.h"

namespace llm {
namespace {

using ojson = nlohmann::ordered_json;  // keeps the input's key order on output

bool is_blank(std::string_view line) {
  for (char c : line)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\f' && c != '\v') return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\r' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

size_t count_newlines(std::string_view s, size_t from, size_t to) {
  size_t n = 0;
  for (size_t i = from; i < to; ++i) n += s[i] == '\n';
  return n;
}

}  // namespace

DocFormat parse_doc_format(const std::string& name) {
  if (name == "auto") return DocFormat::kAuto;
  if (name == "text") return DocFormat::kText;
  if (name == "eot") return DocFormat::kEot;
  if (name == "lines") return DocFormat::kLines;
  if (name == "jsonl") return DocFormat::kJsonl;
  throw std::runtime_error("unknown document format '" + name + "' (expected auto, text, eot, lines or jsonl)");
}

const char* doc_format_name(DocFormat f) {
  switch (f) {
    case DocFormat::kAuto: return "auto";
    case DocFormat::kText: return "text";
    case DocFormat::kEot: return "eot";
    case DocFormat::kLines: return "lines";
    case DocFormat::kJsonl: return "jsonl";
  }
  return "?";
}

DocFormat detect_doc_format(std::string_view path, std::string_view bytes) {
  // Content decides; the extension only breaks the tie for an empty file.
  const std::string_view t = trim(bytes.substr(0, 4096));
  if (!t.empty()) {
    if (t.front() == '{') return DocFormat::kJsonl;
    if (bytes.find("<|endoftext|>") != std::string_view::npos) return DocFormat::kEot;
    return DocFormat::kText;
  }
  const bool json_ext = (path.size() >= 6 && path.substr(path.size() - 6) == ".jsonl") ||
                        (path.size() >= 5 && path.substr(path.size() - 5) == ".json");
  return json_ext ? DocFormat::kJsonl : DocFormat::kText;
}

DocCorpus parse_documents(std::string_view bytes, DocFormat format, const std::string& source) {
  DocCorpus c;
  if (format == DocFormat::kAuto) format = detect_doc_format(source, bytes);
  c.format = format;
  if (format == DocFormat::kEot) {
    const std::string_view sep = "<|endoftext|>";
    size_t start = 0, line = 1;
    for (;;) {
      const size_t p = bytes.find(sep, start);
      const size_t end = p == std::string_view::npos ? bytes.size() : p;
      const std::string_view raw = bytes.substr(start, end - start);
      const std::string_view doc = trim(raw);
      if (!doc.empty()) {
        c.texts.emplace_back(doc);
        c.lines.push_back(line + count_newlines(raw, 0, doc.data() - raw.data()));
      }
      line += count_newlines(bytes, start, end);
      if (p == std::string_view::npos) break;
      start = p + sep.size();
    }
    return c;
  }
  // Line-based formats.
  size_t pos = 0, lineno = 0;
  std::string cur;       // text: the document being accumulated
  size_t cur_line = 0;
  auto flush = [&]() {
    const std::string_view t = trim(cur);
    if (!t.empty()) {
      c.texts.emplace_back(t);
      c.lines.push_back(cur_line);
    }
    cur.clear();
  };
  while (pos <= bytes.size()) {
    size_t nl = bytes.find('\n', pos);
    if (nl == std::string_view::npos) nl = bytes.size();
    std::string_view line = bytes.substr(pos, nl - pos);
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (format == DocFormat::kText) {
      if (is_blank(line)) {
        flush();
      } else {
        if (cur.empty()) cur_line = lineno;
        else cur.push_back('\n');
        cur.append(line);
      }
    } else if (format == DocFormat::kLines) {
      const std::string_view t = trim(line);
      if (!t.empty()) {
        c.texts.emplace_back(t);
        c.lines.push_back(lineno);
      }
    } else {  // jsonl
      if (!is_blank(line)) {
        std::string fixed;
        std::string_view text_line = line;
        if (!utf8_is_valid(line)) {  // the JSON parser rejects invalid UTF-8
          Utf8RepairStats st;
          fixed = utf8_repair(line, &st);
          c.input_bytes_repaired += st.bytes_repaired;
          text_line = fixed;
        }
        ojson j;
        try {
          j = ojson::parse(text_line);
        } catch (const std::exception& e) {
          throw std::runtime_error(source + ":" + std::to_string(lineno) + ": invalid JSON: " + e.what());
        }
        if (!j.is_object())
          throw std::runtime_error(source + ":" + std::to_string(lineno) + ": expected a JSON object");
        auto it = j.find("text");
        if (it == j.end())
          throw std::runtime_error(source + ":" + std::to_string(lineno) + ": missing field \"text\"");
        if (!it->is_string())
          throw std::runtime_error(source + ":" + std::to_string(lineno) + ": field \"text\" is not a string");
        c.texts.push_back(it->get<std::string>());
        c.records.emplace_back(text_line);
        c.lines.push_back(lineno);
      }
    }
    if (nl == bytes.size()) break;
    pos = nl + 1;
  }
  if (format == DocFormat::kText) flush();
  return c;
}

std::string serialize_documents(const DocCorpus& corpus, const std::vector<std::string>& texts,
                                const std::vector<size_t>& source_index, size_t* collapsed) {
  if (texts.size() != source_index.size())
    throw std::runtime_error("serialize_documents: " + std::to_string(texts.size()) + " texts but " +
                             std::to_string(source_index.size()) + " source indices");
  std::string out;
  size_t n_collapsed = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string& t = texts[i];
    switch (corpus.format) {
      case DocFormat::kJsonl: {
        const size_t src = source_index[i];
        if (src >= corpus.records.size())
          throw std::runtime_error("serialize_documents: source index " + std::to_string(src) + " out of range");
        ojson j = ojson::parse(corpus.records[src]);
        j["text"] = t;
        out += j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
        out.push_back('\n');
        break;
      }
      case DocFormat::kEot:
        out += t;
        out += "\n<|endoftext|>\n";
        break;
      case DocFormat::kLines:
        for (char ch : t) out.push_back(ch == '\n' || ch == '\r' ? ' ' : ch);
        out.push_back('\n');
        break;
      default: {  // text
        if (i) out.push_back('\n');
        bool had_blank = false;
        size_t k = 0;
        while (k < t.size()) {
          size_t nl = t.find('\n', k);
          if (nl == std::string::npos) nl = t.size();
          const std::string_view line(t.data() + k, nl - k);
          if (is_blank(line)) {
            had_blank = true;
          } else {
            out.append(line);
            out.push_back('\n');
          }
          k = nl + 1;
        }
        n_collapsed += had_blank;
        break;
      }
    }
  }
  if (collapsed) *collapsed = n_collapsed;
  return out;
}

}  // namespace llm
