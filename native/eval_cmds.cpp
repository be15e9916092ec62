// `llm eval` (ppl here; math|mcq|pref|all in native/eval_tasks.cpp), `llm plot`, `llm diff`.
#include <cmath>
#include <cstdio>

#include "core/eval/harness.h"
#include "core/infer/infer_model.h"
#include "core/eval/plot.h"
#include "core/util/safetensors.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/strict_json.h"
#include "native/args.h"
#include "native/checkpoint_dir.h"
#include "native/commands.h"
#include "native/eval_tasks.h"
#include "native/fs.h"
#include "native/shard_loader.h"
#include "native/threads.h"

namespace llm::cli {

// `llm eval ppl`: perplexity of a checkpoint on the val split of packed shards or on a text file.
// Per-window losses come from core/eval (window_losses / batch_row_losses), so the result carries
// a standard error; the other tasks (math, mcq, pref, all) live in native/eval_tasks.cpp.
static int eval_ppl(int argc, char** argv) {
  Args a(argc, argv, {"checkpoint", "data", "batch", "seq", "threads", "max-windows", "out"}, {"quantize", "bf16"});
  set_threads(int(a.integer("threads", 2)));
  const std::string ck = resolve_checkpoint(a.str("checkpoint"));
  Transformer<float> m = load_model_dir(ck);
  // --quantize: the same windows through the int8 inference model (docs/quantization.md)
  std::unique_ptr<InferModel> qm;
  // --bf16: the same through the bf16 inference model (weights and linear inputs rounded to bf16)
  if (a.flag("quantize") && a.flag("bf16")) throw std::runtime_error("--quantize and --bf16 exclude each other");
  if (a.flag("quantize") || a.flag("bf16")) {
    InferOptions io;
    io.quantize_int8 = a.flag("quantize");
    io.bf16 = a.flag("bf16");
    qm = std::make_unique<InferModel>(m, io);
  }
  // default context: what the model was trained at (train_config.json beside it), else max_seq_len
  int T_default = m.cfg.max_seq_len;
  if (fs::exists(ck + "/train_config.json")) {
    json tc = json::parse(fs::read_file(ck + "/train_config.json"), nullptr, false);
    if (tc.is_object() && tc.contains("seq_len")) T_default = tc["seq_len"].get<int>();
  }
  const int T = int(a.integer("seq", T_default)), B = int(a.integer("batch", 8));
  const int64_t max_windows = a.integer("max-windows", 1 << 30);
  const std::string data = a.str("data");
  if (data.empty()) throw std::runtime_error("--data is required (a packed data folder or a text file)");
  std::vector<double> losses;  // (windows) mean loss of each window
  json out;
  if (fs::exists(data + "/tokenizer.json") || !fs::exists(data) || data.find(".txt") == std::string::npos) {
    // packed shards: the val split
    SamplerOptions so;
    so.T = T;
    so.shuffle = false;
    ShardLoader val(ShardLoader::list_shards(data, "val"), so);
    for (const ShardView& v : val.shards())
      if (v.header.vocab_size > uint32_t(m.cfg.vocab_size))
        throw std::runtime_error(v.source + ": packed for a vocabulary of " + std::to_string(v.header.vocab_size) +
                                 " but the model has " + std::to_string(m.cfg.vocab_size) + " rows");
    const uint64_t nw = std::min<uint64_t>(val.sampler().windows_in_epoch(0), uint64_t(max_windows));
    WindowBatch wb;
    while (losses.size() < nw) {
      const int b = int(std::min<uint64_t>(uint64_t(B), nw - losses.size()));
      val.next_batch(b, wb);
      for (double l : qm ? window_row_losses(*qm, wb.x.data(), wb.y.data(), b, T)
                         : batch_row_losses(m, wb.x.data(), wb.y.data(), b, T))
        losses.push_back(l);
    }
    out = {{"task", "ppl"}, {"data", data}, {"windows", losses.size()}, {"seq", T}};
    // the unigram baseline: cross-entropy of val tokens under train token frequencies (add-one)
    try {
      SamplerOptions uo;
      uo.T = 1;
      uo.shuffle = false;
      ShardLoader tr(ShardLoader::list_shards(data, "train"), uo);
      const uint32_t V = tr.shards()[0].header.vocab_size;
      std::vector<double> cnt(V, 1.0);
      double n = V;
      for (const ShardView& v : tr.shards())
        for (uint64_t i = 0; i < v.header.n_tokens; i++) cnt[size_t(v.token(i))] += 1, n += 1;
      double ce = 0;
      uint64_t k = 0;
      for (const ShardView& v : val.shards())
        for (uint64_t i = 0; i < v.header.n_tokens; i++) ce -= std::log(cnt[size_t(v.token(i))] / n), k++;
      out["unigram_loss"] = ce / double(k);
      out["unigram_ppl"] = std::exp(ce / double(k));
    } catch (const std::exception& e) {
      out["unigram_error"] = e.what();
    }
  } else {
    if (qm) throw std::runtime_error("--quantize is supported on packed data (--data DIR), not on a text file");
    if (!fs::exists(ck + "/tokenizer.json"))
      throw std::runtime_error(ck + ": no tokenizer.json beside the model; cannot tokenize " + data);
    std::unique_ptr<Tokenizer> tok = load_tokenizer_json(fs::read_file(ck + "/tokenizer.json"));
    const std::vector<int32_t> ids = tok->encode(fs::read_file(data), false);
    losses = window_losses(m, ids, T, B, max_windows);
    out = {{"task", "ppl"}, {"data", data}, {"tokens", ids.size()}, {"windows", losses.size()}, {"seq", T}};
  }
  const std::vector<EvalResult> rows = perplexity_results("ppl", losses);
  out["precision"] = !qm ? "fp32" : a.flag("bf16") ? "bf16" : "int8";
  out["loss"] = rows[0].value;
  out["loss_stderr"] = rows[0].std_err;
  out["ppl"] = rows[1].value;
  out["ppl_stderr"] = rows[1].std_err;
  std::printf("%s\n", out.dump(2).c_str());
  if (a.has("out")) {
    fs::write_file_atomic(a.str("out"), json({{"checkpoint", ck}, {"task", "ppl"}, {"results", results_to_json(rows)}}).dump(2) + "\n");
    std::fprintf(stderr, "wrote %s\n", a.str("out").c_str());
  }
  return 0;
}

int cmd_eval(int argc, char** argv) {
  const std::string task = argc > 1 ? argv[1] : "";
  if (task == "ppl") return eval_ppl(argc - 1, argv + 1);
  if (task == "math" || task == "mcq" || task == "pref" || task == "all") return cmd_eval_tasks(argc - 1, argv + 1);
  std::fprintf(stderr,
               "llm eval: unknown task '%s'\n"
               "usage: llm eval ppl  --checkpoint DIR --data DIR|file.txt [--seq T] [--batch B] [--max-windows N] [--out F] [--quantize]\n"
               "       llm eval math|mcq|pref|all --checkpoint DIR [--data PATH] [--limit N] [--out results.json]\n"
               "            [--quantize] [--n-gen N] [--format auto|chat|plain] [--max-new N] [--scorer auto|rm|dpo|logprob|mean]\n"
               "            [--ref DIR] [--samples F.jsonl] [--shared DIR] (docs/evaluation.md)\n",
               task.c_str());
  return 2;
}

int cmd_plot(int argc, char** argv) {
  Args a(argc, argv, {"out"});
  if (a.positional.empty()) throw std::runtime_error("usage: llm plot <run folder or metrics.jsonl> [--out file.svg]");
  std::string p = a.positional[0];
  const std::string metrics = fs::exists(p + "/metrics.jsonl") ? p + "/metrics.jsonl" : p;
  const std::string out = a.str("out", (metrics == p ? std::string("metrics") : p + "/metrics") + ".svg");
  fs::write_file_atomic(out, plot_metrics_svg(fs::read_file(metrics), metrics));
  std::printf("wrote %s\n", out.c_str());
  return 0;
}

}  // namespace llm::cli

