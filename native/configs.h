// Named configs: "small" -> configs/model/small.json (searched in the working directory and in
// the source tree the binary was built from); a path to a .json file works too.
#pragma once
#include <string>

#include "core/model/config.h"

namespace llm::cli {
std::string find_config(const std::string& name_or_path, const std::string& kind);  // kind: "model" | "pretrain"
ModelConfig load_model_config(const std::string& name_or_path);
}  // namespace llm::cli
