// Byte-level BPE: encoding, decoding and bookkeeping (training is in
// bpe_train.cpp, tokenizer.json in bpe_json.cpp).
//
// Encoding a text:
//   specials are cut out (SpecialMatcher) -> each plain segment is split into
//   GPT-2 pre-tokens -> each pre-token is looked up in a cache, and on a miss
//   merged with a min-heap over (merge rank, position) on a linked list of
//   symbols, which is the same order as GPT-2's "lowest rank first, leftmost
//   first" loop but O(n log n) instead of O(n^2) per word.
#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "core/tokenizer/bpe.h"
#include "core/tokenizer/byte_level.h"
#include "core/tokenizer/pretokenize.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace llm {

// ---------------------------------------------------------------- BpeCache --

BpeCache::BpeCache(size_t max_entries) : max_entries_(max_entries) { clear(); }

void BpeCache::clear() {
  slots_.assign(1024, Slot{0, 0, 0, 0, 0});
  keys_.clear();
  ids_.clear();
  size_ = 0;
}

const int32_t* BpeCache::find(std::string_view word, uint64_t hash, int* n) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.key_len == 0) return nullptr;
    if (s.hash == hash && s.key_len == word.size() &&
        std::memcmp(keys_.data() + s.key_off, word.data(), word.size()) == 0) {
      *n = int(s.ids_len);
      return ids_.data() + s.ids_off;
    }
  }
}

void BpeCache::insert(std::string_view word, uint64_t hash, const int32_t* ids, int n) {
  if (word.empty()) return;
  if (size_ >= max_entries_ || keys_.size() + word.size() > 0xFFFFFFF0u) clear();  // full: start over
  if ((size_ + 1) * 2 > slots_.size()) {  // grow: re-insert every slot
    std::vector<Slot> old(slots_.size() * 2, Slot{0, 0, 0, 0, 0});
    old.swap(slots_);
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.key_len == 0) continue;
      size_t i = s.hash & mask;
      while (slots_[i].key_len != 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }
  const size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  while (slots_[i].key_len != 0) i = (i + 1) & mask;
  slots_[i] = {hash, uint32_t(keys_.size()), uint32_t(word.size()), uint32_t(ids_.size()), uint32_t(n)};
  keys_.append(word.data(), word.size());
  ids_.insert(ids_.end(), ids, ids + n);
  size_++;
}

// ------------------------------------------------------------ BpeTokenizer --

BpeTokenizer::BpeTokenizer() {
  for (int b = 0; b < 256; b++) {
    tokens_.push_back(std::string(1, char(b)));
    special_.push_back(0);
  }
  rebuild_indexes();
}

void BpeTokenizer::rebuild_indexes() {
  for (int b = 0; b < 256; b++) byte_id_[b] = -1;
  by_bytes_.clear();
  for (int32_t id = 0; id < vocab_size(); id++) {
    if (special_[id]) continue;
    by_bytes_[tokens_[id]] = id;
    if (tokens_[id].size() == 1) byte_id_[static_cast<unsigned char>(tokens_[id][0])] = id;
  }
  merge_rank_ = flat::U64Map<RankId>(merges_.size());
  // get_or_insert keeps the first rank of a duplicated merge: a later copy
  // could never fire anyway (the first one takes every occurrence).
  for (int32_t r = 0; r < int32_t(merges_.size()); r++)
    merge_rank_.get_or_insert(flat::pair_key(merges_[r].left, merges_[r].right), {r, merges_[r].id});
}

BpeTokenizer BpeTokenizer::from_merges(const std::vector<std::pair<int32_t, int32_t>>& merges,
                                       const std::vector<std::string>& specials) {
  BpeTokenizer tok;
  for (auto [l, r] : merges) {
    const int32_t id = tok.vocab_size();
    if (l < 0 || r < 0 || l >= id || r >= id)
      throw std::runtime_error("bpe from_merges: merge " + std::to_string(id - 256) + " uses an unknown id");
    tok.merges_.push_back({l, r, id, 0});
    tok.tokens_.push_back(tok.tokens_[l] + tok.tokens_[r]);
    tok.special_.push_back(0);
  }
  tok.rebuild_indexes();
  for (const auto& s : specials) tok.add_special_token(s);
  return tok;
}

int32_t BpeTokenizer::add_special_token(const std::string& content) {
  for (const auto& e : specials_.tokens())
    if (e.content == content) return e.id;
  if (by_bytes_.count(content))
    throw std::runtime_error("special token '" + content + "' collides with regular token id " +
                             std::to_string(by_bytes_.at(content)));
  const int32_t id = vocab_size();
  specials_.add(content, id);  // validates UTF-8 / non-empty
  tokens_.push_back(content);
  special_.push_back(1);
  return id;
}

std::vector<std::pair<std::string, int32_t>> BpeTokenizer::special_tokens() const {
  std::vector<std::pair<std::string, int32_t>> out;
  for (const auto& e : specials_.tokens()) out.push_back({e.content, e.id});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  return out;
}

void BpeTokenizer::check_id(int32_t id, size_t pos) const {
  if (id < 0 || id >= vocab_size())
    throw std::runtime_error("bpe decode: id " + std::to_string(id) + " at position " + std::to_string(pos) +
                             " is outside [0, " + std::to_string(vocab_size()) + ")");
}

const std::string& BpeTokenizer::token_bytes(int32_t id) const {
  check_id(id, 0);
  return tokens_[id];
}

