// Shared by `llm generate`, `llm chat` and `llm serve`: loading a checkpoint for inference,
// sampling flags, and one request run through the Engine with streamed text (TextStream).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/infer/engine.h"
#include "core/tokenizer/tokenizer.h"
#include "native/args.h"

namespace llm::cli {

struct LoadedModel {
  std::shared_ptr<const InferModel> model;
  std::shared_ptr<const Tokenizer> tok;
  std::string dir;  // the resolved checkpoint folder
};
// checkpoint: a run dir, its checkpoints/ dir or a step dir (resolve_checkpoint); tokenizer.json
// must sit beside config.json. quantize: int8 weights (InferOptions::quantize_int8). adapter: a
// LoRA adapter folder (adapter_model.safetensors + adapter_config.json, e.g. an `llm sft` LoRA
// checkpoint) merged into the weights before they are (optionally) quantized; empty = none.
LoadedModel load_for_inference(const std::string& checkpoint, const InferOptions& io, const std::string& adapter = "");

// The boolean flags every inference command takes: --quantize (int8 weights x fp32 activations)
// and --int8-activations (int8 weights x int8 activations, matmul_q8_q8; implies --quantize).
inline const std::set<std::string> kInferFlags = {"quantize", "int8-activations", "bf16"};
InferOptions infer_options_from_args(const Args& a);
const char* precision_name(const InferOptions& io);  // "fp32" | "int8" | "int8x8"

// Flags every generating command accepts (values are validated by SamplingParams::validate).
inline const std::set<std::string> kSamplingFlags = {"max-tokens", "temperature", "top-k", "top-p", "min-p",
                                                     "seed", "repetition-penalty", "frequency-penalty",
                                                     "presence-penalty", "stop"};
// Defaults: temperature 0.8, top-p 0.95, max-tokens 256, a random seed unless --seed.
SamplingParams sampling_from_args(const Args& a);

// An engine sized for one sequence of the model's context.
EngineConfig single_stream_engine_config(const ModelConfig& cfg, KVDtype kv_dtype = KVDtype::kF32);
// --kv-dtype f32|f16 (default f32), with the flag named in the error
KVDtype kv_dtype_from_args(const Args& a);

struct GenerateResult {
  std::string text;           // the emitted text (stop string excluded)
  int tokens = 0;             // generated tokens, stop token included
  double seconds = 0;         // wall time from submission to the last token
  std::string finish_reason;  // "stop" | "length"
  double tokens_per_s() const { return seconds > 0 ? tokens / seconds : 0; }
};
// Runs one request (n = 1) to completion on `engine`, which must be idle. on_text receives each
// emitted piece as soon as it is whole UTF-8 and cannot start a stop string. The stop tokens of
// sp.stop_token_ids end it (add ChatSpecials::stop_ids()).
GenerateResult generate_once(Engine& engine, const Tokenizer& tok, const std::vector<int32_t>& prompt,
                             const SamplingParams& sp, const std::function<void(const std::string&)>& on_text);

int cmd_generate(int argc, char** argv);  // llm generate --checkpoint DIR --prompt "..."
int cmd_chat(int argc, char** argv);      // llm chat --checkpoint DIR  (native/chat.cpp)

}  // namespace llm::cli
