// BpeTokenizer <-> Hugging Face tokenizer.json.
//
// What the file holds for a byte-level BPE:
//   model.vocab   {"<byte-level string>": id}: each token's bytes spelled with
//                 the GPT-2 byte->unicode alphabet ("Ġthe" is " the")
//   model.merges  ["Ġ t", ...] in rank order (we also read [["Ġ", "t"], ...])
//   added_tokens  specials, matched before pre-tokenization, never split
//   pre_tokenizer ByteLevel with the GPT-2 regex; decoder ByteLevel
// Anything we could not reproduce exactly (a normalizer, another pre-tokenizer,
// dropout, ...) is rejected with an error instead of giving different ids.
#include <map>

#include "core/tokenizer/bpe.h"
#include "core/tokenizer/byte_level.h"
#include "core/tokenizer/json_util.h"

namespace llm {

using tokjson::fail;
using tokjson::quote;

std::string BpeTokenizer::to_hf_json() const {
  std::string out;
  out.reserve(size_t(vocab_size()) * 24 + merges_.size() * 20 + 1024);
  out += "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [";
  bool first = true;
  for (const auto& [content, id] : special_tokens()) {
    out += first ? "\n    " : ",\n    ";
    out += tokjson::added_token_entry(id, content, true);
    first = false;
  }
  out += first ? "],\n" : "\n  ],\n";
  const char* byte_level = "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true}";
  out += "  \"normalizer\": null,\n";
  out += std::string("  \"pre_tokenizer\": ") + byte_level + ",\n";
  out += "  \"post_processor\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": false, \"use_regex\": true},\n";
  out += std::string("  \"decoder\": ") + byte_level + ",\n";
  out += "  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n"
         "    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n"
         "    \"fuse_unk\": false,\n    \"byte_fallback\": false,\n    \"ignore_merges\": ";
  out += ignore_merges_ ? "true" : "false";
  out += ",\n    \"vocab\": {";
  // Specials are in the model vocab too (as GPT-2's file has <|endoftext|>),
  // so the model and the added-token table agree on every id.
  for (int32_t id = 0; id < vocab_size(); id++) {
    out += id ? ",\n      " : "\n      ";
    out += quote(id_to_token(id));
    out += ": " + std::to_string(id);
  }
  out += "\n    },\n    \"merges\": [";
  for (size_t r = 0; r < merges_.size(); r++) {
    out += r ? ",\n      " : "\n      ";
    out += quote(id_to_token(merges_[r].left) + " " + id_to_token(merges_[r].right));
  }
  out += merges_.empty() ? "]\n  }\n}\n" : "\n    ]\n  }\n}\n";
  return out;
}

namespace {

// Rejects a pre-tokenizer/decoder/post-processor we cannot reproduce exactly.
void check_byte_level(const nlohmann::json& root, const char* key, bool required) {
  auto it = root.find(key);
  if (it == root.end() || it->is_null()) {
    if (required) fail(std::string("'") + key + "' must be ByteLevel (it is missing or null)");
    return;
  }
  const std::string path = key;
  if (!it->is_object() || tokjson::get_string(*it, "type", path) != "ByteLevel")
    fail("'" + path + "' must be {\"type\": \"ByteLevel\"}; only GPT-2 style byte-level BPE is supported");
  if (std::string(key) == "pre_tokenizer") {
    if (tokjson::get_bool_or(*it, "add_prefix_space", false, path))
      fail("'pre_tokenizer.add_prefix_space' = true is not supported");
    if (!tokjson::get_bool_or(*it, "use_regex", true, path))
      fail("'pre_tokenizer.use_regex' = false is not supported");
  }
}

}  // namespace

BpeTokenizer BpeTokenizer::from_hf_json(const std::string& json_text) {
  const nlohmann::json root = tokjson::parse(json_text);
  const nlohmann::json& model = tokjson::model_of_type(root, "BPE");
  if (model.contains("dropout") && !model["dropout"].is_null()) fail("'model.dropout' is not supported");
  for (const char* k : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    auto it = model.find(k);
    if (it != model.end() && !it->is_null() && !(it->is_string() && it->get<std::string>().empty()))
      fail(std::string("'model.") + k + "' is not supported for byte-level BPE");
  }
  check_byte_level(root, "pre_tokenizer", true);
  check_byte_level(root, "decoder", false);
  check_byte_level(root, "post_processor", false);

  // ---- ids: model.vocab plus added_tokens, which must tile 0..N-1 ----
  const nlohmann::json& vocab = tokjson::member(model, "vocab", "model");
  if (!vocab.is_object()) fail("'model.vocab' must be an object {token: id}");
  std::map<int32_t, std::string> by_id;  // id -> vocab spelling
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer()) fail("'model.vocab[\"" + it.key() + "\"]' must be an integer id");
    const int64_t id = it.value().get<int64_t>();
    if (id < 0 || id >= INT32_MAX) fail("'model.vocab[\"" + it.key() + "\"]' = " + std::to_string(id) + " is out of range");
    if (!by_id.emplace(int32_t(id), it.key()).second)
      fail("id " + std::to_string(id) + " appears twice in 'model.vocab' (\"" + by_id[int32_t(id)] + "\" and \"" +
           it.key() + "\")");
  }
  const auto added = tokjson::read_added_tokens(root);
  std::map<int32_t, std::string> added_by_id;
  for (const auto& a : added) {
    auto v = by_id.find(a.id);
    if (v != by_id.end() && v->second != a.content)
      fail("added token \"" + a.content + "\" has id " + std::to_string(a.id) + ", which model.vocab gives to \"" +
           v->second + "\"");
    added_by_id[a.id] = a.content;
  }
  int32_t n = 0;
  if (!by_id.empty()) n = std::max(n, by_id.rbegin()->first + 1);
  if (!added_by_id.empty()) n = std::max(n, added_by_id.rbegin()->first + 1);

  BpeTokenizer tok;
  tok.tokens_.assign(n, std::string());
  tok.special_.assign(n, 0);
  for (int32_t id = 0; id < n; id++) {
    auto a = added_by_id.find(id);
    if (a != added_by_id.end()) {
      tok.tokens_[id] = a->second;
      tok.special_[id] = 1;
      continue;
    }
    auto v = by_id.find(id);
    if (v == by_id.end())
      fail("id " + std::to_string(id) + " is in neither 'model.vocab' nor 'added_tokens' (ids must be 0.." +
           std::to_string(n - 1) + " without gaps)");
    if (!byte_level::decode(v->second, &tok.tokens_[id]))
      fail("'model.vocab' token \"" + v->second + "\" (id " + std::to_string(id) +
           ") is not spelled in the byte-level alphabet");
  }
  tok.ignore_merges_ = tokjson::get_bool_or(model, "ignore_merges", false, "model");
  tok.merges_.clear();
  tok.rebuild_indexes();  // by_bytes_ for the merge lookups below

  // ---- merges: "a b" or ["a", "b"], in rank order ----
  const nlohmann::json& merges = tokjson::member(model, "merges", "model");
  if (!merges.is_array()) fail("'model.merges' must be a list");
  for (size_t r = 0; r < merges.size(); r++) {
    const auto& m = merges[r];
    const std::string path = "'model.merges[" + std::to_string(r) + "]'";
    std::string a, b;
    if (m.is_string()) {
      const std::string s = m.get<std::string>();
      const size_t sp = s.find(' ');
      if (sp == std::string::npos || sp == 0 || sp + 1 >= s.size() || s.find(' ', sp + 1) != std::string::npos)
        fail(path + " = \"" + s + "\" must be two tokens separated by one space");
      a = s.substr(0, sp);
      b = s.substr(sp + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      a = m[0].get<std::string>();
      b = m[1].get<std::string>();
    } else {
      fail(path + " must be \"a b\" or [\"a\", \"b\"]");
    }
    std::string ba, bb;
    const bool ok_a = byte_level::decode(a, &ba), ok_b = byte_level::decode(b, &bb);
    const int32_t ia = ok_a ? tok.bytes_to_id(ba) : -1, ib = ok_b ? tok.bytes_to_id(bb) : -1;
    if (ia < 0) fail(path + ": token \"" + a + "\" is not in 'model.vocab'");
    if (ib < 0) fail(path + ": token \"" + b + "\" is not in 'model.vocab'");
    const int32_t ic = tok.bytes_to_id(ba + bb);
    if (ic < 0) fail(path + ": merged token \"" + a + b + "\" is not in 'model.vocab'");
    tok.merges_.push_back({ia, ib, ic, 0});
  }
  tok.rebuild_indexes();
  for (const auto& a : added) tok.specials_.add(a.content, a.id);
  return tok;
}

}  // namespace llm
