// Reverse-mode autograd: a tape of backward closures.
//
// Every op (ops.h) computes its output in the activation arena and, when any input needs a
// gradient and grad mode is on, pushes one closure that reads the output's grad and accumulates
// (+=) into its inputs' grads. backward() zeroes all activation grads with one call, seeds
// dLoss/dLoss = 1 and runs the tape in reverse. reset() drops the tape and frees the arenas for
// the next step (parameters and their grads live outside, in a ParamStore).
#pragma once
#include <functional>
#include <vector>

#include "core/tensor/arena.h"
#include "core/tensor/tensor.h"

namespace llm {

template <class T>
class Graph {
 public:
  using Tn = TensorT<T>;

  bool grad_enabled = true;  // false: inference, no tape, no activation grads
  bool training = false;     // enables dropout
  // mixed precision (TrainConfig precision "bf16"): matmul operands, and the output gradient in
  // backward, are rounded to bf16; products still accumulate in fp32 (docs/mixed_precision.md)
  bool bf16_matmul = false;

  // A fresh tensor in the arena; with `grad` it also gets a (to-be-zeroed) gradient buffer.
  Tn tensor(Shape s, bool grad) {
    Tn t;
    t.shape = s;
    t.data = data_.alloc(s.numel());
    if (grad && grad_enabled) t.grad = grads_.alloc(s.numel());
    return t;
  }
  // scratch memory saved for backward (masks, softmax probabilities, statistics)
  T* scratch(size_t n) { return data_.alloc(n); }

  bool needs_grad(const Tn& a) const { return grad_enabled && a.grad; }
  bool needs_grad(const Tn& a, const Tn& b) const { return grad_enabled && (a.grad || b.grad); }

  void record(std::function<void()> fn) {
    if (grad_enabled) tape_.push_back(std::move(fn));
  }

  // loss must be a single-element tensor produced by this graph
  void backward(const Tn& loss) {
    grads_.zero_used();
    if (loss.grad) loss.grad[0] = T(1);
    for (size_t i = tape_.size(); i-- > 0;) tape_[i]();
  }

  void reset() {
    tape_.clear();
    data_.reset();
    grads_.reset();
  }

  size_t tape_size() const { return tape_.size(); }
  size_t activation_bytes() const { return data_.capacity_bytes() + grads_.capacity_bytes(); }

 private:
  Arena<T> data_;
  Arena<T> grads_;
  std::vector<std::function<void()>> tape_;
};

}  // namespace llm
