// `llm ppo|grpo|gspo --config configs/align/<name>.json`: the RL front ends over core/align's
// RlTrainer (docs/ppo.md, docs/grpo.md, docs/gspo.md). Loads the base (SFT) checkpoint and the
// reference (default: the base), builds the generated RL prompts (core/data/gen_rl.h; training
// prompts from the train split, held-out prompts from the validation split, always generated
// with seed 1 so every run is measured on the same prompts), measures greedy held-out accuracy
// (and, with a reward model, the held-out RM score) before and after training, prints a progress
// line, appends every step to <out>/metrics.jsonl and writes checkpoints in the pretraining
// layout (<out>/checkpoints/step_N/{model.safetensors, config.json, tokenizer.json, ...}).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>

#include "core/align/rl_trainer.h"
#include "core/data/gen_rl.h"
#include "core/infer/chat_template.h"
#include "core/model/checkpoint.h"
#include "core/util/safetensors.h"
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

// does a task name start with one of the comma-separated prefixes ("" = any task)?
bool task_selected(const std::string& task, const std::string& prefixes) {
  if (prefixes.empty()) return true;
  size_t b = 0;
  while (b <= prefixes.size()) {
    size_t e = prefixes.find(',', b);
    if (e == std::string::npos) e = prefixes.size();
    if (e > b && task.rfind(prefixes.substr(b, e - b), 0) == 0) return true;
    b = e + 1;
  }
  return false;
}

// n prompts of one split whose task matches `tasks`, in generation order
std::vector<RlPrompt> rl_prompts(size_t n, Split split, uint64_t seed, const std::string& tasks) {
  GenOptions o;
  o.seed = seed;
  o.split = split;
  for (size_t want = n; want <= n * 64; want *= 4) {
    std::vector<RlPrompt> out;
    for (RlPrompt& p : generate_rl(want, o))
      if (out.size() < n && task_selected(p.task, tasks)) out.push_back(std::move(p));
    if (out.size() == n) return out;
  }
  throw std::runtime_error("rl_tasks \"" + tasks + "\": too few generated prompts have a task starting with it "
                           "(tasks: arithmetic.*, count.*; see core/data/gen_rl.h)");
}

json eval_json(const RlEvalResult& r) {
  json t = json::object();
  for (auto& [k, v] : r.by_task) t[k] = {{"correct", v.first}, {"n", v.second}};
  return {{"accuracy", r.accuracy()}, {"correct", r.correct}, {"n", r.n}, {"by_task", t}};
}

// held-out reward-model score: one sampled (temperature from the config) and one greedy
// completion per prompt, scored by the RM; also the sampled completions' KL to the reference
struct RmEval {
  double sampled = 0, greedy = 0, kl_seq = 0;
};
RmEval rm_eval(RlTrainer& tr, const Tokenizer& tok, const std::vector<RlPrompt>& prompts, const RewardFn& rm) {
  RmEval e;
  std::vector<std::string> texts;
  for (const RlPrompt& p : prompts) texts.push_back(p.prompt);
  auto im = tr.infer_model();
  RolloutOptions o = RolloutOptions::from(tr.cfg, 12345);
  o.group_size = 1;
  std::vector<RlSample> s = generate_rollouts(im, tok, texts, o);
  for (size_t i = 0; i < s.size(); i++) {
    e.sampled += rm(s[i].prompt_text, s[i].text) / double(s.size());
    // KL(pi || ref) of the sampled completion: sum_t log pi - log ref
    SampleScores a = score_samples(tr.policy, nullptr, {&s[i]}, 0, float(tr.cfg.temperature));
    SampleScores b = score_samples(tr.reference, nullptr, {&s[i]}, 0, float(tr.cfg.temperature));
    for (size_t t = 0; t < a.logp[0].size(); t++) e.kl_seq += (double(a.logp[0][t]) - b.logp[0][t]) / double(s.size());
  }
  o.temperature = 0;
  for (const RlSample& x : generate_rollouts(im, tok, texts, o)) e.greedy += rm(x.prompt_text, x.text) / double(s.size());
  return e;
}

