#include "core/train/trainer.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

#include "core/util/safetensors.h"
#include "core/util/strict_json.h"

namespace llm {

Trainer::Trainer(const TrainConfig& c) : cfg(c), model(c.model), rng(c.seed ^ 0x5DEECE66Dull) {
  cfg.validate();
  model.init(cfg.seed);
  adamw_.cfg = {cfg.beta1, cfg.beta2, cfg.eps, cfg.weight_decay};
  lion_.beta1 = cfg.beta1, lion_.beta2 = cfg.beta2, lion_.weight_decay = cfg.weight_decay;
  muon_.weight_decay = cfg.weight_decay;
  muon_.adamw.cfg = adamw_.cfg;
}

StepStats Trainer::train_step(const std::vector<WindowBatch>& micro, bool want_telemetry) {
  if (micro.empty()) throw std::runtime_error("train_step: no micro-batches");
  model.params.zero_grad();
  double loss_sum = 0;
  for (const WindowBatch& b : micro) {
    graph_.reset();
    graph_.training = true;
    graph_.bf16_matmul = cfg.precision == "bf16";
    const int32_t* ds = b.doc_start.empty() ? nullptr : b.doc_start.data();
    // one base seed per micro-batch from the shared stream (so every rank's rng.state stays equal
    // and resume restores it), mixed with the rank so ranks do not drop the same units
    Rng drop(rng.next_u64() ^ (0xD1B54A32D192ED03ull * uint64_t(rank + 1)));
    TensorT<float> logits = model.forward(graph_, b.x.data(), b.B, b.T, &drop, ds);  // (B*T, V)
    TensorT<float> loss = cross_entropy(graph_, logits, b.y.data());
    graph_.backward(loss);
    loss_sum += loss.data[0];
  }
  // average over micro-batches and ranks: grads were summed, each a mean over its batch
  float* g = model.params.grads();
  const size_t P = model.params.size();
  float loss_buf = float(loss_sum);
  if (allreduce && world > 1) {
    allreduce(g, P);
    allreduce(&loss_buf, 1);
  }
  const float inv = 1.f / float(micro.size() * size_t(world));
  for (size_t i = 0; i < P; i++) g[i] *= inv;
  StepStats st;
  st.loss = loss_buf * inv;

  if (want_telemetry) {
    telemetry_.clear();
    for (int l = 0; l < int(model.layer_out.size()); l++) {
      const TensorT<float>& h = model.layer_out[size_t(l)];
      double ss = 0, mx = 0;
      for (int64_t i = 0; i < h.numel(); i++) ss += double(h.data[i]) * h.data[i], mx = std::max(mx, double(std::abs(h.data[i])));
      double gs = 0;
      const std::string prefix = Transformer<float>::layer_prefix(l);
      for (const ParamInfo& p : model.params.infos())
        if (p.name.rfind(prefix, 0) == 0)
          for (size_t i = p.offset; i < p.offset + size_t(p.shape.numel()); i++) gs += double(g[i]) * g[i];
      telemetry_.push_back({l, float(std::sqrt(ss / double(h.numel()))), float(mx), float(std::sqrt(gs))});
    }
  }

  st.grad_norm = clip_grad_norm(model.params, cfg.grad_clip);
  st.lr = lr_schedule(step, cfg.warmup_steps, cfg.max_steps, cfg.lr, cfg.min_lr);
  // spike guard: after warmup, a loss far above its running mean (or a non-finite one) skips the update
  const bool finite = std::isfinite(st.loss) && std::isfinite(st.grad_norm);
  if (!finite || (cfg.spike_factor > 0 && step > cfg.warmup_steps && loss_ema > 0 && st.loss > cfg.spike_factor * loss_ema)) {
    st.skipped = true;
    skipped_steps++;
  } else {
    if (cfg.optimizer == "adamw") adamw_.step(model.params, st.lr);
    else if (cfg.optimizer == "lion") lion_.step(model.params, st.lr);
    else muon_.step(model.params, st.lr, st.lr);
    loss_ema = loss_ema == 0 ? st.loss : 0.95f * loss_ema + 0.05f * st.loss;
  }
  step++;
  st.step = step;
  return st;
}

float Trainer::eval_loss(const std::vector<WindowBatch>& batches) {
  Graph<float> g;
  g.grad_enabled = false;
  double total = 0;
  for (const WindowBatch& b : batches) {
    g.reset();
    const int32_t* ds = b.doc_start.empty() ? nullptr : b.doc_start.data();
    total += cross_entropy(g, model.forward(g, b.x.data(), b.B, b.T, nullptr, ds), b.y.data()).data[0];
  }
  double t = batches.empty() ? 0 : total / double(batches.size());
  if (allreduce && world > 1) {
    float v = float(t);
    allreduce(&v, 1);
    t = v / world;
  }
  return float(t);
}

std::vector<uint8_t> Trainer::save_state(const std::string& extra_json) const {
  SafeTensorsWriter w;
  const int64_t P = int64_t(model.params.size());
  auto add = [&](const std::string& name, const std::vector<float>& v) {
    if (!v.empty()) w.add_f32(name, {int64_t(v.size())}, v.data());
  };
  add("adamw.m", adamw_.m);
  add("adamw.v", adamw_.v);
  add("lion.m", lion_.m);
  add("muon.m", muon_.m);
  add("muon.adamw.m", muon_.adamw.m);
  add("muon.adamw.v", muon_.adamw.v);
  json meta = {{"format", "llm-trainer-state"},
               {"version", 1},
               {"params", P},
               {"step", step},
               {"skipped_steps", skipped_steps},
               {"loss_ema", loss_ema},
               {"rng", std::to_string(rng.state)},
               {"adamw_t", adamw_.t},
               {"muon_adamw_t", muon_.adamw.t},
               {"train_config", json::parse(cfg.to_json())},
               {"extra", json::parse(extra_json.empty() ? "{}" : extra_json)}};
  w.set_metadata("trainer", meta.dump());
  return w.finish();
}

std::string Trainer::load_state(const uint8_t* bytes, size_t size, const std::string& what) {
  SafeTensorsReader r(bytes, size, what);
  auto it = r.metadata().find("trainer");
  if (it == r.metadata().end()) throw std::runtime_error(what + ": not a trainer state file (no 'trainer' metadata)");
  json meta = parse_json(it->second, what + " metadata");
  if (meta.value("format", "") != "llm-trainer-state" || meta.value("version", 0) != 1)
    throw std::runtime_error(what + ": unsupported trainer state format/version (written by another version?)");
  const int64_t P = int64_t(model.params.size());
  if (meta.value("params", int64_t(-1)) != P)
    throw std::runtime_error(what + ": state is for a model with " + std::to_string(meta.value("params", 0)) +
                             " parameters, this model has " + std::to_string(P));
  auto get = [&](const std::string& name, std::vector<float>& v) {
    if (r.has(name)) v = r.floats(name, {P});
    else v.clear();
  };
  get("adamw.m", adamw_.m);
  get("adamw.v", adamw_.v);
  get("lion.m", lion_.m);
  get("muon.m", muon_.m);
  get("muon.adamw.m", muon_.adamw.m);
  get("muon.adamw.v", muon_.adamw.v);
  step = meta.at("step").get<int64_t>();
  skipped_steps = meta.at("skipped_steps").get<int64_t>();
  loss_ema = meta.at("loss_ema").get<float>();
  rng.state = std::stoull(meta.at("rng").get<std::string>());
  adamw_.t = meta.at("adamw_t").get<int64_t>();
  muon_.adamw.t = meta.at("muon_adamw_t").get<int64_t>();
  return meta.at("extra").dump();
}

}  // namespace llm
