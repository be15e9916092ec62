// The cleaning pipeline end to end, its strict JSON config, and document I/O.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/data/clean.h"
#include "core/data/clean_io.h"

namespace {

const llm::StageReport& stage(const llm::CleanReport& r, const std::string& name) {
  for (const auto& s : r.stages)
    if (s.stage == name) return s;
  throw std::runtime_error("no stage " + name);
}

std::string story(const std::string& name, const std::string& thing) {
  return "Once upon a time, there was a kind child named " + name + ". " + name + " loved to play with the " +
         thing + " in the garden behind the house. One day the " + thing +
         " rolled away, and " + name + " had to look for it with a friend. They found it under a bush "
         "and laughed together. After that day, they always played with it near the house.";
}

std::string error_of(const std::string& json) {
  try {
    llm::CleanConfig::from_json(json, "cfg.json");
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(CleanPipeline, EveryStageReportsWhatItDid) {
  std::vector<std::string> docs = {
      story("Lily", "ball"),                                             // 0 clean
      "<html><body><p>" + story("Tom", "kite") + "</p><script>x()</script></body></html>",  // 1 html
      story("Ann", "bo\xC0x"),                                         // 2 invalid UTF-8
      story("Jose\xCC\x81", "drum"),                                   // 3 NFD -> NFC
      story("Max", "car") + " Mail max@example.com or call 555-123-4567.",  // 4 PII
      "$$$ ### @@@ !!! %%% ^^^ &&& *** ((( ))) the and of with to",    // 5 junk
      story("Lily", "ball"),                                             // 6 exact dup of 0
      story("Sue", "train"),                                             // 7
      story("Sue", "train") + " The end.",                               // 8 near dup of 7
      "<p> </p>",                                                        // 9 empty after html
  };
  const llm::CleanResult r = llm::clean_documents(docs, llm::CleanConfig{});
  const llm::CleanReport& rep = r.report;
  EXPECT_EQ(rep.docs_in, 10u);
  ASSERT_EQ(rep.stages.size(), 7u);
  EXPECT_EQ(rep.stages[0].stage, "utf8_repair");
  EXPECT_EQ(rep.stages[6].stage, "near_dedup");

  EXPECT_EQ(stage(rep, "utf8_repair").changed, 1u);
  EXPECT_EQ(stage(rep, "utf8_repair").counters.at("bytes_repaired"), 2.0);  // the thing is named twice
  EXPECT_EQ(stage(rep, "nfc").changed, 1u);
  EXPECT_EQ(stage(rep, "html").changed, 1u);
  EXPECT_EQ(stage(rep, "html").removed, 1u);
  EXPECT_EQ(stage(rep, "html").reasons.at("empty_after_strip"), 1u);
  EXPECT_EQ(stage(rep, "pii").changed, 1u);
  EXPECT_EQ(stage(rep, "pii").counters.at("emails"), 1.0);
  EXPECT_EQ(stage(rep, "pii").counters.at("phones"), 1.0);
  EXPECT_EQ(stage(rep, "quality").removed, 1u);
  EXPECT_EQ(stage(rep, "quality").reasons.at("symbol_ratio"), 1u);
  EXPECT_EQ(stage(rep, "exact_dedup").removed, 1u);
  EXPECT_EQ(stage(rep, "near_dedup").removed, 1u);
  EXPECT_EQ(stage(rep, "near_dedup").reasons.at("near_duplicate"), 1u);

  // Survivors in input order, with their source indices.
  EXPECT_EQ(r.source_index, (std::vector<size_t>{0, 1, 2, 3, 4, 7}));
  EXPECT_EQ(rep.docs_out, 6u);
  EXPECT_EQ(r.docs[1].find('<'), std::string::npos);
  EXPECT_NE(r.docs[2].find("bo\xEF\xBF\xBDx"), std::string::npos);
  EXPECT_NE(r.docs[3].find("Jos\xC3\xA9"), std::string::npos);
  EXPECT_NE(r.docs[4].find("Mail <EMAIL> or call <PHONE>."), std::string::npos);

  const std::string text = rep.to_text();
  EXPECT_NE(text.find("10 documents in, 6 out"), std::string::npos) << text;
  EXPECT_NE(text.find("symbol_ratio=1"), std::string::npos) << text;
  EXPECT_NE(rep.to_json().find("\"near_duplicate\": 1"), std::string::npos);

  // Cleaning is idempotent: a second pass (placeholders like <EMAIL> included)
  // changes and removes nothing.
  const llm::CleanResult again = llm::clean_documents(r.docs, llm::CleanConfig{});
  EXPECT_EQ(again.docs, r.docs);
  for (const auto& st : again.report.stages) {
    EXPECT_EQ(st.removed, 0u) << st.stage;
    EXPECT_EQ(st.changed, 0u) << st.stage;
  }
}

TEST(CleanPipeline, DisabledStagesAreSkipped) {
  llm::CleanConfig cfg = llm::CleanConfig::from_json(
      R"({"utf8_repair": false, "nfc": false, "html": false, "pii": {"enabled": false},
          "quality": {"enabled": false}, "exact_dedup": true, "near_dedup": {"enabled": false}})");
  const llm::CleanResult r = llm::clean_documents({"a", "a", "<b>x</b>"}, cfg);
  ASSERT_EQ(r.report.stages.size(), 1u);
  EXPECT_EQ(r.report.stages[0].stage, "exact_dedup");
  EXPECT_EQ(r.docs, (std::vector<std::string>{"a", "<b>x</b>"}));
}

TEST(CleanConfig, StrictKeysTypesAndRanges) {
  EXPECT_EQ(error_of(R"({"nfc": true})"), "");
  std::string e = error_of(R"({"quality": {"min_char": 5}})");
  EXPECT_NE(e.find("cfg.json"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown key 'quality.min_char'"), std::string::npos) << e;
  EXPECT_NE(e.find("min_chars"), std::string::npos) << "should list the known keys: " << e;
  e = error_of(R"({"dedup": true})");
  EXPECT_NE(e.find("unknown key 'dedup'"), std::string::npos) << e;
  e = error_of(R"({"near_dedup": {"threshold": "high"}})");
  EXPECT_NE(e.find("'near_dedup.threshold' must be a number"), std::string::npos) << e;
  e = error_of(R"({"near_dedup": {"threshold": 1.5}})");
  EXPECT_NE(e.find("out of range"), std::string::npos) << e;
  e = error_of(R"({"near_dedup": {"bands": 20, "rows": 10}})");
  EXPECT_NE(e.find("exceeds num_perm"), std::string::npos) << e;
  e = error_of(R"({"quality": {"script": "klingon"}})");
  EXPECT_NE(e.find("klingon"), std::string::npos) << e;
  e = error_of(R"({"quality": {"max_top_ngram_fraction": {"two": 0.2}}})");
  EXPECT_NE(e.find("'two'"), std::string::npos) << e;
  e = error_of(R"({"pii": {"email": 1}})");
  EXPECT_NE(e.find("'pii.email' must be true or false"), std::string::npos) << e;
  e = error_of(R"({"nfc": true,)");
  EXPECT_NE(e.find("invalid JSON"), std::string::npos) << e;
  e = error_of(R"([1, 2])");
  EXPECT_NE(e.find("must be a JSON object"), std::string::npos) << e;
}

TEST(CleanConfig, JsonRoundTrip) {
  llm::CleanConfig c;
  c.nfc = false;
  c.quality.min_words = 12;
  c.quality.max_top_ngram_fraction = {{2, 0.25}};
  c.minhash.threshold = 0.65;
  c.minhash.char_shingles = true;
  c.pii.phone_token = "[PHONE]";
  const llm::CleanConfig d = llm::CleanConfig::from_json(c.to_json());
  EXPECT_EQ(d.to_json(), c.to_json());
  EXPECT_FALSE(d.nfc);
  EXPECT_EQ(d.quality.min_words, 12u);
  EXPECT_EQ(d.quality.max_top_ngram_fraction.size(), 1u);
  EXPECT_DOUBLE_EQ(d.minhash.threshold, 0.65);
  EXPECT_TRUE(d.minhash.char_shingles);
  EXPECT_EQ(d.pii.phone_token, "[PHONE]");
}

TEST(CleanIo, ParsesEveryFormat) {
  auto c = llm::parse_documents("first doc\nline two\n\n\n  \nsecond doc\n", llm::DocFormat::kText, "t.txt");
  EXPECT_EQ(c.texts, (std::vector<std::string>{"first doc\nline two", "second doc"}));
  EXPECT_EQ(c.lines, (std::vector<size_t>{1, 6}));
  c = llm::parse_documents("story one\n\npara\n<|endoftext|>\nstory two\n<|endoftext|>\n", llm::DocFormat::kAuto, "x.txt");
  EXPECT_EQ(c.format, llm::DocFormat::kEot);
  EXPECT_EQ(c.texts, (std::vector<std::string>{"story one\n\npara", "story two"}));
  // Content beats the extension: plain stories in a file named .jsonl are text.
  EXPECT_EQ(llm::detect_doc_format("stories.jsonl", "Once upon a time.\n\nThe end.\n"), llm::DocFormat::kText);
  EXPECT_EQ(llm::detect_doc_format("x.txt", "  {\"text\": \"a\"}\n"), llm::DocFormat::kJsonl);
  c = llm::parse_documents("a\n\nb\r\nc\n", llm::DocFormat::kLines, "l.txt");
  EXPECT_EQ(c.texts, (std::vector<std::string>{"a", "b", "c"}));
  c = llm::parse_documents("{\"id\": 7, \"text\": \"hi\\nthere\"}\n\n{\"text\": \"bad \xC3\"}\n", llm::DocFormat::kAuto,
                           "d.jsonl");
  EXPECT_EQ(c.format, llm::DocFormat::kJsonl);
  EXPECT_EQ(c.texts, (std::vector<std::string>{"hi\nthere", "bad \xEF\xBF\xBD"}));
  EXPECT_EQ(c.lines, (std::vector<size_t>{1, 3}));
  EXPECT_EQ(c.input_bytes_repaired, 1u);
}

TEST(CleanIo, JsonlErrorsNameTheLine) {
  auto err = [](const std::string& in) {
    try {
      llm::parse_documents(in, llm::DocFormat::kJsonl, "d.jsonl");
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(err("{\"text\": \"ok\"}\n{\"txt\": \"no\"}\n").find("d.jsonl:2: missing field \"text\""), std::string::npos);
  EXPECT_NE(err("{\"text\": 5}\n").find("d.jsonl:1: field \"text\" is not a string"), std::string::npos);
  EXPECT_NE(err("{\"text\": \"ok\"}\n\n{oops\n").find("d.jsonl:3: invalid JSON"), std::string::npos);
  EXPECT_NE(err("[1]\n").find("d.jsonl:1: expected a JSON object"), std::string::npos);
}

TEST(CleanIo, SerializeKeepsOtherFieldsAndFormats) {
  auto c = llm::parse_documents("{\"id\": 1, \"text\": \"a\", \"src\": \"x\"}\n{\"id\": 2, \"text\": \"b\"}\n",
                                llm::DocFormat::kJsonl, "d.jsonl");
  EXPECT_EQ(llm::serialize_documents(c, {"B!"}, {1}), "{\"id\":2,\"text\":\"B!\"}\n");
  EXPECT_EQ(llm::serialize_documents(c, {"A"}, {0}), "{\"id\":1,\"text\":\"A\",\"src\":\"x\"}\n");
  c.format = llm::DocFormat::kText;
  size_t collapsed = 0;
  EXPECT_EQ(llm::serialize_documents(c, {"p1\n\np2", "q"}, {0, 1}, &collapsed), "p1\np2\n\nq\n");
  EXPECT_EQ(collapsed, 1u);
  c.format = llm::DocFormat::kEot;
  EXPECT_EQ(llm::serialize_documents(c, {"p1\n\np2", "q"}, {0, 1}), "p1\n\np2\n<|endoftext|>\nq\n<|endoftext|>\n");
  // Round trip through the eot format.
  const auto back = llm::parse_documents("p1\n\np2\n<|endoftext|>\nq\n<|endoftext|>\n", llm::DocFormat::kEot, "e");
  EXPECT_EQ(back.texts, (std::vector<std::string>{"p1\n\np2", "q"}));
}
