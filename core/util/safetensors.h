// safetensors (https://huggingface.co/docs/safetensors): 8-byte little-endian header size N,
// N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}},
// then the raw little-endian data. Works on in-memory bytes (core/ does no file I/O).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace llm {

struct StTensor {
  std::string dtype;           // "F32", "F64", "I32", "I64", "BF16", "F16", "U8", "I8", ...
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;  // points into the reader's buffer
  size_t nbytes = 0;
  int64_t numel() const;
};

size_t st_dtype_size(const std::string& dtype);  // 0 for unknown dtypes

class SafeTensorsReader {
 public:
  // Validates everything up front: header size within the buffer, JSON, dtypes, shapes, offsets
  // in range and consistent with dtype*numel. `what` (e.g. a file name) prefixes every error.
  SafeTensorsReader(const uint8_t* bytes, size_t size, const std::string& what = "safetensors");
  bool has(const std::string& name) const { return tensors_.count(name) > 0; }
  const StTensor& get(const std::string& name) const;
  // copies a tensor as float32 (F32 directly; F64/BF16/F16 converted); checks the shape
  std::vector<float> floats(const std::string& name, const std::vector<int64_t>& expect_shape) const;
  std::vector<int32_t> ints(const std::string& name) const;  // I32 or I64
  std::vector<std::string> names() const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  std::string what_;
  std::map<std::string, StTensor> tensors_;
  std::map<std::string, std::string> metadata_;
};

class SafeTensorsWriter {
 public:
  void add(const std::string& name, const std::string& dtype, const std::vector<int64_t>& shape, const void* data);
  void add_f32(const std::string& name, const std::vector<int64_t>& shape, const float* data) {
    add(name, "F32", shape, data);
  }
  void set_metadata(const std::string& key, const std::string& value) { metadata_[key] = value; }
  std::vector<uint8_t> finish() const;  // header padded to 8 bytes, tensors in insertion order

 private:
  struct Entry {
    std::string name, dtype;
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;
  };
  std::vector<Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

std::string shape_str(const std::vector<int64_t>& s);

}  // namespace llm
