// Importers on small inline fixtures: each format, format detection, and the
// error messages for malformed input (they must name file, line and field).
#include <gtest/gtest.h>

#include <string>

#include "core/data/importers.h"

namespace llm {
namespace {

// Runs f, expects a std::runtime_error whose message contains every needle.
template <class F>
void expect_error(F f, std::initializer_list<const char*> needles) {
  try {
    f();
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    std::string m = e.what();
    for (const char* n : needles) EXPECT_NE(m.find(n), std::string::npos) << "missing '" << n << "' in: " << m;
  }
}

TEST(ImportText, BlankLinesSeparateDocuments) {
  std::string t = "\xEF\xBB\xBF  First doc line one.\nline two.\n\n\n   \nSecond doc.\r\n\r\nThird\n";
  auto docs = import_text(t);
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0].text, "First doc line one.\nline two.");
  EXPECT_EQ(docs[1].text, "Second doc.");
  EXPECT_EQ(docs[2].text, "Third");
  EXPECT_TRUE(import_text("").empty());
  EXPECT_TRUE(import_text("\n\n  \n").empty());
}

TEST(ImportText, LineAndSeparatorModes) {
  TextSplit lines;
  lines.mode = TextSplit::lines;
  auto a = import_text("a\n\nb\nc", lines);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[2].text, "c");
  TextSplit sep;
  sep.mode = TextSplit::separator_lines;
  auto b = import_text("Story one.\n\nStill one.\n<|endoftext|>\nStory two.\n <|endoftext|> \n", sep);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].text, "Story one.\n\nStill one.");
  EXPECT_EQ(b[1].text, "Story two.");
  // views point into the input: no copies
  std::string big = "x\n\ny";
  auto v = split_text_documents(big);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[1].data(), big.data() + 3);
}

TEST(ImportJsonlText, ReadsTextFieldAndReportsErrors) {
  auto d = import_jsonl_text("{\"text\": \"hello\"}\n\n{\"text\": \"w\\u00f6rld\", \"id\": 3}\n", "docs.jsonl");
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[1].text, "w\xC3\xB6rld");
  expect_error([] { import_jsonl_text("{\"text\": \"a\"}\n{\"txt\": \"b\"}\n", "docs.jsonl"); }, {"docs.jsonl:2", "record 2", "missing field \"text\"", "txt"});
  expect_error([] { import_jsonl_text("{\"text\": \"a\"}\n\n{\"text\": \"b\",}\n", "docs.jsonl"); }, {"docs.jsonl:3", "invalid JSON"});
  expect_error([] { import_jsonl_text("{\"text\": 5}\n", "docs.jsonl"); }, {"docs.jsonl:1", "\"text\" must be a string", "number"});
  expect_error([] { import_jsonl_text("[1, 2]\n", "docs.jsonl"); }, {"docs.jsonl:1", "expected a JSON object"});
}

const char* kAlpaca = R"([
  {
    "instruction": "Add the numbers.",
    "input": "2 and 3",
    "output": "5"
  },
  {"instruction": "Say hi.", "input": "", "output": "Hi!", "system": "Be brief.",
   "history": [["Hello?", "Hello."]]}
])";

TEST(ImportAlpaca, ArrayAndJsonl) {
  auto c = import_alpaca(kAlpaca, "a.json");
  ASSERT_EQ(c.size(), 2u);
  ASSERT_EQ(c[0].messages.size(), 2u);
  EXPECT_EQ(c[0].messages[0].role, "user");
  EXPECT_EQ(c[0].messages[0].content, "Add the numbers.\n2 and 3");
  EXPECT_EQ(c[0].messages[1].content, "5");
  ASSERT_EQ(c[1].messages.size(), 5u);  // system, history pair, user, assistant
  EXPECT_EQ(c[1].messages[0].role, "system");
  EXPECT_EQ(c[1].messages[1].content, "Hello?");
  EXPECT_EQ(c[1].messages[3].content, "Say hi.");
  auto j = import_alpaca("{\"instruction\": \"x\", \"output\": \"y\"}\n", "a.jsonl");
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0].messages[0].content, "x");
  EXPECT_EQ(detect_format(kAlpaca), DataFormat::alpaca);
}

