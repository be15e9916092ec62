#include <gtest/gtest.h>

#include <cmath>

#include "core/train/adamw.h"
#include "core/data/unicode_utf8.h"
#include "core/train/char_trainer.h"
#include "core/train/train_config.h"

using namespace llm;

TEST(AdamW, OneStepMatchesTheFormulaAndSkipsDecayOn1DParams) {
  ParamStore<float> ps;
  ps.declare("w", {2, 2});
  ps.declare("b", {2});
  ps.finalize();
  for (int i = 0; i < 6; i++) ps.values()[i] = 1.0f + i, ps.grads()[i] = 0.5f - 0.25f * i;
  AdamW opt({0.9f, 0.99f, 1e-8f, 0.1f});
  opt.step(ps, 0.01f);
  for (int i = 0; i < 6; i++) {
    const double g = 0.5 - 0.25 * i, w0 = 1.0 + i;
    const double mh = (0.1 * g) / 0.1, vh = (0.01 * g * g) / 0.01;  // bias-corrected: m = g, v = g^2
    const double wd = i < 4 ? 0.1 : 0.0;
    const double expect = w0 - 0.01 * (mh / (std::sqrt(vh) + 1e-8) + wd * w0);
    EXPECT_NEAR(ps.values()[i], expect, 1e-5) << i;
  }
}

TEST(AdamW, MinimizesAQuadratic) {
  ParamStore<float> ps;
  ps.declare("x", {3, 1});
  ps.finalize();
  AdamW opt({0.9f, 0.999f, 1e-8f, 0.0f});
  const float target[3] = {1.f, -2.f, 0.5f};
  for (int s = 0; s < 2000; s++) {
    for (int i = 0; i < 3; i++) ps.grads()[i] = 2 * (ps.values()[i] - target[i]);
    opt.step(ps, 0.01f);
  }
  for (int i = 0; i < 3; i++) EXPECT_NEAR(ps.values()[i], target[i], 1e-2);
}

TEST(AdamW, ClipAndSchedule) {
  ParamStore<float> ps;
  ps.declare("x", {2});
  ps.finalize();
  ps.grads()[0] = 3, ps.grads()[1] = 4;
  EXPECT_NEAR(clip_grad_norm(ps, 1.0f), 5.0f, 1e-6);
  EXPECT_NEAR(std::hypot(ps.grads()[0], ps.grads()[1]), 1.0, 1e-5);
  EXPECT_NEAR(lr_schedule(0, 10, 100, 1.0f, 0.1f), 0.1f, 1e-6);   // warmup
  EXPECT_NEAR(lr_schedule(9, 10, 100, 1.0f, 0.1f), 1.0f, 1e-6);
  EXPECT_NEAR(lr_schedule(55, 10, 100, 1.0f, 0.1f), 0.55f, 1e-6);  // cosine midpoint
  EXPECT_NEAR(lr_schedule(100, 10, 100, 1.0f, 0.1f), 0.1f, 1e-6);  // floor
}

TEST(TrainConfig, StrictJson) {
  TrainConfig c = TrainConfig::from_json(R"({"batch_size": 4, "lr": 0.001, "seq_len": 64})");
  EXPECT_EQ(c.batch_size, 4);
  try {
    TrainConfig::from_json(R"({"batch_sise": 4})");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("batch_sise"), std::string::npos);
  }
  EXPECT_THROW(TrainConfig::from_json(R"({"batch_size": "four"})"), std::runtime_error);
  EXPECT_EQ(TrainConfig::from_json(c.to_json()).to_json(), c.to_json());
  EXPECT_THROW(TrainConfig::from_json(R"({"optimizer": "sgd"})"), std::runtime_error);
  EXPECT_THROW(TrainConfig::from_json(R"({"model": {"dim": 64, "bogus": 1}})"), std::runtime_error);
  TrainConfig n = TrainConfig::from_json(R"({"model": "t", "seq_len": 32})",
                                         [](const std::string& name) { return R"({"dim": 32, "n_heads": 2, "max_seq_len": 32})"; });
  EXPECT_EQ(n.model.dim, 32);
  EXPECT_EQ(n.model_name, "t");
}

static std::string corpus() {
  std::string t;
  const char* lines[] = {"the cat sat on the mat. ", "a dog ran to the park. ", "the sun is warm today. ",
                         "we like to read books. "};
  for (int i = 0; i < 400; i++) t += lines[(i * 7) % 4];
  return t;
}

TEST(CharTrainer, LossFallsAndSamplingIsSeeded) {
  CharTrainer tr(corpus(), R"({"dim": 32, "n_layers": 2, "n_heads": 4, "n_kv_heads": 2, "seq_len": 32,
                               "batch_size": 8, "lr": 0.003, "warmup": 5, "max_steps": 200})",
                 7);
  const float first = tr.step();
  float last = first;
  for (int i = 0; i < 150; i++) last = tr.step();
  EXPECT_LT(last, first * 0.6f) << "first " << first << " last " << last;
  EXPECT_LT(tr.eval_loss(4), first * 0.6f);
  const std::string a = tr.sample("the ", 40, 0.8f, 11), b = tr.sample("the ", 40, 0.8f, 11);
  EXPECT_EQ(a, b);
  EXPECT_EQ(utf8_to_u32(a).size(), 40u);
  EXPECT_NE(tr.sample("the ", 40, 0.8f, 12), a);
}

TEST(CharTrainer, RejectsUnknownOptionAndShortText) {
  EXPECT_THROW(CharTrainer(corpus(), R"({"dimm": 32})", 1), std::runtime_error);
  EXPECT_THROW(CharTrainer("abc", "{}", 1), std::runtime_error);
}

TEST(Utf8, DecodeEncodeAndRepair) {
  const std::string s = "a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80";  // a é 中 😀
  std::u32string cps = utf8_to_u32(s);
  ASSERT_EQ(cps.size(), 4u);
  EXPECT_EQ(cps[1], 0xE9u);
  EXPECT_EQ(cps[2], 0x4E2Du);
  EXPECT_EQ(cps[3], 0x1F600u);
  std::string back;
  for (char32_t c : cps) utf8_append(back, c);
  EXPECT_EQ(back, s);
  std::u32string bad = utf8_to_u32("x\xC0\xAF\xED\xA0\x80\xE4\xB8");  // overlong, surrogate, truncated
  EXPECT_EQ(bad[0], char32_t('x'));
  for (size_t i = 1; i < bad.size(); i++) EXPECT_EQ(bad[i], 0xFFFDu);
}
