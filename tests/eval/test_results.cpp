// Result rows: mean and standard error, JSON round trip, the text table.
#include <gtest/gtest.h>

#include <cmath>

#include "core/eval/harness.h"

namespace llm {
namespace {

TEST(EvalResults, MeanAndStandardError) {
  const EvalResult r = mean_result("t", "acc", {1, 0, 1, 1});
  EXPECT_EQ(r.n, 4);
  EXPECT_DOUBLE_EQ(r.value, 0.75);
  // 0/1 values: sqrt(p (1 - p) / (n - 1))
  EXPECT_NEAR(r.std_err, std::sqrt(0.75 * 0.25 / 3.0), 1e-12);
  EXPECT_EQ(mean_result("t", "acc", {0.5}).std_err, 0.0);
  EXPECT_TRUE(std::isnan(mean_result("t", "acc", {}).value));
}

TEST(EvalResults, PerplexityRowsUseTheDeltaMethod) {
  const auto rows = perplexity_results("val", {2.0, 3.0});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].metric, "loss");
  EXPECT_DOUBLE_EQ(rows[0].value, 2.5);
  EXPECT_NEAR(rows[0].std_err, 0.5, 1e-12);
  EXPECT_EQ(rows[1].metric, "ppl");
  EXPECT_NEAR(rows[1].value, std::exp(2.5), 1e-9);
  EXPECT_NEAR(rows[1].std_err, std::exp(2.5) * 0.5, 1e-9);
}

TEST(EvalResults, JsonHasTheFiveFieldsAndRoundTrips) {
  std::vector<EvalResult> rs = {mean_result("piqa", "acc", {1, 0}), skipped_result("gsm8k", "file not found")};
  const nlohmann::json j = results_to_json(rs);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["task"], "piqa");
  EXPECT_EQ(j[0]["metric"], "acc");
  EXPECT_EQ(j[0]["n"], 2);
  EXPECT_DOUBLE_EQ(j[0]["value"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j[0]["stderr"].get<double>(), 0.5);
  EXPECT_TRUE(j[1]["value"].is_null());
  EXPECT_TRUE(j[1]["stderr"].is_null());
  EXPECT_EQ(j[1]["skipped"], true);
  EXPECT_EQ(j[1]["note"], "file not found");
  const std::vector<EvalResult> back = results_from_json(nlohmann::json::parse(j.dump()));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].task, "piqa");
  EXPECT_DOUBLE_EQ(back[0].value, 0.5);
  EXPECT_TRUE(back[1].skipped);
  EXPECT_THROW(results_from_json(nlohmann::json::parse(R"([{"task": "x"}])")), std::runtime_error);
}

TEST(EvalResults, TableAlignsRowsAndShowsSkips) {
  const std::string t = results_table({mean_result("arith_gen", "exact_match", {1, 1, 0, 1}),
                                       mean_result("piqa", "acc", {1, 0}), skipped_result("gsm8k", "no data")});
  EXPECT_EQ(t,
            "task       metric             n       value    stderr\n"
            "arith_gen  exact_match        4      0.7500  ± 0.2500\n"
            "piqa       acc                2      0.5000  ± 0.5000\n"
            "gsm8k      -                  -     skipped    (no data)\n");
}

}  // namespace
}  // namespace llm
