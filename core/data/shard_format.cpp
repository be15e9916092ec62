#include "core/data/shard_format.h"

#include <stdexcept>

namespace llm {
namespace {

uint64_t fnv1a(const uint8_t* p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

// Explicit little-endian stores/loads: the file means the same on every host.
void put(std::vector<uint8_t>& b, size_t off, uint64_t v, int nbytes) {
  for (int i = 0; i < nbytes; i++) b[off + i] = uint8_t(v >> (8 * i));
}
uint64_t get(const uint8_t* p, int nbytes) {
  uint64_t v = 0;
  for (int i = 0; i < nbytes; i++) v |= uint64_t(p[i]) << (8 * i);
  return v;
}

bool host_is_little_endian() {
  uint16_t x = 1;
  uint8_t b;
  std::memcpy(&b, &x, 1);
  return b == 1;
}

[[noreturn]] void fail(std::string_view source, const std::string& msg) {
  throw std::runtime_error(std::string(source) + ": " + msg);
}

const char* kFix = "re-run `llm data pack` to rebuild it";

}  // namespace

uint32_t token_bytes_for_vocab(uint32_t vocab_size) { return vocab_size <= 65536 ? 2 : 4; }

uint64_t shard_index_offset(uint64_t n_tokens, uint32_t token_bytes) {
  uint64_t end = kShardHeaderBytes + n_tokens * token_bytes;
  return (end + 7) / 8 * 8;
}

uint64_t shard_file_bytes(uint64_t n_tokens, uint64_t n_docs, uint32_t token_bytes) {
  return shard_index_offset(n_tokens, token_bytes) + 8 * (n_docs + 1);
}

std::vector<uint8_t> encode_shard_header(const ShardHeader& h) {
  std::vector<uint8_t> b(kShardHeaderBytes, 0);
  std::memcpy(b.data(), kShardMagic, 8);
  put(b, 8, h.version, 4);
  put(b, 12, h.token_bytes, 4);
  put(b, 16, h.n_tokens, 8);
  put(b, 24, h.n_docs, 8);
  put(b, 32, h.vocab_size, 4);
  put(b, 36, uint32_t(h.eot_id), 4);
  put(b, 40, h.index_offset, 8);
  put(b, 48, h.file_bytes, 8);
  put(b, 56, fnv1a(b.data(), 56), 8);
  return b;
}

void ShardView::read_tokens(uint64_t i, size_t n, int32_t* out) const {
  const uint8_t* p = base + kShardHeaderBytes + header.token_bytes * i;
  if (header.token_bytes == 2) {
    for (size_t k = 0; k < n; k++) {
      uint16_t v;
      std::memcpy(&v, p + 2 * k, 2);
      out[k] = int32_t(v);
    }
  } else {
    std::memcpy(out, p, 4 * n);  // uint32 ids below 2^31 read as int32 unchanged
  }
}

uint64_t ShardView::doc_of(uint64_t i) const {
  // largest d with doc_offset(d) <= i
  uint64_t lo = 0, hi = header.n_docs;  // invariant: doc_offset(lo) <= i < doc_offset(hi)
  while (hi - lo > 1) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (doc_offset(mid) <= i) lo = mid;
    else hi = mid;
  }
  return lo;
}

std::vector<int32_t> ShardView::document(uint64_t d) const {
  if (d >= header.n_docs) throw std::runtime_error(source + ": document " + std::to_string(d) + " out of range (shard has " + std::to_string(header.n_docs) + ")");
  uint64_t a = doc_offset(d), b = doc_offset(d + 1);
  std::vector<int32_t> out(b - a);
  read_tokens(a, b - a, out.data());
  return out;
}

ShardView open_shard(const uint8_t* data, size_t size, std::string_view source, const ShardExpect& expect) {
  if (!host_is_little_endian()) fail(source, "this reader supports little-endian hosts only");
  if (size < kShardHeaderBytes)
    fail(source, "truncated: " + std::to_string(size) + " bytes is smaller than the 64-byte shard header; " + kFix);
  if (std::memcmp(data, kShardMagic, 8) != 0)
    fail(source, "not a packed token shard (bad magic: expected \"LLMSHARD\"); shards are written by `llm data pack`");
  if (get(data + 56, 8) != fnv1a(data, 56)) fail(source, std::string("the shard header is damaged (checksum mismatch); ") + kFix);
  ShardView v;
  v.base = data;
  v.source = std::string(source);
  ShardHeader& h = v.header;
  h.version = uint32_t(get(data + 8, 4));
  h.token_bytes = uint32_t(get(data + 12, 4));
  h.n_tokens = get(data + 16, 8);
  h.n_docs = get(data + 24, 8);
  h.vocab_size = uint32_t(get(data + 32, 4));
  h.eot_id = int32_t(uint32_t(get(data + 36, 4)));
  h.index_offset = get(data + 40, 8);
  h.file_bytes = get(data + 48, 8);

  if (h.version != kShardVersion)
    fail(source, "shard format version " + std::to_string(h.version) + ", but this build reads version " + std::to_string(kShardVersion) + "; " + kFix + " with this build");
  if (h.token_bytes != 2 && h.token_bytes != 4) fail(source, "invalid token dtype (" + std::to_string(h.token_bytes) + " bytes per id; expected 2 or 4); " + kFix);
  if (h.token_bytes != token_bytes_for_vocab(h.vocab_size))
    fail(source, "dtype mismatch: " + std::to_string(h.token_bytes) + "-byte ids for a vocabulary of " + std::to_string(h.vocab_size) + " (expected " +
                     std::to_string(token_bytes_for_vocab(h.vocab_size)) + "-byte ids); " + kFix);
  if (h.n_tokens > (uint64_t(1) << 48) || h.n_docs > h.n_tokens) fail(source, "token/document counts are impossible; " + std::string(kFix));
  uint64_t want = shard_file_bytes(h.n_tokens, h.n_docs, h.token_bytes);
  if (h.file_bytes != want || h.index_offset != shard_index_offset(h.n_tokens, h.token_bytes))
    fail(source, std::string("header sizes are inconsistent with its token and document counts; ") + kFix);
  if (size < want)
    fail(source, "truncated: the file has " + std::to_string(size) + " bytes but the header says " + std::to_string(want) +
                     " (was it cut off while copying or still being written?); " + kFix);
  if (size > want) fail(source, "has " + std::to_string(size - want) + " unexpected trailing bytes after the document index; " + kFix);
  if (expect.vocab_size && h.vocab_size != expect.vocab_size)
    fail(source, "was packed for a vocabulary of " + std::to_string(h.vocab_size) + " tokens but the tokenizer/model uses " + std::to_string(expect.vocab_size) +
                     "; re-run `llm data pack` with the tokenizer you train with");
  if (expect.eot_id >= 0 && h.eot_id != expect.eot_id)
    fail(source, "documents end with token " + std::to_string(h.eot_id) + " but the tokenizer's end-of-text id is " + std::to_string(expect.eot_id) +
                     "; re-run `llm data pack` with the tokenizer you train with");
  if (h.eot_id < 0 || uint32_t(h.eot_id) >= h.vocab_size) fail(source, "end-of-text id " + std::to_string(h.eot_id) + " is outside the vocabulary; " + kFix);

  // The index: first 0, last n_tokens, strictly increasing, every document ends with eot.
  uint64_t prev = v.doc_offset(0);
  if (prev != 0) fail(source, "document index entry 0 is " + std::to_string(prev) + ", expected 0; " + kFix);
  for (uint64_t d = 1; d <= h.n_docs; d++) {
    uint64_t off = v.doc_offset(d);
    if (off <= prev || off > h.n_tokens)
      fail(source, "document index entry " + std::to_string(d) + " = " + std::to_string(off) + " is out of range (previous " + std::to_string(prev) +
                       ", n_tokens " + std::to_string(h.n_tokens) + "); " + kFix);
    prev = off;
  }
  if (prev != h.n_tokens)
    fail(source, "the document index ends at token " + std::to_string(prev) + " but the shard holds " + std::to_string(h.n_tokens) + " tokens; " + kFix);
  if (expect.check_token_ids) {
    for (uint64_t i = 0; i < h.n_tokens; i++) {
      int32_t t = v.token(i);
      if (t < 0 || uint32_t(t) >= h.vocab_size)
        fail(source, "token id " + std::to_string(t) + " at position " + std::to_string(i) + " is outside the vocabulary of " + std::to_string(h.vocab_size) + "; " + kFix);
    }
  }
  return v;
}

}  // namespace llm
