// Embind bindings of post-training for the SFT and DPO labs (docs/sft.md, docs/lora.md, docs/dpo.md).
// They fine-tune the page's CURRENT model (wasm/session.h) the way native/align_cmds.cpp does,
// one optimizer step per call so the worker can run them in time slices:
//
//   new M.AlignBasePretrainer(optsJson)  builds a BPE tokenizer (with the chat specials) and a tiny
//                                        model as the current ones; step() pretrains it on plain text
//   new M.SftTrainer(optsJson)           policy = a copy of the current model (full or LoRA)
//     .step() -> {"step","loss","lr","grad_norm","tokens"}    .evalLoss(), .baseEvalLoss()
//     .maskJson(i) -> {"tokens":[..],"mask":[0|1..]}         held-out chat i with its loss mask
//     .answersJson(k, maxNew) -> [{prompt, reference, before, after}]  greedy, held-out prompts
//     .answerJson(i, maxNew) -> one of them (held-out prompt i), .answerCount() -> how many there are
//                                          (the worker asks one at a time so a stop lands between two)
//     .commit()                            folds LoRA in and makes the policy the current model
//   new M.DpoTrainer(optsJson)           policy = a copy, reference = the model at start (frozen)
//     .step() -> {"loss","accuracy","margin","chosen","rejected",..}  .evaluate() -> held-out accuracy
//     .answersJson(k, maxNew), .answerJson(i, maxNew), .answerCount()  greedy replies, reference vs policy
//
// Options are AlignConfig keys (core/align/align_config.h), parsed strictly: a typo is an error.
#include <emscripten/bind.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/align/align_config.h"
#include "core/align/lora.h"
#include "core/align/preference.h"
#include "core/align/sft.h"
#include "core/data/gen_preference.h"
#include "core/data/gen_sft.h"
#include "core/data/gen_stories.h"
#include "core/infer/chat_template.h"
#include "core/tokenizer/bpe.h"
#include "core/train/adamw.h"
#include "core/util/ignore_index.h"
#include "wasm/js_util.h"
#include "wasm/session.h"

using namespace emscripten;
using nlohmann::json;

namespace llm::web {
namespace {

// The current tokenizer must speak ChatML; say what to do when it does not (a character
// tokenizer from the Pretrain lab has no <|im_start|>).
const Tokenizer& chat_tokenizer_or_throw() {
  const Tokenizer& tok = tokenizer();
  try {
    chat_specials(tok);
  } catch (const std::exception&) {
    throw std::runtime_error(
        "the current tokenizer has no chat tokens (<|im_start|>, <|im_end|>, <|endoftext|>): "
        "use \"Pretrain a tiny chat base\" or load a checkpoint whose tokenizer has them");
  }
  return tok;
}

AlignConfig parse_config(const std::string& json_text, const char* stage) {
  json j = json_text.empty() ? json::object() : json::parse(json_text);
  if (!j.is_object()) throw std::runtime_error(std::string(stage) + " options: expected a JSON object");
  j["stage"] = stage;
  AlignConfig c = AlignConfig::from_json(j.dump());
  c.validate();
  return c;
}

// ------------------------------------------------------------------------------------------------
// The model being fine-tuned: a COPY of the current model (so "before" stays available and the
// page's model changes only on commit()), with optional LoRA adapters on top of the frozen copy.
struct Policy {
  std::unique_ptr<Transformer<float>> model;
  std::unique_ptr<LoraAdapters<float>> lora;
  ParamStore<float>* trainable = nullptr;
  AdamW opt;

  Policy(const AlignConfig& cfg) {
    const Transformer<float>& base = web::model();
    model = std::make_unique<Transformer<float>>(base.cfg);
    std::copy(base.params.values(), base.params.values() + base.params.size(), model->params.values());
    AdamWConfig oc;
    oc.weight_decay = float(cfg.weight_decay);
    opt = AdamW(oc);
    if (!cfg.lora) {
      trainable = &model->params;
      return;
    }
    LoraOptions o;
    o.rank = cfg.lora_rank;
    o.alpha = cfg.lora_alpha;
    o.dropout = cfg.lora_dropout;
    o.targets = cfg.lora_targets;
    o.validate();
    if (model->cfg.tie_embeddings && lora_targets_layer(o.targets, "lm_head"))
      throw std::runtime_error("lora_targets: lm_head is tied to the embedding in this model; drop it from the targets");
    lora = std::make_unique<LoraAdapters<float>>(model->linear_layers(/*with_head=*/true), o);
    lora->init(cfg.seed);
    lora->dropout_seed = cfg.seed * 7919 + 1;
    model->linear_hook = lora.get();
    model->frozen = true;
    trainable = &lora->params;
  }

