// TrainConfig: every training knob, read from strict JSON (unknown key = error naming it),
// printed at start and saved inside every checkpoint.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "core/model/config.h"

namespace llm {

struct TrainConfig {
  // what to train
  std::string model_name;  // "tiny" (configs/model/tiny.json) when given by name
  ModelConfig model;
  std::string data_dir;  // packed shards train_*.bin / val_*.bin (+ tokenizer.json)
  std::string out_dir;   // run folder: metrics.jsonl, checkpoints/
  // batch and schedule (steps are optimizer steps, not micro-batches)
  int batch_size = 8;  // sequences per micro-batch, global: split evenly across MPI ranks
  int seq_len = 256;
  int grad_accum = 1;  // micro-batches per optimizer step
  int64_t max_steps = 1000;
  int warmup_steps = 100;
  float lr = 1e-3f;
  float min_lr = 1e-4f;
  // optimizer
  std::string optimizer = "adamw";  // adamw | lion | muon
  float weight_decay = 0.1f;
  float beta1 = 0.9f;
  float beta2 = 0.95f;
  float eps = 1e-8f;
  float grad_clip = 1.0f;     // global-norm clipping; 0 = off
  float spike_factor = 0.0f;  // skip a step whose loss > factor * running mean (0 = off)
  std::string precision = "fp32";
  // evaluation, logging, checkpoints
  int eval_every = 100;
  int eval_batches = 20;
  int log_every = 1;
  int telemetry_every = 50;  // per-layer activation / gradient statistics
  int checkpoint_every = 100;
  int early_stop_patience = 0;  // evaluations without improvement before stopping (0 = never)
  bool doc_boundaries = false;  // no loss across packed document boundaries
  uint64_t seed = 1337;

  void validate() const;
  // resolve_model maps a model name ("tiny") to its JSON text (native: configs/model/<name>.json)
  static TrainConfig from_json(const std::string& text,
                               const std::function<std::string(const std::string&)>& resolve_model = nullptr);
  std::string to_json() const;  // the model is written inline, so a checkpoint is self-contained
};

}  // namespace llm
