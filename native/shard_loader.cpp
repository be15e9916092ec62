#include "native/shard_loader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <stdexcept>

namespace llm {

MappedFile::MappedFile(const std::string& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw std::runtime_error(path + ": cannot open shard: " + std::strerror(errno) + " (create shards with `llm data pack`)");
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    throw std::runtime_error(path + ": cannot stat: " + std::strerror(e));
  }
  size_ = size_t(st.st_size);
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int e = errno;
      ::close(fd);
      throw std::runtime_error(path + ": mmap failed: " + std::strerror(e));
    }
    data_ = static_cast<const uint8_t*>(p);
    ::madvise(p, size_, MADV_RANDOM);  // windows are read in shuffled order
  }
  ::close(fd);  // the mapping keeps the file alive
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

ShardLoader::ShardLoader(const std::vector<std::string>& paths, const SamplerOptions& opt, const ShardExpect& expect) {
  if (paths.empty()) throw std::runtime_error("ShardLoader: no shard files given");
  for (const std::string& p : paths) {
    files_.push_back(std::make_unique<MappedFile>(p));
    static const uint8_t empty[1] = {0};
    const MappedFile& f = *files_.back();
    views_.push_back(open_shard(f.data() ? f.data() : empty, f.size(), p, expect));
  }
  sampler_ = std::make_unique<WindowSampler>(views_, opt);
}

std::vector<std::string> ShardLoader::list_shards(const std::string& dir, const std::string& split) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (!d) throw std::runtime_error(dir + ": cannot open shard directory: " + std::strerror(errno) + " (create it with `llm data pack --out " + dir + "`)");
  std::string prefix = split + "_";
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > prefix.size() + 4 && n.compare(0, prefix.size(), prefix) == 0 && n.compare(n.size() - 4, 4, ".bin") == 0) names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  if (names.empty()) throw std::runtime_error(dir + ": no " + prefix + "*.bin shards (create them with `llm data pack --out " + dir + "`)");
  for (auto& n : names) n = dir + "/" + n;
  return names;
}

}  // namespace llm
