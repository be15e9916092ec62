#include "core/data/gen_tasks.h"

#include "core/data/gen_facts.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "core/data/gen_words.h"

namespace llm {
namespace {

using namespace llm::words;

std::string q(const std::string& w) { return "\"" + w + "\""; }  // quote a word

std::string spelled(const std::string& w) {  // "cat" -> "c-a-t"
  std::string out;
  for (size_t i = 0; i < w.size(); i++) {
    if (i) out += '-';
    out += w[i];
  }
  return out;
}

std::string upper(std::string w) {
  for (char& c : w)
    if (c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
  return w;
}

bool is_alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// A wrong number near the right one (off-by-one and off-by-ten are the common slips).
long long near_miss(Rng& rng, long long c) {
  static const long long deltas[] = {1, -1, 2, -2, 10, -10, 3};
  for (;;) {
    long long w = c + pick(rng, deltas);
    if (w >= 0 && w != c) return w;
  }
}

// Replace the trailing answer of a reply with another one (reply ends with answer + punctuation).
std::string swap_answer(const std::string& reply, const std::string& answer, const std::string& wrong) {
  size_t end = reply.size();
  while (end > 0 && std::string_view(".!?\"' ").find(reply[end - 1]) != std::string_view::npos) end--;
  if (end < answer.size() || reply.compare(end - answer.size(), answer.size(), answer) != 0)
    throw std::logic_error("swap_answer: reply does not end with its answer: " + reply);
  return reply.substr(0, end - answer.size()) + wrong + reply.substr(end);
}

TaskItem make(std::string task, std::string key, std::string question, std::string reply, std::string answer, std::string wrong_answer) {
  TaskItem t;
  t.task = std::move(task);
  t.key = std::move(key);
  t.question = std::move(question);
  t.wrong_reply = swap_answer(reply, answer, wrong_answer);
  t.reply = std::move(reply);
  t.answer = std::move(answer);
  return t;
}

// Words that occur in exactly one pair of a table: only those make unambiguous questions.
std::vector<std::pair<std::string, std::string>> unambiguous_pairs(const std::vector<WordPair>& pairs, bool both_ways) {
  std::map<std::string, int> count;
  for (auto& p : pairs) {
    count[p.a]++;
    if (both_ways) count[p.b]++;
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& p : pairs) {
    if (count[p.a] == 1) out.emplace_back(p.a, p.b);
    if (both_ways && count[p.b] == 1) out.emplace_back(p.b, p.a);
  }
  return out;
}

const char* kPluralItems[] = {"apples", "cookies", "balls", "stickers", "flowers", "shells", "crayons", "marbles", "books", "stars", "eggs", "carrots"};

}  // namespace

TaskItem arithmetic_item(Rng& rng, char op, long long a, long long b) {
  long long c = op == '+' ? a + b : op == '-' ? a - b : a * b;
  std::string A = std::to_string(a), B = std::to_string(b), C = std::to_string(c);
  std::string sym(1, op), word = op == '+' ? "plus" : op == '-' ? "minus" : "times";
  std::string question;
  switch (op) {
    case '+': question = pick(rng, std::vector<std::string>{"What is " + A + " + " + B + "?", "What is " + A + " plus " + B + "?", "Add " + A + " and " + B + ".",
                                                             "Calculate " + A + " + " + B + ".", "What do you get when you add " + A + " and " + B + "?", A + " + " + B + " = ?"});
      break;
    case '-': question = pick(rng, std::vector<std::string>{"What is " + A + " - " + B + "?", "What is " + A + " minus " + B + "?", "Subtract " + B + " from " + A + ".",
                                                             "Calculate " + A + " - " + B + ".", "What do you get when you take " + B + " away from " + A + "?"});
      break;
    default: question = pick(rng, std::vector<std::string>{"What is " + A + " * " + B + "?", "What is " + A + " times " + B + "?", "Multiply " + A + " by " + B + ".",
                                                            "Calculate " + A + " * " + B + "."});
  }
  uint64_t r = rng.below(4);
  std::string reply = r < 2 ? A + " " + sym + " " + B + " = " + C + "." : r == 2 ? "The answer is " + C + "." : A + " " + word + " " + B + " is " + C + ".";
  const char* name = op == '+' ? "arithmetic.add" : op == '-' ? "arithmetic.sub" : "arithmetic.mul";
  TaskItem t = make(name, std::string(1, op) + ":" + A + ":" + B, question, reply, C, std::to_string(near_miss(rng, c)));
  t.value = c;
  return t;
}

TaskItem task_arithmetic(Rng& rng) {
  uint64_t r = rng.below(10);
  bool big = chance(rng, 30);  // mostly small numbers, some two-digit ones
  long long lim = big ? 100 : 21;
  // one draw per statement: the order of evaluation of function arguments (and of + operands)
  // is unspecified, and g++ and clang (em++) differ, which would make wasm generate other data
  if (r < 4) {
    const long long a = rng.below(lim), b = rng.below(lim);
    return arithmetic_item(rng, '+', a, b);
  }
  if (r < 7) {
    long long a = rng.below(lim), b = rng.below(lim);
    if (a < b) std::swap(a, b);  // keep results non-negative
    return arithmetic_item(rng, '-', a, b);
  }
  const long long a = rng.below(13), b = rng.below(13);
  return arithmetic_item(rng, '*', a, b);
}

TaskItem task_word_problem(Rng& rng) {
  bool girl = chance(rng, 50);
  std::string name = girl ? pick(rng, kGirlNames) : pick(rng, kBoyNames);
  const Pronouns& p = pronouns(girl ? Gender::female : Gender::male);
  std::string items = pick(rng, kPluralItems), He = capitalize(p.he);
  long long a = 2 + rng.below(19), b = 2 + rng.below(19), c;
  std::string question, work, task;
  switch (rng.below(3)) {
    case 0:
      c = a + b;
      task = "arithmetic.word_add";
      question = name + " had " + std::to_string(a) + " " + items + ". " + He + " found " + std::to_string(b) + " more. How many " + items + " does " + name + " have now?";
      work = std::to_string(a) + " + " + std::to_string(b) + " = " + std::to_string(c) + ".";
      break;
    case 1:
      if (a < b) std::swap(a, b);
      c = a - b;
      task = "arithmetic.word_sub";
      question = name + " had " + std::to_string(a) + " " + items + ". " + He + " gave " + std::to_string(b) + " to " + p.his + " friend. How many " + items + " does " + name + " have left?";
      work = std::to_string(a) + " - " + std::to_string(b) + " = " + std::to_string(c) + ".";
      break;
    default:
      a = 2 + rng.below(9), b = 2 + rng.below(9), c = a * b;
      task = "arithmetic.word_mul";
      question = name + " has " + std::to_string(a) + " bags. Each bag has " + std::to_string(b) + " " + items + " in it. How many " + items + " are there in all?";
      work = std::to_string(a) + " * " + std::to_string(b) + " = " + std::to_string(c) + ".";
  }
  std::string reply = work + " So the answer is " + std::to_string(c) + ".";
  TaskItem t = make(task, task + ":" + std::to_string(a) + ":" + std::to_string(b), question, reply, std::to_string(c), std::to_string(near_miss(rng, c)));
  t.value = c;
  return t;
}

TaskItem task_word(Rng& rng) {
  const std::string& w = pick(rng, simple_words());
  std::string W = q(w);
  switch (rng.below(7)) {
    case 0: {
      std::string r(w.rbegin(), w.rend());
      std::string wrong = r == w ? r.substr(1) : w;  // a lazy model just repeats the word
      std::string question = pick(rng, std::vector<std::string>{"Reverse the word " + W + ".", "Write " + W + " backwards.", "What is " + W + " spelled backwards?"});
      return make("word.reverse", "reverse:" + w, question, W + " backwards is " + q(r) + ".", r, wrong);
    }
    case 1: {
      std::string s = spelled(w), bad = spelled(w.substr(0, w.size() - 1));
      std::string question = pick(rng, std::vector<std::string>{"Spell the word " + W + ".", "How do you spell " + W + "? Put a dash between the letters."});
      return make("word.spell", "spell:" + w, question, W + " is spelled " + s + ".", s, bad);
    }
    case 2: {
      std::string question = pick(rng, std::vector<std::string>{"How many letters are in the word " + W + "?", "Count the letters in " + W + "."});
      std::string n = std::to_string(w.size());
      TaskItem t = make("word.count_letters", "len:" + w, question, W + " is spelled " + spelled(w) + ", so the number of letters is " + n + ".", n, std::to_string(w.size() + (chance(rng, 50) ? 1 : -1)));
      t.value = (long long)w.size();
      return t;
    }
    case 3: {
      char l = chance(rng, 80) ? w[rng.below(w.size())] : char('a' + rng.below(26));
      long long n = std::count(w.begin(), w.end(), l);
      std::string L = q(std::string(1, l));
      std::string question = "How many times does the letter " + L + " appear in " + W + "?";
      std::string reply = W + " is spelled " + spelled(w) + ". The number of times " + L + " appears is " + std::to_string(n) + ".";
      TaskItem t = make("word.count_letter", std::string("count:") + l + ":" + w, question, reply, std::to_string(n), std::to_string(n + 1));
      t.value = n;
      return t;
    }
    case 4: {
      std::string question = pick(rng, std::vector<std::string>{"Write " + W + " in capital letters.", "Make the word " + W + " all uppercase."});
      return make("word.uppercase", "upper:" + w, question, "In capital letters, it is " + upper(w) + ".", upper(w), capitalize(w));
    }
    case 5:
      return make("word.first_letter", "first:" + w, "What is the first letter of " + W + "?", "The first letter of " + W + " is " + q(w.substr(0, 1)) + ".",
                  w.substr(0, 1), w.substr(1, 1));
    default:
      return make("word.last_letter", "last:" + w, "What is the last letter of " + W + "?", "The last letter of " + W + " is " + q(w.substr(w.size() - 1)) + ".",
                  w.substr(w.size() - 1), w.substr(0, 1) == w.substr(w.size() - 1) ? w.substr(1, 1) : w.substr(0, 1));
  }
}

TaskItem task_short_answer(Rng& rng) {
  switch (rng.below(6)) {
    case 0: {
      static const auto pairs = unambiguous_pairs(kOpposites, true);
      auto& p = pick(rng, pairs);
      std::string wrong = p.first;  // answering with the word itself is the classic miss
      return make("short.opposite", "opp:" + p.first, pick(rng, std::vector<std::string>{"What is the opposite of " + q(p.first) + "?", "What is the opposite of " + p.first + "?"}),
                  "The opposite of " + q(p.first) + " is " + q(p.second) + ".", p.second, wrong);
    }
    case 1: {
      auto& p = pick(rng, kPlurals);
      std::string a = p.a, b = p.b, naive = a + "s" == b ? a + "es" : a + "s";
      return make("short.plural", "plural:" + a, "What is the plural of " + q(a) + "?", "The plural of " + q(a) + " is " + q(b) + ".", b, naive);
    }
    case 2: {
      auto& p = pick(rng, kThingColors);
      std::string thing = p.a;
      const std::string np = thing_phrase(thing);
      std::string wrong;
      do wrong = pick(rng, kColors);
      while (wrong == p.b);
      return make("short.color", "color:" + thing, "What color is " + np + "?", capitalize(np) + " is " + p.b + ".", p.b, wrong);
    }
    case 3: {
      static const auto pairs = unambiguous_pairs(kSounds, false);
      auto& p = pick(rng, pairs);
      std::string wrong;
      do wrong = pick(rng, kSounds).b;
      while (wrong == p.second);
      return make("short.sound", "sound:" + p.first, "What sound does " + with_article(p.first) + " make?", capitalize(with_article(p.first)) + " says " + q(p.second) + ".",
                  p.second, wrong);
    }
    case 4: {
      auto& p = pick(rng, kPastTense);
      std::string a = p.a, naive = a + (a.back() == 'e' ? "d" : "ed");
      if (naive == p.b) naive = a + "s";
      return make("short.past_tense", "past:" + a, "What is the past tense of " + q(a) + "?", "The past tense of " + q(a) + " is " + q(p.b) + ".", p.b, naive);
    }
    default: {
      auto& p = pick(rng, kBabyAnimals);
      std::string wrong;
      do wrong = pick(rng, kBabyAnimals).b;
      while (wrong == p.b);
      return make("short.baby_animal", std::string("baby:") + p.a, "What is a baby " + std::string(p.a) + " called?",
                  "A baby " + std::string(p.a) + " is called " + with_article(p.b) + ".", p.b, wrong);
    }
  }
}

TaskItem task_counting(Rng& rng) {
  switch (rng.below(4)) {
    case 0: {  // letters in a word
      const std::string& w = pick(rng, simple_words());
      std::string n = std::to_string(w.size());
      TaskItem t = make("count.letters", "len:" + w, "How many letters are in the word " + q(w) + "?",
                        q(w) + " is spelled " + spelled(w) + ", so the number of letters is " + n + ".", n, std::to_string(w.size() + 1));
      t.value = (long long)w.size();
      return t;
    }
    case 1: {  // one item in a list
      size_t len = 3 + rng.below(6);
      std::string target = pick(rng, kFoods), list, key = "list";
      long long n = 0;
      for (size_t i = 0; i < len; i++) {
        std::string item = chance(rng, 40) ? target : std::string(pick(rng, kFoods));
        n += item == target;
        list += (i ? ", " : "") + item;
        key += ":" + item;
      }
      std::string question = "Here is a list: " + list + ". How many times does " + q(target) + " appear in the list?";
      TaskItem t = make("count.list", key + "/" + target, question, q(target) + " appears this many times: " + std::to_string(n) + ".", std::to_string(n), std::to_string(n + 1));
      t.value = n;
      return t;
    }
    case 2: {  // words in a sentence
      const std::string color = pick(rng, kColors);
      const std::string animal = pick(rng, kAnimalKinds);
      const std::string verb = pick(rng, std::vector<std::string>{"ran to the", "sat by the", "played in the", "slept near the", "looked at the"});
      const std::string place = pick(rng, kPlaces).name;
      std::string sentence = capitalize(with_article(color + " " + animal)) + " " + verb + " " + place + ".";
      long long n = (long long)split_whitespace(sentence).size();
      TaskItem t = make("count.words", "words:" + sentence, "How many words are in this sentence: " + q(sentence) + "?",
                        "The number of words is " + std::to_string(n) + ".", std::to_string(n), std::to_string(n - 1));
      t.value = n;
      return t;
    }
    default: {  // one letter in a word
      const std::string& w = pick(rng, simple_words());
      char l = w[rng.below(w.size())];
      long long n = std::count(w.begin(), w.end(), l);
      std::string L = q(std::string(1, l));
      TaskItem t = make("count.letter", std::string("count:") + l + ":" + w, "How many times does the letter " + L + " appear in " + q(w) + "?",
                        q(w) + " is spelled " + spelled(w) + ". The number of times " + L + " appears is " + std::to_string(n) + ".", std::to_string(n), std::to_string(n + 1));
      t.value = n;
      return t;
    }
  }
}

TaskItem task_story_question(Rng& rng, const Story& story) {
  const StoryFacts& f = story.facts;
  const std::string his = f.hero_female ? "her" : "his", name = f.name;
  std::vector<std::string> kinds = {"who", "feeling"};
  bool animal = f.kind != "girl" && f.kind != "boy";
  kinds.push_back("kind");
  if (!f.place.empty() && f.place != "house") kinds.push_back("where");
  if (f.plot == "lost" || f.plot == "stuck" || f.plot == "sharing" || f.plot == "broken" || f.plot == "hurt_animal") kinds.push_back("what");
  if (!f.color.empty() && (f.plot == "lost" || f.plot == "stuck" || f.plot == "sharing" || f.plot == "broken")) kinds.push_back("color");
  if (f.plot == "lost" || f.plot == "stuck" || f.plot == "fear" || f.plot == "try_again" || f.plot == "hurt_animal") kinds.push_back("helper");
  if (!f.friend_name.empty()) kinds.push_back("friend");
  if (f.plot == "fear" || f.plot == "try_again" || f.plot == "treasure") kinds.push_back("detail");
  const std::string kind = pick(rng, kinds);

  auto other = [&](const auto& table, const std::string& not_this) {
    std::string w;
    do w = pick(rng, table);
    while (w == not_this);
    return w;
  };
  std::string question, reply, answer, wrong;
  if (kind == "who") {
    question = pick(rng, std::vector<std::string>{"Who is the story about?", "What is the name of the main character?"});
    reply = question[0] == 'W' && question[1] == 'h' && question[2] == 'o' ? "The story is about " + name + "." : "The main character is " + name + ".";
    answer = name;
    wrong = animal ? other(kPetNames, name) : f.hero_female ? other(kGirlNames, name) : other(kBoyNames, name);
    if (wrong == f.friend_name) wrong = animal ? other(kPetNames, f.friend_name) : "Bob";
  } else if (kind == "kind") {
    question = animal ? "What kind of animal is " + name + "?" : "Is " + name + " a boy or a girl?";
    reply = name + " is " + with_article(f.kind) + ".";
    answer = f.kind;
    wrong = animal ? other(kAnimalKinds, f.kind) : (f.kind == "girl" ? "boy" : "girl");
  } else if (kind == "feeling") {
    question = "How did " + name + " feel at the end of the story?";
    reply = "At the end, " + name + " felt " + f.feeling_end + ".";
    answer = f.feeling_end;
    bool sad_end = std::find(kSadFeelings.begin(), kSadFeelings.end(), f.feeling_end) != kSadFeelings.end();
    wrong = sad_end ? "happy" : "sad";
  } else if (kind == "where") {
    std::string at;
    for (auto& p : kPlaces)
      if (f.place == p.name) at = p.at;
    question = pick(rng, std::vector<std::string>{"Where does the story take place?", "Where was " + name + " in the story?"});
    reply = question[6] == 'd' ? "The story takes place " + at + "." : name + " was " + at + ".";
    answer = f.place;
    std::string w;
    do w = pick(rng, kPlaces).name;
    while (w == f.place);
    wrong = w;
  } else if (kind == "what") {
    answer = f.object;
    if (f.plot == "lost") question = "What did " + name + " lose?", reply = name + " lost " + his + " " + f.object + ".";
    else if (f.plot == "stuck") question = "What got stuck " + f.detail + "?", reply = "It was " + name + "'s " + f.object + ".";
    else if (f.plot == "sharing") question = "What did " + f.friend_name + " want to play with?", reply = f.friend_name + " wanted to play with the " + f.object + ".";
    else if (f.plot == "broken") question = "What broke in the story?", reply = "The thing that broke was the " + f.object + ".";
    else question = "What animal did " + name + " help?", reply = name + " helped a little " + f.object + ".";
    std::string w;
    do w = pick(rng, kThings).name;
    while (w == f.object);
    wrong = w;
  } else if (kind == "color") {
    question = "What color was the " + f.object + "?";
    reply = "The " + f.object + " was " + f.color + ".";
    answer = f.color;
    wrong = other(kColors, f.color);
  } else if (kind == "helper") {
    bool family = false;
    for (auto& h : kHelpers) family = family || (h.family && f.helper == h.later);
    question = "Who helped " + name + "?";
    reply = name + " got help from " + (family ? his + " " : std::string("the ")) + f.helper + ".";
    answer = f.helper;
    wrong = f.helper == "dad" ? "grandma" : "dad";
  } else if (kind == "friend") {
    question = "What was the name of " + name + "'s friend?";
    reply = "The friend's name was " + f.friend_name + ".";
    answer = f.friend_name;
    wrong = name;  // mixing up the two characters is the typical error
  } else {  // detail
    if (f.plot == "fear") question = "What was " + name + " afraid of?", reply = name + " was afraid of " + f.detail + ".", wrong = "the rain";
    else if (f.plot == "try_again") question = "What did " + name + " want to learn?", reply = name + " wanted to learn to " + f.detail + ".", wrong = "sing";
    else question = "What did they find in the box?", reply = "In the box, they found " + f.detail + ".", wrong = "a toy car";
    answer = f.detail;
    if (wrong == answer) wrong = "nothing";
  }
  std::string prompt = pick(rng, std::vector<std::string>{"Read the story and answer the question.\n\n" + story.text + "\n\nQuestion: " + question,
                                                          story.text + "\n\n" + question,
                                                          "Here is a story:\n" + story.text + "\n\nAnswer this question about it: " + question});
  TaskItem t = make("story." + kind, story.text, prompt, reply, answer, wrong);
  return t;
}

bool check_answer(std::string_view reply, std::string_view answer) {
  size_t end = reply.size();
  while (end > 0 && std::string_view(".!?\"' \n\t").find(reply[end - 1]) != std::string_view::npos) end--;
  if (answer.empty() || end < answer.size()) return false;
  size_t start = end - answer.size();
  if (reply.substr(start, answer.size()) != answer) return false;
  return start == 0 || !is_alnum(reply[start - 1]) || !is_alnum(answer[0]);
}

std::optional<long long> last_integer(std::string_view s) {
  size_t i = s.size();
  while (i > 0 && !(s[i - 1] >= '0' && s[i - 1] <= '9')) i--;
  if (i == 0) return std::nullopt;
  size_t end = i;
  while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9') i--;
  if (end - i > 18) return std::nullopt;  // would overflow; not an answer we generate
  long long v = std::stoll(std::string(s.substr(i, end - i)));
  bool neg = i > 0 && s[i - 1] == '-' && (i == 1 || !is_alnum(s[i - 2]));
  return neg ? -v : v;
}

}  // namespace llm