  // fp32 weights with the adapters folded in (what answers and commit use)
  std::unique_ptr<Transformer<float>> merged() const {
    auto m = std::make_unique<Transformer<float>>(model->cfg);
    std::copy(model->params.values(), model->params.values() + model->params.size(), m->params.values());
    if (lora) lora->merge_into(*m);
    return m;
  }

  // clip + AdamW on the trainable store; returns the norm before clipping
  float update(float lr, float clip) {
    const float gn = clip_grad_norm(*trainable, clip);
    opt.step(*trainable, lr);
    return gn;
  }

  json info() const {
    json j = {{"trainable_params", trainable->size()}, {"base_params", model->params.size()}, {"lora", lora != nullptr}};
    if (lora) {
      json layers = json::array();
      for (const LinearInfo& l : lora->layers()) layers.push_back(l.name);
      j["lora_layers"] = layers;
      j["rank"] = lora->options().rank;
      j["alpha"] = lora->options().alpha;
    }
    return j;
  }
};

// the current model becomes `m` (same config): the weights are copied into the session's model
void commit_weights(const Transformer<float>& m) {
  Transformer<float>& cur = web::model();
  if (cur.params.size() != m.params.size()) throw std::runtime_error("commit: the current model changed shape since this run started");
  std::copy(m.params.values(), m.params.values() + m.params.size(), cur.params.values());
  weights_changed();
}

std::string greedy_reply(const Transformer<float>& m, const Tokenizer& tok, const std::vector<ChatMessage>& prompt, int max_new) {
  InferModel im(m);
  KVCache cache(m.cfg);
  return greedy_chat_reply(im, cache, tok, prompt, max_new);
}

std::string prompt_text(const std::vector<ChatMessage>& msgs) {
  std::string s;
  for (const ChatMessage& m : msgs) s += (s.empty() ? "" : "\n") + m.role + ": " + m.content;
  return s;
}

// ================================================================================ tiny chat base
// Builds the current tokenizer (byte-level BPE with <|endoftext|>, <|pad|>, <|im_start|>,
// <|im_end|>) and a tiny model, then pretrains it on PLAIN text: generated stories and the bare
// contents of generated chats, one document per line, no chat template. The base so knows words,
// stories and sums but not the turn structure - exactly what SFT then teaches.
class JsBasePretrainer {
 public:
  explicit JsBasePretrainer(const std::string& opts) {
    guarded([&] {
      json o = opts.empty() ? json::object() : json::parse(opts);
      const std::vector<std::string> known = {"vocab_size", "dim", "n_layers", "n_heads", "seq_len", "batch_size",
                                              "lr", "steps", "n_stories", "n_chats", "seed"};
      for (auto& [k, v] : o.items())
        if (std::find(known.begin(), known.end(), k) == known.end())
          throw std::runtime_error("base options: unknown key \"" + k + "\"");
      auto get = [&](const char* k, double d) { return o.contains(k) ? o[k].get<double>() : d; };
      const int vocab = int(get("vocab_size", 512)), n_stories = int(get("n_stories", 300)), n_chats = int(get("n_chats", 600));
      seed_ = uint64_t(get("seed", 1));
      GenOptions g;
      g.seed = seed_ + 1000;  // other examples than the SFT/DPO runs (same split: no held-out leakage)
      g.split = Split::train;
      std::string text;
      for (const Story& s : generate_stories(size_t(n_stories), g)) text += s.text + "\n";
      for (const SftExample& e : generate_sft(size_t(n_chats), g)) {
        for (const Message& m : e.chat.messages) text += m.content + " ";
        text += "\n";
      }
      BpeTrainOptions bo;
      bo.vocab_size = vocab;
      auto tok = std::make_unique<BpeTokenizer>(BpeTokenizer::train(text, bo));
      const int32_t eot = chat_specials(*tok).endoftext;
      // one stream of documents separated by <|endoftext|>
      size_t a = 0;
      while (a < text.size()) {
        size_t b = text.find('\n', a);
        if (b == std::string::npos) b = text.size();
        std::vector<int32_t> ids = tok->encode(std::string_view(text).substr(a, b - a), false);
        stream_.insert(stream_.end(), ids.begin(), ids.end());
        stream_.push_back(eot);
        a = b + 1;
      }
      TrainConfig tc;
      tc.model.dim = int(get("dim", 64));
      tc.model.n_layers = int(get("n_layers", 2));
      tc.model.n_heads = int(get("n_heads", 4));
      tc.model.n_kv_heads = tc.model.n_heads;
      tc.model.vocab_size = tok->vocab_size();
      tc.model.max_seq_len = int(get("seq_len", 128));
      tc.seq_len = tc.model.max_seq_len;
      tc.batch_size = int(get("batch_size", 8));
      tc.max_steps = int64_t(get("steps", 300));
      tc.warmup_steps = 20;
      tc.lr = float(get("lr", 3e-3));
      tc.min_lr = tc.lr / 10;
      tc.weight_decay = 0.0f;
      tc.seed = seed_;
      tc.telemetry_every = 0;
      if (int64_t(stream_.size()) < tc.seq_len + 1) throw std::runtime_error("base: the generated text is too short");
      set_tokenizer(std::move(tok));
      set_model(tc);
      rng_ = Rng(seed_ * 31 + 7);
    });
  }
  // one optimizer step on B random windows of the stream; returns the loss
  double step() {
    return guarded([&] {
      Trainer& tr = trainer();
      const int B = tr.cfg.batch_size, T = tr.cfg.seq_len;
      WindowBatch wb;
      wb.B = B, wb.T = T;
      wb.x.resize(size_t(B * T));
      wb.y.resize(size_t(B * T));
      for (int b = 0; b < B; b++) {
        const size_t s = size_t(rng_.below(uint64_t(stream_.size() - size_t(T) - 1)));
        for (int t = 0; t < T; t++) {
          wb.x[size_t(b * T + t)] = stream_[s + size_t(t)];
          wb.y[size_t(b * T + t)] = stream_[s + size_t(t) + 1];
        }
      }
      const StepStats st = tr.train_step({wb});
      weights_changed();
      return double(st.loss);
    });
  }
  double stepsDone() const { return guarded([&] { return double(trainer().step); }); }
  double maxSteps() const { return guarded([&] { return double(trainer().cfg.max_steps); }); }
  double paramCount() const { return guarded([&] { return double(web::model().num_params()); }); }
  int vocabSize() const { return guarded([&] { return tokenizer().vocab_size(); }); }
  double streamTokens() const { return double(stream_.size()); }