TEST(ImportAlpaca, ErrorsNameTheLineOfTheRecord) {
  std::string bad = R"([
  {"instruction": "a", "output": "b"},
  {
    "instruction": "c",
    "outptu": "d"
  }
])";
  expect_error([&] { import_alpaca(bad, "alpaca.json"); }, {"alpaca.json:3", "record 2", "missing field \"output\"", "outptu"});
  std::string broken = "[\n {\"instruction\": \"a\", \"output\": \"b\"},\n {\"instruction\": \"c\" \"output\": \"d\"}\n]";
  expect_error([&] { import_alpaca(broken, "alpaca.json"); }, {"alpaca.json:3", "record 2", "invalid JSON"});
  std::string truncated = "[\n {\"instruction\": \"a\", \"output\": \"b\"},\n {\"instruction\": \"c\", \"out";
  expect_error([&] { import_alpaca(truncated, "alpaca.json"); }, {"alpaca.json:3", "truncated"});
  std::string unclosed = "[\n {\"instruction\": \"a\", \"output\": \"b\"}\n";
  expect_error([&] { import_alpaca(unclosed, "alpaca.json"); }, {"alpaca.json", "truncated"});
  expect_error([] { import_alpaca("[{\"instruction\": \"a\", \"output\": [\"b\"]}]", "x.json"); }, {"x.json:1", "\"output\" must be a string", "array"});
}

TEST(ImportChat, MessagesAndShareGpt) {
  std::string jsonl =
      "{\"messages\": [{\"role\": \"system\", \"content\": \"S\"}, {\"role\": \"user\", \"content\": \"Q\"}, {\"role\": \"assistant\", \"content\": \"A\"}]}\n"
      "{\"system\": \"Sys\", \"conversations\": [{\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"gpt\", \"value\": \"a\"}]}\n";
  auto c = import_chat(jsonl, "chat.jsonl");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].messages.size(), 3u);
  ASSERT_EQ(c[1].messages.size(), 3u);
  EXPECT_EQ(c[1].messages[0].role, "system");
  EXPECT_EQ(c[1].messages[1].role, "user");
  EXPECT_EQ(c[1].messages[2].role, "assistant");
  EXPECT_EQ(c[1].messages[2].content, "a");
  EXPECT_EQ(detect_format(jsonl), DataFormat::chat);
}

TEST(ImportChat, Errors) {
  expect_error([] { import_chat("{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"robot\", \"content\": \"a\"}]}", "c.jsonl"); },
               {"c.jsonl:1", "messages\"[1]", "unknown role \"robot\""});
  expect_error([] { import_chat("{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}]}", "c.jsonl"); }, {"c.jsonl:1", "must end with an assistant"});
  expect_error([] { import_chat("{\"messages\": [{\"role\": \"user\"}, {\"role\": \"assistant\", \"content\": \"a\"}]}", "c.jsonl"); },
               {"c.jsonl:1", "messages\"[0]", "missing field \"content\""});
  expect_error([] { import_chat("{\"msgs\": []}", "c.jsonl"); }, {"c.jsonl:1", "missing field \"messages\"", "msgs"});
  expect_error([] { import_chat("{\"messages\": \"hi\"}", "c.jsonl"); }, {"must be an array of messages"});
}

