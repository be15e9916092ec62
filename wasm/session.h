// The page's current state, shared by every binding file: ONE tokenizer and ONE model per wasm
// module (the module lives in the page's single worker). Lessons hand it on to each other: the
// Tokenizer lab sets the tokenizer, the Pretrain lab builds/trains the model, SFT/DPO fine-tune
// it, Chat and the Paged KV lab generate from it, and a checkpoint load replaces both.
//
// ALIGN-WEB (wasm/align_bindings.cpp, wasm/engine_bindings.cpp) uses this header:
//   llm::web::tokenizer()       the current tokenizer (throws a readable error when there is none)
//   llm::web::model()           the current Transformer<float> (trainable; owned by trainer())
//   llm::web::weights_changed() call after ANY change of the weights (a training step, an SFT/DPO
//                               step, merging LoRA) so infer_model() rebuilds its copy
//   llm::web::infer_model()     a read-only inference copy of the current weights, for Engine
// and wasm/js_util.h for guarded() (C++ exception -> JS Error) and byte conversions.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "core/infer/infer_model.h"
#include "core/model/transformer.h"
#include "core/tokenizer/tokenizer.h"
#include "core/train/trainer.h"

namespace llm::web {

struct WebSession {
  std::shared_ptr<const Tokenizer> tok;  // null until trained or loaded
  std::unique_ptr<Trainer> trainer;      // owns the model (trainer->model) + optimizer state; null until built
  uint64_t version = 0;                  // bumped on every change of the tokenizer or of the weights
  // inference copy of the weights, rebuilt lazily when version moved on
  std::shared_ptr<const InferModel> infer;
  uint64_t infer_version = ~uint64_t(0);
};

WebSession& session();

bool has_tokenizer();
bool has_model();
// Both throw std::runtime_error saying what to do ("no tokenizer yet: train one in the Tokenizer
// lab or load a checkpoint") when absent.
const Tokenizer& tokenizer();
std::shared_ptr<const Tokenizer> tokenizer_ptr();
Trainer& trainer();
Transformer<float>& model();
const ModelConfig& model_config();

void set_tokenizer(std::unique_ptr<Tokenizer> tok);
// Builds a fresh, randomly initialised model (with a new optimizer) from a training config.
// The tokenizer's vocabulary must fit cfg.model.vocab_size (checked when a tokenizer is set).
void set_model(const TrainConfig& cfg);
void weights_changed();
std::shared_ptr<const InferModel> infer_model();

}  // namespace llm::web