 private:
  std::vector<int32_t> stream_;  // (N) token ids of the whole pretraining text
  uint64_t seed_ = 1;
  Rng rng_{1};
};

// ========================================================================================== SFT
class JsSftTrainer {
 public:
  explicit JsSftTrainer(const std::string& opts) {
    guarded([&] {
      cfg_ = parse_config(opts, "sft");
      const Tokenizer& tok = chat_tokenizer_or_throw();
      tok_ = tokenizer_ptr();
      policy_ = std::make_unique<Policy>(cfg_);
      base_ = policy_->merged();  // the starting weights, for "before" answers and losses
      T_ = std::min(cfg_.seq_len, policy_->model->cfg.max_seq_len);
      GenOptions g;
      g.seed = cfg_.seed;
      g.split = Split::train;
      train_ex_ = generate_sft(size_t(cfg_.n_train), g);
      g.split = Split::validation;
      eval_ex_ = generate_sft(size_t(cfg_.n_eval), g);
      auto tokenize = [&](const std::vector<SftExample>& xs) {
        std::vector<SftSequence> out;
        for (const SftExample& e : xs) out.push_back(sft_sequence(tok, to_chat_messages(e.chat.messages), T_));
        return out;
      };
      const int32_t pad = chat_specials(tok).endoftext;
      batcher_ = std::make_unique<SftBatcher>(tokenize(train_ex_), T_, cfg_.packing, pad, cfg_.seed);
      eval_batches_ = sft_eval_batches(tokenize(eval_ex_), cfg_.batch_size, T_, cfg_.packing, pad);
      drop_ = Rng(cfg_.seed ^ 0x5F7ULL);
    });
  }

