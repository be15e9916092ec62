// tokenizer.json save/load for BPE and clear errors on malformed files.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/tokenizer/bpe.h"
#include "tests/tokenizer/tok_test_util.h"

namespace llm {
namespace {

BpeTokenizer trained() {
  BpeTrainOptions opt;
  opt.vocab_size = 320;
  return BpeTokenizer::train(toktest::corpus(), opt);
}

// Expects from_hf_json(text) to throw with `needle` in the message.
void expect_load_error(const std::string& text, const std::string& needle) {
  try {
    BpeTokenizer::from_hf_json(text);
    ADD_FAILURE() << "no error; expected one mentioning: " << needle;
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << "message: " << e.what();
  }
}

TEST(TokBpeJson, RoundTrip) {
  const BpeTokenizer tok = trained();
  const std::string json = tok.to_hf_json();
  const BpeTokenizer back = BpeTokenizer::from_hf_json(json);
  EXPECT_EQ(back.vocab_size(), tok.vocab_size());
  EXPECT_EQ(back.to_hf_json(), json);
  const std::string text = toktest::corpus() + " 你好 😀 \xFF <|im_start|>x<|im_end|>";
  EXPECT_EQ(back.encode(text), tok.encode(text));
  EXPECT_EQ(back.decode(back.encode(text)), text);
}

TEST(TokBpeJson, HuggingFaceShape) {
  const auto j = nlohmann::json::parse(trained().to_hf_json());
  EXPECT_EQ(j["model"]["type"], "BPE");
  EXPECT_EQ(j["pre_tokenizer"]["type"], "ByteLevel");
  EXPECT_EQ(j["pre_tokenizer"]["add_prefix_space"], false);
  EXPECT_EQ(j["decoder"]["type"], "ByteLevel");
  EXPECT_EQ(j["model"]["vocab"]["Ġ"], 32);   // space byte, GPT-2 spelling
  EXPECT_EQ(j["model"]["vocab"]["Ċ"], 10);   // newline
  EXPECT_EQ(j["model"]["vocab"]["a"], 97);
  EXPECT_EQ(j["model"]["vocab"].size(), 320u);
  ASSERT_EQ(j["added_tokens"].size(), 4u);
  EXPECT_EQ(j["added_tokens"][0]["content"], "<|endoftext|>");
  EXPECT_EQ(j["added_tokens"][0]["special"], true);
  EXPECT_EQ(j["added_tokens"][0]["id"], 316);
  EXPECT_EQ(j["model"]["merges"].size(), 320u - 256 - 4);
}

TEST(TokBpeJson, ReadsPairListMergesAndForeignLayouts) {
  // A hand-written file in Hugging Face's newer merges format, with ids in an
  // order of our choosing and a byte vocabulary that lacks most bytes. The
  // expected ids are what npm `tokenizers` 0.23 gives for the same file.
  const std::string json = R"({
    "added_tokens": [{"id": 0, "content": "<s>", "special": true}],
    "normalizer": null,
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
    "decoder": {"type": "ByteLevel"},
    "model": {"type": "BPE", "vocab": {"<s>": 0, "h": 5, "e": 4, "l": 3, "o": 2, "he": 1, "ll": 6, "Ġ": 7, "hell": 8},
              "merges": [["h", "e"], ["l", "l"], ["he", "ll"]]}
  })";
  const BpeTokenizer tok = BpeTokenizer::from_hf_json(json);
  EXPECT_EQ(tok.vocab_size(), 9);
  EXPECT_EQ(tok.encode("<s>hello"), (std::vector<int32_t>{0, 8, 2}));
  // Bytes outside the vocabulary are dropped, as Hugging Face does.
  EXPECT_EQ(tok.encode("hex"), (std::vector<int32_t>{1}));
}

TEST(TokBpeJson, MalformedFilesGiveClearErrors) {
  const std::string good = trained().to_hf_json();
  auto edit = [&](const std::function<void(nlohmann::json&)>& f) {
    auto j = nlohmann::json::parse(good);
    f(j);
    return j.dump();
  };
  expect_load_error("{\"model\": ", "not valid JSON");
  expect_load_error("[1, 2]", "top level must be an object");
  expect_load_error("{}", "missing key '.model'");
  expect_load_error(edit([](auto& j) { j["model"]["type"] = "WordLevel"; }), "expected \"BPE\"");
  expect_load_error(edit([](auto& j) { j["model"].erase("vocab"); }), "model.vocab");
  expect_load_error(edit([](auto& j) { j["model"]["vocab"]["a"] = "x"; }), "must be an integer id");
  expect_load_error(edit([](auto& j) { j["model"]["vocab"]["a"] = 98; }), "appears twice");
  expect_load_error(edit([](auto& j) { j["model"]["vocab"].erase("a"); }), "id 97 is in neither");
  expect_load_error(edit([](auto& j) { j["model"]["merges"][3] = "nospace"; }), "model.merges[3]");
  expect_load_error(edit([](auto& j) { j["model"]["merges"][0] = 17; }), "model.merges[0]");
  expect_load_error(edit([](auto& j) { j["model"]["merges"][1] = "q zzz"; }), "\"zzz\" is not in 'model.vocab'");
  expect_load_error(edit([](auto& j) { j["normalizer"] = {{"type", "NFC"}}; }), "'normalizer' must be null");
  expect_load_error(edit([](auto& j) { j["pre_tokenizer"] = {{"type", "Whitespace"}}; }), "ByteLevel");
  expect_load_error(edit([](auto& j) { j["pre_tokenizer"]["add_prefix_space"] = true; }), "add_prefix_space");
  expect_load_error(edit([](auto& j) { j["model"]["dropout"] = 0.1; }), "dropout");
  expect_load_error(edit([](auto& j) { j["added_tokens"][0]["id"] = 5; }), "model.vocab gives to");
  expect_load_error(edit([](auto& j) { j["added_tokens"][0].erase("content"); }), "added_tokens[0].content");
  expect_load_error(edit([](auto& j) { j["model"]["vocab"]["\u4F60"] = 320; }), "byte-level alphabet");
}

TEST(TokBpeJson, LoadTokenizerJsonDispatches) {
  const std::unique_ptr<Tokenizer> t = load_tokenizer_json(trained().to_hf_json());
  EXPECT_EQ(t->type(), "bpe");
  EXPECT_EQ(t->vocab_size(), 320);
  EXPECT_EQ(t->decode(t->encode("hello there")), "hello there");
  EXPECT_THROW(load_tokenizer_json(R"({"model": {"type": "WordLevel"}})"), std::runtime_error);
}

}  // namespace
}  // namespace llm
