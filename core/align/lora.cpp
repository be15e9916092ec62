#include "core/align/lora.h"

#include <cmath>
#include <stdexcept>

#include "core/tensor/eigen_util.h"
#include "core/tensor/ops.h"
#include "core/util/safetensors.h"
#include "core/util/strict_json.h"

namespace llm {

void LoraOptions::validate() const {
  if (rank <= 0) throw std::runtime_error("lora: rank must be positive, got " + std::to_string(rank));
  if (!(alpha > 0)) throw std::runtime_error("lora: alpha must be positive");
  if (dropout < 0 || dropout >= 1) throw std::runtime_error("lora: dropout must be in [0, 1)");
  if (targets.empty()) throw std::runtime_error("lora: no target modules");
}

bool lora_targets_layer(const std::vector<std::string>& targets, const std::string& layer) {
  const size_t dot = layer.rfind('.');
  const std::string last = dot == std::string::npos ? layer : layer.substr(dot + 1);
  for (const std::string& t : targets)
    if (t == last) return true;
  return false;
}

size_t Nf4Weights::bytes() const {
  size_t n = 0;
  for (auto& kv : layers) n += kv.second.bytes();
  return n;
}

Nf4Weights quantize_linears(Transformer<float>& model, int block, bool double_quant) {
  Nf4Weights q;
  for (const LinearInfo& l : model.linear_layers()) {
    TensorT<float> w = model.params.get(l.name + ".weight");  // (out, in)
    q.layers[l.name] = nf4_quantize(w.data, l.out, l.in, block, double_quant);
  }
  return q;
}

template <class T>
LoraAdapters<T>::LoraAdapters(const std::vector<LinearInfo>& layers, const LoraOptions& opt) : opt_(opt) {
  opt_.validate();
  // the head is adaptable too ("lm_head" in targets): callers pass model.linear_layers(true)
  std::string all;
  for (const LinearInfo& l : layers) {
    all += (all.empty() ? "" : ", ") + l.name;
    if (!lora_targets_layer(opt_.targets, l.name)) continue;
    index_[l.name] = layers_.size();
    layers_.push_back(l);
    params.declare(a_name(l.name), {opt_.rank, l.in});
    params.declare(b_name(l.name), {l.out, opt_.rank});
  }
  if (layers_.empty()) {
    std::string t;
    for (auto& s : opt_.targets) t += (t.empty() ? "" : ", ") + s;
    throw std::runtime_error("lora: target modules [" + t + "] match no linear layer (layers: " + all + ")");
  }
  params.finalize();
}

template <class T>
void LoraAdapters<T>::init(uint64_t seed) {
  Rng r(seed);
  for (const LinearInfo& l : layers_) {
    TensorT<T> A = params.get(a_name(l.name)), B = params.get(b_name(l.name));
    const double bound = 1.0 / std::sqrt(double(l.in));  // kaiming_uniform(a = sqrt(5)) as in PEFT
    for (int64_t i = 0; i < A.numel(); i++) A.data[i] = T((2.0 * r.uniform_double() - 1.0) * bound);
    for (int64_t i = 0; i < B.numel(); i++) B.data[i] = T(0);
  }
}

template <class T>
TensorT<T> LoraAdapters<T>::linear(Graph<T>& g, const TensorT<T>& x, const std::string& name, const TensorT<T>* w,
                                   const TensorT<T>* bias) {
  TensorT<T> y;  // (N, out)
  if (w) {
    y = llm::linear(g, x, *w, bias);
  } else {
    const Nf4Tensor* q = nullptr;
    if (nf4) {
      auto it = nf4->layers.find(name);
      if (it != nf4->layers.end()) q = &it->second;
    }
    if (!q) throw std::runtime_error("lora: layer " + name + " has neither a weight in the model nor an NF4 copy");
    y = nf4_linear(g, x, *q, bias, nf4_scratch_);
  }
  if (!enabled) return y;
  auto it = index_.find(name);
  if (it == index_.end()) return y;
  TensorT<T> A = params.get(a_name(name)), B = params.get(b_name(name));  // (r, in), (out, r)
  // a fresh stream per call (consecutive splitmix seeds would replay shifted streams)
  Rng r(dropout_seed * 0xD1B54A32D192ED03ull + (calls_++) * 0x8CB92BA72F3D8DD7ull);
  TensorT<T> xd = dropout(g, x, float(opt_.dropout), r);  // (N, in)
  TensorT<T> u = matmul(g, xd, A, false, true);            // (N, r)
  TensorT<T> v = matmul(g, u, B, false, true);             // (N, out)
  return add(g, y, llm::scale(g, v, scale()));
}

template <class T>
void LoraAdapters<T>::merge_into(Transformer<T>& model) const {
  auto& self = const_cast<LoraAdapters<T>&>(*this);  // params.get is non-const; nothing is written
  for (const LinearInfo& l : layers_) {
    if (!model.params.has(l.name + ".weight"))
      throw std::runtime_error("lora merge: the model holds no weight " + l.name + ".weight (NF4-only model?)");
    if (l.name == "lm_head" && model.cfg.tie_embeddings)
      throw std::runtime_error("lora merge: lm_head is tied to the token embedding; merging would change the input "
                               "embedding too (drop lm_head from lora_targets for tied models)");
    TensorT<T> W = model.params.get(l.name + ".weight");  // (out, in)
    if (W.rows() != l.out || W.cols() != l.in)
      throw std::runtime_error("lora merge: " + l.name + ".weight is " + W.shape.str() + ", the adapter expects (" +
                               std::to_string(l.out) + ", " + std::to_string(l.in) + ")");
    TensorT<T> A = self.params.get(a_name(l.name)), B = self.params.get(b_name(l.name));
    MapR<T>(W.data, l.out, l.in).noalias() +=
        scale() * (CMapR<T>(B.data, l.out, opt_.rank) * CMapR<T>(A.data, opt_.rank, l.in));
  }
}

std::string lora_adapter_config_json(const LoraOptions& opt, const std::string& base_model) {
  json j = {{"peft_type", "LORA"},
            {"task_type", "CAUSAL_LM"},
            {"base_model_name_or_path", base_model},
            {"r", opt.rank},
            {"lora_alpha", opt.alpha},
            {"lora_dropout", opt.dropout},
            {"target_modules", opt.targets},
            {"bias", "none"},
            {"fan_in_fan_out", false},
            {"inference_mode", true},
            {"init_lora_weights", true}};
  return j.dump(2);
}

LoraOptions lora_options_from_config_json(const std::string& text, const std::string& what) {
  json j = parse_json(text, what);
  if (!j.is_object()) throw std::runtime_error(what + ": expected a JSON object");
  if (j.value("peft_type", std::string("LORA")) != "LORA")
    throw std::runtime_error(what + ": peft_type is " + j["peft_type"].dump() + ", only LORA is supported");
  if (j.contains("bias") && j["bias"] != "none") throw std::runtime_error(what + ": only bias = \"none\" is supported");
  LoraOptions o;
  try {
    o.rank = j.at("r").get<int>();
    o.alpha = j.at("lora_alpha").get<double>();
    o.dropout = j.value("lora_dropout", 0.0);
    o.targets = j.at("target_modules").get<std::vector<std::string>>();
  } catch (const std::exception& e) {
    throw std::runtime_error(what + ": needs r (int), lora_alpha (number), target_modules (list of names): " + e.what());
  }
  try {
    o.validate();
  } catch (const std::exception& e) {
    throw std::runtime_error(what + ": " + e.what());
  }
  return o;
}

std::vector<uint8_t> save_lora(const LoraAdapters<float>& a) {
  SafeTensorsWriter w;
  auto& self = const_cast<LoraAdapters<float>&>(a);
  for (const ParamInfo& p : a.params.infos()) {
    TensorT<float> t = self.params.get(p.name);
    w.add_f32(p.name, {p.shape[0], p.shape[1]}, t.data);
  }
  w.set_metadata("format", "pt");
  w.set_metadata("adapter_config", lora_adapter_config_json(a.options(), ""));
  return w.finish();
}

std::unique_ptr<LoraAdapters<float>> load_lora(const Transformer<float>& model, const uint8_t* bytes, size_t size,
                                               const std::string& config_json, const std::string& what) {
  LoraOptions o = lora_options_from_config_json(config_json, what + " (adapter config)");
  auto a = std::make_unique<LoraAdapters<float>>(model.linear_layers(/*with_head=*/true), o);
  SafeTensorsReader r(bytes, size, what);
  for (const ParamInfo& p : a->params.infos()) {
    if (!r.has(p.name)) throw std::runtime_error(what + ": missing tensor " + p.name);
    std::vector<float> v = r.floats(p.name, {p.shape[0], p.shape[1]});
    TensorT<float> t = a->params.get(p.name);
    std::copy(v.begin(), v.end(), t.data);
  }
  for (const std::string& n : r.names())
    if (!a->params.has(n))
      throw std::runtime_error(what + ": unexpected tensor " + n + " (not an adapter of the configured target modules "
                               "on this model)");
  return a;
}

template class LoraAdapters<float>;
template class LoraAdapters<double>;

}  // namespace llm