  std::string step() {
    return guarded([&] {
      Transformer<float>& m = *policy_->model;
      policy_->trainable->zero_grad();
      const TokenBatch b = batcher_->next(cfg_.batch_size);
      Graph<float> g;
      g.training = true;
      Rng r(drop_.next_u64());
      TensorT<float> l = cross_entropy(g, m.forward(g, b.x.data(), b.B, b.T, &r, b.doc_start.data()), b.y.data());
      g.backward(l);
      const float lr = lr_schedule(step_, cfg_.warmup_steps, cfg_.max_steps, float(cfg_.lr), float(cfg_.min_lr));
      const float gn = policy_->update(lr, float(cfg_.grad_clip));
      step_++;
      return json({{"step", step_}, {"loss", l.data[0]}, {"lr", lr}, {"grad_norm", gn}, {"tokens", int64_t(b.B) * b.T},
                   {"scored", b.n_targets()}})
          .dump();
    });
  }

  double evalLoss() { return guarded([&] { return eval_loss(*policy_->model); }); }
  double baseEvalLoss() { return guarded([&] { return eval_loss(*base_); }); }

  // held-out chat i, its tokens and the assistant mask (1 = the loss is computed on this token)
  std::string maskJson(int i) {
    return guarded([&] {
      if (i < 0 || size_t(i) >= eval_ex_.size()) throw std::runtime_error("maskJson: no held-out example " + std::to_string(i));
      const EncodedChat c = encode_chat(*tok_, to_chat_messages(eval_ex_[size_t(i)].chat.messages), false);
      const std::vector<uint8_t> mask = assistant_mask(c);
      json toks = json::array(), bits = json::array(), ids = json::array();
      // a byte-level token may be half a UTF-8 character: the dump below replaces such bytes
      for (size_t t = 0; t < c.ids.size(); t++) {
        toks.push_back(tok_->decode({c.ids[t]}));
        bits.push_back(int(mask[t]));
        ids.push_back(c.ids[t]);
      }
      return json({{"tokens", toks}, {"ids", ids}, {"mask", bits}, {"task", eval_ex_[size_t(i)].task}})
          .dump(-1, ' ', false, json::error_handler_t::replace);
    });
  }

  // the first k held-out prompts with greedy replies before and after
  std::string answersJson(int k, int max_new) {
    return guarded([&] {
      json out = json::array();
      for (int i = 0; i < std::min(answerCount(), std::max(k, 0)); i++) out.push_back(answer(i, max_new));
      return out.dump(-1, ' ', false, json::error_handler_t::replace);
    });
  }
  // held-out prompt i alone: {prompt, reference, answer, before, after, correct}
  std::string answerJson(int i, int max_new) {
    return guarded([&] { return answer(i, max_new).dump(-1, ' ', false, json::error_handler_t::replace); });
  }
  int answerCount() const { return int(eval_ex_.size()); }

  void commit() {
    guarded([&] { commit_weights(*policy_->merged()); });
  }
  std::string infoJson() const {
    return guarded([&] {
      json j = policy_->info();
      j["n_train"] = train_ex_.size();
      j["n_eval"] = eval_ex_.size();
      j["seq_len"] = T_;
      return j.dump();
    });
  }
  double stepsDone() const { return double(step_); }

 private:
  AlignConfig cfg_;
  std::shared_ptr<const Tokenizer> tok_;
  std::unique_ptr<Policy> policy_;
  std::unique_ptr<Transformer<float>> base_;
  std::vector<SftExample> train_ex_, eval_ex_;
  std::unique_ptr<SftBatcher> batcher_;
  std::vector<TokenBatch> eval_batches_;
  Rng drop_{1};
  int T_ = 0;
  int64_t step_ = 0;
  std::unique_ptr<Transformer<float>> after_;  // the merged policy the answers use, rebuilt after a step
  int64_t after_step_ = -1;

  const Transformer<float>& after() {
    if (!after_ || after_step_ != step_) {
      after_ = policy_->merged();
      after_step_ = step_;
    }
    return *after_;
  }

