// `llm bench`: speed figures as JSON (never timed tests). Medians over repeats; this machine is
// shared and noisy, so compare ratios measured back to back.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <vector>

#include "core/infer/gemm_bf16.h"
#include "core/infer/gemv.h"
#include "core/model/transformer.h"
#include "core/tensor/eigen_util.h"
#include "core/train/adamw.h"
#include "core/util/strict_json.h"
#include "native/args.h"
#include "native/bench_util.h"
#include "native/commands.h"
#include "native/configs.h"
#include "native/threads.h"

namespace llm::cli {

double peak_rss_mb() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;
}

// C (n, n) = A (n, n) B (n, n): 2 n^3 flops
// does this CPU have native bf16 dot products? (the emulated path is used either way today)
static bool bf16_hardware() {
#if defined(__x86_64__) && defined(__GNUC__)
  return __builtin_cpu_supports("avx512bf16");
#else
  return false;
#endif
}

static json bench_gemm(const std::vector<int>& threads, int n, int reps) {
  std::vector<float> a(size_t(n) * n), b(size_t(n) * n), c(size_t(n) * n);
  Rng r(1);
  for (auto& x : a) x = r.uniform() - 0.5f;
  for (auto& x : b) x = r.uniform() - 0.5f;
  json out = json::object();
  for (int t : threads) {
    set_threads(t);
    MapR<float> A(a.data(), n, n), B(b.data(), n, n), C(c.data(), n, n);
    C.noalias() = A * B;  // warm up
    std::vector<double> gf;
    for (int i = 0; i < reps; i++) {
      const double t0 = now_s();
      C.noalias() = A * B;
      gf.push_back(2.0 * n * n * double(n) / (now_s() - t0) / 1e9);
    }
    out["gflops_" + std::to_string(t) + "t"] = median_of(gf);
  }
  out["n"] = n;
  return out;
}

static json bench_model(const ModelConfig& mc, int B, int T, const std::vector<int>& threads, int reps, bool step,
                        const std::vector<std::string>& precisions) {
  Transformer<float> m(mc);
  m.init(1);
  AdamW opt;
  std::vector<int32_t> x(size_t(B) * T), y(size_t(B) * T);
  Rng r(2);
  for (size_t i = 0; i < x.size(); i++) x[i] = int32_t(r.below(mc.vocab_size)), y[i] = int32_t(r.below(mc.vocab_size));
  json out = {{"config", json::parse(mc.to_json())}, {"params", m.num_params()}, {"batch", B}, {"seq", T}};
  Graph<float> g;
  for (const std::string& prec : precisions)
  for (int t : threads) {
    set_threads(t);
    g.bf16_matmul = prec == "bf16";
    std::vector<double> tps;
    for (int i = 0; i < reps + 1; i++) {
      const double t0 = now_s();
      g.reset();
      m.params.zero_grad();
      TensorT<float> loss = cross_entropy(g, m.forward(g, x.data(), B, T), y.data());
      g.backward(loss);
      if (step) opt.step(m.params, 1e-4f);
      if (i > 0) tps.push_back(double(B) * T / (now_s() - t0));  // first iteration warms up
    }
    out["tokens_per_s_" + std::string(prec == "bf16" ? "bf16_" : "") + std::to_string(t) + "t"] = median_of(tps);
  }
  // forward+backward flops ~ 6 * (matmul params) per token + attention 12 * L * T * dim (causal
  // halves it: 6 * L * T * dim); the input embedding is a lookup, not a matmul, unless tied
  const double lookup = mc.tie_embeddings ? 0.0 : double(mc.vocab_size) * mc.dim;
  const double flops_per_tok = 6.0 * (double(m.num_params()) - lookup) + 6.0 * mc.n_layers * T * mc.dim;
  out["gflop_per_token"] = flops_per_tok / 1e9;
  out["activation_mb"] = double(g.activation_bytes()) / 1e6;
  if (std::find(precisions.begin(), precisions.end(), "bf16") != precisions.end())
    out["bf16_note"] = bf16_hardware()
                           ? "bf16 operands, fp32 accumulation"
                           : "this CPU has no avx512_bf16: bf16 is emulated (operands rounded to bf16, fp32 GEMM), "
                             "so it shows bf16 numerics, not bf16 speed";
  out["peak_rss_mb"] = peak_rss_mb();
  return out;
}

