// `llm pipeline [--config short|full|path.json] [--out DIR] [--threads N] [--restart-from STAGE]`:
// the whole life of a model in one command, on the embedded generated data:
//
//   data -> pretrain -> sft -> rm -> dpo -> grpo -> eval
//
// Each stage is the ordinary CLI command (`llm pretrain`, `llm sft`, ...) run on the previous
// stage's output folder (pretrain feeds SFT; SFT feeds RM and DPO; DPO feeds GRPO), so a stage's
// checkpoint is exactly what a user would get by running the commands by hand. A stage that
// finished leaves <out>/<stage>/DONE (written last, atomically); rerunning the pipeline skips
// finished stages, resumes an interrupted pretraining from its last checkpoint and restarts an
// interrupted post-training stage (they are minutes long). The eval stage scores every stage's
// checkpoint on the same held-out sets and prints one table, stage by stage (docs/pipeline.md).
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "core/eval/results.h"
#include "core/util/strict_json.h"
#include "native/args.h"
#include "native/commands.h"
#include "native/configs.h"
#include "native/fs.h"

namespace llm::cli {
int cmd_eval_tasks(int argc, char** argv);  // native/eval_tasks.cpp: llm eval math|mcq|pref|all

namespace {

const std::vector<std::string> kStages = {"data", "pretrain", "sft", "rm", "dpo", "grpo", "eval"};
const std::vector<std::string> kModelStages = {"pretrain", "sft", "rm", "dpo", "grpo"};  // each has a config

struct StageCfg {
  std::string config;  // configs/<kind>/<config>.json or a path
  int max_steps = 0;   // 0: the stage config's own value
  int seed = 0;        // 0: the stage config's own value
};

struct PipelineConfig {
  std::string out_dir = "runs/pipeline";
  int threads = 2;
  int stories = 20000, vocab_size = 4096, data_seed = 1;
  int facts = 0;     // percent of stories followed by a world-knowledge paragraph (core/data/gen_facts.h)
  int facts_qa = 0;  // percent of stories followed by 4 train-split questions and answers (facts_qa_block)
  std::map<std::string, StageCfg> stage;  // pretrain sft rm dpo grpo
  int eval_limit = 200;
  std::vector<std::string> eval_stages = {"pretrain", "sft", "dpo", "grpo"};
};

PipelineConfig load_pipeline_config(const std::string& name_or_path) {
  const std::string path = find_config(name_or_path, "pipeline");
  const json j = parse_json(fs::read_file(path), path);
  PipelineConfig c;
  StrictReader r(j, path);
  r.get("out_dir", c.out_dir);
  r.get("threads", c.threads);
  json data = json::object(), ev = json::object();
  r.get("data", data);
  r.get("eval", ev);
  for (const std::string& s : kModelStages) {
    json sj;
    r.get(s.c_str(), sj);
    if (sj.is_null()) throw std::runtime_error(path + ": stage \"" + s + "\" is missing");
    StageCfg sc;
    StrictReader rs(sj, path + ": " + s);
    rs.get("config", sc.config);
    rs.get("max_steps", sc.max_steps);
    rs.get("seed", sc.seed);
    rs.finish();
    if (sc.config.empty()) throw std::runtime_error(path + ": " + s + ".config is required (e.g. \"" + s + "\")");
    if (sc.max_steps < 0) throw std::runtime_error(path + ": " + s + ".max_steps must be >= 0");
    c.stage[s] = sc;
  }
  r.finish();
  StrictReader rd(data, path + ": data");
  rd.get("stories", c.stories);
  rd.get("vocab_size", c.vocab_size);
  rd.get("seed", c.data_seed);
  rd.get("facts", c.facts);
  rd.get("facts_qa", c.facts_qa);
  rd.finish();
  StrictReader re(ev, path + ": eval");
  re.get("limit", c.eval_limit);
  re.get("stages", c.eval_stages);
  re.finish();
  for (auto& s : c.eval_stages)
    if (s != "pretrain" && s != "sft" && s != "rm" && s != "dpo" && s != "grpo")
      throw std::runtime_error(path + ": eval.stages: unknown stage \"" + s + "\" (pretrain, sft, dpo, grpo)");
  if (c.stories < 100 || c.vocab_size < 300 || c.threads < 1 || c.eval_limit < 1 || c.facts < 0 || c.facts > 100 ||
      c.facts_qa < 0 || c.facts_qa > 100)
    throw std::runtime_error(path + ": data.stories >= 100, data.vocab_size >= 300, data.facts and data.facts_qa in 0..100, threads >= 1, eval.limit >= 1");
  return c;
}

// runs one CLI command in-process: run({"sft", "--config", ...}); a throw or non-zero exit stops the pipeline
int run(int (*cmd)(int, char**), std::vector<std::string> args, const std::string& shown = "llm") {
  std::string line = shown;
  for (auto& s : args) line += " " + s;
  std::printf("$ %s\n", line.c_str());
  std::fflush(stdout);
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  const int rc = cmd(int(args.size()), argv.data());
  if (rc != 0) throw std::runtime_error("stage command failed (exit " + std::to_string(rc) + "): " + line);
  return rc;
}

void add_common(std::vector<std::string>& v, const StageCfg& s, const PipelineConfig& c) {
  if (s.max_steps > 0) v.insert(v.end(), {"--max-steps", std::to_string(s.max_steps)});
  if (s.seed > 0) v.insert(v.end(), {"--seed", std::to_string(s.seed)});
  v.insert(v.end(), {"--threads", std::to_string(c.threads)});
}

// one table: a row per (task, metric), a column per evaluated stage
void print_stage_table(const std::vector<std::string>& stages, const std::map<std::string, std::vector<EvalResult>>& by,
                       const std::string& rm_line) {
  std::vector<std::pair<std::string, std::string>> rows;
  for (auto& s : stages)
    for (auto& r : by.at(s))
      if (!r.skipped && std::find(rows.begin(), rows.end(), std::make_pair(r.task, r.metric)) == rows.end())
        rows.push_back({r.task, r.metric});
  std::printf("\n%-16s %-12s", "task", "metric");
  for (auto& s : stages) std::printf(" %19s", s.c_str());
  std::printf("\n");
  for (auto& [task, metric] : rows) {
    std::printf("%-16s %-12s", task.c_str(), metric.c_str());
    for (auto& s : stages) {
      const EvalResult* hit = nullptr;
      for (auto& r : by.at(s))
        if (r.task == task && r.metric == metric && !r.skipped) hit = &r;
      if (hit) std::printf("  %9.4f ±%7.4f", hit->value, hit->std_err);
      else std::printf(" %19s", "-");
    }
    std::printf("\n");
  }
  if (!rm_line.empty()) std::printf("%s\n", rm_line.c_str());
}

// --check: parse every stage's config as its stage will (strict: unknown keys, bad values and a
// config written for another stage are errors naming the file), print the plan, run nothing
int check_stage_configs(const PipelineConfig& c) {
  std::printf("data: %d stories (seed %d, facts %d%%, facts_qa %d%%), vocab %d -> %s\n", c.stories, c.data_seed, c.facts,
              c.facts_qa, c.vocab_size, c.out_dir.c_str());
  for (const std::string& s : kModelStages) {
    const StageCfg& st = c.stage.at(s);
    int64_t steps = 0;
    std::string what;
    try {
      if (s == "pretrain") {
        TrainConfig t = load_train_config(st.config);
        if (st.max_steps > 0) t.max_steps = st.max_steps;
        steps = t.max_steps;
        what = "model dim " + std::to_string(t.model.dim) + " x " + std::to_string(t.model.n_layers) + " layers";
      } else {
        AlignConfig al = load_align_config(st.config, s);
        if (st.max_steps > 0) al.max_steps = st.max_steps;
        al.validate();
        steps = al.max_steps;
        what = "lr " + std::to_string(al.lr);
      }
    } catch (const std::exception& e) {
      throw std::runtime_error("pipeline stage " + s + ": " + e.what());
    }
    std::printf("%-8s %-28s %6lld steps  %s\n", s.c_str(), st.config.c_str(), static_cast<long long>(steps), what.c_str());
  }
  std::printf("eval: limit %d, stages", c.eval_limit);
  for (auto& s : c.eval_stages) std::printf(" %s", s.c_str());
  std::printf("\nconfigs OK\n");
  return 0;
}

}  // namespace

int cmd_pipeline(int argc, char** argv) {
  Args a(argc, argv, {"config", "out", "threads", "restart-from"}, {"check"});
  PipelineConfig c = load_pipeline_config(a.str("config", "short"));
  if (a.has("out")) c.out_dir = a.str("out");
  if (a.has("threads")) c.threads = int(a.integer("threads", c.threads));
  if (a.flag("check")) return check_stage_configs(c);
  const std::string O = c.out_dir;
  fs::make_dirs(O);
  // --restart-from S: forget S and every later stage (their DONE markers), then run as usual
  if (a.has("restart-from")) {
    const std::string from = a.str("restart-from");
    auto it = std::find(kStages.begin(), kStages.end(), from);
    if (it == kStages.end()) throw std::runtime_error("--restart-from: unknown stage \"" + from + "\"");
    for (; it != kStages.end(); ++it)
      if (fs::exists(O + "/" + *it + "/DONE")) std::remove((O + "/" + *it + "/DONE").c_str());
  }
  std::printf("pipeline: %s -> %s (stages: data pretrain sft rm dpo grpo eval)\n", a.str("config", "short").c_str(),
              O.c_str());
  const std::string th = std::to_string(c.threads);
  auto done = [&](const std::string& s) { return fs::exists(O + "/" + s + "/DONE"); };
  auto mark = [&](const std::string& s) { fs::write_file_atomic(O + "/" + s + "/DONE", "ok\n"); };
  auto stage_header = [&](size_t i, const std::string& s) {
    std::printf("\n======== %zu/%zu %s%s\n", i + 1, kStages.size(), s.c_str(), done(s) ? " (done: skipped)" : "");
    std::fflush(stdout);
    return !done(s);
  };

  // 1. data: generated stories -> byte-level BPE tokenizer (with the ChatML specials) -> shards
  const std::string D = O + "/data";
  if (stage_header(0, "data")) {
    fs::make_dirs(D);
    run(cmd_data, {"data", "generate", "stories", "--n", std::to_string(c.stories), "--seed",
                   std::to_string(c.data_seed), "--facts", std::to_string(c.facts), "--facts-qa", std::to_string(c.facts_qa),
                   "--out", D + "/corpus.txt"});
    run(cmd_tokenizer, {"tokenizer", "train", "--input", D + "/corpus.txt", "--vocab-size", std::to_string(c.vocab_size),
                        "--out", D + "/tokenizer.json", "--threads", th});
    run(cmd_data, {"data", "pack", "--input", D + "/corpus.txt", "--tokenizer", D + "/tokenizer.json", "--out", D,
                   "--val-fraction", "0.05"});
    mark("data");
  }
  // 2. pretrain (resumes from its latest checkpoint after an interruption)
  if (stage_header(1, "pretrain")) {
    std::vector<std::string> v = {"pretrain", "--config", c.stage["pretrain"].config, "--data", D, "--out",
                                  O + "/pretrain"};
    add_common(v, c.stage["pretrain"], c);
    if (fs::exists(O + "/pretrain/checkpoints/latest")) v.push_back("--resume");
    run(cmd_pretrain, v);
    mark("pretrain");
  }
  // 3-5. SFT on the pretrained model; RM and DPO on the SFT model; 6. GRPO on the DPO model
  struct Post {
    std::string name, base;
    int (*cmd)(int, char**);
  };
  const std::vector<Post> post = {{"sft", O + "/pretrain", cmd_sft},
                                  {"rm", O + "/sft", cmd_rm},
                                  {"dpo", O + "/sft", cmd_dpo},
                                  {"grpo", O + "/dpo", cmd_rl}};
  for (size_t i = 0; i < post.size(); i++) {
    const Post& p = post[i];
    if (!stage_header(2 + i, p.name)) continue;
    std::vector<std::string> v = {p.name, "--config", c.stage[p.name].config, "--base", p.base, "--out",
                                  O + "/" + p.name, "--overwrite"};
    add_common(v, c.stage[p.name], c);
    run(p.cmd, v);
    mark(p.name);
  }
  // 7. eval: every listed stage's checkpoint on the same held-out sets, one table
  std::map<std::string, std::vector<EvalResult>> by;
  const bool ev_todo = stage_header(6, "eval");
  fs::make_dirs(O + "/eval");
  for (auto& s : c.eval_stages) {
    const std::string res = O + "/eval/" + s + ".json";
    if (ev_todo || !fs::exists(res))
      run(cmd_eval_tasks, {"all", "--checkpoint", O + "/" + s, "--limit", std::to_string(c.eval_limit), "--out", res,
                           "--threads", th},
          "llm eval");
    const json rj = parse_json(fs::read_file(res), res);
    if (!rj.contains("results")) throw std::runtime_error(res + ": no \"results\" array (rerun the eval stage)");
    by[s] = results_from_json(rj["results"]);
  }
  std::string rm_line;
  if (fs::exists(O + "/rm/final_metrics.json")) {
    const json rm = parse_json(fs::read_file(O + "/rm/final_metrics.json"), O + "/rm/final_metrics.json");
    if (rm.contains("val_accuracy"))
      {
      char buf[96];
      std::snprintf(buf, sizeof buf, "reward model held-out accuracy (rm stage): %.4f", rm["val_accuracy"].get<double>());
      rm_line = buf;
    }
  }
  print_stage_table(c.eval_stages, by, rm_line);
  json table = json::object();
  for (auto& [s, rs] : by) table[s] = results_to_json(rs);
  fs::write_file_atomic(O + "/eval/table.json", table.dump(2));
  mark("eval");
  std::printf("\npipeline done: checkpoints in %s/{pretrain,sft,rm,dpo,grpo}, table in %s/eval/table.json\n", O.c_str(),
              O.c_str());
  return 0;
}

}  // namespace llm::cli