  json answer(int i, int max_new) {
    if (i < 0 || i >= answerCount()) throw std::runtime_error("answerJson: no held-out example " + std::to_string(i));
    const SftExample& e = eval_ex_[size_t(i)];
    std::vector<ChatMessage> msgs = to_chat_messages(e.chat.messages);
    const std::string ref = msgs.back().content;
    msgs.pop_back();
    const std::string a = greedy_reply(after(), *tok_, msgs, max_new);
    return {{"prompt", prompt_text(msgs)}, {"reference", ref}, {"answer", e.answer},
            {"before", greedy_reply(*base_, *tok_, msgs, max_new)}, {"after", a}, {"correct", contains_answer(a, e.answer)}};
  }

  double eval_loss(Transformer<float>& m) {
    double sum = 0, n = 0;
    for (const TokenBatch& b : eval_batches_) {
      Graph<float> g;
      g.grad_enabled = false;
      const double k = double(b.n_targets());
      sum += double(cross_entropy(g, m.forward(g, b.x.data(), b.B, b.T, nullptr, b.doc_start.data()), b.y.data()).data[0]) * k;
      n += k;
    }
    return n > 0 ? sum / n : 0.0;
  }
};

// ========================================================================================== DPO
// sequence log-probs (2B) of a pair batch, no graph kept
std::vector<double> pair_logprobs(Transformer<float>& m, const PairBatch& pb) {
  Graph<float> g;
  g.grad_enabled = false;
  TensorT<float> tl = token_logprobs(g, m.forward(g, pb.x.data(), pb.rows(), pb.T), pb.y.data());
  TensorT<float> s = sequence_logprobs(g, tl, pb.y.data(), pb.rows(), pb.T, false);
  return std::vector<double>(s.data, s.data + s.numel());
}

class JsDpoTrainer {
 public:
  explicit JsDpoTrainer(const std::string& opts) {
    guarded([&] {
      cfg_ = parse_config(opts, "dpo");
      const Tokenizer& tok = chat_tokenizer_or_throw();
      tok_ = tokenizer_ptr();
      policy_ = std::make_unique<Policy>(cfg_);
      // the reference: with LoRA the policy with its adapters off; else a frozen copy of the start
      if (!policy_->lora) ref_ = policy_->merged();
      const int T = std::min(cfg_.seq_len, policy_->model->cfg.max_seq_len);
      GenOptions g;
      g.seed = cfg_.seed;
      g.split = Split::train;
      for (auto& e : generate_preferences(size_t(cfg_.n_train), g)) push(tok, e, T, train_, nullptr);
      g.split = Split::validation;
      for (auto& e : generate_preferences(size_t(cfg_.n_eval), g)) push(tok, e, T, eval_, &eval_pairs_);
      if (int(train_.size()) < cfg_.batch_size || eval_.empty())
        throw std::runtime_error("dpo: too few usable preference pairs for seq_len " + std::to_string(T) +
                                 " (raise seq_len or n_train / n_eval)");
      batcher_ = std::make_unique<PairBatcher>(&train_, cfg_.batch_size, cfg_.seed);
      pad_ = chat_specials(tok).endoftext;
      for (size_t i = 0; i < eval_.size(); i += size_t(cfg_.batch_size)) {
        std::vector<const PreferenceSequence*> ps;
        for (size_t j = i; j < std::min(eval_.size(), i + size_t(cfg_.batch_size)); j++) ps.push_back(&eval_[j]);
        eval_batches_.push_back(make_pair_batch(ps, pad_));
        eval_ref_.push_back(ref_lp(eval_batches_.back()));
      }
      dopt_.beta = cfg_.beta;
      dopt_.label_smoothing = cfg_.label_smoothing;
      dopt_.ipo = cfg_.dpo_loss == "ipo";
      drop_ = Rng(cfg_.seed ^ 0xD90ULL);
    });
  }

  std::string step() {
    return guarded([&] {
      policy_->trainable->zero_grad();
      const PairBatch pb = make_pair_batch(batcher_->next(), pad_);
      const std::vector<double> ref = ref_lp(pb);
      Graph<float> g;
      g.training = true;
      Rng r(drop_.next_u64());
      TensorT<float> tl = token_logprobs(g, policy_->model->forward(g, pb.x.data(), pb.rows(), pb.T, &r), pb.y.data());
      TensorT<float> lp = sequence_logprobs(g, tl, pb.y.data(), pb.rows(), pb.T, false);
      PreferenceStats st;
      TensorT<float> l = dpo_loss(g, lp, ref, dopt_, &st);
      g.backward(l);
      const float lr = lr_schedule(step_, cfg_.warmup_steps, cfg_.max_steps, float(cfg_.lr), float(cfg_.min_lr));
      const float gn = policy_->update(lr, float(cfg_.grad_clip));
      step_++;
      return json({{"step", step_}, {"loss", st.loss}, {"accuracy", st.accuracy}, {"margin", st.margin},
                   {"chosen", st.chosen}, {"rejected", st.rejected}, {"lr", lr}, {"grad_norm", gn},
                   {"tokens", int64_t(pb.rows()) * pb.T}})
          .dump();
    });
  }

