// Finite-difference gradient checking in double precision.
// loss = <f(inputs), R> for a fixed random R, so every output element gets a distinct weight;
// the analytic gradient from the tape must match central differences (x+e, x-e).
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "core/tensor/ops.h"

namespace llm::test {

struct Leaf {
  Shape shape;
  std::vector<double> data, grad;
  bool requires_grad = true;
  Leaf(Shape s, uint64_t seed, double scale = 1.0, bool rg = true) : shape(s), requires_grad(rg) {
    Rng r(seed);
    data.resize(s.numel());
    grad.assign(s.numel(), 0.0);
    for (auto& x : data) x = r.normal() * scale;
  }
  TensorT<double> t() {
    TensorT<double> x;
    x.shape = shape;
    x.data = data.data();
    x.grad = requires_grad ? grad.data() : nullptr;
    return x;
  }
};

using GraphFn = std::function<TensorT<double>(Graph<double>&, std::vector<TensorT<double>>&)>;

// Returns the worst relative error over all leaves that require grad.
inline double gradcheck(const GraphFn& f, std::vector<Leaf>& leaves, const std::string& what, double tol = 1e-6,
                        double eps = 1e-6) {
  std::vector<double> R;
  auto run = [&](bool backward) {
    Graph<double> g;
    std::vector<TensorT<double>> ins;
    for (auto& l : leaves) ins.push_back(l.t());
    TensorT<double> out = f(g, ins);
    if (R.empty()) {
      Rng r(12345);
      R.resize(out.numel());
      for (auto& x : R) x = r.normal();
    }
    double loss = 0;
    for (int64_t i = 0; i < out.numel(); i++) loss += out.data[i] * R[i];
    if (backward) {
      if (!out.grad) throw std::runtime_error(what + ": output has no grad");
      // seed dL/dout = R by hand (the tape runs from out)
      TensorT<double> Rt;
      Rt.data = R.data();
      Rt.shape = Shape{out.numel(), 1};
      TensorT<double> l = matmul(g, out.view({1, out.numel()}), Rt, false, false);
      g.backward(l);
    }
    return loss;
  };
  for (auto& l : leaves) std::fill(l.grad.begin(), l.grad.end(), 0.0);
  run(true);
  double worst = 0;
  for (size_t li = 0; li < leaves.size(); li++) {
    Leaf& l = leaves[li];
    if (!l.requires_grad) continue;
    std::vector<double> analytic = l.grad;
    double max_abs = 1e-12;
    for (double a : analytic) max_abs = std::max(max_abs, std::abs(a));
    for (size_t i = 0; i < l.data.size(); i++) {
      const double x0 = l.data[i];
      l.data[i] = x0 + eps;
      const double lp = run(false);
      l.data[i] = x0 - eps;
      const double lm = run(false);
      l.data[i] = x0;
      const double fd = (lp - lm) / (2 * eps);
      const double err = std::abs(fd - analytic[i]) / std::max(max_abs, 1e-8);
      worst = std::max(worst, err);
      EXPECT_LE(err, tol) << what << ": input " << li << " element " << i << " analytic " << analytic[i] << " fd "
                          << fd;
    }
  }
  return worst;
}

}  // namespace llm::test
