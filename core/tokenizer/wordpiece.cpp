#include "core/tokenizer/wordpiece.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "core/tokenizer/flat_hash.h"
#include "core/tokenizer/json_util.h"
#include "core/tokenizer/pretokenize.h"
#include "core/tokenizer/unicode.h"

namespace llm {

// ------------------------------------------------------------------ train --

namespace {

// Words as symbol-id sequences with incremental pair counts, as in the BPE
// trainer, plus per-symbol counts for the WordPiece score.
struct WpState {
  std::vector<std::vector<int32_t>> words;  // (W,) symbols per distinct word
  std::vector<int64_t> word_count;          // (W,)
  std::vector<int64_t> sym_count;           // (vocab,) occurrences of each symbol
  flat::U64Map<int32_t> slot_of{1 << 12};   // pair_key -> slot
  std::vector<int64_t> pair_count;          // (slots,)
  std::vector<int32_t> pair_left, pair_right;
  std::vector<std::vector<int32_t>> pair_words;  // (slots,) words containing the pair (may be stale)

  void add_pair(int32_t a, int32_t b, int64_t n, int32_t w) {
    bool inserted;
    int32_t& s = slot_of.get_or_insert(flat::pair_key(a, b), -1, &inserted);
    if (inserted) {
      s = int32_t(pair_count.size());
      pair_count.push_back(0);
      pair_left.push_back(a);
      pair_right.push_back(b);
      pair_words.emplace_back();
    }
    const int32_t slot = s;
    pair_count[slot] += n;
    if (n > 0 && (pair_words[slot].empty() || pair_words[slot].back() != w)) pair_words[slot].push_back(w);
  }