// GFLOP/s of the decode matmuls (core/infer/gemv.h) for N activation rows, three weight layouts:
// "row_major" (gemv_f32 on row-major W), "panels" (matmul_panels_f32, what InferModel uses) and
// "bf16" (matmul_bf16 on bf16 tiles, what --bf16 uses: AMX when "amx" is true, gemm_bf16.h).
// - hot: the four weight shapes of one layer of the config (qkv, o, gate|up, down) plus the LM
//   head, each called 10 times in a row (its weights in cache): median over reps per shape.
// - step: every linear of the whole model in forward order, each its own copy of the weights
//   (n_layers * 4 + 1 matrices, streamed from memory as in a decode step): median over reps.
//   The layouts alternate within every rep; panels_vs_row_major_step and bf16_vs_panels_step are
//   medians of the per-rep ratios (a shared machine drifts less within one rep than between runs).
static json bench_gemv(const ModelConfig& mc, const std::vector<int>& threads, const std::vector<int>& batches, int reps) {
  const int64_t C = mc.dim, hd = mc.head_dim(), F = mc.hidden();
  const int64_t qkv = (mc.n_heads + 2 * mc.kv_heads()) * hd, gu = mc.ffn == "swiglu" ? 2 * F : F;
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{qkv, C}, {C, mc.n_heads * hd}, {gu, C}, {C, F}, {mc.vocab_size, C}};
  Rng r(1);
  // the model's matrices in forward order: (shape index, row-major W, panels)
  struct Mat {
    size_t k;
    std::vector<float> w, p;
    Bf16Matrix h;
  };
  std::vector<Mat> model;
  for (int l = 0; l <= mc.n_layers; l++)
    for (size_t k = (l == mc.n_layers ? 4 : 0); k < (l == mc.n_layers ? 5 : 4); k++) {
      const auto [o, i] = shapes[k];
      Mat m{k, std::vector<float>(size_t(o * i)), std::vector<float>(panel_floats(o, i))};
      for (float& v : m.w) v = r.uniform() - 0.5f;
      pack_panels(m.w.data(), o, i, m.p.data());
      m.h = pack_bf16(m.w.data(), o, i);
      model.push_back(std::move(m));
    }
  constexpr int kLayouts = 3;
  static const char* kLayoutName[kLayouts] = {"row_major", "panels", "bf16"};
  auto call = [&](const Mat& m, int lay, const float* x, int N, float* y) {
    const auto [o, i] = shapes[m.k];
    if (lay == 2) matmul_bf16(x, N, m.h, y);
    else if (lay == 1) matmul_panels_f32(m.p.data(), o, i, x, N, y);
    else gemv_f32(m.w.data(), o, i, x, N, y);
  };
  json rows = json::array();
  for (int t : threads) {
    set_threads(t);
    for (int N : batches) {
      std::vector<float> x(size_t(N) * size_t(std::max(C, F))), y(size_t(N) * size_t(std::max(qkv, std::max(gu, int64_t(mc.vocab_size)))));
      for (float& v : x) v = r.uniform() - 0.5f;
      json row = {{"threads", t}, {"rows", N}};
      double step_flops = 0;
      for (const Mat& m : model) step_flops += 2.0 * double(shapes[m.k].first * shapes[m.k].second) * N;
      std::vector<double> step[kLayouts], ratio, ratio_bf16;
      for (int rep = 0; rep < reps; rep++) {
        double ts[kLayouts];
        for (int lay = 0; lay < kLayouts; lay++) {
          const double t0 = now_s();
          for (const Mat& m : model) call(m, lay, x.data(), N, y.data());
          ts[lay] = now_s() - t0;
          step[lay].push_back(ts[lay]);
        }
        ratio.push_back(ts[0] / ts[1]);
        ratio_bf16.push_back(ts[1] / ts[2]);
      }
      for (int lay = 0; lay < kLayouts; lay++) {
        double flops = 0, secs = 0;
        for (size_t k = 0; k < shapes.size(); k++) {
          const Mat& m = k < 4 ? model[k] : model.back();
          call(m, lay, x.data(), N, y.data());  // warm up
          std::vector<double> hot;
          for (int rep = 0; rep < reps; rep++) {
            const double t0 = now_s();
            for (int c = 0; c < 10; c++) call(m, lay, x.data(), N, y.data());
            hot.push_back((now_s() - t0) / 10);
          }
          flops += 2.0 * double(shapes[k].first * shapes[k].second) * N;
          secs += median_of(hot);
        }
        const double st = median_of(step[lay]);
        row[kLayoutName[lay]] = {{"hot_gflops", flops / secs / 1e9},
                                        {"hot_us_per_layer_and_head", 1e6 * secs},
                                        {"step_us", 1e6 * st},
                                        {"step_gflops", step_flops / st / 1e9}};
      }
      row["panels_vs_row_major_step"] = median_of(ratio);
      row["bf16_vs_panels_step"] = median_of(ratio_bf16);
      rows.push_back(row);
    }
  }
  return {{"config", mc.summary()}, {"shapes_out_in", shapes}, {"panel_width", panel_width()}, {"amx", bf16_amx_active()}, {"results", rows}};
}