  // held-out preference accuracy of the implicit reward (ties count 1/2) and the mean margin
  std::string evaluate() {
    return guarded([&] {
      double acc = 0, margin = 0, logp_acc = 0, loss = 0;
      size_t n = 0;
      for (size_t k = 0; k < eval_batches_.size(); k++) {
        const PairBatch& pb = eval_batches_[k];
        const std::vector<double> lp = pair_logprobs(*policy_->model, pb), &ref = eval_ref_[k];
        for (int b = 0; b < pb.B; b++) {
          const double pc = lp[size_t(b)], pr = lp[size_t(pb.B + b)];
          const double h = cfg_.beta * ((pc - ref[size_t(b)]) - (pr - ref[size_t(pb.B + b)]));
          acc += h > 0 ? 1.0 : h == 0 ? 0.5 : 0.0;
          margin += h;
          logp_acc += pc > pr;
          loss -= log_sigmoid(h);  // the DPO loss of the pair: -log sigmoid(h)
          n++;
        }
      }
      const double d = double(std::max<size_t>(n, 1));
      return json({{"step", step_}, {"accuracy", acc / d}, {"margin", margin / d}, {"logp_accuracy", logp_acc / d},
                   {"loss", loss / d}, {"n", n}})
          .dump();
    });
  }

  // greedy replies to the first k held-out prompts before (the reference) and after (the policy)
  std::string answersJson(int k, int max_new) {
    return guarded([&] {
      json out = json::array();
      for (int i = 0; i < std::min(answerCount(), std::max(k, 0)); i++) out.push_back(answer(i, max_new));
      return out.dump(-1, ' ', false, json::error_handler_t::replace);
    });
  }
  // held-out prompt i alone: {prompt, chosen, rejected, reason, before, after}
  std::string answerJson(int i, int max_new) {
    return guarded([&] { return answer(i, max_new).dump(-1, ' ', false, json::error_handler_t::replace); });
  }
  int answerCount() const { return int(eval_pairs_.size()); }

  void commit() {
    guarded([&] { commit_weights(*policy_->merged()); });
  }
  std::string infoJson() const {
    return guarded([&] {
      json j = policy_->info();
      j["n_train"] = train_.size();
      j["n_eval"] = eval_.size();
      j["beta"] = cfg_.beta;
      j["reference"] = policy_->lora ? "the base (policy with LoRA adapters off)" : "a frozen copy of the starting model";
      return j.dump();
    });
  }
  double stepsDone() const { return double(step_); }

 private:
  AlignConfig cfg_;
  DpoOptions dopt_;
  std::shared_ptr<const Tokenizer> tok_;
  std::unique_ptr<Policy> policy_;
  std::unique_ptr<Transformer<float>> ref_;  // null with LoRA
  std::vector<PreferenceSequence> train_, eval_;
  std::vector<PreferenceExample> eval_pairs_;  // the held-out pairs kept, for the answers view
  std::unique_ptr<PairBatcher> batcher_;
  std::vector<PairBatch> eval_batches_;
  std::vector<std::vector<double>> eval_ref_;  // (2B) reference log-probs per held-out batch
  int32_t pad_ = 0;
  Rng drop_{1};
  int64_t step_ = 0;
  std::unique_ptr<Transformer<float>> after_;        // the merged policy the answers use, rebuilt after a step
  int64_t after_step_ = -1;
  std::unique_ptr<Transformer<float>> lora_before_;  // LoRA: a copy of the frozen base (the reference)

