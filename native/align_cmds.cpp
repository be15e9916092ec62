// `llm sft|rm|dpo|orpo --config configs/align/<name>.json`: the post-training front ends over
// core/align. Each loads the base checkpoint folder (config.json + model.safetensors +
// tokenizer.json), builds the generated (or imported JSONL) train / held-out sets, trains with
// AdamW + warmup/cosine + clipping and gradient accumulation, prints a progress line, appends
// metrics to <out>/metrics.jsonl, writes atomic checkpoints in the pretraining layout
// (<out>/checkpoints/step_N/{model.safetensors, config.json, tokenizer.json, ...}, so chat, serve
// and the next stage load them), and ends with held-out metrics (docs/sft.md, docs/lora.md,
// docs/reward_model.md, docs/dpo.md, docs/orpo.md).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <memory>

#include "core/align/align_config.h"
#include "core/align/lora.h"
#include "core/align/preference.h"
#include "core/align/reward.h"
#include "core/align/sft.h"
#include "core/data/gen_preference.h"
#include "core/data/gen_sft.h"
#include "core/data/importers.h"
#include "core/infer/infer_model.h"
#include "core/model/checkpoint.h"
#include "core/train/adamw.h"
#include "core/util/strict_json.h"
#include "native/align_io.h"
#include "native/args.h"
#include "native/checkpoint_dir.h"
#include "native/commands.h"
#include "native/configs.h"
#include "native/fs.h"
#include "native/threads.h"

