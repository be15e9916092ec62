// ModelConfig: every architecture switch of the decoder, read from strict JSON.
#pragma once
#include <cstdint>
#include <string>

namespace llm {

struct ModelConfig {
  int dim = 288;
  int n_layers = 6;
  int n_heads = 6;
  int n_kv_heads = 0;        // 0 = n_heads (MHA); < n_heads = GQA; 1 = MQA
  int vocab_size = 4096;
  int max_seq_len = 256;
  int ffn_hidden = 0;        // 0 = default: swiglu 8/3*dim, gelu_mlp 4*dim, rounded up to multiple_of
  int multiple_of = 32;
  std::string ffn = "swiglu";  // swiglu | gelu_mlp
  std::string norm = "rmsnorm";  // rmsnorm | layernorm | qwen2_rmsnorm
  std::string pos = "rope";    // rope | alibi | learned | sinusoidal | none
  double rope_theta = 10000.0;
  bool tie_embeddings = false;
  bool bias = false;
  double norm_eps = 1e-5;
  double dropout = 0.0;
  double init_std = 0.02;

  int head_dim() const { return dim / n_heads; }
  int kv_heads() const { return n_kv_heads > 0 ? n_kv_heads : n_heads; }
  int hidden() const;  // resolved ffn_hidden
  void validate() const;  // throws with a message naming the bad key

  static ModelConfig from_json(const std::string& text);  // strict: unknown key = error
  std::string to_json() const;                           // with ffn_hidden / n_kv_heads resolved
  std::string summary() const;                           // one line for logs
};

}  // namespace llm
