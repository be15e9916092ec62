// `llm eval ppl` and `llm plot`.
#include <cmath>
#include <cstdio>

#include "core/eval/plot.h"
#include "core/util/safetensors.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/strict_json.h"
#include "native/args.h"
#include "native/checkpoint_dir.h"
#include "native/commands.h"
#include "native/fs.h"
#include "native/shard_loader.h"
#include "native/threads.h"

namespace llm::cli {

// mean next-token loss over non-overlapping windows of T+1 tokens
static double window_loss(Transformer<float>& m, const std::vector<int32_t>& ids, int T, int B, int64_t* windows) {
  Graph<float> g;
  g.grad_enabled = false;
  double total = 0;
  int64_t n = 0;
  std::vector<int32_t> x, y;
  size_t pos = 0;
  while (pos + size_t(T) + 1 <= ids.size()) {
    x.clear(), y.clear();
    int b = 0;
    for (; b < B && pos + size_t(T) + 1 <= ids.size(); b++, pos += size_t(T)) {
      x.insert(x.end(), ids.begin() + long(pos), ids.begin() + long(pos + size_t(T)));
      y.insert(y.end(), ids.begin() + long(pos + 1), ids.begin() + long(pos + size_t(T) + 1));
    }
    g.reset();
    total += double(cross_entropy(g, m.forward(g, x.data(), b, T), y.data()).data[0]) * b;
    n += b;
  }
  *windows = n;
  return n ? total / double(n) : NAN;
}

int cmd_eval(int argc, char** argv) {
  const std::string task = argc > 1 ? argv[1] : "";
  if (task != "ppl") {
    std::fprintf(stderr, "llm eval: unknown task '%s' (available: ppl)\n", task.c_str());
    return 2;
  }
  Args a(argc - 1, argv + 1, {"checkpoint", "data", "batch", "seq", "threads", "max-windows"});
  set_threads(int(a.integer("threads", 2)));
  const std::string ck = resolve_checkpoint(a.str("checkpoint"));
  Transformer<float> m = load_model_dir(ck);
  // default context: what the model was trained at (train_config.json beside it), else max_seq_len
  int T_default = m.cfg.max_seq_len;
  if (fs::exists(ck + "/train_config.json")) {
    json tc = json::parse(fs::read_file(ck + "/train_config.json"), nullptr, false);
    if (tc.is_object() && tc.contains("seq_len")) T_default = tc["seq_len"].get<int>();
  }
  const int T = int(a.integer("seq", T_default)), B = int(a.integer("batch", 8));
  const std::string data = a.str("data");
  if (data.empty()) throw std::runtime_error("--data is required (a packed data folder or a text file)");
  std::vector<int32_t> ids;
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
    const uint64_t nw = std::min<uint64_t>(val.sampler().windows_in_epoch(0), uint64_t(a.integer("max-windows", 1 << 30)));
    Graph<float> g;
    g.grad_enabled = false;
    double total = 0;
    WindowBatch wb;
    uint64_t done = 0;
    while (done < nw) {
      const int b = int(std::min<uint64_t>(uint64_t(B), nw - done));
      val.next_batch(b, wb);
      g.reset();
      total += double(cross_entropy(g, m.forward(g, wb.x.data(), b, T), wb.y.data()).data[0]) * b;
      done += uint64_t(b);
    }
    const double loss = total / double(done);
    json out = {{"task", "ppl"}, {"data", data}, {"windows", done}, {"seq", T}, {"loss", loss}, {"ppl", std::exp(loss)}};
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
      uint64_t m = 0;
      for (const ShardView& v : val.shards())
        for (uint64_t i = 0; i < v.header.n_tokens; i++) ce -= std::log(cnt[size_t(v.token(i))] / n), m++;
      out["unigram_loss"] = ce / double(m);
      out["unigram_ppl"] = std::exp(ce / double(m));
    } catch (const std::exception& e) {
      out["unigram_error"] = e.what();
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  if (!fs::exists(ck + "/tokenizer.json"))
    throw std::runtime_error(ck + ": no tokenizer.json beside the model; cannot tokenize " + data);
  std::unique_ptr<Tokenizer> tok = load_tokenizer_json(fs::read_file(ck + "/tokenizer.json"));
  ids = tok->encode(fs::read_file(data), false);
  int64_t windows = 0;
  const double loss = window_loss(m, ids, T, B, &windows);
  std::printf("%s\n", json({{"task", "ppl"}, {"data", data}, {"tokens", ids.size()}, {"windows", windows}, {"seq", T},
                            {"loss", loss}, {"ppl", std::exp(loss)}}).dump(2).c_str());
  return 0;
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
