#include "core/model/config.h"

#include <stdexcept>

#include "core/util/strict_json.h"

namespace llm {

int ModelConfig::hidden() const {
  if (ffn_hidden > 0) return ffn_hidden;
  int h = ffn == "gelu_mlp" ? 4 * dim : (8 * dim) / 3;
  const int m = multiple_of > 0 ? multiple_of : 1;
  return ((h + m - 1) / m) * m;
}

void ModelConfig::validate() const {
  auto bad = [](const std::string& msg) { throw std::runtime_error("model config: " + msg); };
  if (dim <= 0 || n_layers <= 0 || n_heads <= 0 || vocab_size <= 0 || max_seq_len <= 0)
    bad("dim, n_layers, n_heads, vocab_size and max_seq_len must be positive");
  if (dim % n_heads) bad("dim (" + std::to_string(dim) + ") must be divisible by n_heads (" + std::to_string(n_heads) + ")");
  if (n_kv_heads < 0 || n_heads % kv_heads())
    bad("n_heads (" + std::to_string(n_heads) + ") must be a multiple of n_kv_heads (" + std::to_string(n_kv_heads) + ")");
  if (ffn != "swiglu" && ffn != "gelu_mlp") bad("ffn must be \"swiglu\" or \"gelu_mlp\", got \"" + ffn + "\"");
  if (norm != "rmsnorm" && norm != "layernorm" && norm != "qwen2_rmsnorm")
    bad("norm must be \"rmsnorm\", \"layernorm\" or \"qwen2_rmsnorm\", got \"" + norm + "\"");
  if (pos != "rope" && pos != "alibi" && pos != "learned" && pos != "sinusoidal" && pos != "none")
    bad("pos must be one of rope, alibi, learned, sinusoidal, none; got \"" + pos + "\"");
  if (pos == "rope" && head_dim() % 2) bad("rope needs an even head_dim (dim / n_heads)");
  if (pos == "sinusoidal" && dim % 2) bad("sinusoidal positions need an even dim");
  if (hidden() <= 0) bad("ffn_hidden must be positive");
  if (rope_theta <= 0) bad("rope_theta must be positive");
  if (norm_eps <= 0) bad("norm_eps must be positive");
  if (dropout < 0 || dropout >= 1) bad("dropout must be in [0, 1)");
  if (init_std <= 0) bad("init_std must be positive");
}

ModelConfig ModelConfig::from_json(const std::string& text) {
  json j = parse_json(text, "model config");
  ModelConfig c;
  StrictReader r(j, "model config");
  r.get("dim", c.dim);
  r.get("n_layers", c.n_layers);
  r.get("n_heads", c.n_heads);
  r.get("n_kv_heads", c.n_kv_heads);
  r.get("vocab_size", c.vocab_size);
  r.get("max_seq_len", c.max_seq_len);
  r.get("ffn_hidden", c.ffn_hidden);
  r.get("multiple_of", c.multiple_of);
  r.get("ffn", c.ffn);
  r.get("norm", c.norm);
  r.get("pos", c.pos);
  r.get("rope_theta", c.rope_theta);
  r.get("tie_embeddings", c.tie_embeddings);
  r.get("bias", c.bias);
  r.get("norm_eps", c.norm_eps);
  r.get("dropout", c.dropout);
  r.get("init_std", c.init_std);
  r.finish();
  c.validate();
  return c;
}

std::string ModelConfig::to_json() const {
  json j = {{"dim", dim},
            {"n_layers", n_layers},
            {"n_heads", n_heads},
            {"n_kv_heads", kv_heads()},
            {"vocab_size", vocab_size},
            {"max_seq_len", max_seq_len},
            {"ffn_hidden", hidden()},
            {"multiple_of", multiple_of},
            {"ffn", ffn},
            {"norm", norm},
            {"pos", pos},
            {"rope_theta", rope_theta},
            {"tie_embeddings", tie_embeddings},
            {"bias", bias},
            {"norm_eps", norm_eps},
            {"dropout", dropout},
            {"init_std", init_std}};
  return j.dump(2);
}

std::string ModelConfig::summary() const {
  return "dim=" + std::to_string(dim) + " layers=" + std::to_string(n_layers) + " heads=" + std::to_string(n_heads) +
         " kv_heads=" + std::to_string(kv_heads()) + " vocab=" + std::to_string(vocab_size) +
         " seq=" + std::to_string(max_seq_len) + " ffn=" + ffn + "(" + std::to_string(hidden()) + ") norm=" + norm +
         " pos=" + pos + (tie_embeddings ? " tied" : "") + (bias ? " bias" : "");
}

}  // namespace llm
