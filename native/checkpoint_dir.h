// Checkpoint folders: <run>/checkpoints/step_00000100/{model.safetensors, config.json,
// tokenizer.json, trainer_state.safetensors, train_config.json, manifest.json}.
// Written into a temp folder (each file fsynced), renamed into place, then the `latest` pointer
// file is replaced atomically; `best` points at the best-validation checkpoint. manifest.json
// (written last) holds every file's size and FNV-1a hash, so a truncated or corrupted checkpoint
// is detected on load and the previous good one is used instead.
#pragma once
#include <cstdint>
#include <string>

#include "core/model/transformer.h"
#include "core/train/trainer.h"

namespace llm::cli {

struct CheckpointDir {
  static std::string save(const std::string& ckdir, const Trainer& tr, const std::string& extra_json,
                          const std::string& tokenizer_json, bool is_best, int keep_last = 2);
  struct Loaded {
    std::string dir, extra;
  };
  // newest valid checkpoint (following `latest`, then older ones); throws when none is valid
  static Loaded load_latest(const std::string& ckdir, Trainer& tr);
  // verifies manifest.json of one checkpoint folder; throws naming the bad file
  static void verify(const std::string& dir);
};

// Loads an inference model from a folder with config.json + model.safetensors (a checkpoint
// folder, `<run>/checkpoints/best`, or an exported model).
Transformer<float> load_model_dir(const std::string& dir);
std::string resolve_checkpoint(const std::string& path);  // run dir / checkpoints dir / step dir -> step dir

void truncate_metrics(const std::string& path, int64_t max_step);
uint64_t fnv1a64(const std::string& bytes);

}  // namespace llm::cli
