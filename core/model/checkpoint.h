// Model weights as safetensors with Hugging Face tensor names, plus an HF-style config.json.
//
// Naming: Llama names (model.layers.N.self_attn.q_proj.weight, ...) for every config, except a
// GPT-2-style config (gelu_mlp + layernorm + learned positions + bias + MHA + tied head), which is
// written with GPT-2 names (transformer.h.N.attn.c_attn.weight, ...) in GPT-2's Conv1D (in, out)
// layout, so `transformers` can load either. config.json carries the HF keys and, under "llm",
// our full ModelConfig (for switches HF configs cannot express: ALiBi, sinusoidal, qwen2 norm).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/model/transformer.h"

namespace llm {

bool is_gpt2_style(const ModelConfig& c);
bool is_llama_compatible(const ModelConfig& c);

std::vector<uint8_t> save_weights(const Transformer<float>& m);
// Checks names (missing and unexpected), shapes and dtypes; `what` names the file in errors.
void load_weights(Transformer<float>& m, const uint8_t* bytes, size_t size, const std::string& what);

std::string hf_config_json(const ModelConfig& c);
// Reads our config.json (uses its "llm" block) or a plain HF Llama / GPT-2 config.json.
ModelConfig config_from_hf_json(const std::string& text);

}  // namespace llm
