// The one WebSession of the module (see session.h).
#include "wasm/session.h"

#include <stdexcept>

namespace llm::web {

WebSession& session() {
  static WebSession s;
  return s;
}

bool has_tokenizer() { return session().tok != nullptr; }
bool has_model() { return session().trainer != nullptr; }

const Tokenizer& tokenizer() { return *tokenizer_ptr(); }
std::shared_ptr<const Tokenizer> tokenizer_ptr() {
  if (!session().tok) throw std::runtime_error("no tokenizer yet: train one in the Tokenizer lab or load a checkpoint");
  return session().tok;
}
Trainer& trainer() {
  if (!session().trainer) throw std::runtime_error("no model yet: build or train one in the Pretrain lab, or load a checkpoint");
  return *session().trainer;
}
Transformer<float>& model() { return trainer().model; }
const ModelConfig& model_config() { return trainer().model.cfg; }

void set_tokenizer(std::unique_ptr<Tokenizer> tok) {
  if (!tok) throw std::runtime_error("set_tokenizer: null tokenizer");
  session().tok = std::shared_ptr<const Tokenizer>(tok.release());
  session().version++;
}

void set_model(const TrainConfig& cfg) {
  if (session().tok && session().tok->vocab_size() > cfg.model.vocab_size)
    throw std::runtime_error("model: vocab_size " + std::to_string(cfg.model.vocab_size) + " is smaller than the tokenizer's " +
                             std::to_string(session().tok->vocab_size()) + " ids");
  auto tr = std::make_unique<Trainer>(cfg);  // validates; throws before the old model is dropped
  session().trainer = std::move(tr);
  weights_changed();
}

void weights_changed() { session().version++; }

std::shared_ptr<const InferModel> infer_model() {
  WebSession& s = session();
  if (!s.infer || s.infer_version != s.version) {
    s.infer = std::make_shared<const InferModel>(model());
    s.infer_version = s.version;
  }
  return s.infer;
}

}  // namespace llm::web
