#include "native/data_pack.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "native/fs.h"

namespace llm {

std::vector<std::vector<int32_t>> encode_parallel(const std::vector<std::string_view>& docs, size_t begin, size_t end,
                                                  const std::vector<EncodeFn>& encoders) {
  std::vector<std::vector<int32_t>> out(end - begin);
  std::atomic<size_t> next{begin};
  std::exception_ptr error;
  std::mutex error_mu;
  auto work = [&](size_t t) {
    try {
      // small blocks from a shared counter: documents vary a lot in length
      for (;;) {
        size_t a = next.fetch_add(16);
        if (a >= end) break;
        size_t b = std::min(end, a + 16);
        for (size_t i = a; i < b; i++) out[i - begin] = encoders[t](docs[i]);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mu);
      if (!error) error = std::current_exception();
      next = end;
    }
  };
  if (encoders.size() <= 1) {
    work(0);
  } else {
    std::vector<std::thread> pool;
    for (size_t t = 0; t < encoders.size(); t++) pool.emplace_back(work, t);
    for (auto& th : pool) th.join();
  }
  if (error) std::rethrow_exception(error);
  return out;
}

namespace {

// One split's sequence of shard files.
class ShardFileWriter {
 public:
  ShardFileWriter(std::string dir, std::string split, const PackFilesOptions& opt) : dir_(std::move(dir)), split_(std::move(split)), opt_(opt) {}
  ~ShardFileWriter() {
    if (f_) {  // abandoned (an exception): remove the partial file
      std::fclose(f_);
      std::remove(tmp_.c_str());
    }
  }

  void add(const std::vector<int32_t>& ids) {
    if (!builder_) open_next();
    builder_->add_document(ids);
    if (builder_->pending().size() >= (1u << 20)) flush();
    if (opt_.shard_tokens && builder_->n_tokens() >= opt_.shard_tokens) close_current();
  }

  void finish() {
    if (builder_) close_current();
  }
  PackSplitReport report;

 private:
  void open_next() {
    char name[64];
    std::snprintf(name, sizeof name, "%s_%03zu.bin", split_.c_str(), report.files.size());
    path_ = dir_ + "/" + name;
    tmp_ = path_ + ".tmp";
    f_ = std::fopen(tmp_.c_str(), "wb");
    if (!f_) throw std::runtime_error(tmp_ + ": cannot write: " + std::strerror(errno));
    builder_ = std::make_unique<ShardBuilder>(opt_.vocab_size, opt_.eot_id);
    write(builder_->header());  // placeholder; rewritten with the final counts
  }
  void write(const std::vector<uint8_t>& b) {
    if (!b.empty() && std::fwrite(b.data(), 1, b.size(), f_) != b.size()) throw std::runtime_error(tmp_ + ": write failed: " + std::strerror(errno));
  }
  void flush() {
    write(builder_->pending());
    builder_->pending().clear();
  }
  void close_current() {
    flush();
    write(builder_->tail());
    if (std::fseek(f_, 0, SEEK_SET) != 0) throw std::runtime_error(tmp_ + ": seek failed");
    write(builder_->header());
    if (std::fclose(f_) != 0) {
      f_ = nullptr;
      throw std::runtime_error(tmp_ + ": close failed: " + std::strerror(errno));
    }
    f_ = nullptr;
    if (std::rename(tmp_.c_str(), path_.c_str()) != 0) throw std::runtime_error(path_ + ": rename failed: " + std::strerror(errno));
    report.files.push_back(path_);
    report.docs += builder_->n_docs();
    report.tokens += builder_->n_tokens();
    builder_.reset();
  }

  std::string dir_, split_, path_, tmp_;
  const PackFilesOptions& opt_;
  std::FILE* f_ = nullptr;
  std::unique_ptr<ShardBuilder> builder_;
};

}  // namespace

PackReport pack_to_files(const std::vector<std::string_view>& docs, const EncoderFactory& make_encoder, const PackFilesOptions& opt,
                         const std::function<void(size_t, size_t)>& progress) {
  auto t0 = std::chrono::steady_clock::now();
  fs::make_dirs(opt.out_dir);
  int threads = opt.threads > 0 ? opt.threads : int(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<EncodeFn> encoders;
  for (int t = 0; t < threads; t++) encoders.push_back(make_encoder());

  std::vector<uint8_t> is_val = split_documents(docs.size(), opt.val_fraction, opt.seed);
  ShardFileWriter train(opt.out_dir, "train", opt), val(opt.out_dir, "val", opt);
  PackReport rep;
  size_t chunk = std::max<size_t>(1, opt.chunk_docs);
  for (size_t a = 0; a < docs.size(); a += chunk) {
    size_t b = std::min(docs.size(), a + chunk);
    std::vector<std::vector<int32_t>> ids = encode_parallel(docs, a, b, encoders);
    for (size_t i = a; i < b; i++) {  // written in document order: output is independent of threads
      rep.bytes_in += docs[i].size();
      if (ids[i - a].empty()) {
        rep.empty_docs++;
        continue;
      }
      (is_val[i] ? val : train).add(ids[i - a]);
    }
    if (progress) progress(b, docs.size());
  }
  train.finish();
  val.finish();
  rep.train = train.report;
  rep.val = val.report;
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

}  // namespace llm