int cmd_bench_decode(int argc, char** argv);  // native/bench_decode.cpp
int cmd_bench_serve(int argc, char** argv);   // native/bench_serve.cpp

int cmd_bench(int argc, char** argv) {
  std::string what = argc > 1 && argv[1][0] != '-' ? argv[1] : "all";
  if (what == "tokenizer") return cmd_bench_tokenizer(argc - 1, argv + 1);
  if (what == "decode") return cmd_bench_decode(argc - 1, argv + 1);
  if (what == "serve") return cmd_bench_serve(argc - 1, argv + 1);
  if (what != "all" && what != "gemm" && what != "gemv" && what != "model" && what != "train") {
    std::cerr << "llm bench: unknown benchmark '" << what << "' (all | gemm | gemv | model | train | tokenizer | decode | serve)\n";
    return 2;
  }
  const int skip = what == "all" && !(argc > 1 && argv[1][0] != '-') ? 0 : 1;
  Args a(argc - skip, argv + skip, {"config", "batch", "seq", "threads", "reps", "gemm-n", "precision", "rows"});
  if (what == "gemv") {
    const json g = bench_gemv(load_model_config(a.str("config", "small")), parse_int_list(a.str("threads", "1,2")),
                              parse_int_list(a.str("rows", "1,4,8,16,32")), int(a.integer("reps", 50)));
    std::cout << json{{"gemv", g}}.dump(2) << "\n";
    return 0;
  }
  std::vector<std::string> precisions;
  {
    std::stringstream ss(a.str("precision", "fp32"));
    for (std::string p; std::getline(ss, p, ',');) {
      if (p != "fp32" && p != "bf16") {
        std::cerr << "llm bench: --precision takes fp32, bf16 or fp32,bf16; got '" << p << "'\n";
        return 2;
      }
      precisions.push_back(p);
    }
  }
  const std::vector<int> threads = parse_int_list(a.str("threads", "1,2"));
  const int reps = int(a.integer("reps", 5));
  json out = json::object();
  if (what == "all" || what == "gemm" || what == "train") out["gemm"] = bench_gemm(threads, int(a.integer("gemm-n", 1024)), reps);
  if (what != "gemm") {
    ModelConfig mc = load_model_config(a.str("config", "small"));
    const int B = int(a.integer("batch", 8)), T = int(a.integer("seq", std::min(256, mc.max_seq_len)));
    out[what == "train" ? "train" : "model"] = bench_model(mc, B, T, threads, reps, what == "train", precisions);
    if (out.contains("gemm")) {
      json& mo = out[what == "train" ? "train" : "model"];
      for (int t : threads) {
        const std::string k = std::to_string(t) + "t";
        if (!mo.contains("tokens_per_s_" + k)) continue;
        const double gf = mo["tokens_per_s_" + k].get<double>() * mo["gflop_per_token"].get<double>();
        mo["achieved_gflops_" + k] = gf;
        mo["fraction_of_gemm_peak_" + k] = gf / out["gemm"]["gflops_" + k].get<double>();
      }
    }
  }
  std::cout << out.dump(2) << "\n";
  return 0;
}

}  // namespace llm::cli
