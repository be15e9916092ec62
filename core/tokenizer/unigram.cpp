// Unigram: Viterbi encoding, decoding, tokenizer.json (training is in
// unigram_train.cpp).
#include "core/tokenizer/unigram.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include "core/tokenizer/json_util.h"
#include "core/tokenizer/pretokenize.h"
#include "core/tokenizer/unicode.h"

namespace llm {

namespace {

std::string byte_piece(int b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "<0x%02X>", b);
  return buf;
}

// "<0xNN>" -> NN, or -1.
int parse_byte_piece(const std::string& s) {
  if (s.size() != 6 || s.compare(0, 3, "<0x") != 0 || s[5] != '>') return -1;
  int v = 0;
  for (int i = 3; i < 5; i++) {
    const char c = s[i];
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

}  // namespace

UnigramTokenizer::UnigramTokenizer(std::vector<Piece> pieces, int32_t unk_id, bool byte_fallback)
    : pieces_(std::move(pieces)), unk_id_(unk_id), byte_fallback_(byte_fallback) {
  if (unk_id_ < 0 || unk_id_ >= vocab_size()) throw std::runtime_error("unigram: unk id out of range");
  for (int b = 0; b < 256; b++) byte_id_[b] = -1;
  double min_score = 0;
  for (int32_t id = 0; id < vocab_size(); id++) {
    const Piece& p = pieces_[id];
    if (p.text.empty()) throw std::runtime_error("unigram: piece " + std::to_string(id) + " is empty");
    switch (p.kind) {
      case kSpecial: specials_.add(p.text, id); break;
      case kByte: {
        const int b = parse_byte_piece(p.text);
        if (b < 0) throw std::runtime_error("unigram: byte piece '" + p.text + "' is not <0xNN>");
        byte_id_[b] = id;
        break;
      }
      case kNormal:
        if (!index_.emplace(p.text, id).second)
          throw std::runtime_error("unigram: piece '" + p.text + "' appears twice");
        trie_.insert(p.text, id);
        min_score = std::min(min_score, p.score);
        break;
    }
  }
  if (byte_fallback_)
    for (int b = 0; b < 256; b++)
      if (byte_id_[b] < 0) throw std::runtime_error("unigram: byte_fallback needs piece " + byte_piece(b));
  unk_score_ = min_score - 10.0;  // SentencePiece's penalty for an unknown character
}

std::vector<int32_t> UnigramTokenizer::viterbi(std::string_view word, double* score) const {
  // Lattice nodes are character boundaries 0..m; best[k] is the best score of
  // word[0, bounds[k]) and (from[k], piece[k]) the last edge on that path.
  std::vector<size_t> bounds;         // (m+1,) byte offset of each character boundary
  std::vector<int> char_of_byte(word.size() + 1, -1);  // (bytes+1,) character index at a boundary
  const auto* p = reinterpret_cast<const unsigned char*>(word.data());
  for (size_t i = 0; i < word.size();) {
    char_of_byte[i] = int(bounds.size());
    bounds.push_back(i);
    uint32_t cp;
    i += uni::decode_utf8(p, i, word.size(), &cp);
  }
  char_of_byte[word.size()] = int(bounds.size());
  bounds.push_back(word.size());
  const int m = int(bounds.size()) - 1;
  const double kNone = -std::numeric_limits<double>::infinity();
  std::vector<double> best(m + 1, kNone);  // (m+1,)
  std::vector<int> from(m + 1, -1);        // (m+1,)
  std::vector<int32_t> piece(m + 1, -1);   // (m+1,) -1: fallback for one character
  best[0] = 0;
  for (int k = 0; k < m; k++) {
    if (best[k] == kNone) continue;
    bool single = false;
    trie_.prefixes(word, bounds[k], [&](size_t end, int32_t id) {
      const int e = char_of_byte[end];  // -1: the piece would end inside a character
      if (e <= k) return;
      if (e == k + 1) single = true;
      const double s = best[k] + pieces_[id].score;
      if (s > best[e]) { best[e] = s; from[e] = k; piece[e] = id; }
    });
    if (!single) {  // this character has no piece: cover it by fallback
      const double s = best[k] + unk_score_;
      if (s > best[k + 1]) { best[k + 1] = s; from[k + 1] = k; piece[k + 1] = -1; }
    }
  }
  if (score) *score = best[m];
  // Walk back, then reverse; fallback edges expand to byte pieces (or unk).
  std::vector<int32_t> rev;
  for (int e = m; e > 0; e = from[e]) {
    const int k = from[e];
    if (piece[e] >= 0) {
      rev.push_back(piece[e]);
    } else if (byte_fallback_) {
      for (size_t i = bounds[e]; i-- > bounds[k];) rev.push_back(byte_id_[p[i]]);
    } else {
      rev.push_back(unk_id_);
    }
  }
  return std::vector<int32_t>(rev.rbegin(), rev.rend());
}

std::vector<int32_t> UnigramTokenizer::encode(std::string_view text, bool allow_special) const {
  std::vector<int32_t> out;
  specials_.split(
      text, allow_special,
      [&](std::string_view seg) {
        for (const std::string& w : metaspace_pretokenize(seg)) {
          const auto ids = viterbi(w);
          out.insert(out.end(), ids.begin(), ids.end());
        }
      },
      [&](int32_t id) { out.push_back(id); });
  return out;
}

std::string UnigramTokenizer::decode(const std::vector<int32_t>& ids) const {
  // Each plain segment (text between specials) was encoded with one "▁"
  // prepended: rebuild its bytes, turn "▁" back into spaces, drop the first.
  std::string out, seg;
  auto flush = [&]() {
    std::string s;
    for (size_t i = 0; i < seg.size();) {
      if (seg.compare(i, kMetaspace.size(), kMetaspace) == 0) { s += ' '; i += kMetaspace.size(); }
      else s += seg[i++];
    }
    if (!s.empty() && s[0] == ' ') s.erase(0, 1);
    out += s;
    seg.clear();
  };
  for (size_t i = 0; i < ids.size(); i++) {
    const int32_t id = ids[i];
    if (id < 0 || id >= vocab_size())
      throw std::runtime_error("unigram decode: id " + std::to_string(id) + " at position " + std::to_string(i) +
                               " is outside [0, " + std::to_string(vocab_size()) + ")");
    const Piece& p = pieces_[id];
    if (p.kind == kSpecial) {
      flush();
      out += p.text;
    } else if (p.kind == kByte) {
      seg += char(parse_byte_piece(p.text));
    } else {
      seg += p.text;
    }
  }
  flush();
  return out;
}

std::string UnigramTokenizer::id_to_token(int32_t id) const {
  if (id < 0 || id >= vocab_size()) throw std::runtime_error("unigram: id " + std::to_string(id) + " out of range");
  return pieces_[id].text;
}

int32_t UnigramTokenizer::token_id(std::string_view token) const {
  for (int32_t id = 0; id < vocab_size(); id++)
    if (pieces_[id].kind != kNormal && pieces_[id].text == token) return id;
  auto it = index_.find(std::string(token));
  return it == index_.end() ? -1 : it->second;
}

std::vector<std::pair<std::string, int32_t>> UnigramTokenizer::special_tokens() const {
  std::vector<std::pair<std::string, int32_t>> out;
  for (int32_t id = 0; id < vocab_size(); id++)
    if (pieces_[id].kind == kSpecial) out.push_back({pieces_[id].text, id});
  return out;
}

std::string UnigramTokenizer::to_json() const {
  using tokjson::quote;
  std::string out = "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [";
  bool first = true;
  for (const auto& [content, id] : special_tokens()) {
    out += first ? "\n    " : ",\n    ";
    out += tokjson::added_token_entry(id, content, true);
    first = false;
  }
  out += first ? "],\n" : "\n  ],\n";
  const std::string meta = "{\"type\": \"Metaspace\", \"replacement\": \"\xE2\x96\x81\", \"prepend_scheme\": \"always\", \"split\": true}";
  out += "  \"normalizer\": null,\n  \"pre_tokenizer\": " + meta + ",\n  \"post_processor\": null,\n";
  out += "  \"decoder\": {\"type\": \"Sequence\", \"decoders\": [{\"type\": \"ByteFallback\"}, " + meta + "]},\n";
  out += "  \"model\": {\n    \"type\": \"Unigram\",\n    \"unk_id\": " + std::to_string(unk_id_) +
         ",\n    \"byte_fallback\": " + (byte_fallback_ ? "true" : "false") + ",\n    \"vocab\": [";
  char buf[40];
  for (int32_t id = 0; id < vocab_size(); id++) {
    out += id ? ",\n      [" : "\n      [";
    std::snprintf(buf, sizeof buf, "%.17g", pieces_[id].score);
    std::string num = buf;
    if (num.find_first_of(".eEn") == std::string::npos) num += ".0";
    out += quote(pieces_[id].text) + ", " + num + "]";
  }
  out += "\n    ]\n  }\n}\n";
  return out;
}

UnigramTokenizer UnigramTokenizer::from_hf_json(const std::string& json_text) {
  using tokjson::fail;
  const nlohmann::json root = tokjson::parse(json_text);
  const auto& model = tokjson::model_of_type(root, "Unigram");
  const auto& pre = tokjson::member(root, "pre_tokenizer", "");
  if (!pre.is_object() || tokjson::get_string(pre, "type", "pre_tokenizer") != "Metaspace")
    fail("'pre_tokenizer' must be {\"type\": \"Metaspace\"}");
  const bool byte_fallback = tokjson::get_bool_or(model, "byte_fallback", false, "model");
  const auto& vocab = tokjson::member(model, "vocab", "model");
  if (!vocab.is_array()) fail("'model.vocab' must be a list of [piece, score]");
  std::vector<std::string> added(vocab.size());
  for (const auto& a : tokjson::read_added_tokens(root)) {
    if (a.id >= int32_t(vocab.size())) fail("added token \"" + a.content + "\" has id " + std::to_string(a.id) + " beyond 'model.vocab'");
    added[a.id] = a.content;
  }
  std::vector<Piece> pieces;
  for (size_t i = 0; i < vocab.size(); i++) {
    const auto& e = vocab[i];
    if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_number())
      fail("'model.vocab[" + std::to_string(i) + "]' must be [\"piece\", score]");
    Piece p{e[0].get<std::string>(), e[1].get<double>(), kNormal};
    if (!added[i].empty()) {
      if (added[i] != p.text) fail("added token \"" + added[i] + "\" does not match 'model.vocab[" + std::to_string(i) + "]'");
      p.kind = kSpecial;
    } else if (byte_fallback && parse_byte_piece(p.text) >= 0) {
      p.kind = kByte;
    }
    pieces.push_back(std::move(p));
  }
  const int64_t unk = tokjson::get_int(model, "unk_id", "model");
  if (unk < 0 || unk >= int64_t(pieces.size())) fail("'model.unk_id' is out of range");
  try {
    return UnigramTokenizer(std::move(pieces), int32_t(unk), byte_fallback);
  } catch (const std::runtime_error& e) {
    fail(e.what());
  }
}

}  // namespace llm
