// Our float32 model against the independent PyTorch reference (float64 truth) in
// tests/reference/fixtures: logits, loss and every parameter gradient within 1e-4 relative error.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/model/reference_check.h"

using namespace llm;

static std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class Reference : public ::testing::TestWithParam<std::string> {};

TEST_P(Reference, LogitsLossAndAllGradientsMatchPyTorch) {
  const std::string base = std::string(LLM_SOURCE_DIR) + "/tests/reference/fixtures/" + GetParam();
  const std::string cfg = read_file(base + ".json");
  const std::string st = read_file(base + ".safetensors");
  FixtureResult r = run_fixture(cfg, reinterpret_cast<const uint8_t*>(st.data()), st.size());
  EXPECT_LE(r.logits, 1e-4);
  EXPECT_LE(r.loss, 1e-4);
  for (auto& kv : r.per_param) EXPECT_LE(kv.second, 1e-4) << "gradient of " << kv.first;
  std::printf("  %s: logits %.2e loss %.2e grads %.2e (worst %s)\n", GetParam().c_str(), r.logits, r.loss, r.grads,
              r.worst.c_str());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Reference,
                         ::testing::Values("a_gqa_rope_rmsnorm_swiglu", "b_gpt2", "c_alibi", "d_sinusoidal_qwen2_mqa"));

TEST(Reference, CorruptedFixtureIsAClearError) {
  const std::string base = std::string(LLM_SOURCE_DIR) + "/tests/reference/fixtures/b_gpt2";
  const std::string cfg = read_file(base + ".json");
  std::string st = read_file(base + ".safetensors");
  std::string trunc = st.substr(0, st.size() / 2);
  try {
    run_fixture(cfg, reinterpret_cast<const uint8_t*>(trunc.data()), trunc.size());
    FAIL() << "truncated fixture accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
}
