// `llm eval math|mcq|pref|all --checkpoint DIR`: reads the task files (../shared/data when
// present; the generated held-out sets always), runs core/eval, prints a progress line and the
// result table, writes JSON. docs/evaluation.md.
#include "native/eval_tasks.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "core/align/reward.h"
#include "core/data/gen_common.h"
#include "core/data/gen_stories.h"
#include "core/data/importers.h"
#include "core/eval/harness.h"
#include "core/infer/chat_template.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/strict_json.h"
#include "native/align_io.h"
#include "native/args.h"
#include "native/checkpoint_dir.h"
#include "native/fs.h"
#include "native/threads.h"

#ifndef LLM_SOURCE_DIR
#define LLM_SOURCE_DIR "."
#endif

namespace llm::cli {

std::string shared_data_root() {
  const char* env = std::getenv("LLM_SHARED_DATA");
  if (env && *env) return env;
  for (const std::string& c : {std::string(LLM_SOURCE_DIR) + "/../shared/data", std::string("../shared/data")})
    if (fs::exists(c)) return c;
  return "";
}

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// "\r[eval] gsm8k     128/1319  exact_match 0.0312   4.1 it/s  ETA 290s" on a terminal; one line at
// the end otherwise (logs stay short)
class Progress {
 public:
  Progress(std::string task, std::string metric) : task_(std::move(task)), metric_(std::move(metric)), t0_(now_s()) {}
  void operator()(size_t done, size_t total, double value) {
    const double dt = std::max(1e-9, now_s() - t0_), rate = double(done) / dt;
    char v[32] = "";
    if (std::isfinite(value)) std::snprintf(v, sizeof v, "%s %.4f", metric_.c_str(), value);
    if (tty_)
      std::fprintf(stderr, "\r[eval] %-12s %6zu/%-6zu %s  %6.1f it/s  ETA %5.0fs ", task_.c_str(), done, total, v, rate,
                   rate > 0 ? double(total - done) / rate : 0.0);
    else if (done == total)
      std::fprintf(stderr, "[eval] %-12s %6zu/%-6zu %s  %.1fs\n", task_.c_str(), done, total, v, dt);
    if (tty_ && done == total) std::fprintf(stderr, "\n");
  }
  EvalProgress fn() {
    return [this](size_t d, size_t t, double v) { (*this)(d, t, v); };
  }

 private:
  std::string task_, metric_;
  double t0_;
  bool tty_ = isatty(2) != 0;
};

template <class T>
void limit(std::vector<T>& v, long long n) {
  if (n >= 0 && v.size() > size_t(n)) v.resize(size_t(n));
}

struct Ctx {
  Args& a;
  std::string ck;
  std::unique_ptr<Transformer<float>> model;
  std::unique_ptr<Tokenizer> tok;
  std::shared_ptr<InferModel> infer;  // built on first use (math)
  std::string shared;                 // shared data root or ""
  long long lim = -1;                 // --limit
  size_t n_gen = 200;
  uint64_t seed = 1;
  std::vector<EvalResult> results;
  json samples = json::array();  // math records, when --samples

  explicit Ctx(Args& args) : a(args) {}

