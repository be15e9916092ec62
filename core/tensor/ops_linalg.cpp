// matmul, linear, add, add_bcast, mul, scale: forward and backward side by side.
#include <stdexcept>

#include <type_traits>
#include <vector>

#include "core/tensor/bf16.h"
#include "core/tensor/eigen_util.h"
#include "core/tensor/gemm_simd128.h"
#include "core/tensor/ops.h"

// In WebAssembly, fp32 matmuls go through the packed SIMD128 GEMM (gemm_simd128.h): Eigen has no
// SIMD128 GEMM kernel and its generic path is ~2x slower there. Natively Eigen's AVX2/FMA kernels
// stay; double (gradient checks) always uses Eigen, which is also the reference the tests compare to.
#if defined(__EMSCRIPTEN__)
#define LLM_PACKED_GEMM 1
#else
#define LLM_PACKED_GEMM 0
#endif

namespace llm {

// ---------------------------------------------------------------- matmul
// out (M, N) = op(a) (M, K) * op(b) (K, N)
template <class T>
void matmul_forward(T* out, const T* a, const T* b, int64_t M, int64_t N, int64_t K, bool ta, bool tb) {
  if constexpr (LLM_PACKED_GEMM && std::is_same_v<T, float>) {
    gemm_f32(ta, tb, M, N, K, a, ta ? M : K, b, tb ? K : N, out, N, false);
    return;
  }
  MapR<T> C(out, M, N);
  CMapR<T> A(a, ta ? K : M, ta ? M : K);
  CMapR<T> Bm(b, tb ? N : K, tb ? K : N);
  if (!ta && !tb) C.noalias() = A * Bm;
  else if (!ta && tb) C.noalias() = A * Bm.transpose();
  else if (ta && !tb) C.noalias() = A.transpose() * Bm;
  else C.noalias() = A.transpose() * Bm.transpose();
}

// dA' = dC B'^T, dB' = A'^T dC, transposed back when the operand was stored transposed
template <class T>
void matmul_backward(const T* dout, const T* a, const T* b, T* da, T* db, int64_t M, int64_t N, int64_t K,
                     bool ta, bool tb) {
  if constexpr (LLM_PACKED_GEMM && std::is_same_v<T, float>) {
    // the same products as the Eigen lines below, written as C += op(X) op(Y) on the stored layouts:
    // a is stored (M, K) or, when ta, (K, M); b is stored (K, N) or, when tb, (N, K); dout is (M, N)
    if (da) {
      if (!ta && !tb) gemm_f32(false, true, M, K, N, dout, N, b, N, da, K, true);         // dC B^T
      else if (!ta && tb) gemm_f32(false, false, M, K, N, dout, N, b, K, da, K, true);    // dC B
      else if (ta && !tb) gemm_f32(false, true, K, M, N, b, N, dout, N, da, M, true);     // B dC^T
      else gemm_f32(true, true, K, M, N, b, K, dout, N, da, M, true);                     // B^T dC^T
    }
    if (db) {
      if (!ta && !tb) gemm_f32(true, false, K, N, M, a, K, dout, N, db, N, true);         // A^T dC
      else if (ta && !tb) gemm_f32(false, false, K, N, M, a, M, dout, N, db, N, true);    // A dC
      else if (!ta && tb) gemm_f32(true, false, N, K, M, dout, N, a, K, db, K, true);     // dC^T A
      else gemm_f32(true, true, N, K, M, dout, N, a, M, db, K, true);                     // dC^T A^T
    }
    return;
  }
  CMapR<T> dC(dout, M, N);
  CMapR<T> A(a, ta ? K : M, ta ? M : K);
  CMapR<T> Bm(b, tb ? N : K, tb ? K : N);
  if (da) {
    MapR<T> dA(da, ta ? K : M, ta ? M : K);
    if (!ta && !tb) dA.noalias() += dC * Bm.transpose();    // (M,N)(N,K)
    else if (!ta && tb) dA.noalias() += dC * Bm;             // (M,N)(N,K)
    else if (ta && !tb) dA.noalias() += Bm * dC.transpose(); // (K,N)(N,M)
    else dA.noalias() += Bm.transpose() * dC.transpose();    // (K,N)(N,M)
  }
  if (db) {
    MapR<T> dB(db, tb ? N : K, tb ? K : N);
    if (!ta && !tb) dB.noalias() += A.transpose() * dC;      // (K,M)(M,N)
    else if (ta && !tb) dB.noalias() += A * dC;              // (K,M)(M,N)
    else if (!ta && tb) dB.noalias() += dC.transpose() * A;  // (N,M)(M,K)
    else dB.noalias() += dC.transpose() * A.transpose();     // (N,M)(M,K)
  }
}

template <class T>
TensorT<T> matmul(Graph<T>& g, const TensorT<T>& a, const TensorT<T>& b, bool ta, bool tb) {
  const int64_t M = ta ? a.cols() : a.rows(), K = ta ? a.rows() : a.cols();
  const int64_t Kb = tb ? b.cols() : b.rows(), N = tb ? b.rows() : b.cols();
  if (K != Kb)
    throw std::runtime_error("matmul: inner dimensions differ: " + a.shape.str() + (ta ? "^T" : "") + " x " +
                             b.shape.str() + (tb ? "^T" : ""));
  TensorT<T> out = g.tensor({M, N}, g.needs_grad(a, b));
  if constexpr (std::is_same_v<T, float>) {
    if (g.bf16_matmul) {
      // bf16 operands, fp32 accumulation. The rounded copies (M*K + K*N) are what backward reads,
      // as a bf16 kernel would keep its bf16 inputs. Emulated here with fp32 GEMMs on
      // bf16-representable values: the numerics of bf16 training, not its speed.
      T* a16 = g.scratch(size_t(a.numel()));  // shape of a
      T* b16 = g.scratch(size_t(b.numel()));  // shape of b
      round_bf16(a.data, a16, a.numel());
      round_bf16(b.data, b16, b.numel());
      matmul_forward(out.data, a16, b16, M, N, K, ta, tb);
      if (out.grad)
        g.record([=] {
          std::vector<T> d16(size_t(M * N));  // (M, N) the output gradient in bf16
          round_bf16(out.grad, d16.data(), M * N);
          matmul_backward(d16.data(), a16, b16, a.grad, b.grad, M, N, K, ta, tb);
        });
      return out;
    }
  }
  matmul_forward(out.data, a.data, b.data, M, N, K, ta, tb);
  if (out.grad)
    g.record([=] { matmul_backward(out.grad, a.data, b.data, a.grad, b.grad, M, N, K, ta, tb); });
  return out;
}

template <class T>
TensorT<T> linear(Graph<T>& g, const TensorT<T>& x, const TensorT<T>& w, const TensorT<T>* bias) {
  TensorT<T> y = matmul(g, x, w, false, true);  // (N, out)
  return bias ? add_bcast(g, y, *bias) : y;
}

// ---------------------------------------------------------------- add
template <class T>
void add_forward(T* out, const T* a, const T* b, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}
template <class T>
void add_backward(const T* dout, T* da, T* db, int64_t n) {
  if (da) for (int64_t i = 0; i < n; i++) da[i] += dout[i];
  if (db) for (int64_t i = 0; i < n; i++) db[i] += dout[i];
}
template <class T>
TensorT<T> add(Graph<T>& g, const TensorT<T>& a, const TensorT<T>& b) {
  if (a.shape != b.shape) throw std::runtime_error("add: shapes differ " + a.shape.str() + " vs " + b.shape.str());
  TensorT<T> out = g.tensor(a.shape, g.needs_grad(a, b));
  const int64_t n = a.numel();
  add_forward(out.data, a.data, b.data, n);
  if (out.grad) g.record([=] { add_backward(out.grad, a.grad, b.grad, n); });
  return out;
}

// ---------------------------------------------------------------- add_bcast
// x (N, C), p (M, C): out[n] = x[n] + p[n % M]
template <class T>
void add_bcast_forward(T* out, const T* x, const T* p, int64_t N, int64_t C, int64_t M) {
  LLM_OMP_FOR_IF(N * C > (1 << 16))
  for (int64_t n = 0; n < N; n++) {
    const T* pr = p + (n % M) * C;
    for (int64_t c = 0; c < C; c++) out[n * C + c] = x[n * C + c] + pr[c];
  }
}
template <class T>
void add_bcast_backward(const T* dout, T* dx, T* dp, int64_t N, int64_t C, int64_t M) {
  if (dx) for (int64_t i = 0; i < N * C; i++) dx[i] += dout[i];
  if (dp)
    for (int64_t n = 0; n < N; n++) {
      T* pr = dp + (n % M) * C;
      for (int64_t c = 0; c < C; c++) pr[c] += dout[n * C + c];
    }
}
template <class T>
TensorT<T> add_bcast(Graph<T>& g, const TensorT<T>& x, const TensorT<T>& p) {
  const int64_t N = x.rows(), C = x.cols(), M = p.numel() / C;
  if (p.cols() != C || M == 0 || N % M != 0)
    throw std::runtime_error("add_bcast: cannot broadcast " + p.shape.str() + " onto " + x.shape.str());
  TensorT<T> out = g.tensor(x.shape, g.needs_grad(x, p));
  add_bcast_forward(out.data, x.data, p.data, N, C, M);
  if (out.grad) g.record([=] { add_bcast_backward(out.grad, x.grad, p.grad, N, C, M); });
  return out;
}

// ---------------------------------------------------------------- mul
template <class T>
void mul_forward(T* out, const T* a, const T* b, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = a[i] * b[i];
}
template <class T>
void mul_backward(const T* dout, const T* a, const T* b, T* da, T* db, int64_t n) {
  if (da) for (int64_t i = 0; i < n; i++) da[i] += dout[i] * b[i];
  if (db) for (int64_t i = 0; i < n; i++) db[i] += dout[i] * a[i];
}
template <class T>
TensorT<T> mul(Graph<T>& g, const TensorT<T>& a, const TensorT<T>& b) {
  if (a.shape != b.shape) throw std::runtime_error("mul: shapes differ " + a.shape.str() + " vs " + b.shape.str());
  TensorT<T> out = g.tensor(a.shape, g.needs_grad(a, b));
  const int64_t n = a.numel();
  mul_forward(out.data, a.data, b.data, n);
  if (out.grad) g.record([=] { mul_backward(out.grad, a.data, b.data, a.grad, b.grad, n); });
  return out;
}

// ---------------------------------------------------------------- scale
template <class T>
void scale_forward(T* out, const T* a, T s, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = a[i] * s;
}
template <class T>
void scale_backward(const T* dout, T* da, T s, int64_t n) {
  for (int64_t i = 0; i < n; i++) da[i] += dout[i] * s;
}
template <class T>
TensorT<T> scale(Graph<T>& g, const TensorT<T>& a, T s) {
  TensorT<T> out = g.tensor(a.shape, g.needs_grad(a));
  const int64_t n = a.numel();
  scale_forward(out.data, a.data, s, n);
  if (out.grad) g.record([=] { scale_backward(out.grad, a.grad, s, n); });
  return out;
}

#define LLM_INSTANTIATE(T)                                                                           \
  template TensorT<T> matmul(Graph<T>&, const TensorT<T>&, const TensorT<T>&, bool, bool);           \
  template TensorT<T> linear(Graph<T>&, const TensorT<T>&, const TensorT<T>&, const TensorT<T>*);    \
  template TensorT<T> add(Graph<T>&, const TensorT<T>&, const TensorT<T>&);                          \
  template TensorT<T> add_bcast(Graph<T>&, const TensorT<T>&, const TensorT<T>&);                    \
  template TensorT<T> mul(Graph<T>&, const TensorT<T>&, const TensorT<T>&);                          \
  template TensorT<T> scale(Graph<T>&, const TensorT<T>&, T);
LLM_INSTANTIATE(float)
LLM_INSTANTIATE(double)
#undef LLM_INSTANTIATE

}  // namespace llm
