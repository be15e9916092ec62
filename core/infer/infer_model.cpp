// InferModel: the tape-free forward used by every cache (docs/kv_cache.md).
//
// The math is the one of Transformer<float>::forward (core/model/transformer.cpp and the kernels
// in core/tensor/ops_*.cpp): same norms, same rotate_half RoPE, same ALiBi bias, same tanh GELU,
// same 1/sqrt(hd) scale, computed in float. What differs is the data flow:
//   * q, k and v come out of ONE fused matrix (rows q | k | v) and swiglu's gate and up out of
//     another (rows gate | up): one pass over the activations instead of three/two;
//   * the K/V of each new token are written into the cache first, then every query attends to
//     positions 0..p of its own sequence read straight from the cache blocks (KVLayout);
//   * the final norm and the LM head run only on the rows whose logits are wanted.
#include "core/infer/infer_model.h"
#include "core/infer/attend.h"
#include "core/infer/gemm_bf16.h"
#include "core/infer/gemv.h"
#include "core/util/half.h"
#include "core/util/prefetch.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "core/tensor/eigen_util.h"
#include "core/util/large_buffer.h"

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace llm {

namespace {

int max_threads() {
#if defined(_OPENMP)
  return omp_get_max_threads();
#else
  return 1;
#endif
}
int thread_id() {
#if defined(_OPENMP)
  return omp_get_thread_num();
#else
  return 0;
#endif
}

template <class V>
void grow(V& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

}  // namespace

// A linear layer y = x W^T (+ b), W (out, in): fp32 or int8 (QuantMatrix).
struct Linear {
  int64_t out = 0, in = 0;
  std::vector<float> own;  // (out, in) fp32 weights while the model is built; then packed into the arena
  const float* w = nullptr;  // (out, in) fp32 weights as panels (gemv.h) in Impl::arena, null when quantized
  QuantMatrix q;             // int8 weights when quantized and owned
  Bf16Matrix h;              // bf16 weights in AMX tiles (gemm_bf16.h) when InferOptions::bf16
  bool bf16 = false;
  const QuantMatrix* shared_q = nullptr;  // int8 weights owned elsewhere (tied head = token table)
  bool quant = false;
  const QuantMatrix& qm() const { return shared_q ? *shared_q : q; }
  std::vector<float> b;  // (out) or empty
  size_t bytes() const {
    return (quant ? q.bytes() : bf16 ? h.bytes() : panel_floats(out, in) * sizeof(float)) + b.size() * sizeof(float);
  }
};

struct LayerW {
  std::vector<float> n1w, n1b, n2w, n2b;  // (C) norm weights / biases (biases only for layernorm+bias)
  Linear qkv;      // ((H + 2 KVH) hd, C)
  Linear o;        // (C, H hd)
  Linear gate_up;  // swiglu: (2F, C) rows gate | up;  gelu_mlp: (F, C) up
  Linear down;     // (C, F)
};

struct InferModel::Impl {
  ModelConfig cfg;
  InferOptions opt;
  int H = 0, KVH = 0, hd = 0, C = 0, F = 0, V = 0;
  LargeBuffer arena;             // every fp32 matrix below, one allocation (huge pages: large_buffer.h)
  std::vector<float> embed_own;  // (V, C) fp32 token table while building, then moved to the arena
  const float* embed = nullptr;  // (V, C) fp32 token table in the arena (null when quantized or tied)
  const float* embed_panels = nullptr;  // tied fp32 table: the head's panels (gemv.h), rows read by panel_row
  QuantMatrix embed_q;           // (V, C) int8 token table when quantized
  std::vector<float> pos_table;  // (max_seq_len, C) learned or sinusoidal, else empty
  std::vector<float> rope_cos, rope_sin;  // (max_seq_len, hd/2)
  std::vector<float> slopes;              // (H) ALiBi
  std::vector<LayerW> layers;
  std::vector<float> nfw, nfb;  // (C) final norm
  Linear head;                  // (V, C); shares the token table when tied
};

// ---------------------------------------------------------------- building
namespace {

struct ParamReader {
  const Transformer<float>& m;
  std::vector<float> get(const std::string& name, int64_t expect) const {
    for (const ParamInfo& p : m.params.infos())
      if (p.name == name) {
        if (p.shape.numel() != expect)
          throw std::runtime_error("InferModel: parameter " + name + " has " + std::to_string(p.shape.numel()) +
                                   " values, expected " + std::to_string(expect));
        const float* d = m.params.values() + p.offset;
        return std::vector<float>(d, d + expect);
      }
    throw std::runtime_error("InferModel: the model has no parameter " + name);
  }
  bool has(const std::string& name) const { return m.params.has(name); }
};

int pick_group(int want, int64_t cols) { return (want > 0 && cols % want == 0) ? want : int(cols); }

// rows: the (out_i, in) weight matrices stacked in order; biases likewise (all or none)
Linear make_linear(const std::vector<std::vector<float>>& ws, const std::vector<std::vector<float>>& bs, int64_t in,
                   const InferOptions& opt) {
  Linear L;
  L.in = in;
  for (auto& w : ws) L.out += int64_t(w.size()) / in;
  std::vector<float> all;
  all.reserve(size_t(L.out * in));
  for (auto& w : ws) all.insert(all.end(), w.begin(), w.end());
  for (auto& b : bs) L.b.insert(L.b.end(), b.begin(), b.end());
  if (opt.quantize_int8) {
    L.q = quantize_int8(all.data(), L.out, in, pick_group(opt.quant_group, in));
    L.quant = true;
  } else if (opt.bf16) {
    L.h = pack_bf16(all.data(), L.out, in);
    L.bf16 = true;
  } else {
    L.own = std::move(all);
    L.w = L.own.data();
  }
  return L;
}

}  // namespace

namespace {
// Moves every fp32 matrix into one arena in the order a forward streams them (layer by layer,
// then the head; the token table first, as only one of its rows is read unless it is the head).
// Linears are stored as panels (gemv.h): the layout matmul_panels_f32 reads. A tied token table
// is stored once, as the head's panels; the embedding lookup reads its rows from them.
void pack_fp32_weights(InferModel::Impl& I) {
  std::vector<Linear*> ls;
  for (LayerW& L : I.layers) ls.insert(ls.end(), {&L.qkv, &L.o, &L.gate_up, &L.down});
  ls.push_back(&I.head);
  const bool tied = I.cfg.tie_embeddings && !I.head.quant && !I.head.bf16;
  size_t n = tied ? 0 : I.embed_own.size();
  for (Linear* L : ls)
    if (!L->quant && !L->bf16) n += panel_floats(L->out, L->in);  // (a tied fp32 head: the token table's panels)
  I.arena = LargeBuffer(n);
  float* p = I.arena.data();
  auto take_rows = [&p](std::vector<float>& v) {
    float* at = p;
    std::copy(v.begin(), v.end(), p);
    p += v.size();
    std::vector<float>().swap(v);
    return at;
  };
  auto take_panels = [&p](std::vector<float>& v, int64_t out, int64_t in) {
    float* at = p;
    pack_panels(v.data(), out, in, p);
    p += panel_floats(out, in);
    std::vector<float>().swap(v);
    return at;
  };
  if (!I.embed_own.empty() && !tied) I.embed = take_rows(I.embed_own);
  for (Linear* L : ls)
    if (!L->own.empty()) L->w = take_panels(L->own, L->out, L->in);
  if (tied) {
    I.head.w = take_panels(I.embed_own, I.V, I.C);
    I.embed_panels = I.head.w;
  }
}
}  // namespace

InferModel::InferModel(const Transformer<float>& model, InferOptions opt) {
  auto im = std::make_shared<Impl>();
  Impl& I = *im;
  const ModelConfig& c = model.cfg;
  c.validate();
  I.cfg = c;
  I.opt = opt;
  if (opt.bf16 && opt.quantize_int8) throw std::invalid_argument("InferModel: bf16 and int8 weights exclude each other");
  I.H = c.n_heads, I.KVH = c.kv_heads(), I.hd = c.head_dim(), I.C = c.dim, I.F = c.hidden(), I.V = c.vocab_size;
  const int64_t C = I.C, F = I.F, V = I.V, hd = I.hd, H = I.H, KVH = I.KVH;
  const bool ln_bias = c.norm == "layernorm" && c.bias;
  ParamReader r{model};
  auto norm = [&](const std::string& p, std::vector<float>& w, std::vector<float>& b) {
    w = r.get(p + ".weight", C);
    if (ln_bias) b = r.get(p + ".bias", C);
  };
  auto W = [&](const std::string& p, int64_t out, int64_t in) { return r.get(p + ".weight", out * in); };
  auto B = [&](const std::string& p, int64_t out) {
    return c.bias ? r.get(p + ".bias", out) : std::vector<float>();
  };
  auto bias_list = [&](std::vector<std::vector<float>> v) {
    return c.bias ? v : std::vector<std::vector<float>>();
  };

  std::vector<float> emb = r.get("model.embed_tokens.weight", V * C);
  if (opt.quantize_int8) {
    I.embed_q = quantize_int8(emb.data(), V, C, pick_group(opt.quant_group, C));
  } else {
    I.embed_own = std::move(emb);
  }
  if (c.pos == "learned") I.pos_table = r.get("model.embed_positions.weight", int64_t(c.max_seq_len) * C);
  if (c.pos == "sinusoidal") {
    std::vector<double> s = sinusoidal_table(c.max_seq_len, int(C));
    I.pos_table.assign(s.begin(), s.end());
  }
  if (c.pos == "rope") {
    std::vector<double> cs, sn;
    rope_tables(c.max_seq_len, int(hd), c.rope_theta, cs, sn);
    I.rope_cos.assign(cs.begin(), cs.end());
    I.rope_sin.assign(sn.begin(), sn.end());
  }
  if (c.pos == "alibi") {
    std::vector<double> s = alibi_slopes(int(H));
    I.slopes.assign(s.begin(), s.end());
  }
  for (int l = 0; l < c.n_layers; l++) {
    const std::string p = Transformer<float>::layer_prefix(l);
    LayerW L;
    norm(p + "input_layernorm", L.n1w, L.n1b);
    norm(p + "post_attention_layernorm", L.n2w, L.n2b);
    const std::string a = p + "self_attn.";
    L.qkv = make_linear({W(a + "q_proj", H * hd, C), W(a + "k_proj", KVH * hd, C), W(a + "v_proj", KVH * hd, C)},
                        bias_list({B(a + "q_proj", H * hd), B(a + "k_proj", KVH * hd), B(a + "v_proj", KVH * hd)}),
                        C, opt);
    L.o = make_linear({W(a + "o_proj", C, H * hd)}, bias_list({B(a + "o_proj", C)}), H * hd, opt);
    const std::string m = p + "mlp.";
    if (c.ffn == "swiglu")
      L.gate_up = make_linear({W(m + "gate_proj", F, C), W(m + "up_proj", F, C)},
                              bias_list({B(m + "gate_proj", F), B(m + "up_proj", F)}), C, opt);
    else
      L.gate_up = make_linear({W(m + "up_proj", F, C)}, bias_list({B(m + "up_proj", F)}), C, opt);
    L.down = make_linear({W(m + "down_proj", C, F)}, bias_list({B(m + "down_proj", C)}), F, opt);
    I.layers.push_back(std::move(L));
  }
  norm("model.norm", I.nfw, I.nfb);
  // LM head: with tied embeddings it IS the token table (fp32: same pointer; int8: same matrix)
  if (c.tie_embeddings) {
    I.head.out = V, I.head.in = C;
    if (opt.quantize_int8) {
      I.head.quant = true;
      I.head.shared_q = &I.embed_q;  // Impl lives on the heap and never moves
    } else if (opt.bf16) {
      I.head.h = pack_bf16(I.embed_own.data(), V, C);  // lookups read rows from these tiles (bf16_row)
      I.head.bf16 = true;
      std::vector<float>().swap(I.embed_own);
    } else {
      I.head.w = nullptr;  // the token table's panels, set by pack_fp32_weights
    }
  } else {
    I.head = make_linear({W("lm_head", V, C)}, {}, C, opt);
  }
  pack_fp32_weights(I);
  impl_ = std::move(im);
}

const ModelConfig& InferModel::cfg() const { return impl_->cfg; }
const InferOptions& InferModel::options() const { return impl_->opt; }
int InferModel::kv_dim() const { return impl_->KVH * impl_->hd; }

size_t InferModel::weight_bytes() const {
  const Impl& I = *impl_;
  size_t n = (I.embed ? size_t(I.V * I.C) * sizeof(float) : 0) + I.embed_q.bytes() + I.pos_table.size() * sizeof(float);
  for (const LayerW& L : I.layers)
    n += (L.n1w.size() + L.n1b.size() + L.n2w.size() + L.n2b.size()) * sizeof(float) + L.qkv.bytes() + L.o.bytes() +
         L.gate_up.bytes() + L.down.bytes();
  n += (I.nfw.size() + I.nfb.size()) * sizeof(float);
  if (!I.cfg.tie_embeddings || I.embed_panels || I.head.bf16)
    n += I.head.bytes();  // (tied fp32 or bf16: the table is the head's panels or tiles)
  return n;
}

size_t decode_bytes_per_token(const InferModel& m) {
  // every weight is read once per token except the token table, of which one row is read
  // (unless it doubles as the LM head)
  const InferModel::Impl& I = *m.impl();
  size_t n = m.weight_bytes();
  if (!I.cfg.tie_embeddings) n -= (I.embed ? size_t(I.V * I.C) * sizeof(float) : 0) + I.embed_q.bytes();
  return n;
}

void round_weights_to_int8(Transformer<float>& m, int quant_group) {
  static const char* kQuantized[] = {"embed_tokens.weight", "q_proj.weight", "k_proj.weight", "v_proj.weight",
                                     "o_proj.weight",       "gate_proj.weight", "up_proj.weight", "down_proj.weight",
                                     "lm_head.weight"};
  auto ends_with = [](const std::string& s, const char* t) {
    const size_t n = std::strlen(t);
    return s.size() >= n && s.compare(s.size() - n, n, t) == 0;
  };
  for (const ParamInfo& p : m.params.infos()) {
    if (p.shape.ndim != 2) continue;
    bool q = false;
    for (const char* t : kQuantized) q = q || ends_with(p.name, t);
    if (!q) continue;
    const int64_t rows = p.shape.d[0], cols = p.shape.d[1];
    float* w = m.params.values() + p.offset;  // (rows, cols) nn.Linear layout
    dequantize_int8(quantize_int8(w, rows, cols, pick_group(quant_group, cols)), w);
  }
}

// ---------------------------------------------------------------- kernels
namespace {

constexpr int64_t kGemvRows = 32;    // int8: batches up to this many rows use gemv_q8 (in matmul_q8_f32)
constexpr int64_t kDequantRows = 8;  // int8: from this many rows (and kGemmWork) on, dequantized chunks + fp32 GEMM
// Eigen's GEMM starts its own OpenMP team (whose threads busy-wait) for any product above ~1e5
// flops; below this many multiply-adds the chunked GEMVs are as fast and stay on one thread
constexpr int64_t kGemmWork = int64_t(1) << 22;

// y (N, out) = x (N, in) W^T + b
void linear_fwd(const Linear& L, const float* x, int64_t N, float* y, bool q8q8) {
  if (L.quant && !q8q8 && N >= kDequantRows && N * L.out * L.in >= kGemmWork &&
      !(N <= kGemvRows && gemv_q8_supported(L.qm().group))) {  // (decode batches: gemv_q8 in matmul_q8_f32)
    // prefill-sized batches: dequantize a chunk of rows once (in cache) and run an fp32 GEMM on
    // it; the int8 x fp32 kernel would convert every weight again for each of the N rows
    const QuantMatrix& Q = L.qm();
    const int64_t chunk = 64, nchunks = (L.out + chunk - 1) / chunk, G = Q.cols / Q.group;
    LLM_OMP_FOR_IF(true)  // (inside an active team Eigen's GEMM stays on its thread)
    for (int64_t ci = 0; ci < nchunks; ci++) {
      thread_local std::vector<float> wbuf;  // (chunk, in) dequantized rows
      const int64_t r0 = ci * chunk, rn = std::min(chunk, L.out - r0);
      grow(wbuf, size_t(rn * L.in));
      for (int64_t r = 0; r < rn; r++) {
        const int8_t* qr = Q.q.data() + (r0 + r) * Q.cols;
        const float* sr = Q.scale.data() + (r0 + r) * G;
        float* wr = wbuf.data() + r * L.in;
        for (int64_t g = 0; g < G; g++)
          for (int64_t i = g * Q.group; i < (g + 1) * Q.group; i++) wr[i] = sr[g] * float(qr[i]);
      }
      SMapR<float> Y(y + r0, N, rn, Eigen::OuterStride<>(L.out));  // columns r0.. of y
      Y.noalias() = CMapR<float>(x, N, L.in) * CMapR<float>(wbuf.data(), rn, L.in).transpose();
    }
  } else if (L.bf16) {
    matmul_bf16(x, N, L.h, y);
  } else if (L.quant) {
    if (q8q8)
      matmul_q8_q8(x, N, L.qm(), y);
    else
      matmul_q8_f32(x, N, L.qm(), y);
  } else {
    // fp32: the panel kernel (gemv.h) for every N, decode and prefill alike: W is read in its
    // packed layout as it sits in the arena (a general GEMM would repack it every call) and the
    // result of a row does not depend on N (batched decode = alone, bit for bit)
    matmul_panels_f32(L.w, L.out, L.in, x, N, y);
  }
  if (!L.b.empty())
    for (int64_t n = 0; n < N; n++) {
      float* yr = y + n * L.out;
      for (int64_t j = 0; j < L.out; j++) yr[j] += L.b[j];
    }
}

// out (N, C) = norm(x (N, C)) with the config's norm (same float math as ops_nn.cpp)
void norm_fwd(const ModelConfig& c, const float* w, const float* b, const float* x, float* out, int64_t N,
              int64_t C) {
  const float eps = float(c.norm_eps);
  if (c.norm == "layernorm") {
    for (int64_t n = 0; n < N; n++) {
      const float* xr = x + n * C;
      float m = 0, v = 0;
      for (int64_t i = 0; i < C; i++) m += xr[i];
      m /= C;
      for (int64_t i = 0; i < C; i++) v += (xr[i] - m) * (xr[i] - m);
      v /= C;
      const float s = 1.f / std::sqrt(v + eps);
      for (int64_t i = 0; i < C; i++) out[n * C + i] = (xr[i] - m) * s * w[i] + (b ? b[i] : 0.f);
    }
    return;
  }
  const float one = c.norm == "qwen2_rmsnorm" ? 1.f : 0.f;
  for (int64_t n = 0; n < N; n++) {
    const float* xr = x + n * C;
    float ss = 0;
    for (int64_t i = 0; i < C; i++) ss += xr[i] * xr[i];
    const float s = 1.f / std::sqrt(ss / C + eps);
    for (int64_t i = 0; i < C; i++) out[n * C + i] = xr[i] * s * (one + w[i]);
  }
}

// rotate_half RoPE in place on nh heads of hd starting at x (one token at position p)
void rope_row(float* x, int nh, int hd, const float* cs, const float* sn, int p) {
  const int half = hd / 2;
  const float* c = cs + int64_t(p) * half;
  const float* s = sn + int64_t(p) * half;
  for (int h = 0; h < nh; h++) {
    float* xi = x + h * hd;
    for (int i = 0; i < half; i++) {
      const float x1 = xi[i], x2 = xi[i + half];
      xi[i] = x1 * c[i] - x2 * s[i];
      xi[i + half] = x2 * c[i] + x1 * s[i];
    }
  }
}

constexpr float kGeluK = 0.7978845608028654f;  // sqrt(2/pi)

}  // namespace

// ---------------------------------------------------------------- the forward
const float* InferModel::forward_batch(const KVLayout& kv, const BatchSeq* seqs, int n_seqs, const int32_t* tokens,
                                       InferScratch& s) const {
  const Impl& I = *impl_;
  const ModelConfig& c = I.cfg;
  const int64_t C = I.C, H = I.H, KVH = I.KVH, hd = I.hd, F = I.F, V = I.V;
  const int64_t qkvw = (H + 2 * KVH) * hd, G = H / KVH;
  const bool q8q8 = I.opt.int8_activations;

  // token bookkeeping: position and sequence of every row, and the rows that need logits
  int64_t N = 0;
  for (int i = 0; i < n_seqs; i++) {
    if (seqs[i].n_tokens < 0 || seqs[i].pos0 < 0)
      throw std::runtime_error("forward_batch: sequence " + std::to_string(i) + " has a negative position or count");
    if (int64_t(seqs[i].pos0) + seqs[i].n_tokens > c.max_seq_len)
      throw std::runtime_error("forward_batch: sequence " + std::to_string(i) + " reaches position " +
                               std::to_string(seqs[i].pos0 + seqs[i].n_tokens) + " beyond max_seq_len " +
                               std::to_string(c.max_seq_len));
    N += seqs[i].n_tokens;
  }
  grow(s.pos, size_t(N));
  grow(s.seq, size_t(N));
  s.rows.clear();
  {
    int64_t n = 0;
    for (int i = 0; i < n_seqs; i++)
      for (int t = 0; t < seqs[i].n_tokens; t++, n++) {
        s.pos[n] = seqs[i].pos0 + t;
        s.seq[n] = i;
        if (seqs[i].logits == BatchSeq::kAll || (seqs[i].logits == BatchSeq::kLast && t == seqs[i].n_tokens - 1))
          s.rows.push_back(int32_t(n));
      }
  }
  for (int64_t n = 0; n < N; n++)
    if (tokens[n] < 0 || tokens[n] >= V)
      throw std::runtime_error("forward_batch: token id " + std::to_string(tokens[n]) + " at row " +
                               std::to_string(n) + " is outside the vocabulary [0, " + std::to_string(V) + ")");
  const int64_t R = int64_t(s.rows.size());
  grow(s.x, size_t(N * C));
  grow(s.a, size_t(N * C));
  grow(s.qkv, size_t(N * qkvw));
  grow(s.att, size_t(N * H * hd));
  grow(s.ff, size_t(N * (c.ffn == "swiglu" ? 2 * F : F)));
  grow(s.hid, size_t(N * F));
  grow(s.sel, size_t(std::max<int64_t>(R, 1) * C));
  grow(s.logits, size_t(std::max<int64_t>(R, 1) * V));
  const int nthreads = max_threads();
  grow(s.scores, size_t(nthreads) * c.max_seq_len);
  if (N == 0) return s.logits.data();

  // phase clock: tick(slot) adds the time since the previous tick to that phase
  StepProfile* prof = s.profile;
  std::chrono::steady_clock::time_point t_prev;
  if (prof) t_prev = std::chrono::steady_clock::now(), prof->forwards++;
  auto tick = [&](double StepProfile::*slot) {
    if (!prof) return;
    const auto t = std::chrono::steady_clock::now();
    prof->*slot += std::chrono::duration<double, std::milli>(t - t_prev).count();
    t_prev = t;
  };

  float* x = s.x.data();
  // embedding (+ absolute positions)
  for (int64_t n = 0; n < N; n++) {
    float* xr = x + n * C;
    if (I.embed_q.rows) {
      const QuantMatrix& q = I.embed_q;
      const int64_t ng = C / q.group;
      const int8_t* qr = q.q.data() + int64_t(tokens[n]) * C;
      const float* sc = q.scale.data() + int64_t(tokens[n]) * ng;
      for (int64_t i = 0; i < C; i++) xr[i] = sc[i / q.group] * float(qr[i]);
    } else if (I.embed) {
      std::memcpy(xr, I.embed + int64_t(tokens[n]) * C, size_t(C) * sizeof(float));
    } else if (I.head.bf16) {  // tied bf16 table: the head's tiles
      bf16_row(I.head.h, tokens[n], xr);
    } else {
      panel_row(I.embed_panels, C, tokens[n], xr);
    }
    if (!I.pos_table.empty()) {
      const float* pr = I.pos_table.data() + int64_t(s.pos[n]) * C;
      for (int64_t i = 0; i < C; i++) xr[i] += pr[i];
    }
  }
  tick(&StepProfile::embed);

  int64_t att_work = 0;  // multiply-adds of one layer's attention: decides whether threads pay off
  for (int64_t n = 0; n < N; n++) att_work += int64_t(s.pos[n] + 1) * H * hd * 2;
  const float scale = 1.f / std::sqrt(float(hd));
  const bool rope = c.pos == "rope", alibi = c.pos == "alibi";
  for (int l = 0; l < c.n_layers; l++) {
    const LayerW& L = I.layers[size_t(l)];
    // ---- attention: a = norm1(x); qkv = a Wqkv^T
    norm_fwd(c, L.n1w.data(), L.n1b.empty() ? nullptr : L.n1b.data(), x, s.a.data(), N, C);
    tick(&StepProfile::norm);
    linear_fwd(L.qkv, s.a.data(), N, s.qkv.data(), q8q8);
    tick(&StepProfile::gemv);
    // One team for the K/V writes and the attention (a fork and a serial phase less per layer):
    // RoPE on q and k, then K/V of every new token into its sequence's blocks. The writes miss
    // the cache (fresh positions of the pool), so threads pay off for them too.
    LLM_OMP_PARALLEL_IF(N * H > 1 && att_work >= (1 << 15))
    {
    LLM_OMP_FOR
    for (int64_t n = 0; n < N; n++) {
      float* row = s.qkv.data() + n * qkvw;  // q (H*hd) | k (KVH*hd) | v (KVH*hd)
      const int p = s.pos[n];
      if (rope) {
        rope_row(row, int(H), int(hd), I.rope_cos.data(), I.rope_sin.data(), p);
        rope_row(row + H * hd, int(KVH), int(hd), I.rope_cos.data(), I.rope_sin.data(), p);
      }
      const BatchSeq& b = seqs[s.seq[n]];
      // head 0's K row; head kh is kh * bs * hd further, its V row v_offset further
      const int64_t at = int64_t(b.block_table[p / kv.block_size]) * kv.block_stride + l * kv.layer_stride +
                         int64_t(p % kv.block_size) * hd;
      for (int64_t kh = 0; kh < KVH; kh++) {
        const int64_t k = at + kh * kv.block_size * hd;
        const float *kn = row + (H + kh) * hd, *vn = row + (H + KVH + kh) * hd;
        if (kv.base16) {
          f32_to_f16_row(kn, kv.base16 + k, hd);
          f32_to_f16_row(vn, kv.base16 + k + kv.v_offset, hd);
        } else {
          std::memcpy(kv.base + k, kn, size_t(hd) * sizeof(float));
          std::memcpy(kv.base + k + kv.v_offset, vn, size_t(hd) * sizeof(float));
        }
      }
    }
    // (the implicit barrier of the loop above: every new K/V row is in the blocks)
    // every (token, head) attends to positions 0..p of its sequence, block by block
    LLM_OMP_FOR
    for (int64_t nh = 0; nh < N * H; nh++) {
      const int64_t n = nh / H, h = nh % H, kh = h / G;
      const int p = s.pos[n];
      const BatchSeq& b = seqs[s.seq[n]];
      float* sc = s.scores.data() + int64_t(thread_id()) * c.max_seq_len;  // (p + 1)
      const float* qp = s.qkv.data() + n * qkvw + h * hd;  // (hd)
      const float slope = alibi ? I.slopes[size_t(h)] : 0.f;
      const int bs = kv.block_size;
      const int nblk = p / bs + 1;
      // scores (p+1) = q . K_j / sqrt(hd) - slope (p - j), block by block
      // element offset of this head's K rows of logical block lb (its V rows: + kv.v_offset)
      auto k_at = [&](int lb) {
        return int64_t(b.block_table[lb]) * kv.block_stride + l * kv.layer_stride + kh * bs * hd;
      };
      // Software prefetch: one head's rows of a block are a short run (3 KB for bs 16, hd 48)
      // and the next block is anywhere in the pool, so the hardware prefetcher stops at the end
      // of each run. A scratch copy of the 16-stream attention read the pool at ~12 GB/s on 2
      // threads where a plain stream gets ~25 GB/s; prefetching the next block (and the V rows
      // during the score pass) took it to 15-19 GB/s (2026-12-02, docs/kv_cache.md).
      const size_t esz = kv.base16 ? sizeof(uint16_t) : sizeof(float);
      const char* kvb = kv.base16 ? static_cast<const char*>(static_cast<const void*>(kv.base16))
                                  : static_cast<const char*>(static_cast<const void*>(kv.base));
      auto addr = [&](int64_t at) { return kvb + size_t(at) * esz; };
      auto bytes = [&](int rows) { return size_t(rows * hd) * esz; };
      for (int lb = 0; lb < nblk; lb++) {
        const int64_t kb = k_at(lb);
        const int j0 = lb * bs, jn = std::min(bs, p + 1 - j0);
        // the next K block into L1 and this V block into L2 for the second pass
        if (lb + 1 < nblk) prefetch_bytes<3>(addr(k_at(lb + 1)), bytes(std::min(bs, p + 1 - j0 - bs)));
        prefetch_bytes<2>(addr(kb + kv.v_offset), bytes(jn));
        if (kv.base16)  // attend.h; (jn, hd) contiguous
          attn_scores(qp, kv.base16 + kb, hd, jn, int(hd), scale, sc + j0);
        else
          attn_scores(qp, kv.base + kb, hd, jn, int(hd), scale, sc + j0);
      }
      Eigen::Map<Eigen::ArrayXf> P(sc, p + 1);
      if (alibi)
        for (int j = 0; j <= p; j++) sc[j] -= slope * float(p - j);
      P = (P - P.maxCoeff()).exp();
      P *= 1.f / P.sum();
      // out (hd) = sum_j P_j V_j (axpy per row: vectorizes without reassociating a sum)
      float* o = s.att.data() + n * H * hd + h * hd;
      std::fill(o, o + hd, 0.f);
      for (int lb = 0; lb < nblk; lb++) {
        const int64_t vb = k_at(lb) + kv.v_offset;
        const int j0 = lb * bs, jn = std::min(bs, p + 1 - j0);
        if (lb + 1 < nblk) prefetch_bytes<3>(addr(k_at(lb + 1) + kv.v_offset), bytes(std::min(bs, p + 1 - j0 - bs)));
        if (kv.base16)
          attn_accum(sc + j0, kv.base16 + vb, hd, jn, int(hd), o);
        else
          attn_accum(sc + j0, kv.base + vb, hd, jn, int(hd), o);
      }
    }
    }  // the team
    tick(&StepProfile::attention);
    // x += att Wo^T   (a is free again: use it for the projection)
    linear_fwd(L.o, s.att.data(), N, s.a.data(), q8q8);
    tick(&StepProfile::gemv);
    for (int64_t i = 0; i < N * C; i++) x[i] += s.a[size_t(i)];
    tick(&StepProfile::residual);

    // ---- ffn: x += down(act(norm2(x)))
    norm_fwd(c, L.n2w.data(), L.n2b.empty() ? nullptr : L.n2b.data(), x, s.a.data(), N, C);
    tick(&StepProfile::norm);
    linear_fwd(L.gate_up, s.a.data(), N, s.ff.data(), q8q8);
    tick(&StepProfile::gemv);
    float* hid = s.hid.data();
    // Eigen's vectorized exp / tanh natively (within an ulp or two of std::exp; scalar in wasm):
    // the scalar loop was serial glue between the GEMVs of every decode step (glue took ~14% of a
    // 16-row step on 2026-12-02, with the norms and RoPE). Elementwise per row, so the bits do
    // not depend on the batch or the threads; threads only pay off for prefill-sized batches.
    if (c.ffn == "swiglu") {
      LLM_OMP_FOR_IF(N * F >= (1 << 16))
      for (int64_t n = 0; n < N; n++) {
        const float* g = s.ff.data() + n * 2 * F;  // gate (F) | up (F)
        Eigen::Map<const Eigen::ArrayXf> G(g, F), U(g + F, F);
        Eigen::Map<Eigen::ArrayXf>(hid + n * F, F) = G / (1.f + (-G).exp()) * U;  // silu(gate) * up
      }
    } else {
      LLM_OMP_FOR_IF(N * F >= (1 << 16))
      for (int64_t n = 0; n < N; n++) {
        Eigen::Map<const Eigen::ArrayXf> X(s.ff.data() + n * F, F);
        Eigen::Map<Eigen::ArrayXf>(hid + n * F, F) = 0.5f * X * (1.f + (kGeluK * (X + 0.044715f * X * X * X)).tanh());
      }
    }
    tick(&StepProfile::act);
    linear_fwd(L.down, hid, N, s.a.data(), q8q8);
    tick(&StepProfile::gemv);
    for (int64_t i = 0; i < N * C; i++) x[i] += s.a[size_t(i)];
    tick(&StepProfile::residual);
  }

  // final norm and LM head on the wanted rows only
  if (R == 0) return s.logits.data();
  for (int64_t r = 0; r < R; r++)
    std::memcpy(s.a.data() + r * C, x + int64_t(s.rows[size_t(r)]) * C, size_t(C) * sizeof(float));
  norm_fwd(c, I.nfw.data(), I.nfb.empty() ? nullptr : I.nfb.data(), s.a.data(), s.sel.data(), R, C);
  linear_fwd(I.head, s.sel.data(), R, s.logits.data(), q8q8);
  tick(&StepProfile::head);
  return s.logits.data();
}

std::vector<float> InferModel::forward_full(const std::vector<int32_t>& tokens) const {
  // No persistent cache: K/V of the T tokens live in a local (n_layers, 2, T, kv_dim) buffer
  // that is one block of T tokens, and every position gets its logits.
  const int T = int(tokens.size());
  if (T == 0) return {};
  const int64_t kvw = kv_dim();
  std::vector<float> kvbuf(size_t(cfg().n_layers) * 2 * T * kvw);
  KVLayout L;
  L.base = kvbuf.data();
  L.block_size = T;
  L.block_stride = 0;
  L.layer_stride = 2 * int64_t(T) * kvw;
  L.v_offset = int64_t(T) * kvw;
  const int32_t table[1] = {0};
  BatchSeq b;
  b.block_table = table;
  b.pos0 = 0;
  b.n_tokens = T;
  b.logits = BatchSeq::kAll;
  InferScratch s;
  const float* lg = forward_batch(L, &b, 1, tokens.data(), s);
  return std::vector<float>(lg, lg + size_t(T) * cfg().vocab_size);
}

// ---------------------------------------------------------------- KVCache
KVDtype parse_kv_dtype(const std::string& s) {
  if (s == "f32" || s == "fp32" || s == "float32") return KVDtype::kF32;
  if (s == "f16" || s == "fp16" || s == "float16") return KVDtype::kF16;
  throw std::invalid_argument("KV cache dtype must be f32 or f16, got '" + s + "'");
}
const char* kv_dtype_name(KVDtype d) { return d == KVDtype::kF16 ? "f16" : "f32"; }

KVCache::KVCache(const ModelConfig& cfg, KVDtype dtype) : cfg_(cfg) {
  cfg_.validate();
  const size_t n = size_t(cfg_.n_layers) * 2 * cfg_.max_seq_len * cfg_.kv_heads() * cfg_.head_dim();
  if (dtype == KVDtype::kF16)
    kv16_.assign(n, 0);
  else
    kv_.assign(n, 0.f);
}

const float* KVCache::run(const InferModel& m, const int32_t* tokens, int n, BatchSeq::Logits which) {
  const ModelConfig& mc = m.cfg();
  if (mc.n_layers != cfg_.n_layers || mc.max_seq_len != cfg_.max_seq_len || m.kv_dim() != cfg_.kv_heads() * cfg_.head_dim())
    throw std::runtime_error("KVCache: cache shape (" + cfg_.summary() + ") does not match the model (" +
                             mc.summary() + ")");
  if (n <= 0) throw std::runtime_error("KVCache::forward: need at least one token, got " + std::to_string(n));
  if (len_ + n > cfg_.max_seq_len)
    throw std::runtime_error("KVCache::forward: " + std::to_string(len_) + " cached + " + std::to_string(n) +
                             " new tokens exceed max_seq_len " + std::to_string(cfg_.max_seq_len));
  const int64_t kvw = m.kv_dim();
  KVLayout L;
  L.base = kv_.empty() ? nullptr : kv_.data();
  L.base16 = kv16_.empty() ? nullptr : kv16_.data();
  L.block_size = cfg_.max_seq_len;
  L.block_stride = 0;
  L.layer_stride = 2 * int64_t(cfg_.max_seq_len) * kvw;
  L.v_offset = int64_t(cfg_.max_seq_len) * kvw;
  BatchSeq b;
  b.block_table = table_;
  b.pos0 = len_;
  b.n_tokens = n;
  b.logits = which;
  const float* lg = m.forward_batch(L, &b, 1, tokens, scratch_);
  len_ += n;  // only after a successful forward
  return lg;
}

std::vector<float> KVCache::forward(const InferModel& m, const int32_t* tokens, int n, bool last_only) {
  const float* lg = run(m, tokens, n, last_only ? BatchSeq::kLast : BatchSeq::kAll);
  const size_t rows = last_only ? 1 : size_t(n);
  return std::vector<float>(lg, lg + rows * size_t(cfg_.vocab_size));
}

const float* KVCache::forward_last(const InferModel& m, const int32_t* tokens, int n) {
  return run(m, tokens, n, BatchSeq::kLast);
}

std::vector<double> window_row_losses(const InferModel& m, const int32_t* x, const int32_t* y, int B, int T) {
  const int V = m.cfg().vocab_size;
  std::vector<double> out(size_t(std::max(B, 0)), 0.0);
  for (int b = 0; b < B; b++) {
    const std::vector<int32_t> row(x + int64_t(b) * T, x + int64_t(b + 1) * T);
    const std::vector<float> lg = m.forward_full(row);  // (T, V)
    double sum = 0;
    int n = 0;
    for (int t = 0; t < T; t++) {
      const int32_t target = y[int64_t(b) * T + t];
      if (target == -100) continue;
      if (target < 0 || target >= V)
        throw std::runtime_error("window_row_losses: target " + std::to_string(target) + " at row " +
                                 std::to_string(b) + ", position " + std::to_string(t) + " is outside [0, " +
                                 std::to_string(V) + ")");
      const float* l = lg.data() + size_t(t) * V;
      double mx = l[0], z = 0;
      for (int j = 1; j < V; j++) mx = std::max(mx, double(l[j]));
      for (int j = 0; j < V; j++) z += std::exp(double(l[j]) - mx);
      sum += mx + std::log(z) - double(l[target]);
      n++;
    }
    out[size_t(b)] = n ? sum / n : 0.0;
  }
  return out;
}

std::vector<int32_t> greedy_decode(const InferModel& m, KVCache& cache, const std::vector<int32_t>& prompt, int n_new) {
  if (prompt.empty()) throw std::runtime_error("greedy_decode: empty prompt");
  cache.clear();
  const int V = m.cfg().vocab_size;
  std::vector<int32_t> out;
  out.reserve(size_t(std::max(n_new, 0)));
  const float* lg = cache.forward_last(m, prompt.data(), int(prompt.size()));
  for (int i = 0; i < n_new; i++) {
    int32_t best = 0;
    for (int j = 1; j < V; j++)
      if (lg[j] > lg[best]) best = j;
    out.push_back(best);
    if (i + 1 < n_new) lg = cache.forward_last(m, &out.back(), 1);
  }
  return out;
}

}  // namespace llm
