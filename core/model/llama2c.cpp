// llama2.c model.bin: header, tensor order, RoPE row permutation (format described in llama2c.h).
// Both versions are described by one list of sections in file order, so the writer and the
// reader cannot disagree and every error can name the tensor and its byte offset.
#include "core/model/llama2c.h"

#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace llm::llama2c {

namespace {

constexpr uint32_t kMagic = 0x616b3432;  // "ak42" read as a little-endian uint32
constexpr size_t kV1HeaderBytes = 256;

// x86, ARM and wasm are little-endian, as is the format (run.c freads the ints as they are)
int32_t get_i32(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
void put_i32(std::vector<uint8_t>& out, int32_t v) {
  uint8_t b[4];
  std::memcpy(b, &v, 4);
  out.insert(out.end(), b, b + 4);
}

std::string dims_str(const Header& h) {
  return "dim " + std::to_string(h.dim) + ", hidden_dim " + std::to_string(h.hidden_dim) + ", n_layers " +
         std::to_string(h.n_layers) + ", n_heads " + std::to_string(h.n_heads) + ", n_kv_heads " +
         std::to_string(h.n_kv_heads) + ", vocab_size " + std::to_string(h.vocab_size) + ", seq_len " +
         std::to_string(h.seq_len) + (h.shared_classifier ? ", shared classifier" : ", separate classifier");
}

enum class Kind { Emb, RmsAtt, Wq, Wk, Wv, Wo, RmsFfn, W1, W2, W3, RmsFinal, FreqReal, FreqImag, Cls };

struct Section {
  Kind kind;
  const char* name;  // llama2.c's name, for errors
  int layer;         // -1 for whole-model tensors
  int64_t rows, cols;
  uint64_t offset;   // byte offset in the file
};

// Every tensor in file order (per-layer tensors are stacked: all layers of wq, then wk, ...).
std::vector<Section> sections(const Header& h) {
  const int64_t C = h.dim, F = h.hidden_dim, V = h.vocab_size, hd = h.dim / h.n_heads;
  const int64_t KV = int64_t(h.n_kv_heads) * hd;
  struct Spec {
    Kind kind;
    const char* name;
    bool per_layer;
    int64_t rows, cols;
  };
  const Spec emb{Kind::Emb, "tok_embeddings", false, V, C}, rms_att{Kind::RmsAtt, "rms_att_weight", true, 1, C},
      wq{Kind::Wq, "wq", true, C, C}, wk{Kind::Wk, "wk", true, KV, C}, wv{Kind::Wv, "wv", true, KV, C},
      wo{Kind::Wo, "wo", true, C, C}, rms_ffn{Kind::RmsFfn, "rms_ffn_weight", true, 1, C},
      w1{Kind::W1, "w1", true, F, C}, w2{Kind::W2, "w2", true, C, F}, w3{Kind::W3, "w3", true, F, C},
      rms_final{Kind::RmsFinal, "rms_final_weight", false, 1, C},
      fr{Kind::FreqReal, "freq_cis_real", false, h.seq_len, hd / 2},
      fi{Kind::FreqImag, "freq_cis_imag", false, h.seq_len, hd / 2}, cls{Kind::Cls, "wcls", false, V, C};
  std::vector<Spec> order = h.version == 0
                                ? std::vector<Spec>{emb, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final, fr, fi}
                                : std::vector<Spec>{rms_att, rms_ffn, rms_final, emb, wq, wk, wv, wo, w1, w2, w3};
  if (!h.shared_classifier) order.push_back(cls);
  std::vector<Section> out;
  uint64_t off = h.version == 0 ? 7 * 4 : kV1HeaderBytes;
  for (const Spec& s : order)
    for (int l = 0; l < (s.per_layer ? h.n_layers : 1); l++) {
      out.push_back({s.kind, s.name, s.per_layer ? l : -1, s.rows, s.cols, off});
      off += uint64_t(s.rows) * uint64_t(s.cols) * 4;
    }
  return out;
}

std::string section_name(const Section& s) {
  return std::string(s.name) + (s.layer >= 0 ? " of layer " + std::to_string(s.layer) : "");
}

// Our parameter behind a section ("" for the RoPE tables, which we compute instead of storing).
std::string param_name(const Section& s) {
  const std::string p = s.layer >= 0 ? Transformer<float>::layer_prefix(s.layer) : "";
  switch (s.kind) {
    case Kind::Emb: return "model.embed_tokens.weight";
    case Kind::RmsAtt: return p + "input_layernorm.weight";
    case Kind::Wq: return p + "self_attn.q_proj.weight";
    case Kind::Wk: return p + "self_attn.k_proj.weight";
    case Kind::Wv: return p + "self_attn.v_proj.weight";
    case Kind::Wo: return p + "self_attn.o_proj.weight";
    case Kind::RmsFfn: return p + "post_attention_layernorm.weight";
    case Kind::W1: return p + "mlp.gate_proj.weight";
    case Kind::W2: return p + "mlp.down_proj.weight";
    case Kind::W3: return p + "mlp.up_proj.weight";
    case Kind::RmsFinal: return "model.norm.weight";
    case Kind::Cls: return "lm_head.weight";
    default: return "";
  }
}

// RoPE tables as llama2.c's model.py builds them (run.c skips them; written for old readers)
void freq_table(const Header& h, bool imag, float* out) {
  const int hd = h.dim / h.n_heads, half = hd / 2;
  for (int p = 0; p < h.seq_len; p++)
    for (int i = 0; i < half; i++) {
      const double a = p * std::pow(10000.0, -2.0 * i / hd);
      out[size_t(p) * half + i] = float(imag ? std::sin(a) : std::cos(a));
    }
}

}  // namespace

std::vector<std::string> unsupported_switches(const ModelConfig& c) {
  std::vector<std::string> bad;
  if (c.norm != "rmsnorm") bad.push_back("norm = \"" + c.norm + "\" (run.c needs \"rmsnorm\")");
  if (c.pos != "rope") bad.push_back("pos = \"" + c.pos + "\" (run.c needs \"rope\")");
  if (c.ffn != "swiglu") bad.push_back("ffn = \"" + c.ffn + "\" (run.c needs \"swiglu\")");
  if (c.bias) bad.push_back("bias = true (run.c has no biases)");
  if (c.pos == "rope" && c.rope_theta != 10000.0)
    bad.push_back("rope_theta = " + std::to_string(c.rope_theta) + " (run.c hard-codes 10000)");
  if (c.norm == "rmsnorm" && std::fabs(c.norm_eps - 1e-5) > 1e-12)
    bad.push_back("norm_eps = " + std::to_string(c.norm_eps) + " (run.c hard-codes 1e-5)");
  return bad;
}

Header header_of(const ModelConfig& c) {
  Header h;
  h.dim = c.dim, h.hidden_dim = c.hidden(), h.n_layers = c.n_layers, h.n_heads = c.n_heads;
  h.n_kv_heads = c.kv_heads(), h.vocab_size = c.vocab_size, h.seq_len = c.max_seq_len;
  h.shared_classifier = c.tie_embeddings;
  return h;
}

ModelConfig config_of(const Header& h) {
  ModelConfig c;
  c.dim = h.dim, c.ffn_hidden = h.hidden_dim, c.n_layers = h.n_layers, c.n_heads = h.n_heads;
  c.n_kv_heads = h.n_kv_heads, c.vocab_size = h.vocab_size, c.max_seq_len = h.seq_len;
  c.tie_embeddings = h.shared_classifier;
  c.ffn = "swiglu", c.norm = "rmsnorm", c.pos = "rope", c.bias = false;
  c.rope_theta = 10000.0, c.norm_eps = 1e-5, c.dropout = 0.0;
  c.validate();
  return c;
}

uint64_t expected_size(const Header& h) {
  const std::vector<Section> s = sections(h);
  return s.back().offset + uint64_t(s.back().rows) * uint64_t(s.back().cols) * 4;
}

Header read_header(const uint8_t* data, size_t size, const std::string& what) {
  Header h;
  size_t at = 0;
  if (size >= 4 && uint32_t(get_i32(data)) == kMagic) {
    if (size < kV1HeaderBytes)
      throw std::runtime_error(what + ": truncated header: the \"ak42\" header needs " + std::to_string(kV1HeaderBytes) +
                               " bytes, the file has " + std::to_string(size));
    h.version = get_i32(data + 4);
    if (h.version == 2)
      throw std::runtime_error(what + ": llama2.c version 2 (Q8_0 int8) checkpoints are not supported; export "
                               "fp32 (export.py --version 0 or 1) and quantize here with --quantize");
    if (h.version != 1)
      throw std::runtime_error(what + ": unknown llama2.c header version " + std::to_string(h.version) +
                               " at byte offset 4 (expected 1)");
    at = 8;
  } else if (size < 7 * 4) {
    throw std::runtime_error(what + ": truncated header: the llama2.c header needs 28 bytes, the file has " +
                             std::to_string(size));
  }
  int32_t f[7];
  for (int i = 0; i < 7; i++) f[i] = get_i32(data + at + 4 * i);
  h.dim = f[0], h.hidden_dim = f[1], h.n_layers = f[2], h.n_heads = f[3], h.n_kv_heads = f[4], h.seq_len = f[6];
  if (h.version == 0) {
    h.shared_classifier = f[5] > 0;  // the sign is the flag
    h.vocab_size = f[5] == INT32_MIN ? 0 : std::abs(f[5]);
  } else {
    h.vocab_size = f[5];
    h.shared_classifier = data[at + 28] != 0;
  }
  const char* names[7] = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
  const int32_t vals[7] = {h.dim, h.hidden_dim, h.n_layers, h.n_heads, h.n_kv_heads, h.vocab_size, h.seq_len};
  // limits far above any real model: they catch a file that is not a llama2.c checkpoint
  const int32_t limit[7] = {1 << 16, 1 << 18, 1 << 10, 1 << 10, 1 << 10, 1 << 22, 1 << 20};
  for (int i = 0; i < 7; i++)
    if (vals[i] <= 0 || vals[i] > limit[i])
      throw std::runtime_error(what + ": header field " + names[i] + " = " + std::to_string(vals[i]) +
                               " at byte offset " + std::to_string(at + 4 * i) +
                               " is not plausible; is this a llama2.c model.bin?");
  if (h.dim % h.n_heads)
    throw std::runtime_error(what + ": header dim " + std::to_string(h.dim) + " is not divisible by n_heads " +
                             std::to_string(h.n_heads));
  if (h.n_heads % h.n_kv_heads)
    throw std::runtime_error(what + ": header n_heads " + std::to_string(h.n_heads) +
                             " is not a multiple of n_kv_heads " + std::to_string(h.n_kv_heads));
  if ((h.dim / h.n_heads) % 2)
    throw std::runtime_error(what + ": head size " + std::to_string(h.dim / h.n_heads) + " is odd; RoPE needs it even");
  return h;
}

void rope_rows_half_to_interleaved(const float* in, float* out, int n_heads, int hd, int64_t cols) {
  const int half = hd / 2;
  for (int h = 0; h < n_heads; h++)
    for (int i = 0; i < half; i++) {
      const int64_t base = int64_t(h) * hd;
      std::memcpy(out + (base + 2 * i) * cols, in + (base + i) * cols, size_t(cols) * 4);
      std::memcpy(out + (base + 2 * i + 1) * cols, in + (base + half + i) * cols, size_t(cols) * 4);
    }
}

void rope_rows_interleaved_to_half(const float* in, float* out, int n_heads, int hd, int64_t cols) {
  const int half = hd / 2;
  for (int h = 0; h < n_heads; h++)
    for (int i = 0; i < half; i++) {
      const int64_t base = int64_t(h) * hd;
      std::memcpy(out + (base + i) * cols, in + (base + 2 * i) * cols, size_t(cols) * 4);
      std::memcpy(out + (base + half + i) * cols, in + (base + 2 * i + 1) * cols, size_t(cols) * 4);
    }
}

std::vector<uint8_t> write_model(const Transformer<float>& mc, const std::vector<int32_t>& vocab_order, int version) {
  Transformer<float>& m = const_cast<Transformer<float>&>(mc);  // views only; nothing is modified
  const std::vector<std::string> bad = unsupported_switches(m.cfg);
  if (!bad.empty()) {
    std::string msg = "llama2.c export: run.c can only run Llama-style models (rmsnorm, rope, swiglu, no bias); "
                      "this config has:";
    for (const std::string& b : bad) msg += "\n  " + b;
    throw std::runtime_error(msg);
  }
  if (version != 0 && version != 1) throw std::runtime_error("llama2.c export: version must be 0 or 1");
  Header h = header_of(m.cfg);
  h.version = version;
  const int64_t V = h.vocab_size, C = h.dim;
  if (!vocab_order.empty()) {
    if (int64_t(vocab_order.size()) != V)
      throw std::runtime_error("llama2.c export: vocab order has " + std::to_string(vocab_order.size()) +
                               " ids, the model has " + std::to_string(V));
    std::vector<uint8_t> seen(size_t(V), 0);
    for (int32_t id : vocab_order) {
      if (id < 0 || id >= V || seen[size_t(id)]++)
        throw std::runtime_error("llama2.c export: vocab order is not a permutation of 0.." + std::to_string(V - 1));
    }
  }
  std::vector<uint8_t> out;
  out.reserve(size_t(expected_size(h)));
  if (version == 1) {
    put_i32(out, int32_t(kMagic));
    put_i32(out, 1);
  }
  for (int32_t v : {h.dim, h.hidden_dim, h.n_layers, h.n_heads, h.n_kv_heads,
                    version == 0 && !h.shared_classifier ? -h.vocab_size : h.vocab_size, h.seq_len})
    put_i32(out, v);
  if (version == 1) {
    out.push_back(h.shared_classifier ? 1 : 0);
    out.resize(kV1HeaderBytes, 0);
  }
  const int hd = h.dim / h.n_heads;
  std::vector<float> buf;
  for (const Section& s : sections(h)) {
    buf.assign(size_t(s.rows * s.cols), 0.0f);  // (rows, cols) as the file wants it
    if (s.kind == Kind::FreqReal || s.kind == Kind::FreqImag) {
      freq_table(h, s.kind == Kind::FreqImag, buf.data());
    } else {
      const float* w = m.params.get(param_name(s)).data;
      if (s.kind == Kind::Wq)
        rope_rows_half_to_interleaved(w, buf.data(), h.n_heads, hd, C);
      else if (s.kind == Kind::Wk)
        rope_rows_half_to_interleaved(w, buf.data(), h.n_kv_heads, hd, C);
      else if ((s.kind == Kind::Emb || s.kind == Kind::Cls) && !vocab_order.empty())
        for (int64_t r = 0; r < V; r++) std::memcpy(&buf[size_t(r * C)], w + int64_t(vocab_order[r]) * C, size_t(C) * 4);
      else
        std::memcpy(buf.data(), w, buf.size() * 4);
    }
    const uint8_t* p = reinterpret_cast<const uint8_t*>(buf.data());
    out.insert(out.end(), p, p + buf.size() * 4);
  }
  return out;
}

Transformer<float> read_model(const uint8_t* data, size_t size, const std::string& what, Header* header_out) {
  const Header h = read_header(data, size, what);
  const std::vector<Section> secs = sections(h);
  const uint64_t want = expected_size(h);
  if (size < want) {
    // name the first tensor the file does not hold completely
    for (const Section& s : secs) {
      const uint64_t end = s.offset + uint64_t(s.rows) * uint64_t(s.cols) * 4;
      if (end > size)
        throw std::runtime_error(what + ": truncated at byte offset " + std::to_string(size) + ": tensor " +
                                 section_name(s) + " spans bytes " + std::to_string(s.offset) + ".." +
                                 std::to_string(end) + "; the header (" + dims_str(h) + ") needs " +
                                 std::to_string(want) + " bytes");
    }
  }
  if (size > want) {
    std::string hint;
    const uint64_t extra = size - want, cls = uint64_t(h.vocab_size) * uint64_t(h.dim) * 4;
    if (h.shared_classifier && extra == cls) hint = " (exactly one classifier: is the vocab_size sign wrong?)";
    throw std::runtime_error(what + ": " + std::to_string(extra) + " unexpected bytes after the last tensor, from byte offset " +
                             std::to_string(want) + " to " + std::to_string(size) + hint + "; header: " + dims_str(h));
  }
  Transformer<float> m(config_of(h));
  const int hd = h.dim / h.n_heads;
  for (const Section& s : secs) {
    const std::string pn = param_name(s);
    if (pn.empty()) continue;  // RoPE tables: recomputed by the model
    TensorT<float> t = m.params.get(pn);
    const float* src = reinterpret_cast<const float*>(data + s.offset);  // may be unaligned: copy through memcpy
    std::vector<float> buf(size_t(s.rows * s.cols));
    std::memcpy(buf.data(), src, buf.size() * 4);
    for (size_t i = 0; i < buf.size(); i++)
      if (!std::isfinite(buf[i]))
        throw std::runtime_error(what + ": tensor " + section_name(s) + " holds a non-finite value at byte offset " +
                                 std::to_string(s.offset + 4 * i));
    if (s.kind == Kind::Wq)
      rope_rows_interleaved_to_half(buf.data(), t.data, h.n_heads, hd, h.dim);
    else if (s.kind == Kind::Wk)
      rope_rows_interleaved_to_half(buf.data(), t.data, h.n_kv_heads, hd, h.dim);
    else
      std::memcpy(t.data, buf.data(), buf.size() * 4);
  }
  if (header_out) *header_out = h;
  return m;
}

}  // namespace llm::llama2c