std::string value_head_bytes(ValueHead<float>& v) {
  SafeTensorsWriter w;
  for (const ParamInfo& p : v.params.infos()) {
    TensorT<float> t = v.params.get(p.name);
    std::vector<int64_t> shape(t.shape.d.begin(), t.shape.d.begin() + t.shape.ndim);
    w.add_f32(p.name, shape, t.data);
  }
  w.set_metadata("format", "pt");
  const std::vector<uint8_t> b = w.finish();
  return std::string(b.begin(), b.end());
}

}  // namespace

// argv[0] is the stage: ppo | grpo | gspo
int cmd_rl(int argc, char** argv) {
  const std::string stage = argv[0];
  Args a(argc, argv, {"config", "base", "ref", "out", "seed", "max-steps", "threads", "reward-model", "n-eval"},
         {"overwrite"});
  set_threads(int(a.integer("threads", 2)));
  const std::string cpath = find_config(a.str("config", stage), "align");
  AlignConfig cfg;
  try {
    cfg = AlignConfig::from_json(fs::read_file(cpath));
  } catch (const std::exception& e) {
    throw std::runtime_error(cpath + ": " + e.what());
  }
  if (cfg.stage != stage)
    throw std::runtime_error(cpath + ": stage is \"" + cfg.stage + "\" but the command is `llm " + stage + "`");
  if (a.has("base")) cfg.base = a.str("base");
  if (a.has("ref")) cfg.ref = a.str("ref");
  if (a.has("out")) cfg.out_dir = a.str("out");
  if (a.has("seed")) cfg.seed = uint64_t(a.integer("seed", 1));
  if (a.has("max-steps")) cfg.max_steps = int(a.integer("max-steps", cfg.max_steps));
  if (a.has("reward-model")) cfg.reward_model = a.str("reward-model"), cfg.reward = "rm";
  if (a.has("n-eval")) cfg.n_eval = int(a.integer("n-eval", cfg.n_eval));
  cfg.validate();
  if (cfg.base.empty()) throw std::runtime_error(cpath + ": base is empty (an SFT checkpoint folder; or pass --base)");
  if (cfg.reward == "rm" && cfg.reward_model.empty())
    throw std::runtime_error(cpath + ": reward is \"rm\" but reward_model is empty (or pass --reward-model)");

  // run folder
  const std::string out = cfg.out_dir, ckdir = out + "/checkpoints";
  if (fs::exists(ckdir + "/latest") && !a.flag("overwrite"))
    throw std::runtime_error(out + " already holds a run (checkpoints/latest exists): pass --overwrite to start over "
                             "or --out for a new folder");
  if (a.flag("overwrite")) std::system(("rm -rf '" + ckdir + "'").c_str());
  fs::make_dirs(ckdir);
  fs::write_file_atomic(out + "/metrics.jsonl", std::string());
  std::ofstream metrics(out + "/metrics.jsonl", std::ios::app);
  auto log = [&](const json& j) {
    metrics << j.dump() << "\n";
    metrics.flush();
  };
  std::printf("align config:\n%s\n", cfg.to_json().c_str());

  // models and tokenizer
  const std::string base_dir = resolve_checkpoint(cfg.base);
  const std::string ref_dir = resolve_checkpoint(cfg.ref.empty() ? cfg.base : cfg.ref);
  const std::string tok_json = fs::read_file(base_dir + "/tokenizer.json");
  std::unique_ptr<Tokenizer> tok = load_tokenizer_json(tok_json);
  chat_specials(*tok);
  Transformer<float> base = load_model_dir(base_dir);
  Transformer<float> ref = ref_dir == base_dir ? base : load_model_dir(ref_dir);
  std::printf("policy: %s (%s)\nreference: %s\n", base.describe().c_str(), base_dir.c_str(), ref_dir.c_str());

  // prompts: train split with the run's seed, held-out split with a fixed seed
  const std::vector<RlPrompt> train = rl_prompts(size_t(cfg.n_train), Split::train, cfg.seed, cfg.rl_tasks);
  const std::vector<RlPrompt> eval = rl_prompts(size_t(cfg.n_eval), Split::validation, 1, cfg.rl_tasks);
  std::printf("prompts: %zu train, %zu held-out (tasks: %s)\n", train.size(), eval.size(),
              cfg.rl_tasks.empty() ? "all" : (cfg.rl_tasks + "*").c_str());

  // reward
  RewardFn reward, rm_fn;
  if (cfg.reward == "rm") {
    auto rm = std::make_shared<RewardModel>(load_reward_model(cfg.reward_model));
    std::shared_ptr<Transformer<float>> m(rm, &rm->model);
    std::shared_ptr<RewardHead<float>> h(rm, &rm->head);
    rm_fn = reward = reward_model_reward(m, h, *tok);
    std::printf("reward: reward model %s\n", cfg.reward_model.c_str());
  } else {
    std::vector<RlPrompt> all = train;
    all.insert(all.end(), eval.begin(), eval.end());
    reward = verifiable_reward(all, cfg.format_reward);
    std::printf("reward: verifiable (last integer == answer)%s\n",
                cfg.format_reward > 0 ? (" + " + std::to_string(cfg.format_reward) + " for the answer format").c_str() : "");
  }

  RlTrainer tr(cfg, base, ref, *tok, reward);
  auto save = [&](int64_t step, bool is_best) {
    const std::vector<uint8_t> w = save_weights(tr.policy);
    std::vector<std::pair<std::string, std::string>> files = {{"model.safetensors", std::string(w.begin(), w.end())},
                                                              {"config.json", hf_config_json(tr.policy.cfg)},
                                                              {"tokenizer.json", tok_json},
                                                              {"align_config.json", cfg.to_json()}};
    if (tr.value) files.push_back({"value_head.safetensors", value_head_bytes(*tr.value)});
    return save_checkpoint_files(ckdir, step, files, is_best);
  };

  // before
  const Clock::time_point t0 = Clock::now();
  const RlEvalResult acc0 = evaluate_greedy(tr.infer_model(), *tok, eval, cfg.max_new_tokens);
  std::printf("held-out greedy accuracy at start: %.4f (%d/%d)\n", acc0.accuracy(), acc0.correct, acc0.n);
  for (auto& [q, c] : acc0.examples) std::printf("  Q: %s\n  A: %s\n", q.c_str(), c.c_str());
  RmEval rm0;
  if (rm_fn) {
    rm0 = rm_eval(tr, *tok, eval, rm_fn);
    std::printf("held-out RM score at start: sampled %.4f  greedy %.4f\n", rm0.sampled, rm0.greedy);
  }
  log({{"type", "eval"}, {"step", 0}, {"heldout", eval_json(acc0)}});

  // training: prompts_per_step prompts per step, cycling through a reshuffled train set
  Rng order_rng(seed_mix(cfg.seed) ^ 0xA5A5u);
  std::vector<size_t> order(train.size());
  for (size_t i = 0; i < order.size(); i++) order[i] = i;
  size_t pos = order.size();
  auto next_prompts = [&](int n) {
    std::vector<RlPrompt> batch;
    while (int(batch.size()) < n) {
      if (pos == order.size()) shuffle_in_place(order_rng, order), pos = 0;
      batch.push_back(train[order[pos++]]);
    }
    return batch;
  };
  tr.more_prompts = next_prompts;  // dynamic sampling draws its extra prompts from the same order
  double gen_s = 0;
  for (int step = 1; step <= cfg.max_steps; step++) {
    const std::vector<RlPrompt> batch = next_prompts(cfg.prompts_per_step);
    const Clock::time_point ts = Clock::now();
    const RlStepStats st = tr.step(batch);
    const double dt = seconds_since(ts);
    gen_s += dt;
    const double tok_s = double(st.gen_tokens + st.train_tokens) / dt;
    log({{"type", "step"},        {"step", st.step},           {"reward", st.reward_mean},
         {"reward_std", st.reward_std}, {"kl", st.kl_seq},      {"kl_token", st.kl_token},
         {"loss", st.loss},        {"policy_loss", st.policy_loss}, {"value_loss", st.value_loss},
         {"clip_frac", st.clip_frac}, {"ratio", st.ratio_mean}, {"first_ratio_dev", st.first_ratio_max_dev},
         {"grad_norm", st.grad_norm}, {"lr", st.lr},             {"len", st.mean_len},
         {"finished", st.finished_frac}, {"zero_adv_groups", st.zero_adv_frac},
         {"groups_rolled", st.groups_rolled}, {"groups_used", st.groups_used}, {"gen_tokens", st.gen_tokens},
         {"train_tokens", st.train_tokens}, {"step_s", dt},      {"tokens_per_s", tok_s}});
    if (step % cfg.log_every == 0 || step == 1 || step == cfg.max_steps) {
      const double eta = gen_s / step * (cfg.max_steps - step);
      std::fprintf(stderr, "\r[%s] step %4d/%d  reward %.3f  KL %.4f  loss %+.4f  clip %.3f  len %4.1f  %6.0f tok/s  ETA %4.0fs ",
                   stage.c_str(), step, cfg.max_steps, st.reward_mean, st.kl_seq, st.loss, st.clip_frac, st.mean_len, tok_s, eta);
      if (step % (cfg.log_every * 10) == 0) std::fprintf(stderr, "\n");
    }
    if (cfg.eval_every > 0 && step % cfg.eval_every == 0 && step != cfg.max_steps) {
      const RlEvalResult r = evaluate_greedy(tr.infer_model(), *tok, eval, cfg.max_new_tokens);
      std::fprintf(stderr, "\n[%s] step %d: held-out greedy accuracy %.4f\n", stage.c_str(), step, r.accuracy());
      log({{"type", "eval"}, {"step", step}, {"heldout", eval_json(r)}});
    }
    if (cfg.checkpoint_every > 0 && step % cfg.checkpoint_every == 0 && step != cfg.max_steps) save(step, false);
  }
  std::fprintf(stderr, "\n");

  // after
  const RlEvalResult acc1 = evaluate_greedy(tr.infer_model(), *tok, eval, cfg.max_new_tokens);
  log({{"type", "eval"}, {"step", cfg.max_steps}, {"heldout", eval_json(acc1)}});
  const std::string dir = save(cfg.max_steps, true);
  json summary = {{"stage", stage},
                  {"seed", cfg.seed},
                  {"steps", cfg.max_steps},
                  {"seconds", seconds_since(t0)},
                  {"heldout_accuracy_start", acc0.accuracy()},
                  {"heldout_accuracy_end", acc1.accuracy()},
                  {"heldout_start", eval_json(acc0)},
                  {"heldout_end", eval_json(acc1)},
                  {"checkpoint", dir}};
  std::printf("held-out greedy accuracy: %.4f -> %.4f (%d prompts)\n", acc0.accuracy(), acc1.accuracy(), acc1.n);
  for (auto& [task, v] : acc1.by_task) {
    auto it = acc0.by_task.find(task);
    const int c0 = it == acc0.by_task.end() ? 0 : it->second.first;
    std::printf("  %-24s %3d/%-3d -> %3d/%d\n", task.c_str(), c0, v.second, v.first, v.second);
  }
  for (auto& [q, c] : acc1.examples) std::printf("  Q: %s\n  A: %s\n", q.c_str(), c.c_str());
  if (rm_fn) {
    const RmEval rm1 = rm_eval(tr, *tok, eval, rm_fn);
    std::printf("held-out RM score: sampled %.4f -> %.4f, greedy %.4f -> %.4f; KL(policy || ref) per completion %.4f nats\n",
                rm0.sampled, rm1.sampled, rm0.greedy, rm1.greedy, rm1.kl_seq);
    summary["rm_score_sampled_start"] = rm0.sampled;
    summary["rm_score_sampled_end"] = rm1.sampled;
    summary["rm_score_greedy_start"] = rm0.greedy;
    summary["rm_score_greedy_end"] = rm1.greedy;
    summary["kl_end"] = rm1.kl_seq;
  }
  fs::write_file_atomic(out + "/summary.json", summary.dump(2));
  std::printf("checkpoint: %s\nsummary: %s/summary.json\n", dir.c_str(), out.c_str());
  return 0;
}

}  // namespace llm::cli