  // Replaces (a, b) by c in every word containing it, updating all counts.
  void merge(int32_t slot, int32_t a, int32_t b, int32_t c) {
    if (c >= int32_t(sym_count.size())) sym_count.resize(c + 1, 0);
    const std::vector<int32_t> ws = std::move(pair_words[slot]);
    for (int32_t w : ws) {
      std::vector<int32_t>& s = words[w];
      const int64_t n = word_count[w];
      size_t o = 0;
      for (size_t i = 0; i < s.size();) {
        if (i + 1 < s.size() && s[i] == a && s[i + 1] == b) {
          if (o > 0) { add_pair(s[o - 1], a, -n, w); add_pair(s[o - 1], c, n, w); }
          if (i + 2 < s.size()) { add_pair(b, s[i + 2], -n, w); add_pair(c, s[i + 2], n, w); }
          pair_count[slot] -= n;
          sym_count[a] -= n;
          sym_count[b] -= n;
          sym_count[c] += n;
          s[o++] = c;
          i += 2;
        } else {
          s[o++] = s[i++];
        }
      }
      s.resize(o);
    }
    pair_count[slot] = 0;
  }
};

}  // namespace

WordPieceTokenizer WordPieceTokenizer::train(std::string_view text, const WordPieceTrainOptions& opt) {
  std::vector<std::string> specials = opt.specials;
  if (std::find(specials.begin(), specials.end(), opt.unk_token) == specials.end()) specials.push_back(opt.unk_token);
  if (opt.vocab_size < int(specials.size()))
    throw std::runtime_error("wordpiece train: vocab_size " + std::to_string(opt.vocab_size) +
                             " is smaller than the number of specials");
  SpecialMatcher matcher;
  for (size_t i = 0; i < specials.size(); i++) matcher.add(specials[i], int32_t(i));

  // Distinct words and their counts, in byte order (deterministic).
  std::map<std::string, int64_t> counts;
  matcher.split(
      text, true,
      [&](std::string_view seg) {
        bert_pretokenize(seg, [&](size_t b, size_t e) { counts[std::string(seg.substr(b, e - b))]++; });
      },
      [](int32_t) {});

  // Characters of each word: the first as is, the rest as "##c".
  std::vector<std::vector<std::string>> word_chars;
  std::vector<int64_t> word_count;
  std::map<std::string, int64_t> alphabet;  // token -> occurrences
  for (const auto& [w, c] : counts) {
    const auto* p = reinterpret_cast<const unsigned char*>(w.data());
    std::vector<std::string> chars;
    for (size_t i = 0; i < w.size();) {
      uint32_t cp;
      const int len = uni::decode_utf8(p, i, w.size(), &cp);
      chars.push_back((i ? opt.prefix : std::string()) + w.substr(i, len));
      i += len;
    }
    if (int(chars.size()) > opt.max_input_chars_per_word) continue;  // always [UNK]
    for (const auto& ch : chars) alphabet[ch] += c;
    word_chars.push_back(std::move(chars));
    word_count.push_back(c);
  }

  // Vocabulary: specials, then the alphabet (the most frequent characters if
  // it does not fit), then merges.
  std::vector<std::string> tokens = specials;
  std::vector<std::pair<std::string, int64_t>> alpha(alphabet.begin(), alphabet.end());
  const size_t budget = size_t(opt.vocab_size) - specials.size();
  if (alpha.size() > budget) {
    std::stable_sort(alpha.begin(), alpha.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
    alpha.resize(budget);
    std::sort(alpha.begin(), alpha.end());
  }
  std::unordered_map<std::string, int32_t> index;
  for (const auto& [tok, c] : alpha) {
    index[tok] = int32_t(tokens.size());
    tokens.push_back(tok);
  }

  WpState st;
  st.sym_count.assign(tokens.size(), 0);
  for (size_t w = 0; w < word_chars.size(); w++) {
    std::vector<int32_t> ids;
    bool known = true;
    for (const auto& ch : word_chars[w]) {
      auto it = index.find(ch);
      if (it == index.end()) { known = false; break; }
      ids.push_back(it->second);
    }
    if (!known) continue;  // contains a dropped character: encodes to [UNK]
    const int32_t wi = int32_t(st.words.size());
    st.words.push_back(ids);
    st.word_count.push_back(word_count[w]);
    for (size_t i = 0; i < ids.size(); i++) {
      st.sym_count[ids[i]] += word_count[w];
      if (i + 1 < ids.size()) st.add_pair(ids[i], ids[i + 1], word_count[w], wi);
    }
  }

  while (int(tokens.size()) < opt.vocab_size) {
    int32_t best = -1;
    double best_score = 0;
    for (int32_t s = 0; s < int32_t(st.pair_count.size()); s++) {
      if (st.pair_count[s] <= 0) continue;
      const double score = double(st.pair_count[s]) /
                           (double(st.sym_count[st.pair_left[s]]) * double(st.sym_count[st.pair_right[s]]));
      if (best < 0 || score > best_score ||
          (score == best_score && std::make_pair(st.pair_left[s], st.pair_right[s]) <
                                      std::make_pair(st.pair_left[best], st.pair_right[best]))) {
        best = s;
        best_score = score;
      }
    }
    if (best < 0) break;  // every word is one token
    const int32_t a = st.pair_left[best], b = st.pair_right[best];
    const std::string& right = tokens[b];
    const bool cont = right.compare(0, opt.prefix.size(), opt.prefix) == 0;
    const std::string merged = tokens[a] + (cont ? right.substr(opt.prefix.size()) : right);
    int32_t c;
    auto it = index.find(merged);
    if (it != index.end()) {
      c = it->second;  // reached by another path already ("a"+"##bc" vs "ab"+"##c")
    } else {
      c = int32_t(tokens.size());
      index[merged] = c;
      tokens.push_back(merged);
    }
    st.merge(best, a, b, c);
  }
  return WordPieceTokenizer(std::move(tokens), specials, opt.unk_token, opt.prefix, opt.max_input_chars_per_word);
}

// ---------------------------------------------------------------- encode --

WordPieceTokenizer::WordPieceTokenizer(std::vector<std::string> tokens, const std::vector<std::string>& specials,
                                       std::string unk_token, std::string prefix, int max_input_chars_per_word)
    : tokens_(std::move(tokens)), unk_(std::move(unk_token)), prefix_(std::move(prefix)),
      max_chars_(max_input_chars_per_word) {
  special_.assign(tokens_.size(), 0);
  for (int32_t id = 0; id < int32_t(tokens_.size()); id++) {
    if (std::find(specials.begin(), specials.end(), tokens_[id]) != specials.end()) {
      special_[id] = 1;
      specials_.add(tokens_[id], id);
    } else {
      if (!index_.emplace(tokens_[id], id).second)
        throw std::runtime_error("wordpiece: token '" + tokens_[id] + "' appears twice");
      max_token_bytes_ = std::max(max_token_bytes_, tokens_[id].size());
    }
    if (tokens_[id] == unk_) unk_id_ = id;
  }
  if (unk_id_ < 0) throw std::runtime_error("wordpiece: unk token '" + unk_ + "' is not in the vocabulary");
}

void WordPieceTokenizer::encode_word(std::string_view word, std::vector<int32_t>* out) const {
  // Character boundaries, so matches never cut a UTF-8 sequence.
  std::vector<size_t> bounds;  // (chars+1,) byte offsets
  const auto* p = reinterpret_cast<const unsigned char*>(word.data());
  for (size_t i = 0; i < word.size();) {
    bounds.push_back(i);
    uint32_t cp;
    i += uni::decode_utf8(p, i, word.size(), &cp);
  }
  bounds.push_back(word.size());
  const int nchars = int(bounds.size()) - 1;
  if (nchars > max_chars_) { out->push_back(unk_id_); return; }

  const size_t mark = out->size();
  std::string key;
  for (int start = 0; start < nchars;) {
    int found = -1;
    int32_t found_id = -1;
    for (int end = nchars; end > start; end--) {  // longest first
      const size_t len = bounds[end] - bounds[start];
      if (len > max_token_bytes_) continue;
      key.assign(start ? prefix_ : std::string());
      key.append(word.substr(bounds[start], len));
      auto it = index_.find(key);
      if (it != index_.end()) { found = end; found_id = it->second; break; }
    }
    if (found < 0) {  // no piece fits here: the whole word is unknown
      out->resize(mark);
      out->push_back(unk_id_);
      return;
    }
    out->push_back(found_id);
    start = found;
  }
}

std::vector<int32_t> WordPieceTokenizer::encode(std::string_view text, bool allow_special) const {
  std::vector<int32_t> out;
  specials_.split(
      text, allow_special,
      [&](std::string_view seg) {
        bert_pretokenize(seg, [&](size_t b, size_t e) { encode_word(seg.substr(b, e - b), &out); });
      },
      [&](int32_t id) { out.push_back(id); });
  return out;
}

std::string WordPieceTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string out;
  for (size_t i = 0; i < ids.size(); i++) {
    const int32_t id = ids[i];
    if (id < 0 || id >= vocab_size())
      throw std::runtime_error("wordpiece decode: id " + std::to_string(id) + " at position " + std::to_string(i) +
                               " is outside [0, " + std::to_string(vocab_size()) + ")");
    const std::string& t = tokens_[id];
    if (!special_[id] && !prefix_.empty() && t.compare(0, prefix_.size(), prefix_) == 0) {
      out += t.substr(prefix_.size());
    } else {
      if (i) out += ' ';
      out += t;
    }
  }
  return out;
}

std::string WordPieceTokenizer::id_to_token(int32_t id) const {
  if (id < 0 || id >= vocab_size()) throw std::runtime_error("wordpiece: id " + std::to_string(id) + " out of range");
  return tokens_[id];
}

int32_t WordPieceTokenizer::token_id(std::string_view token) const {
  for (const auto& e : specials_.tokens())
    if (e.content == token) return e.id;
  auto it = index_.find(std::string(token));
  return it == index_.end() ? -1 : it->second;
}

std::vector<std::pair<std::string, int32_t>> WordPieceTokenizer::special_tokens() const {
  std::vector<std::pair<std::string, int32_t>> out;
  for (int32_t id = 0; id < vocab_size(); id++)
    if (special_[id]) out.push_back({tokens_[id], id});
  return out;
}

// ------------------------------------------------------------------ json --

std::string WordPieceTokenizer::to_json() const {
  using tokjson::quote;
  std::string out = "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [";
  bool first = true;
  for (const auto& [content, id] : special_tokens()) {
    out += first ? "\n    " : ",\n    ";
    out += tokjson::added_token_entry(id, content, true);
    first = false;
  }
  out += first ? "],\n" : "\n  ],\n";
  out += "  \"normalizer\": null,\n  \"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"},\n  \"post_processor\": null,\n";
  out += "  \"decoder\": {\"type\": \"WordPiece\", \"prefix\": " + quote(prefix_) + ", \"cleanup\": false},\n";
  out += "  \"model\": {\n    \"type\": \"WordPiece\",\n    \"unk_token\": " + quote(unk_) +
         ",\n    \"continuing_subword_prefix\": " + quote(prefix_) +
         ",\n    \"max_input_chars_per_word\": " + std::to_string(max_chars_) + ",\n    \"vocab\": {";
  for (int32_t id = 0; id < vocab_size(); id++) {
    out += id ? ",\n      " : "\n      ";
    out += quote(tokens_[id]) + ": " + std::to_string(id);
  }
  out += "\n    }\n  }\n}\n";
  return out;
}

