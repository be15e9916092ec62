#include "core/data/shard_pack.h"

#include <cmath>
#include <stdexcept>

#include "core/data/gen_common.h"

namespace llm {

ShardBuilder::ShardBuilder(uint32_t vocab_size, int32_t eot_id)
    : vocab_size_(vocab_size), token_bytes_(token_bytes_for_vocab(vocab_size)), eot_id_(eot_id) {
  if (vocab_size == 0) throw std::runtime_error("ShardBuilder: vocab_size must be positive");
  if (eot_id < 0 || uint32_t(eot_id) >= vocab_size)
    throw std::runtime_error("ShardBuilder: end-of-text id " + std::to_string(eot_id) + " is outside the vocabulary of " + std::to_string(vocab_size));
}

void ShardBuilder::add_document(const int32_t* ids, size_t n) {
  size_t old = pending_.size();
  pending_.resize(old + (n + 1) * token_bytes_);
  uint8_t* p = pending_.data() + old;
  auto store = [&](int32_t id) {  // little-endian, 2 or 4 bytes
    p[0] = uint8_t(id);
    p[1] = uint8_t(id >> 8);
    if (token_bytes_ == 4) {
      p[2] = uint8_t(id >> 16);
      p[3] = uint8_t(id >> 24);
    }
    p += token_bytes_;
  };
  for (size_t i = 0; i < n; i++) {
    if (ids[i] < 0 || uint32_t(ids[i]) >= vocab_size_) {
      pending_.resize(old);
      throw std::runtime_error("pack: token id " + std::to_string(ids[i]) + " in document " + std::to_string(n_docs()) + " is outside the vocabulary of " +
                               std::to_string(vocab_size_) + " (does the tokenizer match --vocab / the tokenizer file?)");
    }
    store(ids[i]);
  }
  store(eot_id_);
  n_tokens_ += n + 1;
  offsets_.push_back(n_tokens_);
}

std::vector<uint8_t> ShardBuilder::tail() const {
  uint64_t tokens_end = kShardHeaderBytes + n_tokens_ * token_bytes_;
  uint64_t pad = shard_index_offset(n_tokens_, token_bytes_) - tokens_end;
  std::vector<uint8_t> b(pad + 8 * offsets_.size(), 0);
  uint8_t* p = b.data() + pad;
  for (uint64_t off : offsets_)
    for (int i = 0; i < 8; i++) *p++ = uint8_t(off >> (8 * i));
  return b;
}

std::vector<uint8_t> ShardBuilder::header() const {
  ShardHeader h;
  h.token_bytes = token_bytes_;
  h.n_tokens = n_tokens_;
  h.n_docs = n_docs();
  h.vocab_size = vocab_size_;
  h.eot_id = eot_id_;
  h.index_offset = shard_index_offset(n_tokens_, token_bytes_);
  h.file_bytes = shard_file_bytes(n_tokens_, n_docs(), token_bytes_);
  return encode_shard_header(h);
}

std::vector<uint8_t> ShardBuilder::build() const {
  if (pending_.size() != n_tokens_ * token_bytes_)
    throw std::logic_error("ShardBuilder::build: pending() was consumed; use header()/tail() when streaming");
  std::vector<uint8_t> out = header();
  out.insert(out.end(), pending_.begin(), pending_.end());
  std::vector<uint8_t> t = tail();
  out.insert(out.end(), t.begin(), t.end());
  return out;
}

std::vector<uint8_t> split_documents(size_t n, double val_fraction, uint64_t seed) {
  if (!(val_fraction >= 0.0 && val_fraction < 1.0)) throw std::runtime_error("val_fraction must be in [0, 1), got " + std::to_string(val_fraction));
  std::vector<uint8_t> is_val(n, 0);
  size_t k = size_t(std::llround(double(n) * val_fraction));
  if (val_fraction > 0 && n >= 2 && k == 0) k = 1;
  if (n >= 2 && k >= n) k = n - 1;
  if (n < 2) k = 0;
  // Partial Fisher-Yates: the first k slots of a seeded permutation are validation.
  std::vector<uint64_t> idx(n);
  for (size_t i = 0; i < n; i++) idx[i] = i;
  Rng rng = seeded_rng(seed, /*stream=*/2);
  for (size_t i = 0; i < k; i++) {
    size_t j = i + size_t(rng.below(n - i));
    std::swap(idx[i], idx[j]);
    is_val[idx[i]] = 1;
  }
  return is_val;
}

PackedShards pack_documents(const std::vector<std::string_view>& docs, const EncodeFn& encode, const PackOptions& opt) {
  std::vector<uint8_t> is_val = split_documents(docs.size(), opt.val_fraction, opt.seed);
  ShardBuilder train(opt.vocab_size, opt.eot_id), val(opt.vocab_size, opt.eot_id);
  PackedShards out;
  for (size_t i = 0; i < docs.size(); i++) {
    std::vector<int32_t> ids = encode(docs[i]);
    if (ids.empty()) {
      out.empty_docs++;
      continue;
    }
    (is_val[i] ? val : train).add_document(ids);
  }
  out.train = train.build();
  out.val = val.build();
  out.train_docs = train.n_docs(), out.train_tokens = train.n_tokens();
  out.val_docs = val.n_docs(), out.val_tokens = val.n_tokens();
  return out;
}

PackedShards pack_documents(const std::vector<Document>& docs, const EncodeFn& encode, const PackOptions& opt) {
  std::vector<std::string_view> views;
  views.reserve(docs.size());
  for (auto& d : docs) views.push_back(d.text);
  return pack_documents(views, encode, opt);
}

std::vector<int32_t> encode_bytes(std::string_view text) {
  std::vector<int32_t> ids(text.size());
  for (size_t i = 0; i < text.size(); i++) ids[i] = int32_t(uint8_t(text[i]));
  return ids;
}

}  // namespace llm
