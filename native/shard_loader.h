// Memory-mapped training data: opens packed shards (core/data/shard_format.h)
// read-only with mmap and serves (x, y) windows through core's WindowSampler
// (order, resumable position and document-boundary option are documented there).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/data/shard_sampler.h"

namespace llm {

// A read-only mapping of a whole file; unmapped on destruction.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

class ShardLoader {
 public:
  // paths: shard files, e.g. list_shards(dir, "train"). Every shard is validated
  // (and checked against `expect`) before the first batch.
  ShardLoader(const std::vector<std::string>& paths, const SamplerOptions& opt, const ShardExpect& expect = {});

  // DIR/<split>_000.bin, DIR/<split>_001.bin, ... in order; throws when there are none.
  static std::vector<std::string> list_shards(const std::string& dir, const std::string& split);

  void next_batch(int B, WindowBatch& out) { sampler_->next_batch(B, out); }
  SamplerState state() const { return sampler_->state(); }
  void set_state(const SamplerState& s) { sampler_->set_state(s); }
  const WindowSampler& sampler() const { return *sampler_; }
  const std::vector<ShardView>& shards() const { return views_; }

 private:
  std::vector<std::unique_ptr<MappedFile>> files_;
  std::vector<ShardView> views_;
  std::unique_ptr<WindowSampler> sampler_;
};

}  // namespace llm