WordPieceTokenizer WordPieceTokenizer::from_hf_json(const std::string& json_text) {
  using tokjson::fail;
  const nlohmann::json root = tokjson::parse(json_text);
  const auto& model = tokjson::model_of_type(root, "WordPiece");
  const auto& pre = tokjson::member(root, "pre_tokenizer", "");
  if (!pre.is_object() || tokjson::get_string(pre, "type", "pre_tokenizer") != "BertPreTokenizer")
    fail("'pre_tokenizer' must be {\"type\": \"BertPreTokenizer\"}");
  const std::string unk = tokjson::get_string(model, "unk_token", "model");
  std::string prefix = "##";
  if (model.contains("continuing_subword_prefix")) prefix = tokjson::get_string(model, "continuing_subword_prefix", "model");
  int max_chars = 100;
  if (model.contains("max_input_chars_per_word")) max_chars = int(tokjson::get_int(model, "max_input_chars_per_word", "model"));
  const auto& vocab = tokjson::member(model, "vocab", "model");
  if (!vocab.is_object()) fail("'model.vocab' must be an object {token: id}");
  std::vector<std::string> tokens(vocab.size());
  std::vector<uint8_t> seen(vocab.size(), 0);
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer()) fail("'model.vocab[\"" + it.key() + "\"]' must be an integer id");
    const int64_t id = it.value().get<int64_t>();
    if (id < 0 || id >= int64_t(tokens.size()) || seen[id])
      fail("'model.vocab[\"" + it.key() + "\"]' = " + std::to_string(id) + ": ids must be 0.." +
           std::to_string(tokens.size() - 1) + ", each once");
    seen[id] = 1;
    tokens[id] = it.key();
  }
  std::vector<std::string> specials;
  for (const auto& a : tokjson::read_added_tokens(root)) {
    if (a.id >= int32_t(tokens.size()) || tokens[a.id] != a.content)
      fail("added token \"" + a.content + "\" (id " + std::to_string(a.id) + ") is not the same id in 'model.vocab'");
    specials.push_back(a.content);
  }
  try {
    return WordPieceTokenizer(std::move(tokens), specials, unk, prefix, max_chars);
  } catch (const std::runtime_error& e) {
    fail(e.what());
  }
}

}  // namespace llm
