// File helpers for the native front end (core/ never touches files).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace llm::fs {

std::string read_file(const std::string& path);  // throws "cannot open <path>: <reason>"
// temp file in the same directory, write, fsync, rename over `path`, fsync the directory:
// a crash leaves either the old file or the new one, never a torn one.
void write_file_atomic(const std::string& path, const void* data, size_t size);
inline void write_file_atomic(const std::string& path, const std::string& s) { write_file_atomic(path, s.data(), s.size()); }
inline void write_file_atomic(const std::string& path, const std::vector<uint8_t>& b) {
  write_file_atomic(path, b.data(), b.size());
}
void make_dirs(const std::string& path);
bool exists(const std::string& path);

}  // namespace llm::fs
