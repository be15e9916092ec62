#include "core/data/gen_sft.h"

#include "core/data/gen_tasks.h"

namespace llm {
namespace {

const char* kSystemPrompts[] = {"You are a helpful assistant.", "You are a friendly assistant for children. Answer clearly.",
                                "Answer the question correctly and briefly.", "You are a careful assistant. Answer the question."};

// Draw from `make` until the item lands in the same split as the conversation.
// Some follow-ups have few possible problems (e.g. "add d to 0"), none of which
// may be in the split: then the conversation simply stays single-turn.
template <class Make>
void add_same_split(Rng& rng, const GenOptions* opt, std::vector<TaskItem>& turns, Make make) {
  for (int i = 0; i < 200; i++) {
    TaskItem t = make(rng);
    if (!opt || in_split(t.key, *opt)) {
      turns.push_back(std::move(t));
      return;
    }
  }
}

// "Now add 5 to that." on top of a previous numeric answer c.
TaskItem arithmetic_followup(Rng& rng, long long c) {
  uint64_t r = rng.below(3);
  if (r == 0 || c == 0) {
    long long d = 1 + rng.below(20);
    TaskItem t = arithmetic_item(rng, '+', c, d);
    t.question = pick(rng, std::vector<std::string>{"Now add " + std::to_string(d) + " to that.", "And if you add " + std::to_string(d) + " more?"});
    return t;
  }
  if (r == 1) {
    long long d = 1 + rng.below(uint64_t(c));
    TaskItem t = arithmetic_item(rng, '-', c, d);
    t.question = pick(rng, std::vector<std::string>{"Now take away " + std::to_string(d) + ".", "What if you subtract " + std::to_string(d) + " from that?"});
    return t;
  }
  long long d = 2 + rng.below(4);
  TaskItem t = arithmetic_item(rng, '*', c, d);
  t.question = pick(rng, std::vector<std::string>{"Now multiply that by " + std::to_string(d) + ".", "What is that times " + std::to_string(d) + "?"});
  return t;
}

}  // namespace

SftExample make_sft_example(Rng& rng, const GenOptions* opt, std::string* key) {
  SftExample ex;
  std::vector<TaskItem> turns;
  bool multi = chance(rng, 20);
  uint64_t family = rng.below(100);
  if (family < 30) {  // story questions; a follow-up asks another question about the same story
    Story story = generate_story(rng);
    turns.push_back(task_story_question(rng, story));
    if (multi) {
      TaskItem t2 = task_story_question(rng, story);
      if (t2.task != turns[0].task) {
        // the story is already in the conversation: ask the bare question
        size_t qpos = t2.question.rfind('\n');
        std::string bare = t2.question.substr(qpos == std::string::npos ? 0 : qpos + 1);
        if (bare.rfind("Question: ", 0) == 0) bare = bare.substr(10);
        if (bare.rfind("Answer this question about it: ", 0) == 0) bare = bare.substr(31);
        t2.question = bare;
        turns.push_back(t2);
      }
    }
  } else if (family < 55) {
    TaskItem t = chance(rng, 30) ? task_word_problem(rng) : task_arithmetic(rng);
    turns.push_back(t);
    if (multi && t.task.find("word_") == std::string::npos)
      add_same_split(rng, opt, turns, [&](Rng& r) { return arithmetic_followup(r, t.value); });
  } else if (family < 80) {
    turns.push_back(task_word(rng));
    if (multi) add_same_split(rng, opt, turns, task_word);
  } else {
    turns.push_back(task_short_answer(rng));
    if (multi) add_same_split(rng, opt, turns, task_short_answer);
  }
  if (chance(rng, 70)) ex.chat.messages.push_back({"system", pick(rng, kSystemPrompts)});
  for (auto& t : turns) {
    ex.chat.messages.push_back({"user", t.question});
    ex.chat.messages.push_back({"assistant", t.reply});
  }
  ex.answer = turns.back().answer;
  ex.task = turns.back().task;
  if (turns.size() > 1) ex.task += ".multi_turn";
  if (key) *key = turns[0].key;
  return ex;
}

std::vector<SftExample> generate_sft(size_t n, const GenOptions& opt) {
  std::vector<SftExample> out;
  generate_sft(n, opt, [&](const SftExample& x) { out.push_back(x); });
  return out;
}

void generate_sft(size_t n, const GenOptions& opt, const std::function<void(const SftExample&)>& sink) {
  for_each_in_split<SftExample>(n, opt, [&opt](Rng& rng) {
    std::string key;
    SftExample ex = make_sft_example(rng, &opt, &key);
    return std::make_pair(std::move(ex), std::move(key));
  }, [&](SftExample& x) { sink(x); });
}

}  // namespace llm