TEST(ImportPreference, AllThreeLayouts) {
  std::string simple = "{\"prompt\": \"Q?\", \"chosen\": \"good\", \"rejected\": \"bad\", \"system\": \"S\"}\n";
  std::string factory = R"([{"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}, {"from": "human", "value": "Q?"}],
    "chosen": {"from": "gpt", "value": "good"}, "rejected": {"from": "gpt", "value": "bad"}}])";
  std::string orca =
      "{\"input\": {\"messages\": [{\"role\": \"system\", \"content\": \"S\"}, {\"role\": \"user\", \"content\": \"Q?\"}]}, "
      "\"preferred_output\": [{\"role\": \"assistant\", \"content\": \"good\"}], \"non_preferred_output\": [{\"role\": \"assistant\", \"content\": \"bad\"}]}\n";
  std::string listed = "{\"prompt\": [{\"role\": \"user\", \"content\": \"Q?\"}], \"chosen\": [{\"role\": \"user\", \"content\": \"Q?\"}, {\"role\": \"assistant\", \"content\": \"good\"}], \"rejected\": \"bad\"}";
  for (const std::string& s : {simple, factory, orca, listed}) {
    EXPECT_EQ(detect_format(s), DataFormat::preference) << s;
    auto p = import_preference(s, "p.json");
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].chosen, "good");
    EXPECT_EQ(p[0].rejected, "bad");
    EXPECT_EQ(p[0].prompt.back().role, "user");
    EXPECT_EQ(p[0].prompt.back().content, "Q?");
  }
  EXPECT_EQ(import_preference(simple)[0].prompt.at(0).role, "system");
  EXPECT_EQ(import_preference(factory)[0].prompt.size(), 3u);
  EXPECT_EQ(import_preference(orca)[0].prompt.size(), 2u);
}

TEST(ImportPreference, Errors) {
  expect_error([] { import_preference("{\"question\": \"q\", \"good\": \"a\"}", "p.jsonl"); }, {"p.jsonl:1", "not a preference pair", "found keys: good, question"});
  expect_error([] { import_preference("{\"prompt\": \"q\", \"chosen\": \"a\"}", "p.jsonl"); }, {"p.jsonl:1", "missing field \"rejected\""});
  expect_error([] { import_preference("{\"prompt\": \"q\", \"chosen\": {\"from\": \"human\", \"value\": \"a\"}, \"rejected\": \"b\"}", "p.jsonl"); },
               {"field \"chosen\"", "expected an assistant reply"});
  expect_error([] { import_preference("{\"input\": {}, \"preferred_output\": \"a\", \"non_preferred_output\": \"b\"}", "p.jsonl"); },
               {"p.jsonl:1", "missing field \"messages\""});
  expect_error([] { import_preference("{\"prompt\": 3, \"chosen\": \"a\", \"rejected\": \"b\"}", "p.jsonl"); }, {"\"prompt\" must be a string or a list"});
}

TEST(ImportDocuments, DetectsAndRejectsNonDocumentData) {
  EXPECT_EQ(detect_format("Once upon a time.\n\nThe end."), DataFormat::text);
  EXPECT_EQ(detect_format("{\"text\": \"a\"}\n"), DataFormat::jsonl_text);
  EXPECT_EQ(detect_format("{\"foo\": 1}\n"), DataFormat::unknown);
  EXPECT_EQ(import_documents("{\"text\": \"a\"}\n{\"text\": \"b\"}\n").size(), 2u);
  EXPECT_EQ(import_documents("a\n\nb\n\nc").size(), 3u);
  expect_error([] { import_documents("{\"messages\": []}", "chat.jsonl"); }, {"chat.jsonl", "is chat data"});
  expect_error([] { import_documents("{\"foo\": 1}", "x.jsonl"); }, {"x.jsonl", "no \"text\" field"});
  EXPECT_EQ(parse_format("alpaca"), DataFormat::alpaca);
  EXPECT_THROW(parse_format("csv"), std::runtime_error);
  EXPECT_EQ(normalize_role("gpt"), "assistant");
  EXPECT_EQ(normalize_role("human"), "user");
  EXPECT_EQ(normalize_role("narrator"), "");
}

}  // namespace
}  // namespace llm