namespace llm::cli {
// `llm diff A.safetensors B.safetensors [--tol T]`: max |a - b| per tensor (exit 1 above tol)
int cmd_diff(int argc, char** argv) {
  Args a(argc, argv, {"tol"});
  if (a.positional.size() != 2) throw std::runtime_error("usage: llm diff A.safetensors B.safetensors [--tol 1e-5]");
  const std::string pa = a.positional[0], pb = a.positional[1];
  const std::string ba = fs::read_file(pa), bb = fs::read_file(pb);
  SafeTensorsReader ra(reinterpret_cast<const uint8_t*>(ba.data()), ba.size(), pa);
  SafeTensorsReader rb(reinterpret_cast<const uint8_t*>(bb.data()), bb.size(), pb);
  if (ra.names() != rb.names()) throw std::runtime_error("the two files hold different tensor names");
  const double tol = a.number("tol", 0.0);
  double worst = 0;
  std::string worst_name;
  for (const std::string& n : ra.names()) {
    std::vector<float> x = ra.floats(n, {}), y = rb.floats(n, ra.get(n).shape);
    for (size_t i = 0; i < x.size(); i++)
      if (std::abs(double(x[i]) - y[i]) > worst) worst = std::abs(double(x[i]) - y[i]), worst_name = n;
  }
  std::printf("max |a-b| = %.3e (%s)\n", worst, worst_name.c_str());
  return worst > tol ? 1 : 0;
}
}  // namespace llm::cli
