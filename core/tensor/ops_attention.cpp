// RoPE, ALiBi, sinusoidal tables and causal grouped-KV attention: forward and backward side by side.
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "core/tensor/eigen_util.h"
#include "core/tensor/gemm_simd128.h"
#include "core/tensor/ops.h"
#include "core/tensor/parallel.h"

namespace llm {

// fp32 attention products on the packed SIMD128 GEMM in WebAssembly (see ops_linalg.cpp)
template <class T>
#if defined(__EMSCRIPTEN__)
constexpr bool kPackedGemm = std::is_same_v<T, float>;
#else
constexpr bool kPackedGemm = false;
#endif

// ---------------------------------------------------------------- tables
std::vector<double> alibi_slopes(int n) {
  // ALiBi paper: geometric sequence starting at 2^(-8/n) for n a power of two; otherwise the
  // slopes of the closest smaller power of two followed by every other slope of twice that.
  auto pow2 = [](int m) {
    std::vector<double> s(m);
    const double start = std::pow(2.0, -std::pow(2.0, -(std::log2(double(m)) - 3)));
    for (int i = 0; i < m; i++) s[i] = start * std::pow(start, i);
    return s;
  };
  const double l = std::log2(double(n));
  if (l == std::floor(l)) return pow2(n);
  const int c = 1 << int(std::floor(l));
  std::vector<double> s = pow2(c);
  std::vector<double> extra = alibi_slopes(2 * c);
  for (int i = 0; i < n - c; i++) s.push_back(extra[2 * i]);
  return s;
}

std::vector<double> sinusoidal_table(int max_pos, int dim) {
  std::vector<double> t(size_t(max_pos) * dim, 0.0);  // (max_pos, dim)
  for (int p = 0; p < max_pos; p++)
    for (int i = 0; i < dim / 2; i++) {
      const double w = std::pow(10000.0, -2.0 * i / dim);
      t[size_t(p) * dim + 2 * i] = std::sin(p * w);
      t[size_t(p) * dim + 2 * i + 1] = std::cos(p * w);
    }
  return t;
}

void rope_tables(int max_pos, int hd, double theta, std::vector<double>& cos_t, std::vector<double>& sin_t) {
  const int half = hd / 2;
  cos_t.assign(size_t(max_pos) * half, 0.0);  // (max_pos, hd/2)
  sin_t.assign(size_t(max_pos) * half, 0.0);
  for (int p = 0; p < max_pos; p++)
    for (int i = 0; i < half; i++) {
      const double a = p * std::pow(theta, -2.0 * i / hd);
      cos_t[size_t(p) * half + i] = std::cos(a);
      sin_t[size_t(p) * half + i] = std::sin(a);
    }
}

// ---------------------------------------------------------------- rope
// x (B*T, nh*hd): for each head, (x1, x2) = halves; out1 = x1 cos - x2 sin, out2 = x2 cos + x1 sin
template <class T>
void rope_forward(T* out, const T* x, int B, int Tn, int nh, int hd, const T* cs, const T* sn, int pos0) {
  const int half = hd / 2;
  LLM_OMP_FOR_IF(int64_t(B) * Tn * nh * hd > (1 << 15))
  for (int64_t r = 0; r < int64_t(B) * Tn; r++) {
    const int t = int(r % Tn) + pos0;
    const T* c = cs + int64_t(t) * half;
    const T* s = sn + int64_t(t) * half;
    for (int h = 0; h < nh; h++) {
      const T* xi = x + (r * nh + h) * hd;
      T* o = out + (r * nh + h) * hd;
      for (int i = 0; i < half; i++) {
        const T x1 = xi[i], x2 = xi[i + half];
        o[i] = x1 * c[i] - x2 * s[i];
        o[i + half] = x2 * c[i] + x1 * s[i];
      }
    }
  }
}
// the transpose of a rotation is the rotation by -angle
template <class T>
void rope_backward(const T* dout, T* dx, int B, int Tn, int nh, int hd, const T* cs, const T* sn, int pos0) {
  const int half = hd / 2;
  LLM_OMP_FOR_IF(int64_t(B) * Tn * nh * hd > (1 << 15))
  for (int64_t r = 0; r < int64_t(B) * Tn; r++) {
    const int t = int(r % Tn) + pos0;
    const T* c = cs + int64_t(t) * half;
    const T* s = sn + int64_t(t) * half;
    for (int h = 0; h < nh; h++) {
      const T* d = dout + (r * nh + h) * hd;
      T* o = dx + (r * nh + h) * hd;
      for (int i = 0; i < half; i++) {
        o[i] += d[i] * c[i] + d[i + half] * s[i];
        o[i + half] += d[i + half] * c[i] - d[i] * s[i];
      }
    }
  }
}
template <class T>
TensorT<T> rope(Graph<T>& g, const TensorT<T>& x, int B, int Tn, int nh, int hd, const T* cs, const T* sn, int pos0) {
  if (x.numel() != int64_t(B) * Tn * nh * hd || hd % 2)
    throw std::runtime_error("rope: input " + x.shape.str() + " is not (B*T, n_heads*head_dim) with even head_dim");
  TensorT<T> out = g.tensor(x.shape, g.needs_grad(x));
  rope_forward(out.data, x.data, B, Tn, nh, hd, cs, sn, pos0);
  if (out.grad) g.record([=] { rope_backward(out.grad, x.grad, B, Tn, nh, hd, cs, sn, pos0); });
  return out;
}

// ---------------------------------------------------------------- attention
// For each batch b and query head h (kv head h / (H/KVH)):
//   S = Q K^T / sqrt(hd) + alibi, causal mask;  P = softmax_rows(S) (saved, (B, H, T, T));  O = P V
// doc_start (B*T) or nullptr: query t only attends to keys in [doc_start[t], t] (packed documents)
template <class T>
void attention_forward(T* out, T* probs, const T* q, const T* k, const T* v, int B, int Tn, int H, int KVH, int hd,
                       const T* slopes, const int32_t* doc_start) {
  const int G = H / KVH;
  const int64_t qs = int64_t(H) * hd, ks = int64_t(KVH) * hd;  // row strides
  const T sc = T(1) / std::sqrt(T(hd));
  // one (batch, head) per iteration; in wasm fp32 the two products run on the SIMD128 GEMM
  // (gemm_simd128.h; serial inside a parallel chunk), elsewhere on Eigen
  parallel_loop(int64_t(B) * H, int64_t(B) * H * Tn * Tn * hd > (1 << 16), [&](int64_t bh_) {
    const int bh = int(bh_);
    const int b = bh / H, h = bh % H, kh = h / G;
    CSMapR<T> Q(q + int64_t(b) * Tn * qs + h * hd, Tn, hd, Eigen::OuterStride<>(qs));
    CSMapR<T> K(k + int64_t(b) * Tn * ks + kh * hd, Tn, hd, Eigen::OuterStride<>(ks));
    CSMapR<T> Vm(v + int64_t(b) * Tn * ks + kh * hd, Tn, hd, Eigen::OuterStride<>(ks));
    SMapR<T> O(out + int64_t(b) * Tn * qs + h * hd, Tn, hd, Eigen::OuterStride<>(qs));
    MapR<T> P(probs + int64_t(bh) * Tn * Tn, Tn, Tn);
    if constexpr (kPackedGemm<T>) {
      gemm_f32(false, true, Tn, Tn, hd, Q.data(), qs, K.data(), ks, P.data(), Tn, false);
      P *= sc;
    } else {
      P.noalias() = (Q * K.transpose()) * sc;
    }
    for (int i = 0; i < Tn; i++) {
      T* row = &P(i, 0);
      const int lo = doc_start ? std::min(i, std::max(0, int(doc_start[int64_t(b) * Tn + i]))) : 0;
      if (slopes)
        for (int j = lo; j <= i; j++) row[j] -= slopes[h] * T(i - j);
      T mx = row[lo];
      for (int j = lo + 1; j <= i; j++) mx = std::max(mx, row[j]);
      T s = 0;
      for (int j = lo; j <= i; j++) {
        row[j] = std::exp(row[j] - mx);
        s += row[j];
      }
      const T inv = T(1) / s;
      for (int j = 0; j < lo; j++) row[j] = T(0);
      for (int j = lo; j <= i; j++) row[j] *= inv;
      for (int j = i + 1; j < Tn; j++) row[j] = T(0);
    }
    if constexpr (kPackedGemm<T>) gemm_f32(false, false, Tn, hd, Tn, P.data(), Tn, Vm.data(), ks, O.data(), qs, false);
    else O.noalias() = P * Vm;
  });
}
// dP = dO V^T; dV += P^T dO; dS = P * (dP - rowsum(dP * P)); dQ += dS K / sqrt(hd); dK += dS^T Q / sqrt(hd)
// (masked entries have P = 0, so their dS is 0 too: no mask is needed here)
// Parallel over (b, kv head) so the heads of one group, which share dK and dV, run on one thread.
template <class T>
void attention_backward(const T* dout, const T* probs, const T* q, const T* k, const T* v, T* dq, T* dk, T* dv, int B,
                        int Tn, int H, int KVH, int hd) {
  const int G = H / KVH;
  const int64_t qs = int64_t(H) * hd, ks = int64_t(KVH) * hd;
  const T sc = T(1) / std::sqrt(T(hd));
  parallel_loop(int64_t(B) * KVH, int64_t(B) * H * Tn * Tn * hd > (1 << 16), [&](int64_t bk_) {
    const int bk = int(bk_);
    const int b = bk / KVH, kh = bk % KVH;
    CSMapR<T> K(k + int64_t(b) * Tn * ks + kh * hd, Tn, hd, Eigen::OuterStride<>(ks));
    CSMapR<T> Vm(v + int64_t(b) * Tn * ks + kh * hd, Tn, hd, Eigen::OuterStride<>(ks));
    MatR<T> dS(Tn, Tn);
    for (int h = kh * G; h < (kh + 1) * G; h++) {
      CSMapR<T> Q(q + int64_t(b) * Tn * qs + h * hd, Tn, hd, Eigen::OuterStride<>(qs));
      CSMapR<T> dO(dout + int64_t(b) * Tn * qs + h * hd, Tn, hd, Eigen::OuterStride<>(qs));
      CMapR<T> P(probs + (int64_t(b) * H + h) * Tn * Tn, Tn, Tn);
      if (dv) {
        SMapR<T> dV(dv + int64_t(b) * Tn * ks + kh * hd, Tn, hd, Eigen::OuterStride<>(ks));
        if constexpr (kPackedGemm<T>) gemm_f32(true, false, Tn, hd, Tn, P.data(), Tn, dO.data(), qs, dV.data(), ks, true);
        else dV.noalias() += P.transpose() * dO;
      }
      if constexpr (kPackedGemm<T>) gemm_f32(false, true, Tn, Tn, hd, dO.data(), qs, Vm.data(), ks, dS.data(), Tn, false);
      else dS.noalias() = dO * Vm.transpose();  // dP
      for (int i = 0; i < Tn; i++) {
        T dot = 0;
        for (int j = 0; j <= i; j++) dot += dS(i, j) * P(i, j);
        for (int j = 0; j <= i; j++) dS(i, j) = P(i, j) * (dS(i, j) - dot) * sc;
        for (int j = i + 1; j < Tn; j++) dS(i, j) = T(0);
      }
      if (dq) {
        SMapR<T> dQ(dq + int64_t(b) * Tn * qs + h * hd, Tn, hd, Eigen::OuterStride<>(qs));
        if constexpr (kPackedGemm<T>) gemm_f32(false, false, Tn, hd, Tn, dS.data(), Tn, K.data(), ks, dQ.data(), qs, true);
        else dQ.noalias() += dS * K;
      }
      if (dk) {
        SMapR<T> dK(dk + int64_t(b) * Tn * ks + kh * hd, Tn, hd, Eigen::OuterStride<>(ks));
        if constexpr (kPackedGemm<T>) gemm_f32(true, false, Tn, hd, Tn, dS.data(), Tn, Q.data(), qs, dK.data(), ks, true);
        else dK.noalias() += dS.transpose() * Q;
      }
    }
  });
}
template <class T>
TensorT<T> attention(Graph<T>& g, const TensorT<T>& q, const TensorT<T>& k, const TensorT<T>& v, int B, int Tn, int H,
                     int KVH, const T* slopes, const int32_t* doc_start) {
  if (H % KVH) throw std::runtime_error("attention: n_heads must be a multiple of n_kv_heads");
  const int64_t rows = int64_t(B) * Tn;
  if (q.rows() != rows || k.rows() != rows || v.rows() != rows || q.cols() % H || k.shape != v.shape)
    throw std::runtime_error("attention: bad shapes q " + q.shape.str() + " k " + k.shape.str() + " v " +
                             v.shape.str());
  const int hd = int(q.cols() / H);
  if (k.cols() != int64_t(KVH) * hd) throw std::runtime_error("attention: k/v width is not n_kv_heads*head_dim");
  const bool need = g.needs_grad(q) || g.needs_grad(k, v);
  TensorT<T> out = g.tensor(q.shape, need);
  T* probs = g.scratch(size_t(B) * H * Tn * Tn);  // (B, H, T, T)
  attention_forward(out.data, probs, q.data, k.data, v.data, B, Tn, H, KVH, hd, slopes, doc_start);
  if (out.grad)
    g.record([=] {
      attention_backward(out.grad, probs, q.data, k.data, v.data, q.grad, k.grad, v.grad, B, Tn, H, KVH, hd);
    });
  return out;
}

#define LLM_INSTANTIATE(T)                                                                                          \
  template TensorT<T> rope(Graph<T>&, const TensorT<T>&, int, int, int, int, const T*, const T*, int);              \
  template TensorT<T> attention(Graph<T>&, const TensorT<T>&, const TensorT<T>&, const TensorT<T>&, int, int, int, \
                                int, const T*, const int32_t*);
LLM_INSTANTIATE(float)
LLM_INSTANTIATE(double)
#undef LLM_INSTANTIATE

}  // namespace llm
