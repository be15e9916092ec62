// TrainConfig: every training knob, read from strict JSON (unknown key = error naming it).
#pragma once
#include <cstdint>
#include <string>

namespace llm {

struct TrainConfig {
  int batch_size = 8;
  int seq_len = 256;
  int grad_accum = 1;
  int64_t max_steps = 1000;
  int warmup_steps = 100;
  float lr = 1e-3f;
  float min_lr = 1e-4f;
  float weight_decay = 0.1f;
  float beta1 = 0.9f;
  float beta2 = 0.95f;
  float eps = 1e-8f;
  float grad_clip = 1.0f;
  uint64_t seed = 1337;

  void validate() const;
  static TrainConfig from_json(const std::string& text);
  std::string to_json() const;
};

}  // namespace llm
