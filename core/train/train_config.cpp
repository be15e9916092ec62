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
  if (weight_decay < 0 || grad_clip < 0) bad("weight_decay and grad_clip must be >= 0");
}

TrainConfig TrainConfig::from_json(const std::string& text) {
  json j = parse_json(text, "train config");
  TrainConfig c;
  StrictReader r(j, "train config");
  r.get("batch_size", c.batch_size);
  r.get("seq_len", c.seq_len);
  r.get("grad_accum", c.grad_accum);
  r.get("max_steps", c.max_steps);
  r.get("warmup_steps", c.warmup_steps);
  r.get("lr", c.lr);
  r.get("min_lr", c.min_lr);
  r.get("weight_decay", c.weight_decay);
  r.get("beta1", c.beta1);
  r.get("beta2", c.beta2);
  r.get("eps", c.eps);
  r.get("grad_clip", c.grad_clip);
  r.get("seed", c.seed);
  r.finish();
  c.validate();
  return c;
}

std::string TrainConfig::to_json() const {
  json j = {{"batch_size", batch_size}, {"seq_len", seq_len},   {"grad_accum", grad_accum},
            {"max_steps", max_steps},   {"warmup_steps", warmup_steps}, {"lr", lr},
            {"min_lr", min_lr},         {"weight_decay", weight_decay}, {"beta1", beta1},
            {"beta2", beta2},           {"eps", eps},           {"grad_clip", grad_clip},
            {"seed", seed}};
  return j.dump(2);
}

}  // namespace llm
