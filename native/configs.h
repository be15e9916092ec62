// Named configs: "small" -> configs/model/small.json (searched in the working directory and in
// the source tree the binary was built from); a path to a .json file works too.
#pragma once
#include <string>

#include "core/align/align_config.h"
#include "core/model/config.h"
#include "core/train/train_config.h"

namespace llm::cli {
std::string find_config(const std::string& name_or_path, const std::string& kind);  // kind: "model" | "pretrain" | "align" | "pipeline"
ModelConfig load_model_config(const std::string& name_or_path);
TrainConfig load_train_config(const std::string& name_or_path);  // configs/pretrain (native/pretrain.cpp)
// configs/align (native/align_cmds.cpp); a config whose "stage" is not `stage` is an error naming both
AlignConfig load_align_config(const std::string& name_or_path, const std::string& stage);
}  // namespace llm::cli
