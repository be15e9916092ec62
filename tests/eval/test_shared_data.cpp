// The real evaluation files in $LLM_SHARED_DATA (../shared/data by default): row counts and a few
// known values. Each test skips when its file is absent.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/data/importers.h"
#include "core/eval/tasks.h"

#ifndef LLM_SOURCE_DIR
#define LLM_SOURCE_DIR "."
#endif

namespace llm {
namespace {

std::string shared_path(const std::string& rel) {
  const char* env = std::getenv("LLM_SHARED_DATA");
  std::string root = env && *env ? env : LLM_SOURCE_DIR "/../shared/data";
  return root + "/" + rel;
}

std::string read(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return "";
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

#define LOAD_OR_SKIP(var, rel)                     \
  const std::string var##_path = shared_path(rel); \
  const std::string var = read(var##_path);        \
  if (var.empty()) GTEST_SKIP() << var##_path << " not found (set LLM_SHARED_DATA)";

TEST(EvalShared, Gsm8kTest) {
  LOAD_OR_SKIP(bytes, "math/gsm8k_test.jsonl");
  const std::vector<MathItem> v = parse_gsm8k_jsonl(bytes, bytes_path);
  ASSERT_EQ(v.size(), 1319u);
  EXPECT_EQ(v[0].answer, "18");  // Janet's ducks
  EXPECT_EQ(v[0].question.rfind("Janet", 0), 0u);
  for (const MathItem& it : v) EXPECT_FALSE(it.answer.empty());
}

TEST(EvalShared, Svamp) {
  LOAD_OR_SKIP(bytes, "math/svamp.json");
  const std::vector<MathItem> v = parse_svamp_json(bytes, bytes_path);
  ASSERT_EQ(v.size(), 1000u);
  EXPECT_EQ(v[0].answer, "51");
  EXPECT_NE(v[0].question.find("How much do you have to pay"), std::string::npos);
}

TEST(EvalShared, PiqaValidation) {
  LOAD_OR_SKIP(jsonl, "mcq/piqa/valid.jsonl");
  LOAD_OR_SKIP(labels, "mcq/piqa/valid-labels.lst");
  const std::vector<McqItem> v = parse_piqa(jsonl, labels, shared_path("mcq/piqa"));
  ASSERT_EQ(v.size(), 1838u);
  EXPECT_EQ(v[0].question, "How do I ready a guinea pig cage for it's new occupants?");
  EXPECT_EQ(v[0].label, 0);
  size_t ones = 0;
  for (const McqItem& it : v) ones += size_t(it.label);
  EXPECT_GT(ones, 800u);  // roughly balanced labels
  EXPECT_LT(ones, 1040u);
}

TEST(EvalShared, OrcaPreferencePairs) {
  LOAD_OR_SKIP(bytes, "preference/orca_dpo_pairs_validation.jsonl");
  const std::vector<PreferencePair> v = import_preference(bytes, bytes_path);
  ASSERT_GT(v.size(), 10u);
  for (const PreferencePair& p : v) EXPECT_FALSE(p.chosen.empty());
}

}  // namespace
}  // namespace llm
