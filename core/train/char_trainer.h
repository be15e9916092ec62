// A complete, small training loop on one text with a character-level vocabulary: the first
// thing the web page runs (it needs no tokenizer file) and a self-contained example of the
// pieces: model + graph + cross-entropy + backward + clip + AdamW + schedule + sampling.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/model/transformer.h"
#include "core/train/adamw.h"

namespace llm {

class CharTrainer {
 public:
  // options (strict JSON, all optional): dim, n_layers, n_heads, n_kv_heads, seq_len, batch_size,
  // lr, min_lr, warmup, max_steps, weight_decay, grad_clip, ffn, norm, pos, dropout
  CharTrainer(const std::string& text, const std::string& options_json, uint64_t seed);

  float step();  // one optimizer step on a random batch; returns the training loss
  std::string sample(const std::string& prompt, int max_new_tokens, float temperature, uint64_t seed);
  float eval_loss(int batches);  // mean loss on fixed held-out windows (last 10% of the text)

  int64_t param_count() const { return model_->num_params(); }
  int vocab_size() const { return int(chars_.size()); }
  int64_t steps_done() const { return step_; }
  int64_t tokens_per_step() const { return int64_t(batch_) * seq_; }
  float last_lr() const { return last_lr_; }
  float last_grad_norm() const { return last_norm_; }
  std::string config_json() const;
  Transformer<float>& model() { return *model_; }

  std::vector<int32_t> encode(const std::string& s) const;  // unknown characters are skipped
  std::string decode(const std::vector<int32_t>& ids) const;

 private:
  std::vector<char32_t> chars_;  // id -> code point (core/data/unicode_utf8 decodes the text)
  std::vector<int32_t> data_;    // the whole text as ids
  size_t split_ = 0;             // [0, split) train, [split, end) validation
  std::unique_ptr<Transformer<float>> model_;
  AdamW opt_;
  Graph<float> graph_;
  Rng rng_;
  int batch_ = 8, seq_ = 64, warmup_ = 20;
  int64_t max_steps_ = 2000, step_ = 0;
  float lr_ = 3e-3f, min_lr_ = 3e-4f, clip_ = 1.0f, last_lr_ = 0, last_norm_ = 0;
  std::vector<int32_t> x_, y_;  // (B*T)
};

}  // namespace llm
