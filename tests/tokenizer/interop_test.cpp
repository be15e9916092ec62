// Hugging Face interop, C++ half. tests/tokenizer/data/interop_expected.json
// holds tokenizer.json files written by our trainers (on corpus.txt), mixed
// texts (ASCII, Chinese, emoji, special tokens, whitespace runs) and our ids.
// Here we check that our code still produces those files and ids; the Vitest
// half (tests/js/tokenizer_interop.test.mjs) loads the same files with the npm
// `tokenizers` package and checks it gets the same ids.
// Regenerate with LLM_UPDATE_GOLDEN=1 (then run the Vitest test).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/tokenizer/bpe.h"
#include "core/tokenizer/unigram.h"
#include "core/tokenizer/wordpiece.h"
#include "tests/tokenizer/tok_test_util.h"

namespace llm {
namespace {

const std::vector<std::string> kTexts = {
    "Hello, world! It's a test of the tokenizer; don't panic.",
    "你好，世界！我们今天学习分词。小猫在花园里玩。",
    "emoji: 😀👍🏽🇫🇷 family 👨\u200D👩\u200D👧 and ✨sparkles✨",
    "<|im_start|>user\nWhat's 2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|><|endoftext|>",
    "spaces:    four\t\ttabs\n\n\nnewlines   \n  trailing   ",
    "Mixed 中文 and English, café naïve Ærø, ½ ² ٣ — 3.14159 <|pad|><|pad|>",
    "   leading spaces, then a special<|endoftext|>  and spaces after it",
    "Once upon a time, Tom went to the garden with a big fish. \"Look!\" said Tom.",
};

const std::vector<std::pair<std::string, int>> kConfigs = {{"bpe", 512}, {"wordpiece", 400}, {"unigram", 500}};

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

std::string ids_json(const std::vector<int32_t>& ids) { return nlohmann::json(ids).dump(); }

void write_expected(const std::string& path) {
  std::string out = "{\n\"about\": \"Written by tests/tokenizer/interop_test.cpp (LLM_UPDATE_GOLDEN=1): tokenizers trained on "
                    "tests/tokenizer/data/corpus.txt by our C++ code, and our ids for `texts`. "
                    "tests/js/tokenizer_interop.test.mjs checks the npm tokenizers package gives the same ids.\",\n";
  out += "\"corpus\": \"tests/tokenizer/data/corpus.txt\",\n\"texts\": " + nlohmann::json(kTexts).dump(1) + ",\n";
  for (size_t k = 0; k < kConfigs.size(); k++) {
    const auto& [type, vocab] = kConfigs[k];
    const auto tok = train(type, vocab);
    out += "\"" + type + "\": {\n\"vocab_size\": " + std::to_string(vocab) + ",\n\"ids\": [\n";
    for (size_t i = 0; i < kTexts.size(); i++) out += (i ? ",\n" : "") + ids_json(tok->encode(kTexts[i]));
    out += "\n],\n\"tokenizer\": " + tok->to_json() + "}" + (k + 1 < kConfigs.size() ? ",\n" : "\n");
  }
  out += "}\n";
  toktest::write_file(path, out);
}

TEST(TokInterop, OurIdsAndFilesAreUnchanged) {
  const std::string path = toktest::data_path("interop_expected.json");
  if (toktest::update_golden()) {
    write_expected(path);
    GTEST_SKIP() << "rewrote " << path;
  }
  const nlohmann::json expected = nlohmann::json::parse(toktest::read_file(path));
  ASSERT_EQ(expected.at("texts").get<std::vector<std::string>>(), kTexts);
  for (const auto& [type, vocab] : kConfigs) {
    SCOPED_TRACE(type);
    const auto& e = expected.at(type);
    // 1. The stored tokenizer.json, loaded, gives the stored ids.
    const auto loaded = load_tokenizer_json(e.at("tokenizer").dump());
    ASSERT_EQ(loaded->type(), type);
    for (size_t i = 0; i < kTexts.size(); i++)
      EXPECT_EQ(ids_json(loaded->encode(kTexts[i])), e.at("ids")[i].dump()) << kTexts[i];
    // 2. Training again on the same corpus reproduces that file.
    const auto fresh = train(type, e.at("vocab_size").get<int>());
    EXPECT_EQ(nlohmann::json::parse(fresh->to_json()), e.at("tokenizer"));
  }
}

TEST(TokInterop, BpeDecodesTheTextsBack) {
  const nlohmann::json expected = nlohmann::json::parse(toktest::read_file(toktest::data_path("interop_expected.json")));
  const BpeTokenizer tok = BpeTokenizer::from_hf_json(expected.at("bpe").at("tokenizer").dump());
  for (size_t i = 0; i < kTexts.size(); i++)
    EXPECT_EQ(tok.decode(expected.at("bpe").at("ids")[i].get<std::vector<int32_t>>()), kTexts[i]);
}

}  // namespace
}  // namespace llm
