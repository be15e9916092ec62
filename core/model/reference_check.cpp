#include "core/model/reference_check.h"

#include <cmath>

#include "core/model/transformer.h"
#include "core/util/safetensors.h"
#include "core/util/strict_json.h"

namespace llm {

double relative_error(const float* ours, const float* ref, size_t n) {
  double num = 0, den = 0;
  for (size_t i = 0; i < n; i++) {
    num = std::max(num, std::abs(double(ours[i]) - double(ref[i])));
    den = std::max(den, std::abs(double(ref[i])));
  }
  return num / (den > 0 ? den : 1e-2);
}

std::string FixtureResult::to_json() const {
  json j = {{"logits", logits}, {"loss", loss}, {"grads", grads}, {"worst", worst}};
  return j.dump();
}

FixtureResult run_fixture(const std::string& config_json, const uint8_t* bytes, size_t size) {
  ModelConfig cfg = ModelConfig::from_json(config_json);
  SafeTensorsReader r(bytes, size, "fixture");
  Transformer<float> m(cfg);
  for (size_t i = 0; i < m.params.infos().size(); i++) {
    const ParamInfo& p = m.params.infos()[i];
    std::vector<float> v = r.floats(p.name, std::vector<int64_t>(p.shape.d.begin(), p.shape.d.begin() + p.shape.ndim));
    std::copy(v.begin(), v.end(), m.params.view(i).data);
  }
  const StTensor& ids_t = r.get("input_ids");
  if (ids_t.shape.size() != 2) throw std::runtime_error("fixture: input_ids must be (B, T)");
  const int B = int(ids_t.shape[0]), T = int(ids_t.shape[1]);
  std::vector<int32_t> ids = r.ints("input_ids"), tgt = r.ints("targets");
  Graph<float> g;
  m.params.zero_grad();
  TensorT<float> logits = m.forward(g, ids.data(), B, T);
  TensorT<float> loss = cross_entropy(g, logits, tgt.data());
  g.backward(loss);

  FixtureResult res;
  std::vector<float> ref_logits = r.floats("logits", {B, T, cfg.vocab_size});
  res.logits = relative_error(logits.data, ref_logits.data(), ref_logits.size());
  std::vector<float> ref_loss = r.floats("loss", {1});
  res.loss = relative_error(loss.data, ref_loss.data(), 1);
  for (size_t i = 0; i < m.params.infos().size(); i++) {
    const ParamInfo& p = m.params.infos()[i];
    std::vector<float> gref = r.floats("grad." + p.name, {});
    if (gref.size() != size_t(p.shape.numel())) throw std::runtime_error("fixture: grad." + p.name + " has wrong size");
    const double e = relative_error(m.params.view(i).grad, gref.data(), gref.size());
    res.per_param[p.name] = e;
    if (e >= res.grads) {
      res.grads = e;
      res.worst = p.name;
    }
  }
  return res;
}

}  // namespace llm
