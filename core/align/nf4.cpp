#include "core/align/nf4.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/tensor/eigen_util.h"
#include "core/tensor/ops.h"

namespace llm {

// The NF4 table of the QLoRA paper (appendix E; bitsandbytes create_normal_map(0.9677083)):
// 8 positive quantiles Phi^-1(linspace(0.9677083, 0.5, 9)[:-1]), 7 negative ones
// -Phi^-1(linspace(0.9677083, 0.5, 8)[:-1]), and 0, all divided by the largest.
// tests/align/test_lora_nf4.cpp rebuilds it from that definition.
const float kNf4Levels[16] = {-1.0f,
                              -0.6961928009986877f,
                              -0.5250730514526367f,
                              -0.39491748809814453f,
                              -0.28444138169288635f,
                              -0.18477343022823334f,
                              -0.09105003625154495f,
                              0.0f,
                              0.07958029955625534f,
                              0.16093020141124725f,
                              0.24611230194568634f,
                              0.33791524171829224f,
                              0.44070982933044434f,
                              0.5626170039176941f,
                              0.7229568362236023f,
                              1.0f};

uint8_t nf4_nearest(float x) {
  // the 15 midpoints between neighbours split the line into the 16 codes
  uint8_t c = 0;
  while (c < 15 && x > 0.5f * (kNf4Levels[c] + kNf4Levels[c + 1])) c++;
  return c;
}

float Nf4Tensor::block_absmax(int64_t b) const {
  if (!double_quant) return absmax[size_t(b)];
  return group_max[size_t(b / kNf4DoubleQuantGroup)] * std::exp2(-float(absmax_q[size_t(b)]) / 16.f);
}

size_t Nf4Tensor::bytes() const {
  return codes.size() + absmax.size() * sizeof(float) + absmax_q.size() + group_max.size() * sizeof(float);
}

Nf4Tensor nf4_quantize(const float* w, int64_t rows, int64_t cols, int block, bool double_quant) {
  if (block <= 0 || block % 2) throw std::runtime_error("nf4_quantize: block must be a positive even number, got " + std::to_string(block));
  if (rows <= 0 || cols <= 0) throw std::runtime_error("nf4_quantize: empty weight");
  Nf4Tensor q;
  q.rows = rows;
  q.cols = cols;
  q.block = block;
  q.double_quant = double_quant;
  const int64_t n = q.numel(), nb = q.n_blocks();
  std::vector<float> amax(size_t(nb), 0.f);  // (n_blocks) exact absmax
  for (int64_t b = 0; b < nb; b++) {
    const int64_t end = std::min(n, (b + 1) * block);
    for (int64_t i = b * block; i < end; i++) amax[size_t(b)] = std::max(amax[size_t(b)], std::fabs(w[i]));
  }
  if (!double_quant) {
    q.absmax = amax;
  } else {
    // second level: a log-scale 8-bit code relative to the max of each group of 256 blocks
    const int64_t G = kNf4DoubleQuantGroup, ng = (nb + G - 1) / G;
    q.absmax_q.assign(size_t(nb), 0);
    q.group_max.assign(size_t(ng), 0.f);
    for (int64_t gi = 0; gi < ng; gi++) {
      const int64_t b0 = gi * G, b1 = std::min(nb, b0 + G);
      float m = 0;
      for (int64_t b = b0; b < b1; b++) m = std::max(m, amax[size_t(b)]);
      q.group_max[size_t(gi)] = m;
      for (int64_t b = b0; b < b1; b++) {
        const double code = amax[size_t(b)] > 0 && m > 0 ? -16.0 * std::log2(double(amax[size_t(b)]) / m) : 255.0;
        q.absmax_q[size_t(b)] = uint8_t(std::min(255.0, std::max(0.0, std::round(code))));
      }
    }
  }
  q.codes.assign(size_t((n + 1) / 2), 0);
  for (int64_t b = 0; b < nb; b++) {
    // codes are chosen against the absmax that dequantization will use
    const float a = q.block_absmax(b), inv = a > 0 ? 1.f / a : 0.f;
    const int64_t end = std::min(n, (b + 1) * block);
    for (int64_t i = b * block; i < end; i++) {
      const uint8_t c = nf4_nearest(w[i] * inv);
      q.codes[size_t(i / 2)] |= uint8_t(i % 2 ? c << 4 : c);
    }
  }
  return q;
}

template <class T>
void nf4_dequantize(const Nf4Tensor& q, T* out) {
  const int64_t n = q.numel(), nb = q.n_blocks();
  for (int64_t b = 0; b < nb; b++) {
    const float a = q.block_absmax(b);
    const int64_t end = std::min(n, (b + 1) * int64_t(q.block));
    for (int64_t i = b * q.block; i < end; i++) {
      const uint8_t byte = q.codes[size_t(i / 2)];
      out[i] = T(a * kNf4Levels[i % 2 ? byte >> 4 : byte & 15]);
    }
  }
}

template <class T>
TensorT<T> nf4_linear(Graph<T>& g, const TensorT<T>& x, const Nf4Tensor& w, const TensorT<T>* bias,
                      std::vector<T>& scratch) {
  const int64_t N = x.rows(), in = x.cols(), out_f = w.rows;
  if (in != w.cols)
    throw std::runtime_error("nf4_linear: input " + x.shape.str() + " does not match the NF4 weight (" +
                             std::to_string(w.rows) + ", " + std::to_string(w.cols) + ")");
  if (scratch.size() < size_t(w.numel())) scratch.resize(size_t(w.numel()));
  nf4_dequantize(w, scratch.data());  // (out, in)
  // The dequantized weight is a constant: backward computes dx only, and dequantizes again
  // because by then the scratch holds another layer's weight.
  TensorT<T> y = g.tensor({N, out_f}, g.needs_grad(x));  // (N, out)
  MapR<T>(y.data, N, out_f).noalias() = CMapR<T>(x.data, N, in) * CMapR<T>(scratch.data(), out_f, in).transpose();
  if (y.grad) {
    const Nf4Tensor* wp = &w;
    std::vector<T>* sp = &scratch;
    T* dx = x.grad;
    const T* dy = y.grad;
    g.record([=] {
      nf4_dequantize(*wp, sp->data());                                                           // (out, in)
      MapR<T>(dx, N, in).noalias() += CMapR<T>(dy, N, out_f) * CMapR<T>(sp->data(), out_f, in);  // (N, out)(out, in)
    });
  }
  return bias ? add_bcast(g, y, *bias) : y;
}

template void nf4_dequantize<float>(const Nf4Tensor&, float*);
template void nf4_dequantize<double>(const Nf4Tensor&, double*);
template TensorT<float> nf4_linear(Graph<float>&, const TensorT<float>&, const Nf4Tensor&, const TensorT<float>*,
                                   std::vector<float>&);
template TensorT<double> nf4_linear(Graph<double>&, const TensorT<double>&, const Nf4Tensor&, const TensorT<double>*,
                                    std::vector<double>&);

}  // namespace llm