  const Transformer<float>& after() {
    if (!after_ || after_step_ != step_) {
      after_ = policy_->merged();
      after_step_ = step_;
    }
    return *after_;
  }
  const Transformer<float>& before() {
    if (ref_) return *ref_;
    if (!lora_before_) {  // LoRA: the reference is the base the adapters sit on (frozen, so copied once)
      lora_before_ = std::make_unique<Transformer<float>>(policy_->model->cfg);
      std::copy(policy_->model->params.values(), policy_->model->params.values() + policy_->model->params.size(),
                lora_before_->params.values());
    }
    return *lora_before_;
  }

  json answer(int i, int max_new) {
    if (i < 0 || i >= answerCount()) throw std::runtime_error("answerJson: no held-out pair " + std::to_string(i));
    const PreferenceExample& e = eval_pairs_[size_t(i)];
    const std::vector<ChatMessage> msgs = to_chat_messages(e.pair.prompt);
    return {{"prompt", prompt_text(msgs)}, {"chosen", e.pair.chosen}, {"rejected", e.pair.rejected}, {"reason", e.reason},
            {"before", greedy_reply(before(), *tok_, msgs, max_new)}, {"after", greedy_reply(after(), *tok_, msgs, max_new)}};
  }

  std::vector<double> ref_lp(const PairBatch& pb) {
    if (ref_) return pair_logprobs(*ref_, pb);
    policy_->lora->enabled = false;
    std::vector<double> r = pair_logprobs(*policy_->model, pb);
    policy_->lora->enabled = true;
    return r;
  }

  void push(const Tokenizer& tok, const PreferenceExample& e, int T, std::vector<PreferenceSequence>& out,
            std::vector<PreferenceExample>* keep) {
    PreferenceSequence s;
    if (!preference_sequence(tok, e.pair, T, s) || s.chosen == s.rejected) return;  // too long, or equal after the cut
    out.push_back(std::move(s));
    if (keep) keep->push_back(e);
  }
};

// Both trainers need the current tokenizer + model; the page asks first to show the right button.
std::string align_base_status() {
  json j = {{"has_tokenizer", has_tokenizer()}, {"has_model", has_model()}, {"chat_ready", false}};
  if (has_tokenizer()) {
    try {
      chat_specials(tokenizer());
      j["chat_ready"] = has_model();
    } catch (const std::exception& e) {
      j["reason"] = e.what();
    }
  }
  if (has_model()) {
    j["params"] = web::model().num_params();
    j["config"] = json::parse(web::model().cfg.to_json());
  }
  return j.dump();
}

}  // namespace
}  // namespace llm::web

EMSCRIPTEN_BINDINGS(llm_align) {
  using namespace llm::web;
  function("alignBaseStatus", &align_base_status);
  class_<JsBasePretrainer>("AlignBasePretrainer")
      .constructor<std::string>()
      .function("step", &JsBasePretrainer::step)
      .function("stepsDone", &JsBasePretrainer::stepsDone)
      .function("maxSteps", &JsBasePretrainer::maxSteps)
      .function("paramCount", &JsBasePretrainer::paramCount)
      .function("vocabSize", &JsBasePretrainer::vocabSize)
      .function("streamTokens", &JsBasePretrainer::streamTokens);
  class_<JsSftTrainer>("SftTrainer")
      .constructor<std::string>()
      .function("step", &JsSftTrainer::step)
      .function("evalLoss", &JsSftTrainer::evalLoss)
      .function("baseEvalLoss", &JsSftTrainer::baseEvalLoss)
      .function("maskJson", &JsSftTrainer::maskJson)
      .function("answersJson", &JsSftTrainer::answersJson)
      .function("answerJson", &JsSftTrainer::answerJson)
      .function("answerCount", &JsSftTrainer::answerCount)
      .function("commit", &JsSftTrainer::commit)
      .function("infoJson", &JsSftTrainer::infoJson)
      .function("stepsDone", &JsSftTrainer::stepsDone);
  class_<JsDpoTrainer>("DpoTrainer")
      .constructor<std::string>()
      .function("step", &JsDpoTrainer::step)
      .function("evaluate", &JsDpoTrainer::evaluate)
      .function("answersJson", &JsDpoTrainer::answersJson)
      .function("answerJson", &JsDpoTrainer::answerJson)
      .function("answerCount", &JsDpoTrainer::answerCount)
      .function("commit", &JsDpoTrainer::commit)
      .function("infoJson", &JsDpoTrainer::infoJson)
      .function("stepsDone", &JsDpoTrainer::stepsDone);
}
