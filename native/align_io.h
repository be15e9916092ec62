// Files of the post-training stages (core/align does no I/O):
//  * checkpoints in the pretraining layout, <out>/checkpoints/step_NNNNNNNN/{model.safetensors,
//    config.json, tokenizer.json, manifest.json, ...} with `latest`/`best` pointers, written to a
//    temp folder and renamed (so load_model_dir, chat and serve read them unchanged);
//  * LoRA adapters in PEFT layout: <dir>/adapter_model.safetensors + <dir>/adapter_config.json;
//  * reward models: a model folder plus score.safetensors ("score.weight" (1, C)).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/align/lora.h"
#include "core/align/reward.h"
#include "core/model/transformer.h"

namespace llm::cli {

// Writes files (name, bytes) as checkpoint `step` of ckdir atomically, with manifest.json (sizes +
// FNV-1a, the format CheckpointDir::verify checks), moves `latest` (and `best` when is_best) and
// keeps the newest keep_last step folders plus the best one. Returns the step folder.
std::string save_checkpoint_files(const std::string& ckdir, int64_t step,
                                  const std::vector<std::pair<std::string, std::string>>& files, bool is_best,
                                  int keep_last = 2);

// PEFT adapter folder
void save_lora_dir(const std::string& dir, const LoraAdapters<float>& a, const std::string& base_model);
std::unique_ptr<LoraAdapters<float>> load_lora_dir(const std::string& dir, const Transformer<float>& model);
bool has_lora_adapter(const std::string& dir);  // adapter_config.json present

// For chat / serve: loads the adapter in `adapter_dir` (a folder with adapter_model.safetensors +
// adapter_config.json, e.g. a LoRA checkpoint folder) and merges it into `model`'s weights, so the
// inference code needs no LoRA path at all. Returns a one-line description for the log.
std::string merge_lora_dir(Transformer<float>& model, const std::string& adapter_dir);

// Reward model folder: backbone (config.json + model.safetensors) + score.safetensors
struct RewardModel {
  Transformer<float> model;
  RewardHead<float> head;
};
RewardModel load_reward_model(const std::string& path);  // run dir / checkpoints dir / step dir
std::string save_reward_head(const RewardHead<float>& h);  // score.safetensors bytes

}  // namespace llm::cli
