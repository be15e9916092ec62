// Parameters: one contiguous buffer for values, one for grads, same offsets; every weight is a view.
// Zeroing grads is one memset, the optimizer is one loop, a checkpoint is one write.
#pragma once
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/tensor/tensor.h"

namespace llm {

struct ParamInfo {
  std::string name;
  Shape shape;
  size_t offset;  // into the value/grad buffers
  bool decay;     // weight decay applies (matrices), not to 1-D params (norms, biases)
};

template <class T>
class ParamStore {
 public:
  // Declare all parameters first, then finalize() allocates both buffers at once.
  void declare(const std::string& name, Shape shape) {
    if (finalized_) throw std::runtime_error("ParamStore: declare after finalize");
    if (index_.count(name)) throw std::runtime_error("ParamStore: duplicate parameter " + name);
    index_[name] = infos_.size();
    infos_.push_back({name, shape, total_, shape.ndim >= 2});
    total_ += size_t(shape.numel());
  }
  void finalize() {
    values_.assign(total_, T(0));
    grads_.assign(total_, T(0));
    finalized_ = true;
  }
  TensorT<T> get(const std::string& name) {
    auto it = index_.find(name);
    if (it == index_.end()) throw std::runtime_error("no parameter named " + name);
    return view(it->second);
  }
  TensorT<T> view(size_t i) {
    const ParamInfo& p = infos_[i];
    TensorT<T> t;
    t.shape = p.shape;
    t.data = values_.data() + p.offset;
    t.grad = grads_.data() + p.offset;
    return t;
  }
  bool has(const std::string& name) const { return index_.count(name) > 0; }
  const std::vector<ParamInfo>& infos() const { return infos_; }
  size_t size() const { return total_; }
  T* values() { return values_.data(); }
  const T* values() const { return values_.data(); }
  T* grads() { return grads_.data(); }
  const T* grads() const { return grads_.data(); }
  void zero_grad() { std::memset(grads_.data(), 0, total_ * sizeof(T)); }

 private:
  std::vector<ParamInfo> infos_;
  std::map<std::string, size_t> index_;
  std::vector<T> values_, grads_;
  size_t total_ = 0;
  bool finalized_ = false;
};

}  // namespace llm
