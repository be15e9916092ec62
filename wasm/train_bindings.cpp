// Pretraining in the page: build the session model from a training config, pack a text into
// token windows with the session tokenizer (documents split at blank lines, each followed by
// <|endoftext|>, as `llm data pack` does), and run optimizer steps (core/train/trainer.h) one call
// at a time so the worker can slice them and stop between any two.
//   M.buildModel(trainConfigJson)  M.setTrainText(text, valFraction, seed)  M.trainStep(telemetry)
//   M.configureTraining(trainConfigJson)   new batch / seq_len / lr / schedule around the current weights
//   M.saveTrainerState() -> Uint8Array     optimizer moments, step, RNG (Trainer::save_state)
//   M.loadTrainerState(bytes) -> step      puts them back (a checkpoint restored in the Pretrain lab)
//   M.generateStories(n, seed)     the built-in corpus (core/data/gen_stories.h)
#include <emscripten/bind.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/data/gen_stories.h"
#include "core/data/importers.h"
#include "core/data/shard_format.h"
#include "core/data/shard_pack.h"
#include "core/data/shard_sampler.h"
#include "wasm/js_util.h"
#include "wasm/session.h"

using namespace emscripten;
using json = nlohmann::json;

namespace llm::web {
namespace {

// The packed text: two in-memory shards (train, val) and their samplers. Rebuilt by setTrainText;
// dropped when the model is rebuilt with a different context length.
struct TrainData {
  std::vector<uint8_t> train_bytes, val_bytes;  // shard files in memory
  std::unique_ptr<WindowSampler> train, val;
  int T = 0;
  uint64_t train_tokens = 0, val_tokens = 0, docs = 0;
};
TrainData& data() {
  static TrainData d;
  return d;
}

std::string session_info_json() {
  json j;
  j["version"] = session().version;
  j["tokenizer"] = has_tokenizer() ? json{{"type", tokenizer().type()}, {"vocabSize", tokenizer().vocab_size()}} : json(nullptr);
  if (has_model())
    j["model"] = {{"config", json::parse(model_config().to_json())}, {"paramCount", model().num_params()}, {"steps", trainer().step}};
  else
    j["model"] = nullptr;
  j["trainData"] = data().train ? json{{"trainTokens", data().train_tokens}, {"valTokens", data().val_tokens}, {"docs", data().docs}}
                                : json(nullptr);
  return j.dump();
}

// A training config JSON (configs/pretrain/*.json keys, with "model" an object) -> a new model.
std::string build_model(const std::string& train_config_json) {
  return guarded([&] {
    TrainConfig c = TrainConfig::from_json(train_config_json);
    if (has_tokenizer() && tokenizer().vocab_size() > c.model.vocab_size)
      c.model.vocab_size = tokenizer().vocab_size();  // the embedding must cover every id
    set_model(c);
    if (data().T != c.seq_len) data() = TrainData();
    return session_info_json();
  });
}

// Rebuilds the session trainer with another training config (batch_size, seq_len, lr, min_lr,
// warmup_steps, max_steps, ...) around the CURRENT weights, carrying the optimizer moments, the
// step counter and the RNG over, so a paused run or a restored checkpoint continues with the
// page's settings. The architecture stays the current model's ("model" in the config is
// ignored) and seq_len is capped at its context. A changed seq_len drops the packed text.
std::string configure_training(const std::string& train_config_json) {
  return guarded([&] {
    Trainer& old = trainer();
    json j = json::parse(train_config_json);
    if (!j.is_object()) throw std::runtime_error("configureTraining: expected a JSON object");
    const ModelConfig& mc = old.model.cfg;
    j["model"] = json::parse(mc.to_json());
    if (j.contains("seq_len") && j["seq_len"].is_number_integer())
      j["seq_len"] = std::min(j["seq_len"].get<int>(), mc.max_seq_len);
    else if (!j.contains("seq_len"))
      j["seq_len"] = std::min(old.cfg.seq_len, mc.max_seq_len);
    const TrainConfig c = TrainConfig::from_json(j.dump());
    auto tr = std::make_unique<Trainer>(c);  // validates; throws before the session changes
    std::copy(old.model.params.values(), old.model.params.values() + old.model.params.size(), tr->model.params.values());
    const std::vector<uint8_t> state = old.save_state("");
    tr->load_state(state.data(), state.size(), "trainer state");
    session().trainer = std::move(tr);
    weights_changed();
    if (data().T != c.seq_len) data() = TrainData();
    return session_info_json();
  });
}

// The trainer state next to a checkpoint's weights (the Pretrain lab keeps both in IndexedDB).
val save_trainer_state() {
  return guarded([&] { return bytes_to_js(trainer().save_state("")); });
}

// Restores what save_trainer_state wrote into the current trainer (same parameter count);
// returns the step counter it carries.
double load_trainer_state(const val& bytes) {
  return guarded([&] {
    const std::vector<uint8_t> b = bytes_from_js(bytes);
    trainer().load_state(b.data(), b.size(), "trainer state");  // the weights stay as they are
    return double(trainer().step);
  });
}

// Tokenizes `text` with the session tokenizer and packs it; the last val_fraction of the documents
// (at least one when there are two or more) becomes the validation split.
std::string set_train_text(const std::string& text, double val_fraction, double seed) {
  return guarded([&] {
    const Tokenizer& tok = tokenizer();
    const int T = trainer().cfg.seq_len;
    const int32_t eot = tok.token_id("<|endoftext|>");
    if (eot < 0) throw std::runtime_error("the tokenizer has no <|endoftext|> token (train a BPE or Unigram tokenizer with the default specials)");
    if (!(val_fraction >= 0 && val_fraction < 1)) throw std::runtime_error("valFraction must be in [0, 1)");
    std::vector<std::string_view> docs = split_text_documents(text);
    if (docs.empty()) throw std::runtime_error("the training text is empty");
    size_t n_val = size_t(double(docs.size()) * val_fraction);
    if (val_fraction > 0 && n_val == 0 && docs.size() >= 2) n_val = 1;
    const uint32_t V = uint32_t(model_config().vocab_size);
    ShardBuilder tr(V, eot), va(V, eot);
    for (size_t i = 0; i < docs.size(); i++) (i < docs.size() - n_val ? tr : va).add_document(tok.encode(docs[i], false));
    TrainData d;
    d.T = T;
    d.docs = docs.size();
    d.train_bytes = tr.build();
    d.train_tokens = tr.n_tokens();
    if (d.train_tokens < uint64_t(T) + 1)
      throw std::runtime_error("the training text has " + std::to_string(d.train_tokens) + " tokens; a window needs " +
                               std::to_string(T + 1) + ": give more text or a shorter seq_len");
    SamplerOptions so;
    so.T = T;
    so.seed = uint64_t(seed);
    d.train = std::make_unique<WindowSampler>(std::vector<ShardView>{open_shard(d.train_bytes.data(), d.train_bytes.size(), "train (in memory)")}, so);
    if (n_val > 0 && va.n_tokens() >= uint64_t(T) + 1) {
      d.val_bytes = va.build();
      d.val_tokens = va.n_tokens();
      so.shuffle = false;
      d.val = std::make_unique<WindowSampler>(std::vector<ShardView>{open_shard(d.val_bytes.data(), d.val_bytes.size(), "val (in memory)")}, so);
    }
    data() = std::move(d);
    return session_info_json();
  });
}

// One optimizer step: {step, loss, lr, gradNorm, skipped, tokens, telemetry?: [{layer, actRms, actMax, gradNorm}]}
std::string train_step(bool telemetry) {
  return guarded([&] {
    Trainer& tr = trainer();
    TrainData& d = data();
    if (!d.train) throw std::runtime_error("no training text: call setTrainText first");
    if (d.T != tr.cfg.seq_len) throw std::runtime_error("the packed text was cut for another seq_len: call setTrainText again");
    std::vector<WindowBatch> micro(size_t(tr.cfg.grad_accum));
    for (WindowBatch& b : micro) d.train->next_batch(tr.cfg.batch_size, b);
    const StepStats st = tr.train_step(micro, telemetry);
    weights_changed();
    json j = {{"step", st.step},
              {"loss", st.loss},
              {"lr", st.lr},
              {"gradNorm", st.grad_norm},
              {"skipped", st.skipped},
              {"tokens", int64_t(tr.cfg.batch_size) * tr.cfg.seq_len * tr.cfg.grad_accum}};
    if (telemetry) {
      json t = json::array();
      for (const LayerStats& s : tr.telemetry()) t.push_back({{"layer", s.layer}, {"actRms", s.act_rms}, {"actMax", s.act_max}, {"gradNorm", s.grad_norm}});
      j["telemetry"] = t;
    }
    return j.dump();
  });
}

// Mean loss over up to `batches` validation batches (NaN when there is no validation split).
double eval_loss(int batches) {
  return guarded([&] {
    Trainer& tr = trainer();
    TrainData& d = data();
    if (!d.val) return std::nan("");
    std::vector<WindowBatch> bs;
    const uint64_t n = std::min<uint64_t>(uint64_t(std::max(1, batches)) * tr.cfg.batch_size, d.val->windows_in_epoch(0));
    for (uint64_t k = 0; k < n;) {
      WindowBatch b;
      const int B = int(std::min<uint64_t>(tr.cfg.batch_size, n - k));
      b.B = B, b.T = d.T;
      b.x.resize(size_t(B) * d.T), b.y.resize(size_t(B) * d.T);
      for (int i = 0; i < B; i++, k++) d.val->window(0, k, &b.x[size_t(i) * d.T], &b.y[size_t(i) * d.T], nullptr);
      bs.push_back(std::move(b));
    }
    return double(tr.eval_loss(bs));
  });
}

std::string generate_stories_text(int n, double seed) {
  return guarded([&] {
    if (n <= 0 || n > 100000) throw std::runtime_error("generateStories: n must be in 1..100000");
    GenOptions o;
    o.seed = uint64_t(seed);
    return stories_to_text(generate_stories(size_t(n), o));
  });
}

std::string train_config_json() { return guarded([&] { return trainer().cfg.to_json(); }); }

}  // namespace
}  // namespace llm::web

EMSCRIPTEN_BINDINGS(llm_train) {
  using namespace llm::web;
  function("sessionInfoJson", &session_info_json);
  function("buildModel", &build_model);
  function("configureTraining", &configure_training);
  function("saveTrainerState", &save_trainer_state);
  function("loadTrainerState", &load_trainer_state);
  function("setTrainText", &set_train_text);
  function("trainStep", &train_step);
  function("evalLoss", &eval_loss);
  function("generateStories", &generate_stories_text);
  function("trainConfigJson", &train_config_json);
}
