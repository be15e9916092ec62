// AlignConfig is strict: unknown keys and wrong types are named; round-trips through JSON.
#include <gtest/gtest.h>

#include "core/align/align_config.h"

using namespace llm;

static std::string error_of(const std::string& text) {
  try {
    AlignConfig::from_json(text);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(AlignConfig, RoundTripsAndRejectsBadInput) {
  AlignConfig c = AlignConfig::from_json(R"({"stage": "dpo", "beta": 0.2, "lora": true, "lora_targets": ["q_proj", "o_proj"]})");
  EXPECT_EQ(c.stage, "dpo");
  EXPECT_DOUBLE_EQ(c.beta, 0.2);
  ASSERT_EQ(c.lora_targets.size(), 2u);
  EXPECT_EQ(c.lora_targets[1], "o_proj");
  AlignConfig d = AlignConfig::from_json(c.to_json());
  EXPECT_EQ(d.to_json(), c.to_json());
  EXPECT_NE(error_of(R"({"stage": "dpo", "betta": 0.2})").find("unknown key 'betta'"), std::string::npos);
  EXPECT_NE(error_of(R"({"beta": "high"})").find("'beta' has the wrong type"), std::string::npos);
  EXPECT_NE(error_of(R"({"lora_targets": "q_proj"})").find("'lora_targets'"), std::string::npos);
  EXPECT_NE(error_of(R"({"stage": "rlhf"})").find("stage must be one of"), std::string::npos);
  EXPECT_NE(error_of(R"({"stage": "grpo", "group_size": 1})").find("group_size"), std::string::npos);
  EXPECT_NE(error_of(R"({"loss_agg": "mean"})").find("loss_agg"), std::string::npos);
}
