#include "native/configs.h"

#include <stdexcept>

#include "native/fs.h"

#ifndef LLM_SOURCE_DIR
#define LLM_SOURCE_DIR "."
#endif

namespace llm::cli {

std::string find_config(const std::string& n, const std::string& kind) {
  if (fs::exists(n) && n.size() > 5 && n.substr(n.size() - 5) == ".json") return n;
  for (const std::string& base : {std::string("configs/"), std::string(LLM_SOURCE_DIR) + "/configs/"}) {
    const std::string p = base + kind + "/" + n + ".json";
    if (fs::exists(p)) return p;
  }
  throw std::runtime_error("no " + kind + " config named '" + n + "' (looked for configs/" + kind + "/" + n +
                           ".json; pass a path to a .json file or one of the names in configs/" + kind + "/)");
}

ModelConfig load_model_config(const std::string& n) {
  const std::string path = find_config(n, "model");
  try {
    return ModelConfig::from_json(fs::read_file(path));
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

}  // namespace llm::cli
