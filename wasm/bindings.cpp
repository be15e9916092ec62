// Embind bindings: the same core/ as the native CLI, as an ES module for the web page and Node.
//   const M = await createLlmCore({wasmBinary | locateFile});
//   M.version(); M.runFixture(configJson, Uint8Array); new M.CharTrainer(text, optionsJson, seed)
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <memory>
#include <string>
#include <vector>

#include "core/model/reference_check.h"
#include "core/train/char_trainer.h"

using namespace emscripten;

namespace {

std::vector<uint8_t> bytes_from_js(const val& arr) {
  const size_t n = arr["length"].as<size_t>();
  std::vector<uint8_t> v(n);
  val view(typed_memory_view(n, v.data()));
  view.call<void>("set", arr);
  return v;
}

std::string version() {
#if defined(__wasm_simd128__)
  return "llm-core 0.1 (wasm, simd128)";
#else
  return "llm-core 0.1 (wasm)";
#endif
}

// C++ exceptions reach JS as bare pointers in this emscripten; every entry point turns them into
// a JS Error carrying the message instead.
[[noreturn]] void throw_js(const std::exception& e) { val::global("Error").new_(std::string(e.what())).throw_(); }
template <class F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    throw_js(e);
  }
}

std::string run_fixture_js(const std::string& cfg, const val& bytes) {
  return guarded([&] {
    std::vector<uint8_t> b = bytes_from_js(bytes);
    return llm::run_fixture(cfg, b.data(), b.size()).to_json();
  });
}

// Embind has no uint64: seeds arrive as JS numbers (doubles), exact up to 2^53.
class JsCharTrainer {
 public:
  JsCharTrainer(const std::string& text, const std::string& options, double seed) {
    guarded([&] { p_ = std::make_unique<llm::CharTrainer>(text, options, uint64_t(seed)); });
  }
  double step() { return guarded([&] { return double(p_->step()); }); }
  std::string sample(const std::string& prompt, int n, double temperature, double seed) {
    return guarded([&] { return p_->sample(prompt, n, float(temperature), uint64_t(seed)); });
  }
  double evalLoss(int batches) { return guarded([&] { return double(p_->eval_loss(batches)); }); }
  double paramCount() const { return double(p_->param_count()); }
  int vocabSize() const { return p_->vocab_size(); }
  double tokensPerStep() const { return double(p_->tokens_per_step()); }
  double lastLr() const { return p_->last_lr(); }
  double lastGradNorm() const { return p_->last_grad_norm(); }
  double stepsDone() const { return double(p_->steps_done()); }
  std::string configJson() const { return p_->config_json(); }

 private:
  std::unique_ptr<llm::CharTrainer> p_;
};

}  // namespace

EMSCRIPTEN_BINDINGS(llm_core) {
  function("version", &version);
  function("runFixture", &run_fixture_js);
  class_<JsCharTrainer>("CharTrainer")
      .constructor<std::string, std::string, double>()
      .function("step", &JsCharTrainer::step)
      .function("sample", &JsCharTrainer::sample)
      .function("evalLoss", &JsCharTrainer::evalLoss)
      .function("paramCount", &JsCharTrainer::paramCount)
      .function("vocabSize", &JsCharTrainer::vocabSize)
      .function("tokensPerStep", &JsCharTrainer::tokensPerStep)
      .function("lastLr", &JsCharTrainer::lastLr)
      .function("lastGradNorm", &JsCharTrainer::lastGradNorm)
      .function("stepsDone", &JsCharTrainer::stepsDone)
      .function("configJson", &JsCharTrainer::configJson);
}
