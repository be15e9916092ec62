// Reading and writing document collections for `llm data clean` / `llm data stats`,
// from and to in-memory bytes (the file I/O itself is native/).
//
// Formats:
//   text   documents separated by one or more blank lines
//   eot    documents separated by "<|endoftext|>" (the TinyStoriesV2 files)
//   lines  one document per line
//   jsonl  one JSON object per line with a string field "text"; other fields
//          are carried through to the output unchanged
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace llm {

enum class DocFormat { kAuto, kText, kEot, kLines, kJsonl };

DocFormat parse_doc_format(const std::string& name);  // "auto", "text", ...; throws otherwise
const char* doc_format_name(DocFormat f);
// kAuto -> a concrete format from the content: a leading '{' means jsonl,
// "<|endoftext|>" anywhere means eot, else text (blank-line separated). The file
// name (.jsonl/.json) only decides for an empty file.
DocFormat detect_doc_format(std::string_view path, std::string_view bytes);

struct DocCorpus {
  DocFormat format = DocFormat::kText;
  std::vector<std::string> texts;   // (D,) document texts
  std::vector<std::string> records; // (D,) jsonl only: the original JSON object per document
  std::vector<size_t> lines;        // (D,) 1-based line where each document starts
  size_t input_bytes_repaired = 0;  // jsonl only: invalid UTF-8 bytes fixed before parsing
};

// `source` names the input in error messages ("data.jsonl:17: ...").
DocCorpus parse_documents(std::string_view bytes, DocFormat format, const std::string& source);

// Serializes texts[i] (with corpus.records[source_index[i]] for jsonl) in the
// corpus's format. In "text" format a document cannot contain a blank line, so
// internal blank lines are collapsed to single newlines; *collapsed (optional)
// counts the documents that needed it. In "lines" format newlines become spaces.
std::string serialize_documents(const DocCorpus& corpus, const std::vector<std::string>& texts,
                                const std::vector<size_t>& source_index, size_t* collapsed = nullptr);

}  // namespace llm