std::string BpeTokenizer::id_to_token(int32_t id) const {
  check_id(id, 0);
  return special_[id] ? tokens_[id] : byte_level::encode(tokens_[id]);
}

int32_t BpeTokenizer::bytes_to_id(std::string_view bytes) const {
  auto it = by_bytes_.find(std::string(bytes));
  return it == by_bytes_.end() ? -1 : it->second;
}

int32_t BpeTokenizer::token_id(std::string_view token) const {
  for (const auto& e : specials_.tokens())
    if (e.content == token) return e.id;
  std::string bytes;
  if (!byte_level::decode(token, &bytes)) return -1;
  return bytes_to_id(bytes);
}

std::string BpeTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string out;
  for (size_t i = 0; i < ids.size(); i++) {
    check_id(ids[i], i);
    out += tokens_[ids[i]];
  }
  return out;
}

void BpeTokenizer::merge_word(std::string_view word, std::vector<int32_t>* out) const {
  const size_t n0 = word.size();
  // Symbols as a doubly linked list over positions 0..n-1; a merge keeps the
  // left position and unlinks the right one.
  std::vector<int32_t> id, prev, next;  // (n,) each
  id.reserve(n0);
  for (unsigned char b : word)
    if (byte_id_[b] >= 0) id.push_back(byte_id_[b]);  // a foreign vocab may lack bytes: HF drops them too
  const int n = int(id.size());
  if (n <= 1) { out->insert(out->end(), id.begin(), id.end()); return; }
  prev.resize(n);
  next.resize(n);
  for (int i = 0; i < n; i++) { prev[i] = i - 1; next[i] = i + 1 < n ? i + 1 : -1; }

  // Min-heap of (rank << 32 | left position): lowest rank first, leftmost on ties.
  std::vector<uint64_t> heap;
  heap.reserve(n);
  auto push = [&](int pos) {
    const int q = next[pos];
    if (q < 0) return;
    if (const RankId* r = merge_rank_.find(flat::pair_key(id[pos], id[q]))) {
      heap.push_back((uint64_t(uint32_t(r->rank)) << 32) | uint32_t(pos));
      std::push_heap(heap.begin(), heap.end(), std::greater<uint64_t>());
    }
  };
  for (int i = 0; i + 1 < n; i++) push(i);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), std::greater<uint64_t>());
    const uint64_t top = heap.back();
    heap.pop_back();
    const int32_t rank = int32_t(top >> 32);
    const int pos = int(uint32_t(top));
    const BpeMerge& m = merges_[rank];
    const int q = next[pos];
    // Stale entry: pos was absorbed, or either side changed since the push.
    if (id[pos] != m.left || q < 0 || id[q] != m.right) continue;
    id[pos] = m.id;
    id[q] = -1;
    next[pos] = next[q];
    if (next[q] >= 0) prev[next[q]] = pos;
    if (prev[pos] >= 0) push(prev[pos]);
    push(pos);
  }
  for (int i = 0; i >= 0; i = next[i]) out->push_back(id[i]);
}

void BpeTokenizer::encode_segment(std::string_view seg, std::vector<int32_t>* out, BpeCache* cache) const {
  gpt2_pretokenize(seg, [&](size_t b, size_t e) {
    const std::string_view w = seg.substr(b, e - b);
    if (w.size() == 1) {  // a single byte never merges
      const int32_t t = byte_id_[static_cast<unsigned char>(w[0])];
      if (t >= 0) out->push_back(t);
      return;
    }
    if (ignore_merges_) {
      auto it = by_bytes_.find(std::string(w));
      if (it != by_bytes_.end()) { out->push_back(it->second); return; }
    }
    if (!cache) { merge_word(w, out); return; }
    const uint64_t h = flat::hash_bytes(w.data(), w.size());
    int k;
    if (const int32_t* ids = cache->find(w, h, &k)) {
      out->insert(out->end(), ids, ids + k);
      return;
    }
    const size_t start = out->size();
    merge_word(w, out);
    cache->insert(w, h, out->data() + start, int(out->size() - start));
  });
}

void BpeTokenizer::encode_into(std::string_view text, std::vector<int32_t>* out, bool allow_special,
                               BpeCache* cache) const {
  std::unique_ptr<BpeCache> local;
  if (!cache && text.size() > 4096) {  // short texts: a cache would cost more than it saves
    local = std::make_unique<BpeCache>(size_t(1) << 16);
    cache = local.get();
  }
  if (cache && cache->owner != this) { cache->clear(); cache->owner = this; }
  specials_.split(
      text, allow_special, [&](std::string_view seg) { encode_segment(seg, out, cache); },
      [&](int32_t id) { out->push_back(id); });
}

std::vector<int32_t> BpeTokenizer::encode(std::string_view text, bool allow_special) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  encode_into(text, &out, allow_special, nullptr);
  return out;
}

std::vector<std::vector<int32_t>> BpeTokenizer::encode_batch(const std::vector<std::string_view>& texts,
                                                             int threads, bool allow_special) const {
  std::vector<std::vector<int32_t>> out(texts.size());
  int nt = 1;
#ifdef _OPENMP
  nt = std::max(1, threads);
#endif
  std::vector<BpeCache> caches(nt);
  const long n = long(texts.size());
#pragma omp parallel for num_threads(nt) schedule(dynamic, 64) if (nt > 1)
  for (long i = 0; i < n; i++) {
    int t = 0;
#ifdef _OPENMP
    t = omp_get_thread_num();
#endif
    encode_into(texts[i], &out[i], allow_special, &caches[t]);
  }
  return out;
}

}  // namespace llm
