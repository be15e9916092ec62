// SFT, preference and RL generators: every reference answer is checked by an
// independent computation from the question text, every "chosen" is verifiably
// better than its "rejected", and the JSONL round-trips through our importers.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "core/data/gen_preference.h"
#include "core/data/gen_rl.h"
#include "core/data/gen_sft.h"
#include "core/data/gen_tasks.h"
#include "core/data/importers.h"
#include "core/data/records_json.h"

#ifndef LLM_SOURCE_DIR
#define LLM_SOURCE_DIR "."
#endif

namespace llm {
namespace {

std::vector<long long> integers(const std::string& s) {
  std::vector<long long> v;
  static const std::regex num("\\d+");
  for (auto it = std::sregex_iterator(s.begin(), s.end(), num); it != std::sregex_iterator(); ++it) v.push_back(std::stoll(it->str()));
  return v;
}

std::string first_quoted(const std::string& s, size_t nth = 0) {
  size_t a = 0;
  for (size_t k = 0; k <= nth; k++) {
    a = s.find('"', a);
    if (a == std::string::npos) return "";
    size_t b = s.find('"', a + 1);
    if (k == nth) return s.substr(a + 1, b - a - 1);
    a = b + 1;
  }
  return "";
}

// Recompute the answer of a single-turn question from its text alone; "" when
// the task is not one we can recompute this way.
std::string recompute(const std::string& task, const std::string& q) {
  auto n = integers(q);
  if (task == "arithmetic.add" || task == "arithmetic.word_add") return std::to_string(n.at(0) + n.at(1));
  if (task == "arithmetic.sub" || task == "arithmetic.word_sub") {
    // "Subtract B from A." lists B first
    return std::to_string(q.rfind("Subtract", 0) == 0 ? n.at(1) - n.at(0) : q.find("take") != std::string::npos && q.find("away from") != std::string::npos ? n.at(1) - n.at(0) : n.at(0) - n.at(1));
  }
  if (task == "arithmetic.mul" || task == "arithmetic.word_mul") return std::to_string(n.at(0) * n.at(1));
  if (task == "arithmetic.two_step") return std::to_string(n.at(0) + n.at(1) - n.at(2));
  std::string w = first_quoted(q);
  if (task == "word.reverse") return std::string(w.rbegin(), w.rend());
  if (task == "word.count_letters" || task == "count.letters") return std::to_string(w.size());
  if (task == "word.uppercase") {
    for (char& c : w) c = char(std::toupper((unsigned char)c));
    return w;
  }
  if (task == "word.first_letter") return w.substr(0, 1);
  if (task == "word.last_letter") return w.substr(w.size() - 1);
  if (task == "word.spell") {
    std::string s;
    for (size_t i = 0; i < w.size(); i++) s += (i ? "-" : "") + std::string(1, w[i]);
    return s;
  }
  if (task == "word.count_letter" || task == "count.letter") {
    std::string word = first_quoted(q, 1);
    return std::to_string(std::count(word.begin(), word.end(), w[0]));
  }
  if (task == "count.words") return std::to_string(split_whitespace(w).size());
  if (task == "count.list") {
    std::string list = q.substr(q.find(": ") + 2, q.find(". How") - q.find(": ") - 2);
    size_t c = 0, pos = 0;
    std::string target = first_quoted(q);
    while (pos <= list.size()) {
      size_t e = list.find(", ", pos);
      if (e == std::string::npos) e = list.size();
      c += list.substr(pos, e - pos) == target;
      pos = e + 2;
    }
    return std::to_string(c);
  }
  return "";
}

TEST(GenTasks, CheckAnswerFollowsTheEndsWithConvention) {
  EXPECT_TRUE(check_answer("7 + 5 = 12.", "12"));
  EXPECT_FALSE(check_answer("7 + 5 = 112.", "12"));  // word boundary
  EXPECT_FALSE(check_answer("12 is not 7 + 5 = 13.", "12"));
  EXPECT_TRUE(check_answer("The first letter of \"dog\" is \"d\".", "d"));
  EXPECT_TRUE(check_answer("It is spelled c-a-t.", "c-a-t"));
  EXPECT_TRUE(check_answer("Lily", "Lily"));
  EXPECT_FALSE(check_answer("", "x"));
  EXPECT_FALSE(check_answer("abc", ""));
}

TEST(GenTasks, LastIntegerAndReward) {
  EXPECT_EQ(last_integer("3 + 4 = 7. So the answer is 7."), 7);
  EXPECT_EQ(last_integer("it is -5"), -5);
  EXPECT_EQ(last_integer("10-3"), 3);
  EXPECT_FALSE(last_integer("no digits").has_value());
  EXPECT_EQ(rl_reward("The answer is 42", "42"), 1.0f);
  EXPECT_EQ(rl_reward("The answer is 42, not 41", "42"), 0.0f);
  EXPECT_EQ(rl_reward("nothing", "42"), 0.0f);
}

TEST(GenSft, EveryAnswerIsRightAndCheckable) {
  GenOptions o;
  o.seed = 4;
  auto items = generate_sft(1500, o);
  std::map<std::string, int> families;
  size_t multi = 0, recomputed = 0, with_system = 0;
  for (auto& ex : items) {
    const auto& m = ex.chat.messages;
    ASSERT_GE(m.size(), 2u);
    size_t i = 0;
    if (m[0].role == "system") i = 1, with_system++;
    ASSERT_EQ((m.size() - i) % 2, 0u);
    for (; i < m.size(); i += 2) {
      EXPECT_EQ(m[i].role, "user");
      EXPECT_EQ(m[i + 1].role, "assistant");
      EXPECT_FALSE(m[i].content.empty());
    }
    EXPECT_TRUE(check_answer(m.back().content, ex.answer)) << m.back().content << " / " << ex.answer;
    families[ex.task.substr(0, ex.task.find('.'))]++;
    bool is_multi = ex.task.find("multi_turn") != std::string::npos;
    multi += is_multi;
    if (!is_multi) {
      std::string want = recompute(ex.task, m[m.size() - 2].content);
      if (!want.empty()) {
        EXPECT_EQ(ex.answer, want) << ex.task << ": " << m[m.size() - 2].content;
        recomputed++;
      }
    }
    if (ex.task.rfind("story.", 0) == 0) {
      // the answer is in the story the user gave (the first user turn)
      const std::string& story = m[m[0].role == "system" ? 1 : 0].content;
      if (ex.task.find("feeling") == std::string::npos && ex.task.find("kind") == std::string::npos) {
        EXPECT_NE(story.find(ex.answer), std::string::npos) << ex.task << ": " << ex.answer;
      }
    }
  }
  EXPECT_GT(recomputed, 500u);
  EXPECT_GT(multi, 150u);
  EXPECT_GT(with_system, 800u);
  for (const char* f : {"story", "arithmetic", "word", "short"}) EXPECT_GT(families[f], 150) << f;
}

TEST(GenSft, MultiTurnArithmeticFollowUpsChainCorrectly) {
  GenOptions o;
  o.seed = 8;
  size_t seen = 0;
  for (auto& ex : generate_sft(2000, o)) {
    if (ex.task.rfind("arithmetic", 0) != 0 || ex.task.find("multi_turn") == std::string::npos) continue;
    const auto& m = ex.chat.messages;
    long long first = *last_integer(m[m.size() - 3].content);
    auto n = integers(m[m.size() - 2].content);
    long long d = n.at(0), want = 0;
    const std::string& q = m[m.size() - 2].content;
    if (q.find("add") != std::string::npos) want = first + d;
    else if (q.find("take away") != std::string::npos || q.find("subtract") != std::string::npos) want = first - d;
    else want = first * d;
    EXPECT_EQ(ex.answer, std::to_string(want)) << q;
    seen++;
  }
  EXPECT_GT(seen, 40u);
}

TEST(GenSft, SplitsAreDisjointAndDeterministic) {
  GenOptions tr, va;
  tr.seed = va.seed = 5;
  va.split = Split::validation;
  auto a = generate_sft(2000, tr), b = generate_sft(300, va);
  EXPECT_EQ(to_jsonl_lines(generate_sft(50, tr)), to_jsonl_lines(std::vector<SftExample>(a.begin(), a.begin() + 50)));
  // the first user turn carries the problem (or the story); follow-ups like
  // "Now add 5 to that." are generic and may repeat
  auto first_user = [](const SftExample& ex) { return ex.chat.messages[ex.chat.messages[0].role == "system" ? 1 : 0].content; };
  std::set<std::string> train_user;
  for (auto& ex : a) train_user.insert(first_user(ex));
  for (auto& ex : b) EXPECT_EQ(train_user.count(first_user(ex)), 0u) << first_user(ex);
}

TEST(GenSft, JsonlRoundTripsThroughTheChatImporter) {
  GenOptions o;
  auto items = generate_sft(200, o);
  std::string jsonl = to_jsonl_lines(items);
  EXPECT_EQ(detect_format(jsonl), DataFormat::chat);
  auto chats = import_chat(jsonl, "sft.jsonl");
  ASSERT_EQ(chats.size(), items.size());
  for (size_t i = 0; i < items.size(); i++) {
    ASSERT_EQ(chats[i].messages.size(), items[i].chat.messages.size());
    for (size_t k = 0; k < chats[i].messages.size(); k++) {
      EXPECT_EQ(chats[i].messages[k].role, items[i].chat.messages[k].role);
      EXPECT_EQ(chats[i].messages[k].content, items[i].chat.messages[k].content);
    }
  }
}

TEST(GenPreference, ChosenIsVerifiablyBetter) {
  GenOptions o;
  o.seed = 6;
  auto items = generate_preferences(1500, o);
  std::map<std::string, int> reasons;
  for (auto& ex : items) {
    const PreferencePair& p = ex.pair;
    reasons[ex.reason]++;
    ASSERT_FALSE(p.prompt.empty());
    EXPECT_EQ(p.prompt.back().role, "user");
    EXPECT_NE(p.chosen, p.rejected);
    const std::string& q = p.prompt.back().content;
    if (ex.reason == "wrong_answer") {
      std::string want = recompute(ex.task, q);
      if (!want.empty()) {
        EXPECT_TRUE(check_answer(p.chosen, want)) << p.chosen << " / " << want;
        EXPECT_FALSE(check_answer(p.rejected, want)) << p.rejected << " / " << want;
      }
    } else if (ex.reason == "ignores_instruction") {
      if (ex.task == "instruction.one_word") {
        EXPECT_EQ(split_whitespace(p.chosen).size(), 1u) << p.chosen;
        EXPECT_GT(split_whitespace(p.rejected).size(), 1u);
      } else if (ex.task == "instruction.capitals") {
        for (char c : p.chosen) EXPECT_FALSE(std::islower((unsigned char)c)) << p.chosen;
        EXPECT_TRUE(std::any_of(p.rejected.begin(), p.rejected.end(), [](char c) { return std::islower((unsigned char)c); }));
      } else {
        size_t n = size_t(integers(q).at(0));
        EXPECT_EQ(std::count(p.chosen.begin(), p.chosen.end(), ',') + 1, long(n)) << p.chosen;
        EXPECT_NE(std::count(p.rejected.begin(), p.rejected.end(), ',') + 1, long(n));
      }
    } else if (ex.reason == "shuffled_sentences") {
      EXPECT_EQ(p.chosen.size(), p.rejected.size());
      std::string a = p.chosen, b = p.rejected;
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      EXPECT_EQ(a, b);  // same sentences, other order
    } else if (ex.reason == "repetitive") {
      // the repeated sentence ends the text: its last 12 characters occur 4+ times
      auto count = [](const std::string& text) {
        std::string tail = text.substr(text.size() - 12);
        size_t n = 0;
        for (size_t pos = text.find(tail); pos != std::string::npos; pos = text.find(tail, pos + 1)) n++;
        return n;
      };
      EXPECT_GE(count(p.rejected), 4u) << p.rejected;
      EXPECT_LT(count(p.chosen), 4u) << p.chosen;
    } else if (ex.reason == "unfinished") {
      EXPECT_EQ(p.chosen.rfind(p.rejected, 0), 0u);  // a prefix
      EXPECT_LT(p.rejected.size(), p.chosen.size());
      char last = p.rejected.back();
      EXPECT_TRUE(last != '.' && last != '!' && last != '?') << p.rejected;
    } else if (ex.reason == "off_topic") {
      // the prompt names the hero; the chosen story is about them, the rejected one is not
      std::string name = q.substr(q.find("named ") != std::string::npos ? q.find("named ") + 6 : q.find("about ") + 6);
      name = name.substr(0, name.find_first_of(" ,"));
      EXPECT_NE(p.chosen.find(name), std::string::npos) << name;
      EXPECT_EQ(p.rejected.find(name), std::string::npos) << name;
    } else {
      ADD_FAILURE() << "unknown reason " << ex.reason;
    }
  }
  for (const char* r : {"wrong_answer", "ignores_instruction", "shuffled_sentences", "repetitive", "off_topic", "unfinished"}) EXPECT_GT(reasons[r], 30) << r;
}

TEST(GenPreference, JsonlRoundTripsThroughThePreferenceImporter) {
  GenOptions o;
  o.seed = 2;
  auto items = generate_preferences(200, o);
  std::string jsonl = to_jsonl_lines(items);
  EXPECT_EQ(detect_format(jsonl), DataFormat::preference);
  auto pairs = import_preference(jsonl, "pref.jsonl");
  ASSERT_EQ(pairs.size(), items.size());
  for (size_t i = 0; i < pairs.size(); i++) {
    EXPECT_EQ(pairs[i].chosen, items[i].pair.chosen);
    EXPECT_EQ(pairs[i].rejected, items[i].pair.rejected);
    ASSERT_EQ(pairs[i].prompt.size(), items[i].pair.prompt.size());
    for (size_t k = 0; k < pairs[i].prompt.size(); k++) {
      EXPECT_EQ(pairs[i].prompt[k].role, items[i].pair.prompt[k].role);
      EXPECT_EQ(pairs[i].prompt[k].content, items[i].pair.prompt[k].content);
    }
  }
}

TEST(GenRl, AnswersAreIntegersThatRecomputeFromThePrompt) {
  GenOptions o;
  o.seed = 9;
  auto items = generate_rl(2000, o);
  std::map<std::string, int> tasks;
  size_t recomputed = 0;
  for (auto& p : items) {
    tasks[p.task]++;
    ASSERT_TRUE(last_integer(p.answer).has_value()) << p.answer;
    EXPECT_EQ(std::to_string(*last_integer(p.answer)), p.answer);
    std::string want = recompute(p.task, p.prompt);
    ASSERT_FALSE(want.empty()) << p.task;
    EXPECT_EQ(p.answer, want) << p.task << ": " << p.prompt;
    recomputed++;
    EXPECT_EQ(rl_reward("I think it is " + p.answer + ".", p.answer), 1.0f);
  }
  EXPECT_EQ(recomputed, items.size());
  EXPECT_GE(tasks.size(), 9u);
  // validation prompts never occur in training
  GenOptions va = o;
  va.split = Split::validation;
  std::set<std::string> train;
  for (auto& p : items) train.insert(p.prompt);
  for (auto& p : generate_rl(300, va)) EXPECT_EQ(train.count(p.prompt), 0u) << p.prompt;
}

// datasets/samples/ holds small outputs of `llm data generate` for the docs and the
// web page; they must be what the generators produce today. Regenerate with the
// commands in datasets/README.md after changing a generator.
TEST(GenTasks, ShippedSamplesMatchTheGenerators) {
  auto read = [](const std::string& name) {
    std::ifstream f(std::string(LLM_SOURCE_DIR) + "/datasets/samples/" + name, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  GenOptions o;
  o.seed = 1;
  EXPECT_EQ(read("stories.txt"), stories_to_text(generate_stories(12, o)));
  EXPECT_EQ(read("sft.jsonl"), to_jsonl_lines(generate_sft(16, o)));
  EXPECT_EQ(read("preference.jsonl"), to_jsonl_lines(generate_preferences(12, o)));
  EXPECT_EQ(read("rl.jsonl"), to_jsonl_lines(generate_rl(16, o)));
}

// Pins the generated JSONL bytes across compilers, standard libraries and wasm.
// After an intended generator change, paste the new values from the failure message.
TEST(GenTasks, GoldenHashes) {
  GenOptions o;
  o.seed = 1;
  uint64_t sft = fnv1a64(to_jsonl_lines(generate_sft(30, o)));
  uint64_t pref = fnv1a64(to_jsonl_lines(generate_preferences(30, o)));
  uint64_t rl = fnv1a64(to_jsonl_lines(generate_rl(30, o)));
  EXPECT_EQ(sft, 0x682a1a32be0ccb0cull) << "sft: 0x" << std::hex << sft << "ull";
  EXPECT_EQ(pref, 0xa8fa31b68498fc58ull) << "preference: 0x" << std::hex << pref << "ull";
  EXPECT_EQ(rl, 0x74414660c6c28276ull) << "rl: 0x" << std::hex << rl << "ull";
}

}  // namespace
}  // namespace llm