  // a file under the shared root, or "" with the reason in *why
  std::string shared_file(const std::string& rel, std::string* why) const {
    if (shared.empty()) {
      *why = "no shared data: set LLM_SHARED_DATA or put it at ../shared/data";
      return "";
    }
    const std::string p = shared + "/" + rel;
    if (!fs::exists(p)) {
      *why = p + " not found";
      return "";
    }
    return p;
  }
  PromptStyle style(const std::string& def) const {
    return {parse_prompt_format(a.str("format", def), *tok), a.str("system", "")};
  }
  void add(const std::vector<EvalResult>& rs, const std::string& note) {
    for (EvalResult r : rs) {
      if (r.note.empty()) r.note = note;
      results.push_back(r);
    }
  }
};

// ------------------------------------------------------------------ math
void run_math_set(Ctx& c, const std::string& name, std::vector<MathItem> items, const std::string& note) {
  limit(items, c.lim);
  if (!c.infer) c.infer = std::make_shared<InferModel>(*c.model);
  MathOptions o;
  o.style = c.style("auto");
  o.breakdown = c.a.has("breakdown");
  GreedyOptions go;
  go.max_new_tokens = int(c.a.integer("max-new", 256));
  go.stop_ids = stop_token_ids(*c.tok, o.style);
  go.max_num_seqs = int(c.a.integer("batch", 16));
  Progress pr(name, "exact_match");
  o.progress = pr.fn();
  std::vector<MathRecord> rec;
  c.add(eval_math(name, items, *c.tok, greedy_generator(c.infer, go), o, &rec),
        note + (note.empty() ? "" : ", ") + "format " + prompt_format_name(o.style.format));
  if (c.a.has("samples"))
    for (const MathRecord& r : rec)
      c.samples.push_back({{"task", name}, {"question", r.question}, {"reference", r.reference},
                           {"completion", r.completion}, {"extracted", r.extracted}, {"correct", r.correct}});
}

void task_math(Ctx& c, bool explicit_data) {
  if (explicit_data) {  // --data: one GSM8K-style jsonl or SVAMP-style json file
    const std::string p = c.a.str("data");
    const std::string bytes = fs::read_file(p);
    const bool svamp = p.size() > 5 && p.compare(p.size() - 5, 5, ".json") == 0;
    run_math_set(c, svamp ? "svamp" : "gsm8k", svamp ? parse_svamp_json(bytes, p) : parse_gsm8k_jsonl(bytes, p), p);
  } else {
    std::string why;
    const std::string g = c.shared_file("math/gsm8k_test.jsonl", &why);
    if (g.empty()) c.results.push_back(skipped_result("gsm8k", why));
    else run_math_set(c, "gsm8k", parse_gsm8k_jsonl(fs::read_file(g), g), g);
    const std::string s = c.shared_file("math/svamp.json", &why);
    if (s.empty()) c.results.push_back(skipped_result("svamp", why));
    else run_math_set(c, "svamp", parse_svamp_json(fs::read_file(s), s), s);
  }
  run_math_set(c, "arith_gen", generated_math(c.n_gen, c.seed), "generated (gen_rl validation split)");
}

// ------------------------------------------------------------------ multiple choice
void run_mcq_set(Ctx& c, const std::string& name, std::vector<McqItem> items, const std::string& note) {
  limit(items, c.lim);
  McqOptions o;
  o.style = c.style("plain");
  o.loglik.batch_tokens = int(c.a.integer("batch-tokens", 2048));
  Progress pr(name, "");
  o.progress = pr.fn();
  c.add(eval_mcq(name, items, *c.model, *c.tok, o), note + (note.empty() ? "" : ", ") + "format " +
                                                       prompt_format_name(o.style.format));
}

void task_mcq(Ctx& c, bool explicit_data) {
  std::string dir = explicit_data ? c.a.str("data") : "", why;
  if (!explicit_data) dir = c.shared_file("mcq/piqa", &why);
  if (dir.empty() || !fs::exists(dir + "/valid.jsonl") || !fs::exists(dir + "/valid-labels.lst")) {
    if (explicit_data) throw std::runtime_error(dir + ": expected a PIQA folder with valid.jsonl and valid-labels.lst");
    c.results.push_back(skipped_result("piqa", why.empty() ? dir + ": no valid.jsonl + valid-labels.lst" : why));
  } else {
    run_mcq_set(c, "piqa", parse_piqa(fs::read_file(dir + "/valid.jsonl"), fs::read_file(dir + "/valid-labels.lst"), dir), dir);
  }
  run_mcq_set(c, "mcq_gen", generated_mcq(c.n_gen, c.seed), "generated arithmetic with distractors");
}

// ------------------------------------------------------------------ preference accuracy
// The reward model's scalar on prompt + reply (the layout `llm rm` trains on: the reply ends with
// <|im_end|>, read out at that last token). Batches of right-padded rows.
PreferenceScorer rm_scorer(RewardModel& rm, const Tokenizer& tok, const PromptStyle& st) {
  return [&rm, &tok, st](const std::vector<PreferencePair>& pairs) {
    const int maxT = rm.model.cfg.max_seq_len;
    std::vector<std::vector<int32_t>> rows;  // chosen, rejected of each pair
    for (const PreferencePair& p : pairs)
      for (const std::string* r : {&p.chosen, &p.rejected}) {
        const std::vector<int32_t> q = conversation_prompt(tok, p.prompt, st), a = answer_tokens(tok, *r, st);
        const auto [nq, na] = fit_pair(q.size(), a.size(), size_t(maxT));  // long replies are cut at the end
        std::vector<int32_t> s(q.end() - long(nq), q.end());
        s.insert(s.end(), a.begin(), a.begin() + long(na));
        rows.push_back(std::move(s));
      }
    std::vector<double> score(rows.size());
    Graph<float> g;
    g.grad_enabled = false;
    const size_t per = 8;  // rows per forward
    for (size_t s = 0; s < rows.size(); s += per) {
      const int R = int(std::min(per, rows.size() - s));
      int T = 1;
      for (int r = 0; r < R; r++) T = std::max(T, int(rows[s + size_t(r)].size()));
      std::vector<int32_t> x(size_t(R) * T, 0), last(static_cast<size_t>(R));  // (R*T), (R)
      for (int r = 0; r < R; r++) {
        std::copy(rows[s + size_t(r)].begin(), rows[s + size_t(r)].end(), x.begin() + long(r) * T);
        last[size_t(r)] = int32_t(rows[s + size_t(r)].size()) - 1;
      }
      g.reset();
      const TensorT<float> sc = reward_scores(g, rm.model, rm.head, x.data(), R, T, last);  // (R)
      for (int r = 0; r < R; r++) score[s + size_t(r)] = sc.data[r];
    }
    std::vector<std::array<double, 2>> out;
    for (size_t i = 0; i < pairs.size(); i++) out.push_back({score[2 * i], score[2 * i + 1]});
    return out;
  };
}

void task_pref(Ctx& c, bool explicit_data) {
  const PromptStyle st = c.style("auto");
  LoglikOptions lo;
  lo.batch_tokens = int(c.a.integer("batch-tokens", 2048));
  std::string scorer = c.a.str("scorer", "auto");
  if (scorer == "auto") scorer = fs::exists(c.ck + "/score.safetensors") ? "rm" : c.a.has("ref") ? "dpo" : "logprob";
  std::unique_ptr<RewardModel> rm;
  std::unique_ptr<Transformer<float>> ref;
  PreferenceScorer f;
  if (scorer == "rm") {
    rm = std::make_unique<RewardModel>(load_reward_model(c.ck));
    f = rm_scorer(*rm, *c.tok, st);
  } else if (scorer == "dpo") {
    if (!c.a.has("ref")) throw std::runtime_error("--scorer dpo needs --ref DIR (the reference model)");
    ref = std::make_unique<Transformer<float>>(load_model_dir(c.a.str("ref")));
    f = dpo_implicit_scorer(*c.model, *ref, *c.tok, st, c.a.number("beta", 0.1), lo);
  } else if (scorer == "logprob" || scorer == "mean") {
    f = logprob_scorer(*c.model, *c.tok, st, scorer == "mean", lo);
  } else {
    throw std::runtime_error("--scorer must be auto, rm, dpo, logprob or mean, got '" + scorer + "'");
  }
  const std::string note = "scorer " + scorer + ", format " + prompt_format_name(st.format);
  auto run = [&](const std::string& name, std::vector<PreferencePair> pairs, const std::string& src) {
    limit(pairs, c.lim);
    PreferenceOptions o;
    Progress pr(name, "acc");
    o.progress = pr.fn();
    c.add(eval_preference(name, pairs, f, o), src + ", " + note);
  };
  if (explicit_data) {
    const std::string p = c.a.str("data");
    run("pref", import_preference(fs::read_file(p), p), p);
  } else {
    std::string why;
    const std::string o = c.shared_file("preference/orca_dpo_pairs_validation.jsonl", &why);
    if (o.empty()) c.results.push_back(skipped_result("orca_dpo", why));
    else run("orca_dpo", import_preference(fs::read_file(o), o), o);
  }
  std::vector<PreferencePair> gen;
  for (const PreferenceExample& e : generated_preferences(c.n_gen, c.seed)) gen.push_back(e.pair);
  run("pref_gen", gen, "generated (gen_preference validation split)");
}

// ------------------------------------------------------------------ perplexity
void run_ppl(Ctx& c, const std::string& name, const std::vector<int32_t>& ids, const std::string& note) {
  const int T = int(std::min<long long>(c.a.integer("seq", c.model->cfg.max_seq_len), c.model->cfg.max_seq_len));
  Progress pr(name, "");
  const std::vector<double> w = window_losses(*c.model, ids, T, int(c.a.integer("batch", 8)),
                                              c.a.integer("max-windows", 64),
                                              [&](size_t d, size_t t) { pr(d, t, NAN); });
  c.add(perplexity_results(name, w), note + ", windows of " + std::to_string(T) + " tokens");
}

void task_ppl(Ctx& c) {
  int32_t eot = -1;
  for (const auto& [content, id] : c.tok->special_tokens())
    if (content == "<|endoftext|>") eot = id;
  std::string why;
  const std::string tsv = c.a.str("ppl-data", c.shared_file("tinystories/valid_head.txt", &why));
  if (tsv.empty()) c.results.push_back(skipped_result("tinystories", why));
  else run_ppl(c, "tinystories", c.tok->encode(fs::read_file(tsv), false), tsv);
  // generated stories of the validation split, each preceded by <|endoftext|> as the packer does
  GenOptions go;
  go.seed = c.seed;
  go.split = Split::validation;
  std::vector<int32_t> ids;
  for (const Story& s : generate_stories(std::max<size_t>(c.n_gen, 50), go)) {
    if (eot >= 0) ids.push_back(eot);
    const std::vector<int32_t> t = c.tok->encode(s.text, false);
    ids.insert(ids.end(), t.begin(), t.end());
  }
  run_ppl(c, "stories_gen", ids, "generated stories (validation split)");
}

}  // namespace