namespace llm::cli {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

AlignConfig load_align_config(const std::string& name_or_path, const std::string& stage) {
  const std::string path = find_config(name_or_path, "align");
  AlignConfig c;
  try {
    c = AlignConfig::from_json(fs::read_file(path));
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  if (c.stage != stage)
    throw std::runtime_error("config " + name_or_path + " is for stage \"" + c.stage + "\", not \"" + stage +
                             "\" (use `llm " + c.stage + "`)");
  return c;
}

namespace {

// ---------------------------------------------------------------------------------------------
// The model being trained: full fine-tuning, LoRA on a frozen fp32 base, or QLoRA (LoRA on NF4
// base weights; the model object then holds no fp32 linear weights at all).
struct Policy {
  std::unique_ptr<Transformer<float>> model;
  std::unique_ptr<LoraAdapters<float>> lora;
  Nf4Weights nf4;
  size_t fp32_linear_bytes = 0;  // what the base linears take in fp32 (for the memory report)
  std::vector<ParamStore<float>*> trainable;

  int64_t trainable_params() const {
    int64_t n = 0;
    for (auto* p : trainable) n += int64_t(p->size());
    return n;
  }
  // A plain fp32 model with the adapters folded in: what gets saved and what inference runs.
  std::unique_ptr<Transformer<float>> merged() const {
    auto m = std::make_unique<Transformer<float>>(model->cfg);
    for (const ParamInfo& p : m->params.infos()) {
      TensorT<float> dst = m->params.get(p.name);
      if (model->params.has(p.name)) {
        TensorT<float> src = model->params.get(p.name);
        std::copy(src.data, src.data + src.numel(), dst.data);
      } else {  // an NF4 linear: the adapters were trained against its dequantized values
        nf4_dequantize(nf4.layers.at(p.name.substr(0, p.name.size() - 7)), dst.data);
      }
    }
    if (lora) lora->merge_into(*m);
    return m;
  }
};

Policy make_policy(const AlignConfig& cfg, const std::string& base_dir) {
  Policy p;
  auto full = std::make_unique<Transformer<float>>(load_model_dir(base_dir));
  for (const LinearInfo& l : full->linear_layers()) p.fp32_linear_bytes += size_t(l.out * l.in) * sizeof(float);
  if (!cfg.lora) {
    p.model = std::move(full);
    p.trainable.push_back(&p.model->params);
    return p;
  }
  LoraOptions o;
  o.rank = cfg.lora_rank;
  o.alpha = cfg.lora_alpha;
  o.dropout = cfg.lora_dropout;
  o.targets = cfg.lora_targets;
  if (cfg.qlora) {
    p.nf4 = quantize_linears(*full, cfg.nf4_block, cfg.nf4_double_quant);
    p.model = std::make_unique<Transformer<float>>(full->cfg, /*linear_weights=*/false);
    for (const ParamInfo& i : p.model->params.infos()) {
      TensorT<float> s = full->params.get(i.name), d = p.model->params.get(i.name);
      std::copy(s.data, s.data + s.numel(), d.data);
    }
    full.reset();  // the fp32 linears are gone from here on
  } else {
    p.model = std::move(full);
  }
  if (p.model->cfg.tie_embeddings && lora_targets_layer(o.targets, "lm_head"))
    throw std::runtime_error("lora_targets: lm_head is tied to the embedding in this model; drop it from the targets");
  p.lora = std::make_unique<LoraAdapters<float>>(p.model->linear_layers(/*with_head=*/true), o);
  p.lora->init(cfg.seed);
  p.lora->dropout_seed = cfg.seed * 7919 + 1;
  if (cfg.qlora) p.lora->nf4 = &p.nf4;
  p.model->linear_hook = p.lora.get();
  p.model->frozen = true;
  p.trainable.push_back(&p.lora->params);
  return p;
}

// ---------------------------------------------------------------------------------------------
// Optimisation over one or more parameter stores (policy + reward head, ...)
struct Optim {
  std::vector<ParamStore<float>*> stores;
  std::vector<AdamW> opt;
  Optim(std::vector<ParamStore<float>*> s, double wd) : stores(std::move(s)) {
    AdamWConfig c;
    c.weight_decay = float(wd);
    opt.assign(stores.size(), AdamW(c));
  }
  void zero() {
    for (auto* s : stores) s->zero_grad();
  }
  void scale_grads(float f) {
    for (auto* s : stores)
      for (size_t i = 0; i < s->size(); i++) s->grads()[i] *= f;
  }
  // global L2 norm over every store, clipped to max_norm (0: no clipping); returns the norm before
  float clip(float max_norm) {
    double ss = 0;
    for (auto* s : stores)
      for (size_t i = 0; i < s->size(); i++) ss += double(s->grads()[i]) * s->grads()[i];
    const float n = float(std::sqrt(ss));
    if (max_norm > 0 && n > max_norm) scale_grads(max_norm / (n + 1e-6f));
    return n;
  }
  void step(float lr) {
    for (size_t i = 0; i < stores.size(); i++) opt[i].step(*stores[i], lr);
  }
};

// ---------------------------------------------------------------------------------------------
// Run folder: metrics.jsonl, checkpoints, the progress line
struct Run {
  AlignConfig cfg;
  std::string base_dir, out, ckdir, tokenizer_json;
  std::unique_ptr<Tokenizer> tok;
  std::ofstream metrics;
  Clock::time_point t0 = Clock::now();

  Run(const AlignConfig& c, const Args& a) : cfg(c) {
    if (cfg.base.empty()) throw std::runtime_error("align config: base is empty (a pretrained/SFT checkpoint folder)");
    base_dir = resolve_checkpoint(cfg.base);
    out = cfg.out_dir;
    ckdir = out + "/checkpoints";
    const std::string tp = base_dir + "/tokenizer.json";
    if (!fs::exists(tp)) throw std::runtime_error(base_dir + ": no tokenizer.json next to the weights");
    tokenizer_json = fs::read_file(tp);
    tok = load_tokenizer_json(tokenizer_json);
    chat_specials(*tok);  // fails early when the tokenizer lacks the chat specials
    if (fs::exists(ckdir + "/latest") && !a.flag("overwrite"))
      throw std::runtime_error(out + " already holds a run (checkpoints/latest exists): pass --overwrite to start over "
                               "or --out for a new folder");
    if (a.flag("overwrite")) {
      for (const char* f : {"/latest", "/best"}) std::remove((ckdir + f).c_str());
      std::system(("rm -rf '" + ckdir + "'/step_* '" + ckdir + "'/.tmp-*").c_str());
    }
    fs::make_dirs(ckdir);
    fs::write_file_atomic(out + "/metrics.jsonl", std::string());
    metrics.open(out + "/metrics.jsonl", std::ios::app);
    std::printf("align config:\n%s\n", cfg.to_json().c_str());
    std::printf("base: %s\n", base_dir.c_str());
  }
  void log(const json& j) {
    metrics << j.dump() << "\n";
    metrics.flush();
  }
  void progress(int64_t step, float loss, float lr, float gn, double tok_s, const std::string& extra) {
    const double el = seconds_since(t0);
    const double eta = step > 0 ? el / double(step) * double(cfg.max_steps - step) : 0.0;
    std::fprintf(stderr, "\r[%s] step %5lld/%d  loss %.4f  lr %.2e  |g| %6.3f  %7.0f tok/s%s  ETA %5.0fs ",
                 cfg.stage.c_str(), (long long)step, cfg.max_steps, loss, lr, gn, tok_s, extra.c_str(), eta);
  }
  int32_t pad_id() const { return chat_specials(*tok).endoftext; }
  // files of one checkpoint: the merged fp32 model (what chat/serve/next stage load) + extras
  std::string save(int64_t step, const Policy& p, bool is_best,
                   std::vector<std::pair<std::string, std::string>> extra = {}) {
    std::unique_ptr<Transformer<float>> m = p.merged();
    const std::vector<uint8_t> w = save_weights(*m);
    std::vector<std::pair<std::string, std::string>> files = {
        {"model.safetensors", std::string(w.begin(), w.end())},
        {"config.json", hf_config_json(m->cfg)},
        {"tokenizer.json", tokenizer_json},
        {"align_config.json", cfg.to_json()}};
    if (p.lora) {  // the adapter alone too, PEFT layout
      const std::vector<uint8_t> ab = save_lora(*p.lora);
      files.push_back({"adapter_model.safetensors", std::string(ab.begin(), ab.end())});
      files.push_back({"adapter_config.json", lora_adapter_config_json(p.lora->options(), base_dir)});
    }
    for (auto& f : extra) files.push_back(std::move(f));
    return save_checkpoint_files(ckdir, step, files, is_best);
  }
};

void print_policy(const Policy& p, const AlignConfig& cfg) {
  std::printf("model: %s\n", p.model->describe().c_str());
  std::printf("trainable parameters: %lld", (long long)p.trainable_params());
  if (!p.lora) {
    std::printf(" (full fine-tuning)\n");
    return;
  }
  int64_t base = int64_t(p.model->params.size());  // QLoRA: the model object holds no linear weights
  if (cfg.qlora)
    for (const LinearInfo& l : p.model->linear_layers()) base += l.out * l.in;
  std::printf(" (LoRA r=%d alpha=%g on %zu layers: %.2f%% of the %lld base parameters)\n", cfg.lora_rank,
              cfg.lora_alpha, p.lora->layers().size(), 100.0 * double(p.trainable_params()) / double(base),
              (long long)base);
  if (cfg.qlora)
    std::printf("base linear weights: NF4 %.3f MB vs fp32 %.3f MB (%.2fx smaller; block %d%s)\n",
                double(p.nf4.bytes()) / 1e6, double(p.fp32_linear_bytes) / 1e6,
                double(p.fp32_linear_bytes) / double(p.nf4.bytes()), cfg.nf4_block,
                cfg.nf4_double_quant ? ", double-quantized absmax" : "");
}

json memory_json(const Policy& p) {
  json j = {{"trainable_params", p.trainable_params()}, {"fp32_linear_bytes", p.fp32_linear_bytes},
            {"resident_param_bytes", p.model->params.size() * sizeof(float)}};
  if (p.lora) j["adapter_bytes"] = p.lora->params.size() * sizeof(float);
  if (!p.nf4.layers.empty()) j["nf4_linear_bytes"] = p.nf4.bytes();
  return j;
}

// ---------------------------------------------------------------------------------------------
// data: generated (train / validation splits of the generators) or a JSONL file (its last
// n_eval records are held out)
template <class T>
void split_tail(std::vector<T>& all, int n_eval, std::vector<T>& eval, const std::string& src) {
  if (all.size() < size_t(n_eval) + 1)
    throw std::runtime_error(src + ": " + std::to_string(all.size()) + " records, need more than n_eval = " +
                             std::to_string(n_eval));
  eval.assign(all.end() - n_eval, all.end());
  all.resize(all.size() - size_t(n_eval));
}

void sft_data(const AlignConfig& cfg, std::vector<SftExample>& train, std::vector<SftExample>& eval) {
  if (cfg.data == "generated") {
    GenOptions o;
    o.seed = cfg.seed;
    o.split = Split::train;
    train = generate_sft(size_t(cfg.n_train), o);
    o.split = Split::validation;
    eval = generate_sft(size_t(cfg.n_eval), o);
    return;
  }
  const std::string bytes = fs::read_file(cfg.data);
  for (Chat& c : import_chat(bytes, cfg.data)) {
    SftExample e;
    e.chat = std::move(c);
    if (!e.chat.messages.empty()) e.answer = e.chat.messages.back().content;
    e.task = "imported";
    train.push_back(std::move(e));
  }
  split_tail(train, cfg.n_eval, eval, cfg.data);
}

// eval_reason: why chosen is better, per held-out pair (generated data), for per-reason accuracy
// eval_task (optional): the generator's task of each held-out pair ("arithmetic.add", "story.lost")
void preference_data(const AlignConfig& cfg, std::vector<PreferencePair>& train, std::vector<PreferencePair>& eval,
                     std::vector<std::string>& eval_reason, std::vector<std::string>* eval_task = nullptr) {
  if (cfg.data == "generated") {
    GenOptions o;
    o.seed = cfg.seed;
    o.split = Split::train;
    for (auto& e : generate_preferences(size_t(cfg.n_train), o)) train.push_back(std::move(e.pair));
    o.split = Split::validation;
    for (auto& e : generate_preferences(size_t(cfg.n_eval), o)) {
      eval.push_back(std::move(e.pair));
      eval_reason.push_back(e.reason);
      if (eval_task) eval_task->push_back(e.task);
    }
    return;
  }
  train = import_preference(fs::read_file(cfg.data), cfg.data);
  split_tail(train, cfg.n_eval, eval, cfg.data);
  eval_reason.assign(eval.size(), "imported");
  if (eval_task) eval_task->assign(eval.size(), "imported");
}

// reasons and tasks (optional, same length as in) are filtered alongside the pairs
std::vector<PreferenceSequence> tokenize_pairs(const Tokenizer& tok, const std::vector<PreferencePair>& in, int T,
                                               const char* what, std::vector<std::string>* reasons = nullptr,
                                               std::vector<std::string>* tasks = nullptr) {
  std::vector<PreferenceSequence> out;
  std::vector<std::string> kept, kept_task;
  int dropped = 0, same = 0;
  for (size_t i = 0; i < in.size(); i++) {
    PreferenceSequence s;
    if (!preference_sequence(tok, in[i], T, s)) {
      dropped++;
      continue;
    }
    if (s.chosen == s.rejected) {  // identical after the cut to seq_len: nothing to prefer
      same++;
      continue;
    }
    out.push_back(std::move(s));
    if (reasons) kept.push_back((*reasons)[i]);
    if (tasks) kept_task.push_back((*tasks)[i]);
  }
  if (reasons) *reasons = std::move(kept);
  if (tasks) *tasks = std::move(kept_task);
  std::printf("%s: %zu pairs (%d prompts too long for seq_len %d, %d identical after the cut)\n", what, out.size(),
              dropped, T, same);
  if (out.empty()) throw std::runtime_error(std::string(what) + ": no usable preference pair");
  return out;
}

// sequence log-probs (2B) of a pair batch under `m`, no graph kept (the reference model)
std::vector<double> pair_logprobs_nograd(Transformer<float>& m, const PairBatch& pb) {
  Graph<float> g;
  g.grad_enabled = false;
  TensorT<float> tl = token_logprobs(g, m.forward(g, pb.x.data(), pb.rows(), pb.T), pb.y.data());
  TensorT<float> s = sequence_logprobs(g, tl, pb.y.data(), pb.rows(), pb.T, false);
  return std::vector<double>(s.data, s.data + s.numel());
}

// held-out batches of a preference set (in order, B pairs each)
std::vector<PairBatch> eval_pair_batches(const std::vector<PreferenceSequence>& data, int B, int32_t pad) {
  std::vector<PairBatch> out;
  for (size_t i = 0; i < data.size(); i += size_t(B)) {
    std::vector<const PreferenceSequence*> ps;
    for (size_t j = i; j < std::min(data.size(), i + size_t(B)); j++) ps.push_back(&data[j]);
    out.push_back(make_pair_batch(ps, pad));
  }
  return out;
}

float lr_at(const AlignConfig& c, int64_t step) {
  return lr_schedule(step, c.warmup_steps, c.max_steps, float(c.lr), float(c.min_lr));
}

Args parse(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress goes to stderr; keep stdout lines in order with it in logs
  return Args(argc, argv, {"config", "base", "out", "max-steps", "threads", "seed", "ref", "data"}, {"overwrite"});
}

AlignConfig config_from_args(const Args& a, const std::string& stage) {
  AlignConfig c = load_align_config(a.str("config", stage), stage);
  if (a.has("base")) c.base = a.str("base");
  if (a.has("out")) c.out_dir = a.str("out");
  if (a.has("ref")) c.ref = a.str("ref");
  if (a.has("data")) c.data = a.str("data");
  if (a.has("max-steps")) c.max_steps = int(a.integer("max-steps", c.max_steps));
  if (a.has("seed")) c.seed = uint64_t(a.integer("seed", int64_t(c.seed)));
  c.validate();
  set_threads(int(a.integer("threads", 2)));
  return c;
}

// ============================================================================================ SFT
double sft_eval_loss(Transformer<float>& m, const std::vector<TokenBatch>& batches) {
  double sum = 0, n = 0;
  for (const TokenBatch& b : batches) {
    Graph<float> g;
    g.grad_enabled = false;
    const double k = double(b.n_targets());
    sum += double(cross_entropy(g, m.forward(g, b.x.data(), b.B, b.T, nullptr, b.doc_start.data()), b.y.data()).data[0]) * k;
    n += k;
  }
  return n > 0 ? sum / n : 0.0;
}

json gen_json(const SftGenEval& e) {
  json fam = json::object();
  for (auto& [k, v] : e.by_family) fam[k] = double(v.first) / std::max(1, v.second);
  return {{"n", e.n}, {"answer_match", e.answer_match}, {"reply_exact", e.reply_exact}, {"by_family", fam}};
}

SftGenEval sft_generate(const Policy& p, const Tokenizer& tok, const std::vector<SftExample>& eval, int max_new) {
  std::unique_ptr<Transformer<float>> m = p.merged();
  InferModel im(*m);
  return evaluate_sft_generation(im, tok, eval, max_new);
}

void print_gen(const char* what, const SftGenEval& e) {
  std::printf("%s: answer match %.1f%%, exact reply %.1f%% on %d held-out prompts  (", what, 100 * e.answer_match,
              100 * e.reply_exact, e.n);
  bool first = true;
  for (auto& [k, v] : e.by_family) {
    std::printf("%s%s %d/%d", first ? "" : ", ", k.c_str(), v.first, v.second);
    first = false;
  }
  std::printf(")\n");
}

int run_sft(const Args& a) {
  const AlignConfig cfg = config_from_args(a, "sft");
  Run run(cfg, a);
  Policy p = make_policy(cfg, run.base_dir);
  print_policy(p, cfg);
  const int T = std::min(cfg.seq_len, p.model->cfg.max_seq_len);

  std::vector<SftExample> train_ex, eval_ex;
  sft_data(cfg, train_ex, eval_ex);
  auto tokenize = [&](const std::vector<SftExample>& xs) {
    std::vector<SftSequence> out;
    for (const SftExample& e : xs) out.push_back(sft_sequence(*run.tok, to_chat_messages(e.chat.messages), T));
    return out;
  };
  const std::vector<SftSequence> eval_seq = tokenize(eval_ex);
  SftBatcher batcher(tokenize(train_ex), T, cfg.packing, run.pad_id(), cfg.seed);
  const std::vector<TokenBatch> eval_batches = sft_eval_batches(eval_seq, cfg.batch_size, T, cfg.packing, run.pad_id());
  std::printf("data: %zu train / %zu held-out conversations (%s), seq_len %d, packing %s\n", batcher.data().size(),
              eval_ex.size(), cfg.data.c_str(), T, cfg.packing ? "on" : "off");

  json before = json::object();
  const double base_loss = sft_eval_loss(*p.model, eval_batches);
  before["val_loss"] = base_loss;
  SftGenEval g0;
  if (cfg.eval_base) {
    g0 = sft_generate(p, *run.tok, eval_ex, cfg.max_new_tokens);
    print_gen("before", g0);
    before["generation"] = gen_json(g0);
  }
  std::printf("before: held-out loss %.4f\n", base_loss);
  run.log({{"type", "eval"}, {"step", 0}, {"val_loss", base_loss}, {"before", before}});

  Optim opt(p.trainable, cfg.weight_decay);
  Rng drop(cfg.seed ^ 0x5F7ULL);
  double best = INFINITY;
  for (int64_t step = 0; step < cfg.max_steps;) {
    const auto ts = Clock::now();
    opt.zero();
    double loss = 0;
    int64_t toks = 0;
    for (int k = 0; k < cfg.grad_accum; k++) {
      const TokenBatch b = batcher.next(cfg.batch_size);
      Graph<float> g;
      g.training = true;
      Rng r(drop.next_u64());
      TensorT<float> l = cross_entropy(g, p.model->forward(g, b.x.data(), b.B, b.T, &r, b.doc_start.data()), b.y.data());
      g.backward(l);
      loss += l.data[0] / cfg.grad_accum;
      toks += int64_t(b.B) * b.T;
    }
    if (cfg.grad_accum > 1) opt.scale_grads(1.f / float(cfg.grad_accum));
    const float gn = opt.clip(float(cfg.grad_clip)), lr = lr_at(cfg, step);
    opt.step(lr);
    step++;
    const double tps = double(toks) / seconds_since(ts);
    run.progress(step, float(loss), lr, gn, tps, "");
    if (step % cfg.log_every == 0 || step == cfg.max_steps)
      run.log({{"type", "step"}, {"step", step}, {"loss", loss}, {"lr", lr}, {"grad_norm", gn}, {"tokens_per_s", tps}});
    const bool do_eval = (cfg.eval_every > 0 && step % cfg.eval_every == 0) || step == cfg.max_steps;
    bool is_best = false;
    if (do_eval) {
      const double v = sft_eval_loss(*p.model, eval_batches);
      is_best = v < best;
      if (is_best) best = v;
      std::fprintf(stderr, "\n[eval] step %lld  held-out loss %.4f%s\n", (long long)step, v, is_best ? " (best)" : "");
      run.log({{"type", "eval"}, {"step", step}, {"val_loss", v}});
    }
    if ((cfg.checkpoint_every > 0 && step % cfg.checkpoint_every == 0) || step == cfg.max_steps)
      run.save(step, p, /*is_best=*/step == cfg.max_steps);  // the stage's output is its final, evaluated model
  }
  std::fprintf(stderr, "\n");
  const SftGenEval g1 = sft_generate(p, *run.tok, eval_ex, cfg.max_new_tokens);
  const double final_loss = sft_eval_loss(*p.model, eval_batches);
  if (cfg.eval_base) print_gen("before", g0);
  print_gen("after ", g1);
  std::printf("held-out loss: %.4f -> %.4f\n", base_loss, final_loss);
  json fin = {{"type", "final"},       {"stage", "sft"},         {"step", cfg.max_steps},
              {"val_loss", final_loss}, {"base_val_loss", base_loss}, {"generation", gen_json(g1)},
              {"before", before},      {"memory", memory_json(p)}, {"seconds", seconds_since(run.t0)}};
  run.log(fin);
  fs::write_file_atomic(run.out + "/final_metrics.json", fin.dump(2));
  std::printf("done: run folder %s (checkpoint %s)\n", run.out.c_str(), resolve_checkpoint(run.out).c_str());
  return 0;
}

// ============================================================================================= RM
struct RmEval {
  double loss = 0, accuracy = 0, margin = 0;
  std::map<std::string, std::pair<double, int>> by_reason;  // reason -> (correct, count)
  std::map<std::string, std::pair<double, int>> by_task;    // wrong_answer pairs: task family -> (correct, count)
};

// tasks: the task of each pair ("arithmetic.add"); wrong_answer pairs are also counted by family
// ("arithmetic"), the part that tells which knowledge the reward model lacks
RmEval rm_evaluate(Transformer<float>& m, RewardHead<float>& head, const std::vector<PreferenceSequence>& data,
                   const std::vector<std::string>& reasons, const std::vector<std::string>& tasks, int B, int32_t pad) {
  RmEval e;
  size_t i0 = 0;
  for (const PairBatch& pb : eval_pair_batches(data, B, pad)) {
    Graph<float> g;
    g.grad_enabled = false;
    TensorT<float> r = reward_scores(g, m, head, pb.x.data(), pb.rows(), pb.T, pb.last);
    double acc = 0, margin = 0;
    e.loss += bradley_terry_loss(g, r, &acc, &margin).data[0] * pb.B;
    e.accuracy += acc * pb.B;
    e.margin += margin * pb.B;
    for (int b = 0; b < pb.B; b++) {
      const double z = double(r.data[b]) - r.data[pb.B + b];
      const double ok = z > 0 ? 1.0 : z == 0 ? 0.5 : 0.0;
      const std::string& why = reasons[i0 + size_t(b)];
      auto& br = e.by_reason[why];
      br.first += ok;
      br.second++;
      if (why == "wrong_answer") {
        const std::string& t = tasks[i0 + size_t(b)];
        auto& bt = e.by_task[t.substr(0, t.find('.'))];
        bt.first += ok;
        bt.second++;
      }
    }
    i0 += size_t(pb.B);
  }
  const double n = double(data.size());
  e.loss /= n, e.accuracy /= n, e.margin /= n;
  return e;
}

json reasons_json(const std::map<std::string, std::pair<double, int>>& m) {
  json j = json::object();
  for (auto& [k, v] : m) j[k] = {{"accuracy", v.first / std::max(1, v.second)}, {"n", v.second}};
  return j;
}

void print_reasons(const std::map<std::string, std::pair<double, int>>& m) {
  for (auto& [k, v] : m) std::printf("    %-20s %5.1f%%  (%d pairs)\n", k.c_str(), 100 * v.first / std::max(1, v.second), v.second);
}

int run_rm(const Args& a) {
  const AlignConfig cfg = config_from_args(a, "rm");
  Run run(cfg, a);
  Policy p = make_policy(cfg, run.base_dir);
  RewardHead<float> head(p.model->cfg.dim);
  head.init(cfg.seed);
  p.trainable.push_back(&head.params);
  print_policy(p, cfg);
  const int T = std::min(cfg.seq_len, p.model->cfg.max_seq_len);
  std::vector<PreferencePair> train_p, eval_p;
  std::vector<std::string> reasons, tasks;
  preference_data(cfg, train_p, eval_p, reasons, &tasks);
  const std::vector<PreferenceSequence> train = tokenize_pairs(*run.tok, train_p, T, "train");
  const std::vector<PreferenceSequence> eval = tokenize_pairs(*run.tok, eval_p, T, "held-out", &reasons, &tasks);
  PairBatcher batcher(&train, cfg.batch_size, cfg.seed);
  const int32_t pad = run.pad_id();

  const RmEval e0 = rm_evaluate(*p.model, head, eval, reasons, tasks, cfg.batch_size, pad);
  std::printf("before: held-out accuracy %.1f%% (random head), loss %.4f\n", 100 * e0.accuracy, e0.loss);
  run.log({{"type", "eval"}, {"step", 0}, {"val_loss", e0.loss}, {"val_accuracy", e0.accuracy}});

  Optim opt(p.trainable, cfg.weight_decay);
  for (int64_t step = 0; step < cfg.max_steps;) {
    const auto ts = Clock::now();
    opt.zero();
    double loss = 0, acc = 0, nll = 0;
    int64_t toks = 0;
    for (int k = 0; k < cfg.grad_accum; k++) {
      const PairBatch pb = make_pair_batch(batcher.next(), pad);
      Graph<float> g;
      g.training = true;
      double ac = 0, ce = 0;
      const std::vector<int32_t> chosen_y = chosen_reply_targets(pb);  // (alive until backward)
      TensorT<float> l = reward_model_loss(g, *p.model, head, pb, chosen_y, cfg.rm_lm_coef, &ac, &ce);
      g.backward(l);
      loss += l.data[0] / cfg.grad_accum;
      acc += ac / cfg.grad_accum;
      nll += ce / cfg.grad_accum;
      toks += int64_t(pb.rows()) * pb.T;
    }
    if (cfg.grad_accum > 1) opt.scale_grads(1.f / float(cfg.grad_accum));
    const float gn = opt.clip(float(cfg.grad_clip)), lr = lr_at(cfg, step);
    opt.step(lr);
    step++;
    const double tps = double(toks) / seconds_since(ts);
    char extra[48];
    std::snprintf(extra, sizeof extra, "  acc %.2f", acc);
    run.progress(step, float(loss), lr, gn, tps, extra);
    if (step % cfg.log_every == 0 || step == cfg.max_steps)
      run.log({{"type", "step"}, {"step", step}, {"loss", loss}, {"accuracy", acc}, {"chosen_nll", nll}, {"lr", lr},
               {"grad_norm", gn}, {"tokens_per_s", tps}});
    if ((cfg.eval_every > 0 && step % cfg.eval_every == 0) && step != cfg.max_steps) {
      const RmEval e = rm_evaluate(*p.model, head, eval, reasons, tasks, cfg.batch_size, pad);
      std::fprintf(stderr, "\n[eval] step %lld  held-out accuracy %.1f%%  loss %.4f\n", (long long)step, 100 * e.accuracy, e.loss);
      run.log({{"type", "eval"}, {"step", step}, {"val_loss", e.loss}, {"val_accuracy", e.accuracy}});
    }
    if ((cfg.checkpoint_every > 0 && step % cfg.checkpoint_every == 0) || step == cfg.max_steps)
      run.save(step, p, step == cfg.max_steps, {{"score.safetensors", save_reward_head(head)}});
  }
  std::fprintf(stderr, "\n");
  const RmEval e = rm_evaluate(*p.model, head, eval, reasons, tasks, cfg.batch_size, pad);
  std::printf("held-out reward-model accuracy: %.1f%% (loss %.4f, mean margin %.3f) on %zu pairs; by reason:\n",
              100 * e.accuracy, e.loss, e.margin, eval.size());
  print_reasons(e.by_reason);
  if (!e.by_task.empty()) {
    std::printf("  wrong_answer pairs by task:\n");
    print_reasons(e.by_task);
  }
  json fin = {{"type", "final"}, {"stage", "rm"}, {"step", cfg.max_steps}, {"val_accuracy", e.accuracy},
              {"val_loss", e.loss}, {"val_margin", e.margin}, {"by_reason", reasons_json(e.by_reason)},
              {"wrong_answer_by_task", reasons_json(e.by_task)},
              {"before", {{"val_accuracy", e0.accuracy}, {"val_loss", e0.loss}}}, {"memory", memory_json(p)},
              {"seconds", seconds_since(run.t0)}};
  run.log(fin);
  fs::write_file_atomic(run.out + "/final_metrics.json", fin.dump(2));
  std::printf("done: run folder %s (checkpoint %s)\n", run.out.c_str(), resolve_checkpoint(run.out).c_str());
  return 0;
}

// ====================================================================================== DPO / ORPO
// Held-out preference accuracy: implicit reward r = beta (log pi(y|x) - log pi_ref(y|x)), correct
// when r_chosen > r_rejected (ties 1/2); also the ORPO log-odds and raw log-prob comparisons.
struct PrefEval {
  double accuracy = 0, margin = 0;  // implicit reward
  double logodds_accuracy = 0;      // ORPO's: mean log-prob odds of chosen > rejected
  double logp_accuracy = 0;         // sum log p(chosen) > sum log p(rejected)
  std::map<std::string, std::pair<double, int>> by_reason;
};

struct EvalSet {
  std::vector<PairBatch> batches;
  std::vector<std::vector<double>> ref;  // (2B) reference sequence log-probs per batch
  std::vector<std::string> reasons;
  size_t n = 0;
};

EvalSet make_eval_set(const std::vector<PreferenceSequence>& data, std::vector<std::string> reasons, int B, int32_t pad,
                      const std::function<std::vector<double>(const PairBatch&)>& ref_lp) {
  EvalSet e;
  e.batches = eval_pair_batches(data, B, pad);
  for (const PairBatch& pb : e.batches) e.ref.push_back(ref_lp(pb));
  e.reasons = std::move(reasons);
  e.n = data.size();
  return e;
}

PrefEval pref_evaluate(Transformer<float>& m, const EvalSet& es, double beta) {
  PrefEval r;
  size_t i0 = 0;
  for (size_t k = 0; k < es.batches.size(); k++) {
    const PairBatch& pb = es.batches[k];
    Graph<float> g;
    g.grad_enabled = false;
    TensorT<float> tl = token_logprobs(g, m.forward(g, pb.x.data(), pb.rows(), pb.T), pb.y.data());
    TensorT<float> s = sequence_logprobs(g, tl, pb.y.data(), pb.rows(), pb.T, false);
    const std::vector<double>& ref = es.ref[k];
    for (int b = 0; b < pb.B; b++) {
      const double pc = s.data[b], pr = s.data[pb.B + b];
      const double h = beta * ((pc - ref[size_t(b)]) - (pr - ref[size_t(pb.B + b)]));
      const double ok = h > 0 ? 1.0 : h == 0 ? 0.5 : 0.0;
      r.accuracy += ok;
      r.margin += h;
      r.logp_accuracy += pc > pr;
      const double ac = pc / pb.n_reply[size_t(b)], ar = pr / pb.n_reply[size_t(pb.B + b)];
      const double lo_c = ac - log1m_exp(std::min(ac, -1e-6)), lo_r = ar - log1m_exp(std::min(ar, -1e-6));
      r.logodds_accuracy += lo_c > lo_r;
      auto& br = r.by_reason[es.reasons[i0 + size_t(b)]];
      br.first += ok;
      br.second++;
    }
    i0 += size_t(pb.B);
  }
  const double n = double(es.n);
  r.accuracy /= n, r.margin /= n, r.logodds_accuracy /= n, r.logp_accuracy /= n;
  return r;
}

json pref_json(const PrefEval& e) {
  return {{"val_accuracy", e.accuracy}, {"val_margin", e.margin}, {"val_logodds_accuracy", e.logodds_accuracy},
          {"val_logp_accuracy", e.logp_accuracy}};
}

// DPO and ORPO share everything but the loss (and ORPO needs no reference while training)
int run_preference(const Args& a, const std::string& stage) {
  const AlignConfig cfg = config_from_args(a, stage);
  const bool dpo = stage == "dpo";
  Run run(cfg, a);
  Policy p = make_policy(cfg, run.base_dir);
  print_policy(p, cfg);
  const int T = std::min(cfg.seq_len, p.model->cfg.max_seq_len);
  std::vector<PreferencePair> train_p, eval_p;
  std::vector<std::string> reasons;
  preference_data(cfg, train_p, eval_p, reasons);
  const std::vector<PreferenceSequence> train = tokenize_pairs(*run.tok, train_p, T, "train");
  const std::vector<PreferenceSequence> eval = tokenize_pairs(*run.tok, eval_p, T, "held-out", &reasons);
  PairBatcher batcher(&train, cfg.batch_size, cfg.seed);
  const int32_t pad = run.pad_id();

  // The reference: a separate frozen model (cfg.ref, or a copy of the base for full fine-tuning),
  // or, with LoRA and no cfg.ref, the policy itself with its adapters switched off (no second copy).
  // ORPO trains without one; its held-out implicit reward is measured against the starting model.
  std::unique_ptr<Transformer<float>> ref_model;
  const bool shared_ref = p.lora && cfg.ref.empty();
  if (!shared_ref) {
    const std::string rd = cfg.ref.empty() ? run.base_dir : resolve_checkpoint(cfg.ref);
    ref_model = std::make_unique<Transformer<float>>(load_model_dir(rd));
    std::printf("reference model: %s\n", rd.c_str());
  } else {
    std::printf("reference model: the base (policy with LoRA adapters off)\n");
  }
  auto ref_lp = [&](const PairBatch& pb) {
    if (!shared_ref) return pair_logprobs_nograd(*ref_model, pb);
    p.lora->enabled = false;
    std::vector<double> r = pair_logprobs_nograd(*p.model, pb);
    p.lora->enabled = true;
    return r;
  };
  const EvalSet es = make_eval_set(eval, reasons, cfg.batch_size, pad, ref_lp);
  if (!dpo) ref_model.reset();  // ORPO: only the held-out reference log-probs were needed

  const PrefEval e0 = pref_evaluate(*p.model, es, cfg.beta);
  std::printf("before: held-out preference accuracy %.1f%% (implicit reward; all margins 0 at init), "
              "log-prob accuracy %.1f%%, log-odds accuracy %.1f%%\n",
              100 * e0.accuracy, 100 * e0.logp_accuracy, 100 * e0.logodds_accuracy);
  json ev0 = pref_json(e0);
  ev0["type"] = "eval";
  ev0["step"] = 0;
  run.log(ev0);

  DpoOptions dopt;
  dopt.beta = cfg.beta;
  dopt.label_smoothing = cfg.label_smoothing;
  dopt.ipo = cfg.dpo_loss == "ipo";
  Optim opt(p.trainable, cfg.weight_decay);
  Rng drop(cfg.seed ^ 0xD90ULL);
  for (int64_t step = 0; step < cfg.max_steps;) {
    const auto ts = Clock::now();
    opt.zero();
    PreferenceStats mean;
    int64_t toks = 0;
    for (int k = 0; k < cfg.grad_accum; k++) {
      const PairBatch pb = make_pair_batch(batcher.next(), pad);
      std::vector<double> ref;
      if (dpo) ref = ref_lp(pb);  // once per batch, no graph
      Graph<float> g;
      g.training = true;
      Rng r(drop.next_u64());
      TensorT<float> tl = token_logprobs(g, p.model->forward(g, pb.x.data(), pb.rows(), pb.T, &r), pb.y.data());
      TensorT<float> lp = sequence_logprobs(g, tl, pb.y.data(), pb.rows(), pb.T, false);
      PreferenceStats st;
      TensorT<float> l = dpo ? dpo_loss(g, lp, ref, dopt, &st) : orpo_loss(g, lp, pb.n_reply, cfg.orpo_lambda, &st);
      g.backward(l);
      const double w = 1.0 / cfg.grad_accum;
      mean.loss += st.loss * w, mean.accuracy += st.accuracy * w, mean.margin += st.margin * w;
      mean.chosen += st.chosen * w, mean.rejected += st.rejected * w, mean.nll += st.nll * w;
      toks += int64_t(pb.rows()) * pb.T;
    }
    if (cfg.grad_accum > 1) opt.scale_grads(1.f / float(cfg.grad_accum));
    const float gn = opt.clip(float(cfg.grad_clip)), lr = lr_at(cfg, step);
    opt.step(lr);
    step++;
    const double tps = double(toks) / seconds_since(ts);
    char extra[64];
    std::snprintf(extra, sizeof extra, "  acc %.2f  margin %+.3f", mean.accuracy, mean.margin);
    run.progress(step, float(mean.loss), lr, gn, tps, extra);
    if (step % cfg.log_every == 0 || step == cfg.max_steps) {
      json j = {{"type", "step"}, {"step", step}, {"loss", mean.loss}, {"accuracy", mean.accuracy},
                {"margin", mean.margin}, {"chosen", mean.chosen}, {"rejected", mean.rejected}, {"lr", lr},
                {"grad_norm", gn}, {"tokens_per_s", tps}};
      if (!dpo) j["nll"] = mean.nll;
      run.log(j);
    }
    if (cfg.eval_every > 0 && step % cfg.eval_every == 0 && step != cfg.max_steps) {
      const PrefEval e = pref_evaluate(*p.model, es, cfg.beta);
      std::fprintf(stderr, "\n[eval] step %lld  held-out preference accuracy %.1f%%  margin %+.3f\n", (long long)step,
                   100 * e.accuracy, e.margin);
      json j = pref_json(e);
      j["type"] = "eval";
      j["step"] = step;
      run.log(j);
    }
    if ((cfg.checkpoint_every > 0 && step % cfg.checkpoint_every == 0) || step == cfg.max_steps)
      run.save(step, p, step == cfg.max_steps);
  }
  std::fprintf(stderr, "\n");
  const PrefEval e = pref_evaluate(*p.model, es, cfg.beta);
  std::printf("held-out preference accuracy (implicit reward beta*log(pi/pi_ref) margin > 0): %.1f%% -> %.1f%%, mean "
              "margin %+.4f on %zu pairs\n", 100 * e0.accuracy, 100 * e.accuracy, e.margin, es.n);
  std::printf("  log-prob accuracy %.1f%% -> %.1f%%, log-odds accuracy %.1f%% -> %.1f%%; by reason:\n",
              100 * e0.logp_accuracy, 100 * e.logp_accuracy, 100 * e0.logodds_accuracy, 100 * e.logodds_accuracy);
  print_reasons(e.by_reason);
  json fin = pref_json(e);
  fin.update({{"type", "final"}, {"stage", stage}, {"step", cfg.max_steps}, {"before", pref_json(e0)},
              {"by_reason", reasons_json(e.by_reason)}, {"memory", memory_json(p)}, {"seconds", seconds_since(run.t0)}});
  run.log(fin);
  fs::write_file_atomic(run.out + "/final_metrics.json", fin.dump(2));
  std::printf("done: run folder %s (checkpoint %s)\n", run.out.c_str(), resolve_checkpoint(run.out).c_str());
  return 0;
}

}  // namespace

int cmd_sft(int argc, char** argv) { return run_sft(parse(argc, argv)); }
int cmd_rm(int argc, char** argv) { return run_rm(parse(argc, argv)); }
int cmd_dpo(int argc, char** argv) { return run_preference(parse(argc, argv), "dpo"); }
int cmd_orpo(int argc, char** argv) { return run_preference(parse(argc, argv), "orpo"); }

}  // namespace llm::cli
