// A tensor is a *view*: shape + pointers into arena-owned memory. It never owns data.
// Layout (docs/layout.md): float32 (or double in gradient checks), row-major, contiguous.
#pragma once
#include <array>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>

namespace llm {

struct Shape {
  std::array<int64_t, 4> d{1, 1, 1, 1};
  int ndim = 0;
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) {
    if (dims.size() > 4) throw std::runtime_error("Shape: at most 4 dimensions");
    for (int64_t x : dims) d[ndim++] = x;
  }
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= d[i];
    return n;
  }
  int64_t operator[](int i) const { return d[i < 0 ? ndim + i : i]; }
  // (a, b, c) viewed as a matrix: all leading dims are rows, the last is columns
  int64_t rows() const { return ndim == 0 ? 1 : numel() / d[ndim - 1]; }
  int64_t cols() const { return ndim == 0 ? 1 : d[ndim - 1]; }
  bool operator==(const Shape& o) const {
    if (ndim != o.ndim) return false;
    for (int i = 0; i < ndim; i++)
      if (d[i] != o.d[i]) return false;
    return true;
  }
  bool operator!=(const Shape& o) const { return !(*this == o); }
  std::string str() const {
    std::string s = "(";
    for (int i = 0; i < ndim; i++) s += (i ? ", " : "") + std::to_string(d[i]);
    return s + ")";
  }
};

template <class T>
struct TensorT {
  T* data = nullptr;  // values
  T* grad = nullptr;  // dLoss/dvalues, same shape; nullptr when no gradient flows here
  Shape shape;
  int64_t numel() const { return shape.numel(); }
  int64_t rows() const { return shape.rows(); }
  int64_t cols() const { return shape.cols(); }
  bool requires_grad() const { return grad != nullptr; }
  // same memory, new shape (numel must match)
  TensorT view(Shape s) const {
    if (s.numel() != numel())
      throw std::runtime_error("view: cannot view " + shape.str() + " as " + s.str());
    TensorT t = *this;
    t.shape = s;
    return t;
  }
};
using Tensor = TensorT<float>;

}  // namespace llm
