// Checkpoints as in-memory files, exactly those `llm pretrain` writes into
// runs/<name>/checkpoints/step_N/: model.safetensors + config.json + tokenizer.json. The page saves
// them to the browser (IndexedDB) or downloads them, and loads a natively trained folder dropped on it.
//   M.saveCheckpoint() -> {"model.safetensors": Uint8Array, "config.json": string, "tokenizer.json": string}
//   M.loadCheckpoint(safetensorsBytes, configJson, tokenizerJson)
#include <emscripten/bind.h>

#include <nlohmann/json.hpp>

#include "core/model/checkpoint.h"
#include "wasm/js_util.h"
#include "wasm/session.h"

using namespace emscripten;
using json = nlohmann::json;

namespace llm::web {
namespace {

val save_checkpoint() {
  return guarded([&] {
    const std::vector<uint8_t> w = save_weights(model());
    val out = val::object();
    out.set("model.safetensors", bytes_to_js(w));
    out.set("config.json", hf_config_json(model_config()));
    out.set("tokenizer.json", tokenizer().to_json());
    return out;
  });
}

// Replaces the session's tokenizer and model. Everything is parsed and checked before the
// session changes, so a bad file leaves the current model in place.
std::string load_checkpoint(const val& safetensors, const std::string& config_json, const std::string& tokenizer_json) {
  return guarded([&] {
    const std::vector<uint8_t> w = bytes_from_js(safetensors);
    ModelConfig mc;
    try {
      mc = config_from_hf_json(config_json);
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string("config.json: ") + e.what());
    }
    std::unique_ptr<Tokenizer> tok;
    try {
      tok = load_tokenizer_json(tokenizer_json);
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string("tokenizer.json: ") + e.what());
    }
    if (tok->vocab_size() > mc.vocab_size)
      throw std::runtime_error("tokenizer.json has " + std::to_string(tok->vocab_size()) + " ids but config.json has vocab_size " +
                               std::to_string(mc.vocab_size));
    // TrainConfig defaults (batch 8, seq_len <= the context, lr 1e-3 ...) and step 0: the Pretrain lab
    // continues with its own settings and the saved step through configureTraining + loadTrainerState
    // (wasm/train_bindings.cpp); SFT / DPO copy the weights and use their own configs.
    TrainConfig tc;
    tc.model = mc;
    tc.seq_len = std::min(tc.seq_len, mc.max_seq_len);
    tc.batch_size = 8;
    auto tr = std::make_unique<Trainer>(tc);
    load_weights(tr->model, w.data(), w.size(), "model.safetensors");
    session().tok = std::shared_ptr<const Tokenizer>(tok.release());
    session().trainer = std::move(tr);
    weights_changed();
    return json{{"params", model().num_params()}, {"config", json::parse(mc.to_json())}, {"tokenizer", tokenizer().type()}}.dump();
  });
}

}  // namespace
}  // namespace llm::web

EMSCRIPTEN_BINDINGS(llm_checkpoint) {
  using namespace llm::web;
  function("saveCheckpoint", &save_checkpoint);
  function("loadCheckpoint", &load_checkpoint);
}
