// LoRA (Hu et al. 2021) and QLoRA (Dettmers et al. 2023) on the decoder's linear layers
// (docs/lora.md).
//
// For each targeted layer W (out, in):   y = x W^T (+ b) + (alpha / r) * dropout(x) A^T B^T
//   A (r, in)  init kaiming-uniform U(-1/sqrt(in), 1/sqrt(in))  (PEFT's default)
//   B (out, r) init 0, so training starts exactly at the base model
// The base model is frozen (Transformer::frozen: no grads at all), the optimizer sees only
// LoraAdapters::params. Merging folds the update in: W += (alpha / r) B A.
// QLoRA: the base linears live in NF4 (nf4.h) instead of the model's params (Transformer built
// with linear_weights = false) and are dequantized on the fly; LoRA sits on top unchanged.
//
// Files (PEFT layout, written by native/align_io.cpp): adapter_model.safetensors with tensors
//   base_model.model.<layer>.lora_A.weight (r, in), base_model.model.<layer>.lora_B.weight (out, r)
// and adapter_config.json ({"peft_type": "LORA", "r", "lora_alpha", "lora_dropout",
// "target_modules", ...}), so `peft` can load them onto the HF export of the base model.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/align/nf4.h"
#include "core/model/transformer.h"
#include "core/tensor/params.h"
#include "core/util/rng.h"

namespace llm {

struct LoraOptions {
  int rank = 8;
  double alpha = 16.0;
  double dropout = 0.0;
  std::vector<std::string> targets = {"q_proj", "v_proj"};  // matched against the last name component
  void validate() const;
};

// true when the layer's last dotted component ("q_proj" of "model.layers.0.self_attn.q_proj") is a target
bool lora_targets_layer(const std::vector<std::string>& targets, const std::string& layer);

// NF4 copies of a model's linear weights, by layer name. scratch: one layer's fp32 weight.
struct Nf4Weights {
  std::map<std::string, Nf4Tensor> layers;
  size_t bytes() const;
};
Nf4Weights quantize_linears(Transformer<float>& model, int block, bool double_quant);

template <class T>
class LoraAdapters : public LinearHook<T> {
 public:
  // adapters on every layer of `layers` that opt.targets names; throws when none matches
  LoraAdapters(const std::vector<LinearInfo>& layers, const LoraOptions& opt);

  void init(uint64_t seed);  // A kaiming-uniform, B zero
  T scale() const { return T(opt_.alpha / opt_.rank); }
  const LoraOptions& options() const { return opt_; }
  const std::vector<LinearInfo>& layers() const { return layers_; }  // the adapted ones
  ParamStore<T> params;  // base_model.model.<layer>.lora_{A,B}.weight

  // QLoRA: base weights come from here for layers the model holds no weight of (not owned)
  const Nf4Weights* nf4 = nullptr;
  uint64_t dropout_seed = 1;  // adapter dropout draws from Rng(dropout_seed + calls)
  bool enabled = true;        // false: the hook is the plain base layer (the reference model of DPO)

  TensorT<T> linear(Graph<T>& g, const TensorT<T>& x, const std::string& name, const TensorT<T>* w,
                    const TensorT<T>* bias) override;

  // W += scale * B A for every adapted layer (the model must hold its linear weights)
  void merge_into(Transformer<T>& model) const;

  static std::string a_name(const std::string& layer) { return "base_model.model." + layer + ".lora_A.weight"; }
  static std::string b_name(const std::string& layer) { return "base_model.model." + layer + ".lora_B.weight"; }

 private:
  LoraOptions opt_;
  std::vector<LinearInfo> layers_;
  std::map<std::string, size_t> index_;  // layer name -> position in layers_
  std::vector<T> nf4_scratch_;           // one dequantized layer (out*in)
  uint64_t calls_ = 0;
};

// PEFT adapter_config.json text
std::string lora_adapter_config_json(const LoraOptions& opt, const std::string& base_model);
// parses it back (r, lora_alpha, lora_dropout, target_modules); throws naming the bad key
LoraOptions lora_options_from_config_json(const std::string& text, const std::string& what);

// adapter_model.safetensors bytes (F32), the config text also stored under metadata "adapter_config"
std::vector<uint8_t> save_lora(const LoraAdapters<float>& a);
// adapters for `model` read from safetensors bytes + adapter_config.json text; checks that every
// adapted layer exists in the model with matching shapes, and that no tensor is missing or extra
std::unique_ptr<LoraAdapters<float>> load_lora(const Transformer<float>& model, const uint8_t* bytes, size_t size,
                                               const std::string& config_json, const std::string& what);

}  // namespace llm
