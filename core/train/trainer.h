// The pretraining step machine: gradient accumulation over micro-batches, optional data-parallel
// all-reduce (a callback, so MPI stays in native/), global-norm clipping, a loss-spike guard,
// warmup + cosine schedule in optimizer steps, AdamW / Lion / Muon, per-layer telemetry, and the
// full training state as bytes for exact resume. No files, no clocks: native/pretrain.cpp drives it.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "core/data/shard_sampler.h"
#include "core/model/transformer.h"
#include "core/train/adamw.h"
#include "core/train/optimizers.h"
#include "core/train/train_config.h"

namespace llm {

struct StepStats {
  int64_t step = 0;  // optimizer steps done after this one
  float loss = 0;    // mean over micro-batches (and ranks)
  float lr = 0, grad_norm = 0;
  bool skipped = false;  // the spike guard dropped this update
};

struct LayerStats {
  int layer;
  float act_rms, act_max;  // residual stream after the layer
  float grad_norm;         // L2 norm of the layer's parameter gradients
};

class Trainer {
 public:
  explicit Trainer(const TrainConfig& cfg);

  TrainConfig cfg;
  Transformer<float> model;
  // sums a buffer in place across data-parallel ranks (nullptr: one process); world = rank count
  std::function<void(float*, size_t)> allreduce;
  int world = 1;
  int rank = 0;  // this process's rank: its dropout masks differ from the other ranks'

  // one optimizer step over cfg.grad_accum micro-batches (B*T windows each)
  StepStats train_step(const std::vector<WindowBatch>& micro, bool want_telemetry = false);
  float eval_loss(const std::vector<WindowBatch>& batches);
  const std::vector<LayerStats>& telemetry() const { return telemetry_; }

  // everything but the weights needed to continue bit-identically: optimizer moments, step,
  // RNG, spike-guard state, plus the caller's `extra` JSON (data position, metrics)
  std::vector<uint8_t> save_state(const std::string& extra_json) const;
  std::string load_state(const uint8_t* bytes, size_t size, const std::string& what);  // returns extra

  int64_t step = 0;
  int64_t skipped_steps = 0;
  float loss_ema = 0;
  Rng rng;  // dropout: advanced identically on every rank; each micro-batch draws a base seed

 private:
  AdamW adamw_;
  Lion lion_;
  Muon muon_;
  Graph<float> graph_;
  std::vector<LayerStats> telemetry_;
};

}  // namespace llm
