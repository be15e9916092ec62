// Golden ids: tokenizers trained on the committed tests/tokenizer/data/corpus.txt
// must keep giving exactly these ids. A change here means every packed
// dataset and checkpoint made with an older build is silently incompatible,
// so it must be deliberate: regenerate with LLM_UPDATE_GOLDEN=1.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/tokenizer/bpe.h"
#include "core/tokenizer/unigram.h"
#include "core/tokenizer/wordpiece.h"
#include "tests/tokenizer/tok_test_util.h"

namespace llm {
namespace {

const std::vector<std::string> kGoldenTexts = {
    "Once upon a time, Lily found a shiny ball.",
    "They'll play again tomorrow at 10:25, and they're happy.",
    "<|endoftext|>The cat didn't know what to do.<|im_end|>",
    "小猫在花园里玩。 😀",
    "  indented   line\twith\ttabs  \n\n",
};

std::unique_ptr<Tokenizer> train(const std::string& type, int vocab) {
  if (type == "bpe") {
    BpeTrainOptions o;
    o.vocab_size = vocab;
    return std::make_unique<BpeTokenizer>(BpeTokenizer::train(toktest::corpus(), o));
  }
  if (type == "wordpiece") {
    WordPieceTrainOptions o;
    o.vocab_size = vocab;
    return std::make_unique<WordPieceTokenizer>(WordPieceTokenizer::train(toktest::corpus(), o));
  }
  UnigramTrainOptions o;
  o.vocab_size = vocab;
  return std::make_unique<UnigramTokenizer>(UnigramTokenizer::train(toktest::corpus(), o));
}

const std::vector<std::pair<std::string, int>> kConfigs = {{"bpe", 400}, {"wordpiece", 400}, {"unigram", 500}};

TEST(TokGolden, IdsOfFixedStrings) {
  const std::string path = toktest::data_path("golden_ids.json");
  if (toktest::update_golden()) {
    nlohmann::json g;
    for (const auto& [type, vocab] : kConfigs) {
      const auto tok = train(type, vocab);
      nlohmann::json cases = nlohmann::json::array();
      for (const auto& t : kGoldenTexts) cases.push_back({{"text", t}, {"ids", tok->encode(t)}});
      g[type] = {{"vocab_size", vocab}, {"cases", cases}};
    }
    toktest::write_file(path, g.dump(1) + "\n");
    GTEST_SKIP() << "rewrote " << path;
  }
  const nlohmann::json g = nlohmann::json::parse(toktest::read_file(path));
  for (const auto& [type, vocab] : kConfigs) {
    SCOPED_TRACE(type);
    ASSERT_EQ(g.at(type).at("vocab_size").get<int>(), vocab);
    const auto tok = train(type, vocab);
    const auto& cases = g.at(type).at("cases");
    ASSERT_EQ(cases.size(), kGoldenTexts.size());
    for (const auto& c : cases) {
      const std::string text = c.at("text").get<std::string>();
      EXPECT_EQ(tok->encode(text), c.at("ids").get<std::vector<int32_t>>()) << text;
    }
  }
}

}  // namespace
}  // namespace llm
