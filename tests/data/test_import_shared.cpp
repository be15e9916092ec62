// Importers on the real datasets in $LLM_SHARED_DATA (../shared/data by default);
// each test skips when its file is absent.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "core/data/importers.h"

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

// File contents, or "" when missing (the caller skips).
std::string read(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return "";
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

#define LOAD_OR_SKIP(var, rel)                                          \
  const std::string var##_path = shared_path(rel);                      \
  const std::string var = read(var##_path);                             \
  if (var.empty()) GTEST_SKIP() << var##_path << " not found (set LLM_SHARED_DATA)";

TEST(ImportShared, AlpacaEnDemo) {
  LOAD_OR_SKIP(bytes, "sft/alpaca_en_demo.json");
  EXPECT_EQ(detect_format(bytes), DataFormat::alpaca);
  auto chats = import_alpaca(bytes, bytes_path);
  EXPECT_EQ(chats.size(), 999u);
  size_t with_input = 0;
  for (auto& c : chats) {
    ASSERT_EQ(c.messages.size(), 2u);
    EXPECT_EQ(c.messages[0].role, "user");
    EXPECT_EQ(c.messages[1].role, "assistant");
    EXPECT_FALSE(c.messages[1].content.empty());
    with_input += c.messages[0].content.find('\n') != std::string::npos;
  }
  EXPECT_GE(with_input, 400u);  // 412 records have a non-empty "input"
}

TEST(ImportShared, Gsm8kChat) {
  LOAD_OR_SKIP(bytes, "sft/gsm8k_chat_train.jsonl");
  EXPECT_EQ(detect_format(bytes), DataFormat::chat);
  auto chats = import_chat(bytes, bytes_path);
  EXPECT_EQ(chats.size(), 449u);
  for (auto& c : chats) {
    ASSERT_EQ(c.messages.size(), 3u);
    EXPECT_EQ(c.messages[0].role, "system");
    EXPECT_NE(c.messages[2].content.find("####"), std::string::npos);
  }
}

TEST(ImportShared, DpoEnDemoConversations) {
  LOAD_OR_SKIP(bytes, "preference/dpo_en_demo.json");
  EXPECT_EQ(detect_format(bytes), DataFormat::preference);
  auto pairs = import_preference(bytes, bytes_path);
  EXPECT_EQ(pairs.size(), 300u);
  size_t multi_turn = 0, with_system = 0;
  for (auto& p : pairs) {
    EXPECT_EQ(p.prompt.back().role, "user");
    EXPECT_FALSE(p.chosen.empty());
    EXPECT_FALSE(p.rejected.empty());
    EXPECT_NE(p.chosen, p.rejected);
    multi_turn += p.prompt.size() > 2;
    for (auto& m : p.prompt) with_system += m.role == "system";
  }
  EXPECT_GT(multi_turn, 100u);
  EXPECT_EQ(with_system, 80u);  // "system" turns inside the conversations
}

TEST(ImportShared, OrcaDpoPairs) {
  LOAD_OR_SKIP(bytes, "preference/orca_dpo_pairs_validation.jsonl");
  EXPECT_EQ(detect_format(bytes), DataFormat::preference);
  auto pairs = import_preference(bytes, bytes_path);
  EXPECT_EQ(pairs.size(), 284u);
  for (auto& p : pairs) {
    ASSERT_EQ(p.prompt.size(), 2u);
    EXPECT_EQ(p.prompt[0].role, "system");
    EXPECT_EQ(p.prompt[1].role, "user");
    EXPECT_FALSE(p.chosen.empty());
  }
}

TEST(ImportShared, TinyStoriesHeadAsDocuments) {
  LOAD_OR_SKIP(bytes, "tinystories/valid_head.txt");
  EXPECT_EQ(detect_format(bytes), DataFormat::text);
  auto docs = import_documents(bytes, bytes_path);
  EXPECT_GT(docs.size(), 1000u);
  for (auto& d : docs) EXPECT_FALSE(d.text.empty());
}

TEST(ImportShared, CorruptedRealFileNamesTheLine) {
  LOAD_OR_SKIP(bytes, "sft/gsm8k_chat_train.jsonl");
  // cut line 10 in the middle: the error must point at line 10
  size_t pos = 0;
  for (int i = 0; i < 9; i++) pos = bytes.find('\n', pos) + 1;
  std::string broken = bytes.substr(0, pos + 40) + "\n" + bytes.substr(bytes.find('\n', pos) + 1);
  try {
    import_chat(broken, "gsm8k_chat_train.jsonl");
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("gsm8k_chat_train.jsonl:10: record 10: invalid JSON"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace llm
