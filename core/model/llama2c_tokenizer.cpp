// llama2.c tokenizer.bin: reading/writing, our byte-level BPE -> tokenizer.bin, SentencePiece-style
// tokenizer.bin -> our tokenizer.json, and run.c's own encoder (see llama2c.h, docs/interop.md).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <unordered_map>

#include "core/model/llama2c.h"
#include "core/tokenizer/bpe.h"
#include "core/tokenizer/byte_level.h"
#include "core/tokenizer/json_util.h"
#include "core/tokenizer/unicode.h"

namespace llm::llama2c {

// ---------------------------------------------------------------- the file

std::vector<uint8_t> write_tokenizer(const Vocab& v) {
  if (v.pieces.size() != v.scores.size()) throw std::runtime_error("tokenizer.bin: pieces and scores differ in length");
  std::vector<uint8_t> out;
  auto put = [&](const void* p, size_t n) { out.insert(out.end(), (const uint8_t*)p, (const uint8_t*)p + n); };
  put(&v.max_token_length, 4);
  for (size_t i = 0; i < v.pieces.size(); i++) {
    const int32_t len = int32_t(v.pieces[i].size());
    put(&v.scores[i], 4);
    put(&len, 4);
    put(v.pieces[i].data(), v.pieces[i].size());
  }
  return out;
}

Vocab read_tokenizer(const uint8_t* data, size_t size, int vocab_size, const std::string& what) {
  Vocab v;
  size_t at = 0;
  auto need = [&](size_t n, const std::string& field) {
    if (size - at < n)
      throw std::runtime_error(what + ": truncated at byte offset " + std::to_string(size) + " while reading " + field +
                               " (needs " + std::to_string(n) + " bytes from offset " + std::to_string(at) +
                               "); the model's vocab_size is " + std::to_string(vocab_size));
  };
  need(4, "max_token_length");
  std::memcpy(&v.max_token_length, data, 4);
  at = 4;
  v.pieces.resize(size_t(vocab_size));
  v.scores.resize(size_t(vocab_size));
  for (int i = 0; i < vocab_size; i++) {
    const std::string tok = "token " + std::to_string(i);
    int32_t len;
    need(8, tok + "'s score and length");
    std::memcpy(&v.scores[i], data + at, 4);
    std::memcpy(&len, data + at + 4, 4);
    if (len < 0 || uint32_t(len) > std::max<uint32_t>(v.max_token_length, 1u << 16))
      throw std::runtime_error(what + ": token " + std::to_string(i) + " has length " + std::to_string(len) +
                               " at byte offset " + std::to_string(at + 4) + " (max_token_length is " +
                               std::to_string(v.max_token_length) + ")");
    at += 8;
    need(size_t(len), tok + "'s bytes");
    v.pieces[i].assign(reinterpret_cast<const char*>(data + at), size_t(len));
    at += size_t(len);
  }
  if (at != size)
    throw std::runtime_error(what + ": " + std::to_string(size - at) + " bytes left after token " +
                             std::to_string(vocab_size - 1) + " at byte offset " + std::to_string(at) +
                             ": the tokenizer has more tokens than the model's vocab_size " + std::to_string(vocab_size) +
                             " (tokenizer.bin of another model?)");
  return v;
}

// ---------------------------------------------------------------- BPE -> tokenizer.bin

ExportedVocab export_vocab(const BpeTokenizer& tok, int model_vocab, bool keep_ids) {
  const int n = tok.vocab_size();
  if (n > model_vocab)
    throw std::runtime_error("llama2.c export: the tokenizer has " + std::to_string(n) +
                             " tokens but the model only " + std::to_string(model_vocab) + " embedding rows");
  ExportedVocab e;
  e.order.assign(size_t(model_vocab), -1);
  std::vector<uint8_t> used(size_t(model_vocab), 0);
  auto place = [&](int slot, int32_t id) {
    if (id < 0 || slot >= model_vocab || used[size_t(id)] || e.order[size_t(slot)] >= 0) return false;
    e.order[size_t(slot)] = id;
    used[size_t(id)] = 1;
    return true;
  };
  auto find = [&](std::initializer_list<const char*> names) {
    for (const char* s : names)
      if (int32_t id = tok.token_id(s); id >= 0) return id;
    return int32_t(-1);
  };
  auto name = [&](int32_t id) {
    return id < n ? "'" + (tok.is_special(id) ? tok.token_bytes(id) : tok.id_to_token(id)) + "' (our id " +
                        std::to_string(id) + ")"
                  : "padding row " + std::to_string(id);
  };
  bool bytes_placed = false;
  if (!keep_ids) {
    const int32_t bos = find({"<|endoftext|>", "<s>", "<|begin_of_text|>", "<bos>"});
    const int32_t eos = find({"<|im_end|>", "</s>", "<|end_of_text|>", "<|eot_id|>", "<eos>"});
    place(0, find({"<unk>", "<|pad|>", "<pad>"}));
    if (place(1, bos)) e.bos = bos;
    if (place(2, eos)) e.eos = eos;
    bytes_placed = model_vocab >= 259;
    for (int b = 0; b < 256 && bytes_placed; b++) bytes_placed = tok.bytes_to_id(std::string(1, char(b))) >= 0;
    if (bytes_placed)
      for (int b = 0; b < 256; b++) place(3 + b, tok.bytes_to_id(std::string(1, char(b))));
    int32_t next = 0;  // the rest, in our id order
    for (int slot = 0; slot < model_vocab; slot++) {
      if (e.order[size_t(slot)] >= 0) continue;
      while (used[size_t(next)]) next++;
      place(slot, next);
    }
  } else {
    for (int i = 0; i < model_vocab; i++) e.order[size_t(i)] = i;
    if (n > 1 && tok.is_special(1)) e.bos = 1;
    if (n > 2 && tok.is_special(2)) e.eos = 2;
  }

  // scores: run.c merges the best-scoring pair first; BPE applies the lowest merge rank first
  std::vector<float> ours(size_t(n), kNoMergeScore);
  for (int32_t id = 0; id < n; id++)
    if (tok.is_special(id))
      ours[size_t(id)] = kSpecialScore;
    else if (tok.token_bytes(id).size() == 1)
      ours[size_t(id)] = 0.0f;
  // the k-th distinct token the merge list produces scores -k (with one merge per token, as in
  // tokenizers we train, that is -rank; dense so that import -> export gives the same scores)
  std::vector<uint8_t> scored(size_t(n), 0);
  int k = 0;
  for (const BpeMerge& mg : tok.merges())
    if (!scored[size_t(mg.id)]) scored[size_t(mg.id)] = 1, ours[size_t(mg.id)] = -float(k++);
  e.vocab.pieces.resize(size_t(model_vocab));
  e.vocab.scores.resize(size_t(model_vocab));
  size_t nul_pieces = 0;
  for (int i = 0; i < model_vocab; i++) {
    const int32_t id = e.order[size_t(i)];
    // rows past the tokenizer get a name: run.c cannot read a zero-length piece (fread of 0 bytes)
    e.vocab.pieces[size_t(i)] = id < n ? tok.token_bytes(id) : "<|unused_" + std::to_string(id) + "|>";
    // llama2.c's tokenizer.py writes SentencePiece's BOS/EOS this way; keeps import -> export exact
    if (id < n && tok.is_special(id) && (e.vocab.pieces[size_t(i)] == "<s>" || e.vocab.pieces[size_t(i)] == "</s>"))
      e.vocab.pieces[size_t(i)] = "\n" + e.vocab.pieces[size_t(i)] + "\n";
    e.vocab.scores[size_t(i)] = id < n ? ours[size_t(id)] : kSpecialScore;
    const std::string& p = e.vocab.pieces[size_t(i)];
    e.vocab.max_token_length = std::max(e.vocab.max_token_length, uint32_t(p.size()));
    if (p.find('\0') != std::string::npos && p.size() > 1) nul_pieces++;
  }
  e.vocab.max_token_length = std::max(e.vocab.max_token_length, 1u);

  // ---- what a run.c user should know ----
  if (!keep_ids) {
    e.notes.push_back("ids are re-laid out for run.c (embedding and classifier rows follow): llama2.c id 0 = " +
                      name(e.order[0]) + ", 1 (BOS) = " + name(e.order[1]) + ", 2 (EOS) = " + name(e.order[2]) +
                      (bytes_placed ? ", 3+b = the token of byte b" : ""));
    if (e.bos < 0)
      e.notes.push_back("the tokenizer has no <|endoftext|>: run.c starts every prompt with " + name(e.order[1]) +
                        " and stops when the model emits it");
    else
      e.notes.push_back("run.c starts every text with id 1 = " + name(e.bos) +
                        " (our document separator, so generation starts a new document) and stops when the model "
                        "emits it; it also drops a leading space of the first piece printed after it");
    if (!bytes_placed)
      e.notes.push_back("not every single byte is a token: run.c's byte fallback (id = byte + 3) will pick wrong ids "
                        "for characters outside the vocabulary");
  } else {
    e.notes.push_back("--keep-ids: run.c feeds id 1 = " + name(1) + " as BOS, stops only if the model emits it, "
                      "and its byte fallback (id = byte + 3) picks wrong ids for characters without a token");
  }
  e.notes.push_back("run.c prepends a dummy \" \" to a non-empty prompt (SentencePiece's add_dummy_prefix), so "
                    "\"Once\" is read as \" Once\"");
  if (nul_pieces)
    e.notes.push_back(std::to_string(nul_pieces) + " tokens contain a NUL byte; run.c handles pieces as C strings "
                      "and sees them truncated");
  if (n < model_vocab)
    e.notes.push_back(std::to_string(model_vocab - n) + " embedding rows have no token; their pieces are "
                      "named <|unused_ID|>");
  return e;
}

// ---------------------------------------------------------------- tokenizer.bin -> tokenizer.json

namespace {

// "<0x0A>" -> 10; -1 for anything else (SentencePiece's byte-fallback pieces)
int byte_piece(const std::string& p) {
  if (p.size() != 6 || p.compare(0, 3, "<0x") != 0 || p[5] != '>') return -1;
  int v = 0;
  for (int i = 3; i < 5; i++) {
    const char c = p[i];
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

// a piece that is exactly one UTF-8 character of two bytes (SentencePiece starts from characters)
bool is_two_byte_char(const std::string& p) {
  return p.size() == 2 && (uint8_t(p[0]) & 0xE0) == 0xC0 && (uint8_t(p[1]) & 0xC0) == 0x80;
}

}  // namespace

std::string vocab_to_tokenizer_json(const Vocab& v, std::vector<std::string>* notes) {
  const int32_t V = int32_t(v.pieces.size());
  std::vector<std::string> special(static_cast<size_t>(V), std::string());  // content, non-empty for specials
  std::vector<uint8_t> regular(size_t(V), 0);
  std::unordered_map<std::string, int32_t> by_bytes;  // regular token bytes -> id
  std::unordered_map<std::string, int32_t> special_ids;
  auto make_special = [&](int32_t id, std::string content) {
    if (content.empty() || !uni::is_valid_utf8(content) || special_ids.count(content))
      content = "<|llama2c_" + std::to_string(id) + "|>";
    special[size_t(id)] = content;
    special_ids[content] = id;
  };
  int dups = 0, byte_conflicts = 0;
  for (int32_t id = 0; id < V; id++) {
    const std::string& p = v.pieces[size_t(id)];
    if (p == "<unk>" || p == "\n<s>\n" || p == "\n</s>\n")
      make_special(id, p == "<unk>" ? p : p.substr(1, p.size() - 2));
    else if (v.scores[size_t(id)] <= kSpecialScore * 0.5f || p.empty())
      make_special(id, p);
    else if (byte_piece(p) >= 0)
      continue;  // second pass: it may collide with a piece of the same byte
    else if (by_bytes.count(p))
      make_special(id, ""), dups++;
    else
      by_bytes[p] = id, regular[size_t(id)] = 1;
  }
  for (int32_t id = 0; id < V; id++) {
    const std::string& p = v.pieces[size_t(id)];
    const int b = byte_piece(p);
    if (b < 0 || !special[size_t(id)].empty() || regular[size_t(id)]) continue;
    const std::string byte(1, char(b));
    if (by_bytes.count(byte)) {
      make_special(id, p);  // SentencePiece never emits it: the character has its own piece
      byte_conflicts++;
    } else {
      by_bytes[byte] = id;
      regular[size_t(id)] = 1;
    }
  }
  auto bytes_of = [&](int32_t id) -> std::string {
    const int b = byte_piece(v.pieces[size_t(id)]);
    return b >= 0 ? std::string(1, char(b)) : v.pieces[size_t(id)];
  };

  // merges: every split of a piece into two regular tokens
  struct Merge {
    bool char_level;
    float score;
    int32_t id, left, right;
  };
  // a SentencePiece vocabulary (it has <0xNN> pieces) starts from characters, ours from bytes
  const bool from_chars = std::any_of(v.pieces.begin(), v.pieces.end(), [](const std::string& p) { return byte_piece(p) >= 0; });
  std::vector<Merge> merges;
  for (int32_t id = 0; id < V; id++) {
    if (!regular[size_t(id)]) continue;
    const std::string p = bytes_of(id);
    for (size_t k = 1; k < p.size(); k++) {
      auto l = by_bytes.find(p.substr(0, k)), r = by_bytes.find(p.substr(k));
      if (l != by_bytes.end() && r != by_bytes.end())
        merges.push_back({from_chars && is_two_byte_char(p), v.scores[size_t(id)], id, l->second, r->second});
    }
  }
  std::stable_sort(merges.begin(), merges.end(), [](const Merge& a, const Merge& b) {
    if (a.char_level != b.char_level) return a.char_level;
    if (a.score != b.score) return a.score > b.score;
    return a.id < b.id;
  });
  // which pieces the byte-level encoder can build at all
  std::vector<uint8_t> reach(size_t(V), 0);
  for (int32_t id = 0; id < V; id++) reach[size_t(id)] = regular[size_t(id)] && bytes_of(id).size() == 1;
  for (bool changed = true; changed;) {
    changed = false;
    for (const Merge& m : merges)
      if (!reach[size_t(m.id)] && reach[size_t(m.left)] && reach[size_t(m.right)]) reach[size_t(m.id)] = 1, changed = true;
  }
  int unreachable = 0, wide = 0, missing_bytes = 0;
  for (int32_t id = 0; id < V; id++) {
    if (!regular[size_t(id)] || reach[size_t(id)]) continue;
    unreachable++;
    const std::string p = bytes_of(id);
    wide += std::any_of(p.begin(), p.end(), [](char c) { return uint8_t(c) >= 0xE0; });  // 3/4-byte lead
  }
  for (int b = 0; b < 256; b++) missing_bytes += !by_bytes.count(std::string(1, char(b)));

  if (notes) {
    notes->push_back("tokenizer.json: byte-level BPE with the model's ids; " + std::to_string(merges.size()) +
                     " merges ranked by SentencePiece score; a pre-token that is a whole piece maps to it directly "
                     "(ignore_merges), as SentencePiece reaches it from whole characters");
    notes->push_back("SentencePiece adds a dummy prefix space; our byte-level BPE does not: start a prompt with \" \" "
                     "(\" Once upon\") to get SentencePiece's ids for the first word");
    if (byte_conflicts)
      notes->push_back(std::to_string(byte_conflicts) + " byte tokens like <0x41> duplicate a piece of the same byte "
                       "(SentencePiece never emits them): they became specials and decode as their literal text");
    if (unreachable)
      notes->push_back(std::to_string(unreachable) + " pieces have no byte-level merge path (" +
                       std::to_string(wide) + " of them hold characters of 3 or more UTF-8 bytes, which "
                       "SentencePiece treats as one symbol" +
                       "): they are produced only when a whole pre-token equals them, otherwise such text gets "
                       "smaller tokens (bytes); decoding is unaffected");
    if (dups) notes->push_back(std::to_string(dups) + " pieces repeat an earlier piece's bytes: they became specials");
    if (missing_bytes)
      notes->push_back(std::to_string(missing_bytes) + " of the 256 bytes have no token: the encoder drops them");
  }

  // ---- tokenizer.json, written by hand like BpeTokenizer::to_hf_json ----
  std::string out = "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [";
  bool first = true;
  for (int32_t id = 0; id < V; id++) {
    if (special[size_t(id)].empty()) continue;
    out += first ? "\n    " : ",\n    ";
    out += tokjson::added_token_entry(id, special[size_t(id)], true);
    first = false;
  }
  out += first ? "],\n" : "\n  ],\n";
  const char* byte_level = "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true}";
  out += "  \"normalizer\": null,\n";
  out += std::string("  \"pre_tokenizer\": ") + byte_level + ",\n";
  out += std::string("  \"decoder\": ") + byte_level + ",\n";
  out += "  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n"
         "    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n"
         "    \"fuse_unk\": false,\n    \"byte_fallback\": false,\n    \"ignore_merges\": true,\n    \"vocab\": {";
  first = true;
  for (int32_t id = 0; id < V; id++) {
    if (!regular[size_t(id)]) continue;
    out += first ? "\n      " : ",\n      ";
    out += tokjson::quote(byte_level::encode(bytes_of(id))) + ": " + std::to_string(id);
    first = false;
  }
  out += "\n    },\n    \"merges\": [";
  for (size_t r = 0; r < merges.size(); r++) {
    out += r ? ",\n      " : "\n      ";
    out += tokjson::quote(byte_level::encode(bytes_of(merges[r].left)) + " " + byte_level::encode(bytes_of(merges[r].right)));
  }
  out += merges.empty() ? "]\n  }\n}\n" : "\n    ]\n  }\n}\n";
  return out;
}

// ---------------------------------------------------------------- run.c's tokenizer

namespace {
// run.c compares pieces as C strings
std::string c_str_of(const std::string& s) { return s.substr(0, std::min(s.size(), s.find('\0'))); }
}  // namespace

std::vector<int32_t> runc_encode(const Vocab& v, std::string_view text, bool bos, bool eos) {
  // run.c binary-searches a sorted copy; with duplicate pieces which id it finds is unspecified,
  // here the lowest id wins
  std::unordered_map<std::string, int32_t> lookup;
  for (int32_t i = 0; i < int32_t(v.pieces.size()); i++) lookup.emplace(c_str_of(v.pieces[size_t(i)]), i);
  auto find = [&](const std::string& s) {
    auto it = lookup.find(s);
    return it == lookup.end() ? int32_t(-1) : it->second;
  };
  const std::string t = c_str_of(std::string(text));  // run.c gets the prompt as a C string
  std::vector<int32_t> ids;
  if (bos) ids.push_back(1);
  if (!t.empty()) ids.push_back(find(" "));
  // one UTF-8 character at a time (at most 4 bytes), else its bytes + 3
  std::string buf;
  for (size_t i = 0; i < t.size(); i++) {
    const uint8_t c = uint8_t(t[i]);
    if ((c & 0xC0) != 0x80) buf.clear();
    buf += char(c);
    const uint8_t next = i + 1 < t.size() ? uint8_t(t[i + 1]) : 0;
    if ((next & 0xC0) == 0x80 && buf.size() < 4) continue;
    const int32_t id = find(buf);
    if (id >= 0)
      ids.push_back(id);
    else
      for (char b : buf) ids.push_back(int32_t(uint8_t(b)) + 3);
    buf.clear();
  }
  // merge the best-scoring adjacent pair until none is in the vocabulary
  for (;;) {
    float best = -1e10f;
    int32_t best_id = -1;
    size_t best_i = 0;
    for (size_t i = 0; i + 1 < ids.size(); i++) {
      if (ids[i] < 0 || ids[i + 1] < 0 || ids[i] >= int32_t(v.pieces.size()) || ids[i + 1] >= int32_t(v.pieces.size()))
        continue;
      const int32_t id = find(c_str_of(v.pieces[size_t(ids[i])]) + c_str_of(v.pieces[size_t(ids[i + 1])]));
      if (id >= 0 && v.scores[size_t(id)] > best) best = v.scores[size_t(id)], best_id = id, best_i = i;
    }
    if (best_id < 0) break;
    ids[best_i] = best_id;
    ids.erase(ids.begin() + long(best_i) + 1);
  }
  if (eos) ids.push_back(2);
  return ids;
}

std::string runc_piece(const Vocab& v, int32_t prev, int32_t tok) {
  if (tok < 0 || tok >= int32_t(v.pieces.size())) return "";
  std::string piece = c_str_of(v.pieces[size_t(tok)]);
  if (prev == 1 && !piece.empty() && piece[0] == ' ') piece.erase(0, 1);
  unsigned char byte = 0;
  if (std::sscanf(piece.c_str(), "<0x%02hhX>", &byte) == 1) piece = c_str_of(std::string(1, char(byte)));
  if (piece.size() == 1) {  // isprint || isspace in the C locale
    const uint8_t b = uint8_t(piece[0]);
    if (!((b >= 0x20 && b < 0x7F) || (b >= 0x09 && b <= 0x0D))) return "";
  }
  return piece;
}

}  // namespace llm::llama2c
