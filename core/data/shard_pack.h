// Packing: documents -> token ids -> shard bytes (format in core/data/shard_format.h).
// The in-memory path here serves tests and the browser; native/data_pack.* streams
// the same builder to files with threaded encoding.
#pragma once
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "core/data/records.h"
#include "core/data/shard_format.h"

namespace llm {

using EncodeFn = std::function<std::vector<int32_t>(std::string_view)>;

// Incremental shard writer. Token bytes accumulate in pending(); a streaming
// caller writes and clears them as it goes, writes tail() after the last document,
// then overwrites the first 64 bytes with header() (it only knows the counts at
// the end). An in-memory caller can use build() instead.
class ShardBuilder {
 public:
  ShardBuilder(uint32_t vocab_size, int32_t eot_id);

  // Appends tokens followed by eot as one document. Throws when an id is outside
  // [0, vocab_size) (a tokenizer/vocab mismatch caught at pack time, not in training).
  void add_document(const int32_t* ids, size_t n);
  void add_document(const std::vector<int32_t>& ids) { add_document(ids.data(), ids.size()); }

  std::vector<uint8_t>& pending() { return pending_; }
  std::vector<uint8_t> tail() const;    // padding + document index
  std::vector<uint8_t> header() const;  // the final 64 header bytes
  // Header + every token + tail; only when pending() was never cleared.
  std::vector<uint8_t> build() const;

  uint64_t n_tokens() const { return n_tokens_; }
  uint64_t n_docs() const { return offsets_.size() - 1; }
  uint32_t token_bytes() const { return token_bytes_; }

 private:
  uint32_t vocab_size_, token_bytes_;
  int32_t eot_id_;
  uint64_t n_tokens_ = 0;
  std::vector<uint64_t> offsets_{0};  // (n_docs+1,) start of each document, then n_tokens
  std::vector<uint8_t> pending_;      // token bytes not yet taken by the caller
};

// Which documents go to validation: exactly round(n * val_fraction) of them, chosen
// by a seeded shuffle (at least one when val_fraction > 0 and n >= 2, and never all
// of them when n >= 2). Returns (n,) flags, 1 = validation. Same (n, fraction, seed)
// -> same split on every platform.
std::vector<uint8_t> split_documents(size_t n_docs, double val_fraction, uint64_t seed);

struct PackOptions {
  uint32_t vocab_size = 0;
  int32_t eot_id = 0;
  double val_fraction = 0.0;
  uint64_t seed = 1;
};

struct PackedShards {
  std::vector<uint8_t> train, val;  // complete shard files (val is a valid empty shard when no docs)
  uint64_t train_docs = 0, val_docs = 0, train_tokens = 0, val_tokens = 0;
  uint64_t empty_docs = 0;          // documents whose encoding was empty: skipped
};

// Encode each document with `encode`, end it with eot, split train/val by document.
PackedShards pack_documents(const std::vector<std::string_view>& docs, const EncodeFn& encode, const PackOptions& opt);
PackedShards pack_documents(const std::vector<Document>& docs, const EncodeFn& encode, const PackOptions& opt);

// A byte-level fallback tokenizer: id = byte value (vocab 257, eot = 256). Lets
// packing and the loader be tested without a trained tokenizer.
std::vector<int32_t> encode_bytes(std::string_view text);
constexpr uint32_t kByteVocab = 257;
constexpr int32_t kByteEot = 256;

}  // namespace llm
