#include "core/train/train_config.h"

#include <stdexcept>

#include "core/util/strict_json.h"

namespace llm {

void TrainConfig::validate() const {
  auto bad = [](const std::string& m) { throw std::runtime_error("train config: " + m); };
  if (batch_size <= 0 || seq_len <= 0 || grad_accum <= 0) bad("batch_size, seq_len and grad_accum must be positive");
  if (max_steps <= 0) bad("max_steps must be positive");
  if (warmup_steps < 0) bad("warmup_steps must be >= 0");
  if (!(lr > 0) || min_lr < 0 || min_lr > lr) bad("need 0 <= min_lr <= lr and lr > 0");
  if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1) bad("beta1 and beta2 must be in [0, 1)");
  if (!(eps > 0)) bad("eps must be positive");
  if (weight_decay < 0 || grad_clip < 0 || spike_factor < 0) bad("weight_decay, grad_clip, spike_factor must be >= 0");
  if (optimizer != "adamw" && optimizer != "lion" && optimizer != "muon")
    bad("optimizer must be adamw, lion or muon; got \"" + optimizer + "\"");
  if (precision != "fp32" && precision != "bf16")
    bad("precision must be \"fp32\" or \"bf16\"; got \"" + precision + "\"");
  if (eval_every < 0 || eval_batches < 0 || log_every <= 0 || telemetry_every < 0 || checkpoint_every < 0)
    bad("eval_every, eval_batches, telemetry_every, checkpoint_every must be >= 0 and log_every > 0");
  if (seq_len > model.max_seq_len)
    bad("seq_len " + std::to_string(seq_len) + " exceeds the model's max_seq_len " + std::to_string(model.max_seq_len));
}

TrainConfig TrainConfig::from_json(const std::string& text,
                                   const std::function<std::string(const std::string&)>& resolve_model) {
  json j = parse_json(text, "train config");
  TrainConfig c;
  StrictReader r(j, "train config");
  if (j.is_object() && j.contains("model")) {
    const json& m = j["model"];
    if (m.is_string()) {
      c.model_name = m.get<std::string>();
      if (!resolve_model) throw std::runtime_error("train config: model given by name but no resolver");
      c.model = ModelConfig::from_json(resolve_model(c.model_name));
    } else if (m.is_object()) {
      c.model = ModelConfig::from_json(m.dump());
    } else {
      throw std::runtime_error("train config: 'model' must be a config name or an object");
    }
  }
  json dummy;
  r.get("model", dummy);
  r.get("data_dir", c.data_dir);
  r.get("out_dir", c.out_dir);
  r.get("batch_size", c.batch_size);
  r.get("seq_len", c.seq_len);
  r.get("grad_accum", c.grad_accum);
  r.get("max_steps", c.max_steps);
  r.get("warmup_steps", c.warmup_steps);
  r.get("lr", c.lr);
  r.get("min_lr", c.min_lr);
  r.get("optimizer", c.optimizer);
  r.get("weight_decay", c.weight_decay);
  r.get("beta1", c.beta1);
  r.get("beta2", c.beta2);
  r.get("eps", c.eps);
  r.get("grad_clip", c.grad_clip);
  r.get("spike_factor", c.spike_factor);
  r.get("precision", c.precision);
  r.get("eval_every", c.eval_every);
  r.get("eval_batches", c.eval_batches);
  r.get("log_every", c.log_every);
  r.get("telemetry_every", c.telemetry_every);
  r.get("checkpoint_every", c.checkpoint_every);
  r.get("early_stop_patience", c.early_stop_patience);
  r.get("doc_boundaries", c.doc_boundaries);
  r.get("seed", c.seed);
  r.finish();
  c.validate();
  return c;
}

std::string TrainConfig::to_json() const {
  json j = {{"model", json::parse(model.to_json())},
            {"data_dir", data_dir},
            {"out_dir", out_dir},
            {"batch_size", batch_size},
            {"seq_len", seq_len},
            {"grad_accum", grad_accum},
            {"max_steps", max_steps},
            {"warmup_steps", warmup_steps},
            {"lr", lr},
            {"min_lr", min_lr},
            {"optimizer", optimizer},
            {"weight_decay", weight_decay},
            {"beta1", beta1},
            {"beta2", beta2},
            {"eps", eps},
            {"grad_clip", grad_clip},
            {"spike_factor", spike_factor},
            {"precision", precision},
            {"eval_every", eval_every},
            {"eval_batches", eval_batches},
            {"log_every", log_every},
            {"telemetry_every", telemetry_every},
            {"checkpoint_every", checkpoint_every},
            {"early_stop_patience", early_stop_patience},
            {"doc_boundaries", doc_boundaries},
            {"seed", seed}};
  return j.dump(2);
}

}  // namespace llm
