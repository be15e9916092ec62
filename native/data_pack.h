// Native packing: threaded encoding (std::thread) and streaming shard files,
// built on core's ShardBuilder (core/data/shard_pack.h). Memory stays bounded by
// one chunk of documents, so a multi-GB corpus packs without holding its tokens.
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/data/shard_pack.h"

namespace llm {

// Makes one encoder per thread (so each can own a cache); called once per thread.
using EncoderFactory = std::function<EncodeFn()>;

struct PackFilesOptions {
  std::string out_dir;          // created (with parents) if missing
  uint32_t vocab_size = 0;
  int32_t eot_id = 0;
  double val_fraction = 0.05;
  uint64_t seed = 1;
  uint64_t shard_tokens = 0;    // start a new file after this many tokens (0: one file per split)
  int threads = 0;              // 0: std::thread::hardware_concurrency()
  size_t chunk_docs = 4096;     // documents encoded per parallel round
};

struct PackSplitReport {
  std::vector<std::string> files;
  uint64_t docs = 0, tokens = 0;
};

struct PackReport {
  PackSplitReport train, val;
  uint64_t empty_docs = 0;  // documents that encoded to nothing: skipped
  uint64_t bytes_in = 0;    // text bytes encoded
  double seconds = 0;
};

// Encode docs[begin, end) with encoders.size() threads.       // returns (end-begin,) id lists
std::vector<std::vector<int32_t>> encode_parallel(const std::vector<std::string_view>& docs, size_t begin, size_t end,
                                                  const std::vector<EncodeFn>& encoders);

// Writes out_dir/train_000.bin, ... and out_dir/val_000.bin, ... (a split with no
// documents gets no file). Files are written as *.tmp and renamed when complete,
// so a crash never leaves a plausible-looking half shard. progress(done, total)
// is called after each chunk.
PackReport pack_to_files(const std::vector<std::string_view>& docs, const EncoderFactory& make_encoder, const PackFilesOptions& opt,
                         const std::function<void(size_t, size_t)>& progress = {});

}  // namespace llm
