// Speed figures measured inside the page (tests/web/bench.mjs drives them; `npm run bench:web`).
// Each returns plain numbers or a JSON string; nothing here is asserted by a test, the page
// just reports. Timing uses performance.now() (emscripten_get_now), which core/ may not call.
//   M.benchGemm(M, N, K, impl, reps)      GFLOP/s (median) of C (M,N) = A (M,K) B (K,N);
//                                         impl "simd128" = core's packed GEMM (threads as set),
//                                         "eigen" = Eigen's own product compiled to wasm
//   M.benchTrain(config, threads, steps, batch, seq)   JSON: fwd + bwd + AdamW tokens/s, as
//                                         `llm bench train` does natively (random tokens)
//   M.benchDecode(config, steps, reps)    JSON: single-stream fp32 decode tokens/s, as
//                                         `llm bench decode` does natively (greedy, KV cache)
#include <emscripten.h>
#include <emscripten/bind.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/infer/infer_model.h"
#include "core/model/transformer.h"
#include "core/tensor/eigen_util.h"
#include "core/tensor/gemm_simd128.h"
#include "core/tensor/parallel.h"
#include "core/train/adamw.h"
#include "core/util/rng.h"
#include "wasm/threads.h"

namespace {

double now_ms() { return emscripten_get_now(); }

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

[[noreturn]] void throw_js(const std::string& what) {
  emscripten::val::global("Error").new_(what).throw_();
}

double bench_gemm(int M, int N, int K, const std::string& impl, int reps) {
  if (M < 1 || N < 1 || K < 1 || reps < 1) throw_js("benchGemm: M, N, K and reps must be >= 1");
  if (impl != "simd128" && impl != "eigen") throw_js("benchGemm: impl is 'simd128' or 'eigen', got '" + impl + "'");
  std::vector<float> a(size_t(M) * K), b(size_t(K) * N), c(size_t(M) * N);  // (M,K) (K,N) (M,N)
  llm::Rng r(1);
  for (auto& x : a) x = r.uniform() - 0.5f;
  for (auto& x : b) x = r.uniform() - 0.5f;
  llm::CMapR<float> A(a.data(), M, K), B(b.data(), K, N);
  llm::MapR<float> C(c.data(), M, N);
  auto once = [&] {
    if (impl == "eigen") C.noalias() = A * B;
    else llm::gemm_f32(false, false, M, N, K, a.data(), K, b.data(), N, c.data(), N, false);
  };
  once();  // warm up (page faults, JIT tier-up)
  std::vector<double> gf;
  for (int i = 0; i < reps; i++) {
    const double t0 = now_ms();
    once();
    gf.push_back(2.0 * M * N * double(K) / ((now_ms() - t0) * 1e-3) / 1e9);
  }
  return median(gf);
}

std::string bench_train(const std::string& config, int threads, int steps, int batch, int seq) {
  try {
    if (steps < 1 || batch < 1 || seq < 1) throw std::runtime_error("benchTrain: steps, batch and seq must be >= 1");
    const llm::ModelConfig mc = llm::ModelConfig::from_json(config);
    if (seq > mc.max_seq_len) throw std::runtime_error("benchTrain: seq is longer than the model's max_seq_len");
    const int used = llm::wasm::set_threads(threads);
    double t0 = now_ms();
    llm::Transformer<float> m(mc);
    m.init(1);
    llm::AdamW opt;
    std::vector<int32_t> x(size_t(batch) * seq), y(size_t(batch) * seq);  // (B, T) random tokens
    llm::Rng r(2);
    for (size_t i = 0; i < x.size(); i++)
      x[i] = int32_t(r.below(mc.vocab_size)), y[i] = int32_t(r.below(mc.vocab_size));
    const double build_ms = now_ms() - t0;
    llm::Graph<float> g;
    std::vector<double> tps;
    double first_ms = 0, loss = 0;
    for (int i = 0; i < steps; i++) {
      t0 = now_ms();
      g.reset();
      m.params.zero_grad();
      llm::TensorT<float> l = llm::cross_entropy(g, m.forward(g, x.data(), batch, seq), y.data());
      g.backward(l);
      opt.step(m.params, 1e-4f);
      const double ms = now_ms() - t0;
      loss = l.data[0];
      if (i == 0) first_ms = ms;
      if (i > 0 || steps == 1) tps.push_back(double(batch) * seq / (ms * 1e-3));  // step 0 warms up
    }
    char buf[512];
    snprintf(buf, sizeof buf,
             "{\"threads\": %d, \"steps\": %d, \"batch\": %d, \"seq\": %d, \"params\": %lld, "
             "\"tokens_per_s\": %.1f, \"build_ms\": %.1f, \"first_step_ms\": %.1f, \"loss\": %.4f, \"gemm\": \"%s\"}",
             used, steps, batch, seq, (long long)m.num_params(), median(tps), build_ms, first_ms, loss,
             llm::gemm_f32_kernel());
    return buf;
  } catch (const std::exception& e) {
    throw_js(e.what());
  }
}

std::string bench_decode(const std::string& config, int steps, int reps) {
  try {
    if (steps < 2 || reps < 1) throw std::runtime_error("benchDecode: steps must be >= 2 and reps >= 1");
    const llm::ModelConfig mc = llm::ModelConfig::from_json(config);
    steps = std::min(steps, mc.max_seq_len);
    llm::Transformer<float> tm(mc);
    tm.init(1);
    llm::InferModel im(tm);
    llm::KVCache cache(mc);
    const int V = mc.vocab_size;
    // native/bench_decode.cpp's protocol: position 0 untimed, then steps-1 single-token forwards,
    // each followed by a greedy argmax
    auto run = [&] {
      cache.clear();
      int32_t tok = 1;
      const float* lg = cache.forward_last(im, &tok, 1);
      const double t0 = now_ms();
      for (int pos = 1; pos < steps; pos++) {
        int32_t best = 0;
        for (int j = 1; j < V; j++)
          if (lg[j] > lg[best]) best = j;
        tok = best;
        lg = cache.forward_last(im, &tok, 1);
      }
      return (steps - 1) / ((now_ms() - t0) * 1e-3);
    };
    run();  // warm up
    std::vector<double> tps;
    for (int i = 0; i < reps; i++) tps.push_back(run());
    char buf[256];
    snprintf(buf, sizeof buf, "{\"steps\": %d, \"reps\": %d, \"threads\": %d, \"tokens_per_s\": %.1f}", steps, reps,
             llm::parallel_threads(), median(tps));
    return buf;
  } catch (const std::exception& e) {
    throw_js(e.what());
  }
}

}  // namespace

EMSCRIPTEN_BINDINGS(llm_bench) {
  emscripten::function("benchGemm", &bench_gemm);
  emscripten::function("benchTrain", &bench_train);
  emscripten::function("benchDecode", &bench_decode);
}
