#include "core/util/safetensors.h"

#include <cstring>
#include <stdexcept>

#include "core/util/strict_json.h"

namespace llm {

size_t st_dtype_size(const std::string& d) {
  if (d == "F64" || d == "I64" || d == "U64") return 8;
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
  if (d == "I8" || d == "U8" || d == "BOOL" || d == "F8_E4M3" || d == "F8_E5M2") return 1;
  return 0;
}

int64_t StTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_str(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); i++) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

SafeTensorsReader::SafeTensorsReader(const uint8_t* bytes, size_t size, const std::string& what) : what_(what) {
  auto fail = [&](const std::string& m) { throw std::runtime_error(what_ + ": " + m); };
  if (size < 8) fail("file is " + std::to_string(size) + " bytes, too short for a safetensors header (truncated?)");
  uint64_t n = 0;
  for (int i = 7; i >= 0; i--) n = (n << 8) | bytes[i];
  if (n > size - 8)
    fail("header claims " + std::to_string(n) + " bytes but the file has only " + std::to_string(size - 8) +
         " after the size field (truncated or not a safetensors file)");
  json h;
  try {
    h = json::parse(std::string(reinterpret_cast<const char*>(bytes + 8), size_t(n)));
  } catch (const std::exception& e) {
    fail(std::string("header is not valid JSON (corrupted?): ") + e.what());
  }
  if (!h.is_object()) fail("header is not a JSON object");
  const uint8_t* base = bytes + 8 + n;
  const size_t data_size = size - 8 - size_t(n);
  for (auto it = h.begin(); it != h.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) fail("__metadata__ is not an object");
      for (auto m = it->begin(); m != it->end(); ++m)
        metadata_[m.key()] = m->is_string() ? m->get<std::string>() : m->dump();
      continue;
    }
    const json& e = *it;
    const std::string& name = it.key();
    if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") || !e.contains("data_offsets"))
      fail("tensor '" + name + "' lacks dtype/shape/data_offsets");
    StTensor t;
    try {
      t.dtype = e["dtype"].get<std::string>();
      t.shape = e["shape"].get<std::vector<int64_t>>();
      auto off = e["data_offsets"].get<std::vector<uint64_t>>();
      if (off.size() != 2 || off[0] > off[1] || off[1] > data_size)
        fail("tensor '" + name + "' has data offsets outside the " + std::to_string(data_size) +
             "-byte data section (truncated file?)");
      t.data = base + off[0];
      t.nbytes = size_t(off[1] - off[0]);
    } catch (const json::exception& ex) {
      fail("tensor '" + name + "' has a malformed entry: " + ex.what());
    }
    const size_t es = st_dtype_size(t.dtype);
    if (!es) fail("tensor '" + name + "' has unknown dtype " + t.dtype);
    for (int64_t d : t.shape)
      if (d < 0) fail("tensor '" + name + "' has a negative dimension");
    if (size_t(t.numel()) * es != t.nbytes)
      fail("tensor '" + name + "' " + t.dtype + shape_str(t.shape) + " needs " + std::to_string(t.numel() * es) +
           " bytes but its offsets span " + std::to_string(t.nbytes));
    tensors_[name] = t;
  }
}

const StTensor& SafeTensorsReader::get(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw std::runtime_error(what_ + ": missing tensor '" + name + "'");
  return it->second;
}

std::vector<std::string> SafeTensorsReader::names() const {
  std::vector<std::string> r;
  for (auto& kv : tensors_) r.push_back(kv.first);
  return r;
}

static float bf16_to_f32(uint16_t b) {
  uint32_t u = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
static float f16_to_f32(uint16_t h) {
  const uint32_t s = (h >> 15) & 1, e = (h >> 10) & 31, m = h & 1023;
  float v;
  if (e == 0) v = std::ldexp(float(m), -24);
  else if (e == 31) v = m ? NAN : INFINITY;
  else v = std::ldexp(float(m | 1024), int(e) - 25);
  return s ? -v : v;
}

std::vector<float> SafeTensorsReader::floats(const std::string& name, const std::vector<int64_t>& expect) const {
  const StTensor& t = get(name);
  if (!expect.empty() && t.shape != expect)
    throw std::runtime_error(what_ + ": tensor '" + name + "' has shape " + shape_str(t.shape) + ", expected " +
                             shape_str(expect));
  const size_t n = size_t(t.numel());
  std::vector<float> out(n);
  if (t.dtype == "F32") {
    std::memcpy(out.data(), t.data, n * 4);
  } else if (t.dtype == "F64") {
    for (size_t i = 0; i < n; i++) {
      double d;
      std::memcpy(&d, t.data + 8 * i, 8);
      out[i] = float(d);
    }
  } else if (t.dtype == "BF16" || t.dtype == "F16") {
    for (size_t i = 0; i < n; i++) {
      uint16_t b;
      std::memcpy(&b, t.data + 2 * i, 2);
      out[i] = t.dtype == "BF16" ? bf16_to_f32(b) : f16_to_f32(b);
    }
  } else {
    throw std::runtime_error(what_ + ": tensor '" + name + "' has dtype " + t.dtype + ", expected a float dtype");
  }
  return out;
}

std::vector<int32_t> SafeTensorsReader::ints(const std::string& name) const {
  const StTensor& t = get(name);
  const size_t n = size_t(t.numel());
  std::vector<int32_t> out(n);
  if (t.dtype == "I32") {
    std::memcpy(out.data(), t.data, n * 4);
  } else if (t.dtype == "I64") {
    for (size_t i = 0; i < n; i++) {
      int64_t v;
      std::memcpy(&v, t.data + 8 * i, 8);
      out[i] = int32_t(v);
    }
  } else {
    throw std::runtime_error(what_ + ": tensor '" + name + "' has dtype " + t.dtype + ", expected I32 or I64");
  }
  return out;
}

void SafeTensorsWriter::add(const std::string& name, const std::string& dtype, const std::vector<int64_t>& shape,
                            const void* data) {
  const size_t es = st_dtype_size(dtype);
  if (!es) throw std::runtime_error("safetensors writer: unknown dtype " + dtype);
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  Entry e{name, dtype, shape, std::vector<uint8_t>(size_t(n) * es)};
  if (n) std::memcpy(e.bytes.data(), data, e.bytes.size());
  entries_.push_back(std::move(e));
}

std::vector<uint8_t> SafeTensorsWriter::finish() const {
  json h = json::object();
  size_t off = 0;
  for (const Entry& e : entries_) {
    h[e.name] = {{"dtype", e.dtype}, {"shape", e.shape}, {"data_offsets", {off, off + e.bytes.size()}}};
    off += e.bytes.size();
  }
  if (!metadata_.empty()) h["__metadata__"] = metadata_;
  std::string hs = h.dump();
  while ((hs.size() + 8) % 8) hs.push_back(' ');  // data section starts 8-byte aligned
  std::vector<uint8_t> out(8 + hs.size() + off);
  uint64_t n = hs.size();
  for (int i = 0; i < 8; i++) out[i] = uint8_t(n >> (8 * i));
  std::memcpy(out.data() + 8, hs.data(), hs.size());
  size_t p = 8 + hs.size();
  for (const Entry& e : entries_) {
    if (!e.bytes.empty()) std::memcpy(out.data() + p, e.bytes.data(), e.bytes.size());
    p += e.bytes.size();
  }
  return out;
}

}  // namespace llm
