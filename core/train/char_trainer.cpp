#include "core/train/char_trainer.h"

#include <algorithm>
#include <stdexcept>

#include "core/data/unicode_utf8.h"
#include "core/infer/sample.h"
#include "core/util/strict_json.h"

namespace llm {

CharTrainer::CharTrainer(const std::string& text, const std::string& options_json, uint64_t seed) : rng_(seed) {
  ModelConfig mc;
  mc.dim = 64;
  mc.n_layers = 2;
  mc.n_heads = 4;
  mc.n_kv_heads = 2;
  json j = parse_json(options_json.empty() ? "{}" : options_json, "trainer options");
  StrictReader r(j, "trainer options");
  r.get("dim", mc.dim);
  r.get("n_layers", mc.n_layers);
  r.get("n_heads", mc.n_heads);
  r.get("n_kv_heads", mc.n_kv_heads);
  r.get("ffn", mc.ffn);
  r.get("norm", mc.norm);
  r.get("pos", mc.pos);
  r.get("dropout", mc.dropout);
  r.get("seq_len", seq_);
  r.get("batch_size", batch_);
  r.get("lr", lr_);
  r.get("min_lr", min_lr_);
  r.get("warmup", warmup_);
  r.get("max_steps", max_steps_);
  r.get("weight_decay", opt_.cfg.weight_decay);
  r.get("grad_clip", clip_);
  r.finish();
  if (seq_ < 2 || batch_ < 1) throw std::runtime_error("trainer options: seq_len must be >= 2 and batch_size >= 1");

  const std::u32string cps = utf8_to_u32(text);
  chars_.assign(cps.begin(), cps.end());
  std::sort(chars_.begin(), chars_.end());
  chars_.erase(std::unique(chars_.begin(), chars_.end()), chars_.end());
  for (char32_t c : cps) data_.push_back(int32_t(std::lower_bound(chars_.begin(), chars_.end(), c) - chars_.begin()));
  split_ = data_.size() * 9 / 10;
  if (split_ < size_t(seq_) + 2 || data_.size() - split_ < size_t(seq_) + 2)
    throw std::runtime_error("trainer: text too short (" + std::to_string(cps.size()) + " characters) for seq_len " +
                             std::to_string(seq_) + "; need about " + std::to_string(20 * (seq_ + 2)));
  mc.vocab_size = int(chars_.size());
  mc.max_seq_len = seq_;
  model_ = std::make_unique<Transformer<float>>(mc);
  model_->init(seed);
  x_.resize(size_t(batch_) * seq_);
  y_.resize(size_t(batch_) * seq_);
}

std::string CharTrainer::config_json() const { return model_->cfg.to_json(); }

float CharTrainer::step() {
  for (int b = 0; b < batch_; b++) {
    const size_t s = size_t(rng_.below(split_ - seq_ - 1));
    for (int t = 0; t < seq_; t++) {
      x_[size_t(b) * seq_ + t] = data_[s + t];
      y_[size_t(b) * seq_ + t] = data_[s + t + 1];
    }
  }
  graph_.reset();
  graph_.training = true;
  graph_.grad_enabled = true;
  model_->params.zero_grad();
  TensorT<float> logits = model_->forward(graph_, x_.data(), batch_, seq_, &rng_);
  TensorT<float> loss = cross_entropy(graph_, logits, y_.data());
  graph_.backward(loss);
  last_norm_ = clip_grad_norm(model_->params, clip_);
  last_lr_ = lr_schedule(step_, warmup_, max_steps_, lr_, min_lr_);
  opt_.step(model_->params, last_lr_);
  step_++;
  return loss.data[0];
}

float CharTrainer::eval_loss(int batches) {
  Graph<float> g;
  g.grad_enabled = false;
  double total = 0;
  const size_t span = data_.size() - split_ - seq_ - 1;
  for (int i = 0; i < batches; i++) {
    const size_t s = split_ + (span * size_t(i)) / size_t(std::max(1, batches));
    std::vector<int32_t> x(data_.begin() + s, data_.begin() + s + seq_), y(data_.begin() + s + 1,
                                                                           data_.begin() + s + seq_ + 1);
    g.reset();
    total += cross_entropy(g, model_->forward(g, x.data(), 1, seq_), y.data()).data[0];
  }
  return float(total / batches);
}

std::vector<int32_t> CharTrainer::encode(const std::string& s) const {
  std::vector<int32_t> ids;
  for (char32_t c : utf8_to_u32(s)) {
    auto it = std::lower_bound(chars_.begin(), chars_.end(), c);
    if (it != chars_.end() && *it == c) ids.push_back(int32_t(it - chars_.begin()));
  }
  return ids;
}

std::string CharTrainer::decode(const std::vector<int32_t>& ids) const {
  std::string s;
  for (int32_t i : ids)
    if (i >= 0 && size_t(i) < chars_.size()) utf8_append(s, chars_[size_t(i)]);
  return s;
}

// No KV cache yet: each new token re-runs the window (fine at this size; core/infer adds the cache).
std::string CharTrainer::sample(const std::string& prompt, int max_new_tokens, float temperature, uint64_t seed) {
  Rng r(seed);
  std::vector<int32_t> ctx = encode(prompt);
  if (ctx.empty()) ctx.push_back(data_[0]);
  std::vector<int32_t> out;
  Graph<float> g;
  g.grad_enabled = false;
  const int V = vocab_size();
  for (int i = 0; i < max_new_tokens; i++) {
    const int T = int(std::min<size_t>(ctx.size(), size_t(seq_)));
    g.reset();
    TensorT<float> logits = model_->forward(g, ctx.data() + ctx.size() - T, 1, T);
    const int32_t next = sample_temperature(logits.data + int64_t(T - 1) * V, V, temperature, r);
    ctx.push_back(next);
    out.push_back(next);
  }
  return decode(out);
}

}  // namespace llm
