// `llm bench decode`: single-stream decode tokens/s (median over repeats, JSON), fp32 and int8,
// for the `small` config and a stories15M-shaped model; with --llama2c RUN the same random-init
// weights are exported and Karpathy's run.c decodes them back to back (docs/interop.md).
//
// Both sides are timed the way run.c times itself: the first forward (position 0) is not timed,
// then steps-1 forwards of one token each, every one followed by a greedy argmax.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>
#include <unistd.h>

#include "core/infer/infer_model.h"
#include "core/model/llama2c.h"
#include "core/util/strict_json.h"
#include "native/args.h"
#include "native/bench_util.h"
#include "native/configs.h"
#include "native/fs.h"
#include "native/llama2c_run.h"
#include "native/threads.h"

namespace llm::cli {

namespace {

// Karpathy's stories15M: dim 288, 6 layers, 6 heads, Llama 2's 32000-token vocabulary, shared classifier
ModelConfig stories15m_config() {
  ModelConfig c;
  c.dim = 288, c.n_layers = 6, c.n_heads = 6, c.n_kv_heads = 6, c.vocab_size = 32000, c.max_seq_len = 256;
  c.ffn_hidden = 768, c.tie_embeddings = true;
  c.validate();
  return c;
}

ModelConfig config_named(const std::string& name) {
  return name == "stories15M" || name == "stories15m" ? stories15m_config() : load_model_config(name);
}

// tokens/s of steps-1 timed single-token forwards (greedy), run.c's protocol
double decode_tokens_per_s(const InferModel& m, KVCache& cache, int steps) {
  const int V = m.cfg().vocab_size;
  cache.clear();
  int32_t tok = 1;
  const float* lg = cache.forward_last(m, &tok, 1);
  const double t0 = now_s();
  for (int pos = 1; pos < steps; pos++) {
    int32_t best = 0;
    for (int j = 1; j < V; j++)
      if (lg[j] > lg[best]) best = j;
    tok = best;
    lg = cache.forward_last(m, &tok, 1);
  }
  return (steps - 1) / (now_s() - t0);
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> v;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find(',', i);
    if (j == std::string::npos) j = s.size();
    if (j > i) v.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return v;
}

}  // namespace

int cmd_bench_decode(int argc, char** argv) {
  Args a(argc, argv, {"config", "threads", "reps", "steps", "precision", "llama2c", "seed", "tmp"});
  const std::vector<std::string> configs = split_list(a.str("config", "small,stories15M"));
  const std::vector<std::string> precisions = split_list(a.str("precision", "fp32,int8"));
  const std::vector<int> threads = parse_int_list(a.str("threads", "1,2"));
  const int reps = int(a.integer("reps", 5)), steps_arg = int(a.integer("steps", 256));
  const std::string run_bin = a.str("llama2c");
  if (reps < 1 || steps_arg < 2) throw std::runtime_error("--reps must be >= 1 and --steps >= 2");
  for (const std::string& p : precisions)
    if (p != "fp32" && p != "int8" && p != "bf16") throw std::runtime_error("--precision: unknown '" + p + "' (fp32, int8, bf16)");

  json results = json::array();
  for (const std::string& name : configs) {
    const ModelConfig mc = config_named(name);
    const int steps = std::min(steps_arg, mc.max_seq_len);
    Transformer<float> tm(mc);
    tm.init(uint64_t(a.integer("seed", 1)));
    KVCache cache(mc);

    std::vector<std::unique_ptr<InferModel>> models;  // one per precision
    for (const std::string& prec : precisions) {
      InferOptions opt;
      opt.quantize_int8 = prec == "int8";
      opt.bf16 = prec == "bf16";
      models.push_back(std::make_unique<InferModel>(tm, opt));
    }
    // run.c gets the same weights (fp32) with a placeholder vocabulary; its greedy text must be ours
    std::string dir, ours_text;
    llama2c::Vocab vocab;
    std::vector<int32_t> order(size_t(mc.vocab_size));
    if (!run_bin.empty()) {
      dir = a.str("tmp", "/tmp") + "/llm_bench_llama2c_" + std::to_string(::getpid());
      vocab = placeholder_vocab(mc.vocab_size);
      for (int i = 0; i < mc.vocab_size; i++) order[size_t(i)] = i;
      write_llama2c_dir(dir, tm, vocab, order);
    }
    for (int t : threads) {
      set_threads(t);
      if (!run_bin.empty()) ours_text = greedy_as_runc(*models[0], vocab, order, "", steps);
      for (auto& m : models) decode_tokens_per_s(*m, cache, std::min(steps, 16));  // warm up
      // repeats interleave the contenders so machine noise hits all of them alike
      std::vector<std::vector<double>> tps(models.size());
      std::vector<double> theirs;
      bool same_text = true;
      for (int r = 0; r < reps; r++) {
        if (!run_bin.empty()) {
          const RunCOutput o = run_llama2c(run_bin, dir, "", steps, t);
          if (o.tok_per_s <= 0) throw std::runtime_error("run.c printed no 'achieved tok/s': " + o.log);
          same_text = same_text && (precisions[0] != "fp32" || o.text == ours_text);
          theirs.push_back(o.tok_per_s);
        }
        for (size_t i = 0; i < models.size(); i++) tps[i].push_back(decode_tokens_per_s(*models[i], cache, steps));
      }
      double fp32 = 0;
      for (size_t i = 0; i < models.size(); i++) {
        const double ours = median_of(tps[i]);
        json row = {{"model", name},
                    {"params", tm.num_params()},
                    {"precision", precisions[i]},
                    {"threads", t},
                    {"steps", steps},
                    {"tokens_per_s", ours},
                    {"weight_mb", double(models[i]->weight_bytes()) / 1e6},
                    {"gb_per_s_weights", ours * double(decode_bytes_per_token(*models[i])) / 1e9}};
        if (precisions[i] == "fp32") fp32 = ours;
        if (precisions[i] != "fp32" && fp32 > 0) row["speedup_vs_our_fp32"] = ours / fp32;
        if (!theirs.empty()) {
          row["llama2c_fp32_tokens_per_s"] = median_of(theirs);
          row["ratio_vs_llama2c_fp32"] = ours / median_of(theirs);
          if (precisions[0] == "fp32") row["llama2c_same_greedy_text"] = same_text;
        }
        results.push_back(row);
        std::cerr << row.dump() << "\n";
      }
    }
    if (!dir.empty()) {
      ::unlink((dir + "/model.bin").c_str());
      ::unlink((dir + "/tokenizer.bin").c_str());
      ::rmdir(dir.c_str());
    }
  }
  json out = {{"decode", results}, {"reps", reps}};
  if (!run_bin.empty()) out["llama2c_run"] = run_bin;
  std::cout << out.dump(2) << "\n";
  return 0;
}

}  // namespace llm::cli