int cmd_eval_tasks(int argc, char** argv) {
  const std::string task = argv[0];
  Args a(argc, argv,
         {"checkpoint", "adapter", "data", "shared", "limit", "n-gen", "seed", "format", "system", "max-new", "batch",
          "batch-tokens", "scorer", "ref", "beta", "ppl-data", "seq", "max-windows", "out", "samples", "threads"},
         {"breakdown", "quantize"});
  set_threads(int(a.integer("threads", 2)));
  if (!a.has("checkpoint")) throw std::runtime_error("--checkpoint DIR is required");
  if (task == "all" && a.has("data"))
    throw std::runtime_error("--data names one task's file; `eval all` reads ../shared/data (use --shared DIR)");
  Ctx c(a);
  c.ck = resolve_checkpoint(a.str("checkpoint"));
  c.model = std::make_unique<Transformer<float>>(load_model_dir(c.ck));
  if (a.has("adapter")) std::fprintf(stderr, "%s\n", merge_lora_dir(*c.model, a.str("adapter")).c_str());
  if (a.flag("quantize")) {
    // generation (math) runs the int8 InferModel itself; log-likelihood tasks (ppl, mcq, pref)
    // score with the training forward on the same int8-rounded weights (docs/quantization.md)
    InferOptions io;
    io.quantize_int8 = true;
    c.infer = std::make_shared<InferModel>(*c.model, io);
    round_weights_to_int8(*c.model, io.quant_group);
    std::fprintf(stderr, "int8: weights quantized (group %d); math generates with the int8 kernels\n", io.quant_group);
  }
  if (!fs::exists(c.ck + "/tokenizer.json")) throw std::runtime_error(c.ck + ": no tokenizer.json beside the model");
  c.tok = load_tokenizer_json(fs::read_file(c.ck + "/tokenizer.json"));
  if (c.tok->vocab_size() > c.model->cfg.vocab_size)
    throw std::runtime_error(c.ck + ": tokenizer has " + std::to_string(c.tok->vocab_size()) +
                             " ids but the model only " + std::to_string(c.model->cfg.vocab_size));
  c.shared = a.str("shared", shared_data_root());
  c.lim = a.integer("limit", -1);
  c.n_gen = size_t(std::max<long long>(1, a.integer("n-gen", 200)));
  c.seed = uint64_t(a.integer("seed", 1));
  if (c.lim >= 0) c.n_gen = std::min(c.n_gen, size_t(c.lim));
  const bool data = a.has("data");
  const double t0 = now_s();
  if (task == "math") task_math(c, data);
  else if (task == "mcq") task_mcq(c, data);
  else if (task == "pref") task_pref(c, data);
  else if (task == "all") task_ppl(c), task_math(c, false), task_mcq(c, false), task_pref(c, false);
  else throw std::runtime_error("unknown eval task '" + task + "' (available: ppl, math, mcq, pref, all)");

  std::printf("\n%s", results_table(c.results).c_str());
  std::printf("checkpoint %s, %.1fs\n", c.ck.c_str(), now_s() - t0);
  json out = {{"checkpoint", c.ck}, {"task", task}, {"seconds", now_s() - t0}, {"shared_data", c.shared},
              {"results", results_to_json(c.results)}};
  if (a.has("out")) {
    fs::write_file_atomic(a.str("out"), out.dump(2) + "\n");
    std::printf("wrote %s\n", a.str("out").c_str());
  }
  if (a.has("samples")) {
    std::string lines;
    for (const json& s : c.samples) lines += s.dump() + "\n";
    fs::write_file_atomic(a.str("samples"), lines);
    std::printf("wrote %s (%zu completions)\n", a.str("samples").c_str(), c.samples.size());
  }
  return 0;
}

}  // namespace llm::cli
