#include "core/data/gen_preference.h"

#include "core/data/gen_tasks.h"
#include "core/data/gen_words.h"

namespace llm {
namespace {

std::string summary(const StoryFacts& f) {
  const std::string his = f.hero_female ? "her" : "his";
  if (f.plot == "lost") return "loses " + his + " " + f.object;
  if (f.plot == "stuck") return "gets " + his + " " + f.object + " stuck";
  if (f.plot == "sharing") return "learns to share";
  if (f.plot == "fear") return "is afraid of " + f.detail;
  if (f.plot == "broken") return "breaks something and tells the truth";
  if (f.plot == "hurt_animal") return "helps a hurt " + f.object;
  if (f.plot == "try_again") return "wants to learn to " + f.detail;
  if (f.plot == "new_friend") return "makes a new friend";
  if (f.plot == "disobey") return "does not listen";
  if (f.plot == "gift") return "makes a birthday gift";
  if (f.plot == "rainy_picnic") return "has a picnic on a rainy day";
  if (f.plot == "race") return "runs a race with a friend";
  return "finds a treasure map";
}

PreferenceExample story_pair(Rng& rng, std::string* key) {
  Story s = generate_story(rng);
  PreferenceExample ex;
  ex.task = "story." + s.facts.plot;
  ex.pair.prompt.push_back({"user", pick(rng, std::vector<std::string>{"Write a short story about " + with_article(s.facts.kind) + " named " + s.facts.name + " who " + summary(s.facts) + ".",
                                                                       "Tell me a story about " + s.facts.name + ", " + with_article(s.facts.kind) + " who " + summary(s.facts) + "."})});
  ex.pair.chosen = s.text;
  const std::vector<std::string>& sent = s.sentences;
  uint64_t r = rng.below(4);
  if (r == 0 && sent.size() >= 4) {
    std::vector<std::string> shuffled = sent;
    for (int tries = 0; tries < 10 && shuffled == sent; tries++) shuffle_in_place(rng, shuffled);
    ex.pair.rejected = join(shuffled, " ");
    ex.reason = "shuffled_sentences";
  } else if (r == 1 && sent.size() >= 3) {
    std::vector<std::string> rep(sent.begin(), sent.begin() + 2);
    std::string again = sent[1 + rng.below(sent.size() - 1)];
    for (size_t i = 0, n = 4 + rng.below(5); i < n; i++) rep.push_back(again);
    ex.pair.rejected = join(rep, " ");
    ex.reason = "repetitive";
  } else if (r == 2) {
    Story other;
    do other = generate_story(rng);
    while (other.facts.name == s.facts.name || other.facts.plot == s.facts.plot);
    ex.pair.rejected = other.text;
    ex.reason = "off_topic";
  } else {
    // cut inside a word-boundary in the middle third of the story, before a sentence end
    size_t cut = s.text.size() / 3 + rng.below(s.text.size() / 3);
    while (cut > 0 && s.text[cut] != ' ') cut--;
    ex.pair.rejected = s.text.substr(0, cut);
    while (!ex.pair.rejected.empty() && std::string_view(".!?\",").find(ex.pair.rejected.back()) != std::string_view::npos) ex.pair.rejected.pop_back();
    ex.reason = "unfinished";
  }
  *key = s.text;
  return ex;
}

PreferenceExample answer_pair(Rng& rng, std::string* key) {
  TaskItem t;
  switch (rng.below(5)) {
    case 0: t = task_arithmetic(rng); break;
    case 1: t = task_word_problem(rng); break;
    case 2: t = task_word(rng); break;
    case 3: t = task_short_answer(rng); break;
    default: {
      Story s = generate_story(rng);
      t = task_story_question(rng, s);
    }
  }
  PreferenceExample ex;
  ex.task = t.task;
  ex.pair.prompt.push_back({"user", t.question});
  ex.pair.chosen = t.reply;
  ex.pair.rejected = t.wrong_reply;
  ex.reason = "wrong_answer";
  *key = t.key;
  return ex;
}

PreferenceExample instruction_pair(Rng& rng, std::string* key) {
  PreferenceExample ex;
  ex.reason = "ignores_instruction";
  uint64_t r = rng.below(3);
  if (r == 0) {  // one-word answer
    TaskItem t = task_short_answer(rng);
    ex.task = "instruction.one_word";
    ex.pair.prompt.push_back({"user", "Answer with just one word. " + t.question});
    ex.pair.chosen = t.answer;
    ex.pair.rejected = t.reply + " " + pick(rng, std::vector<std::string>{"I hope this helps you.", "That is a good question to ask.", "Let me know if you want more."});
    *key = t.key;
  } else if (r == 1) {  // capitals
    TaskItem t = task_short_answer(rng);
    ex.task = "instruction.capitals";
    ex.pair.prompt.push_back({"user", t.question + " Write your answer in capital letters only."});
    std::string up = t.answer;
    for (char& c : up)
      if (c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
    ex.pair.chosen = up;
    ex.pair.rejected = t.answer;
    *key = t.key;
  } else {  // exactly N items
    using namespace llm::words;
    size_t n = 2 + rng.below(4);
    const std::vector<const char*>* table = nullptr;
    std::string what;
    switch (rng.below(3)) {
      case 0: table = &kColors, what = "colors"; break;
      case 1: table = &kAnimalKinds, what = "animals"; break;
      default: table = &kFoods, what = "foods"; break;
    }
    std::vector<std::string> items(table->begin(), table->end());
    shuffle_in_place(rng, items);
    std::vector<std::string> good(items.begin(), items.begin() + n), bad(items.begin(), items.begin() + n + 1 + rng.below(3));
    ex.task = "instruction.count_items";
    ex.pair.prompt.push_back({"user", "Name exactly " + std::to_string(n) + " " + what + ". Separate them with commas."});
    ex.pair.chosen = join(good, ", ");
    ex.pair.rejected = join(bad, ", ");
    *key = "items:" + what + ":" + std::to_string(n) + ":" + ex.pair.chosen;
  }
  return ex;
}

}  // namespace

PreferenceExample make_preference_example(Rng& rng, std::string* key) {
  std::string k;
  uint64_t r = rng.below(100);
  PreferenceExample ex = r < 40 ? answer_pair(rng, &k) : r < 65 ? instruction_pair(rng, &k) : story_pair(rng, &k);
  if (chance(rng, 30)) ex.pair.prompt.insert(ex.pair.prompt.begin(), Message{"system", "You are a helpful assistant."});
  if (key) *key = k;
  return ex;
}

std::vector<PreferenceExample> generate_preferences(size_t n, const GenOptions& opt) {
  std::vector<PreferenceExample> out;
  generate_preferences(n, opt, [&](const PreferenceExample& x) { out.push_back(x); });
  return out;
}

void generate_preferences(size_t n, const GenOptions& opt, const std::function<void(const PreferenceExample&)>& sink) {
  for_each_in_split<PreferenceExample>(n, opt, [](Rng& rng) {
    std::string key;
    PreferenceExample ex = make_preference_example(rng, &key);
    return std::make_pair(std::move(ex), std::move(key));
  }, [&](PreferenceExample& x) { sink(x); });
}

}  // namespace llm
