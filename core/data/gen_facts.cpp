#include "core/data/gen_facts.h"

#include <algorithm>
#include <vector>

#include "core/data/gen_tasks.h"
#include "core/data/gen_words.h"

namespace llm {
using namespace llm::words;

std::string thing_phrase(const std::string& thing) {
  static const std::vector<std::string> the = {"sky", "sun", "sea"},
                                        mass = {"grass", "snow", "coal", "milk", "mud", "chocolate", "corn"};
  if (std::find(the.begin(), the.end(), thing) != the.end()) return "the " + thing;
  if (std::find(mass.begin(), mass.end(), thing) != mass.end()) return thing;
  return with_article(thing);
}

namespace {
// Each table: an opening sentence, and for one pair (a, b) a sentence in one of several forms.
std::string color_fact(Rng& rng, const std::string& a, const std::string& b) {
  const std::string np = thing_phrase(a);
  switch (rng.below(3)) {
    case 0: return capitalize(np) + " is " + b + ".";
    case 1: return "Look at " + np + ". It is " + b + ".";
    default: return "What a " + b + " " + a + "!";
  }
}
std::string sound_fact(Rng& rng, const std::string& a, const std::string& b) {
  switch (rng.below(3)) {
    case 0: return capitalize(with_article(a)) + " says " + b + ".";
    case 1: return "\"" + capitalize(b) + "!\" said the " + a + ".";
    default: return "The " + a + " goes " + b + ".";
  }
}
std::string plural_fact(Rng& rng, const std::string& a, const std::string& b) {
  switch (rng.below(3)) {
    case 0: return "One " + a + ", two " + b + ".";
    case 1: return "I see one " + a + ". Now I see three " + b + ".";
    default: return "There was one " + a + ", and then there were many " + b + ".";
  }
}
std::string past_fact(Rng& rng, const std::string& a, const std::string& b) {
  switch (rng.below(3)) {
    case 0: return "Today I " + a + ". Yesterday I " + b + ".";
    case 1: return "Every day we " + a + ", and yesterday we " + b + " too.";
    default: return "Now they " + a + "; last week they " + b + ".";
  }
}
std::string opposite_fact(Rng& rng, const std::string& a, const std::string& b) {
  switch (rng.below(3)) {
    case 0: return capitalize(a) + " and " + b + " are opposites.";
    case 1: return "The opposite of " + a + " is " + b + ".";
    default: return "If it is not " + a + ", maybe it is " + b + ".";
  }
}
std::string baby_fact(Rng& rng, const std::string& a, const std::string& b) {
  switch (rng.below(3)) {
    case 0: return "A baby " + a + " is called " + with_article(b) + ".";
    case 1: return "The little " + b + " stayed close to its mother, a big " + a + ".";
    default: return capitalize(with_article(b)) + " is a baby " + a + ".";
  }
}

struct Topic {
  const std::vector<WordPair>* pairs;
  std::vector<const char*> openings;
  std::string (*fact)(Rng&, const std::string&, const std::string&);
  bool both_ways;  // opposites are facts in both directions
};
}  // namespace

std::string facts_paragraph(Rng& rng) {
  static const std::vector<Topic> topics = {
      {&kThingColors, {"Things have colors.", "Let us learn our colors.", "Mom pointed at things and named their colors."}, color_fact, false},
      {&kSounds, {"Animals make sounds.", "On the farm, every animal has its own sound.", "Listen to the animals."}, sound_fact, false},
      {&kPlurals, {"One and many.", "Let us count things.", "When there is more than one, the word changes."}, plural_fact, false},
      {&kPastTense, {"Words for yesterday.", "What did we do yesterday?", "Today and yesterday."}, past_fact, false},
      {&kOpposites, {"Opposites.", "Some words are opposites.", "Let us learn opposites."}, opposite_fact, true},
      {&kBabyAnimals, {"Baby animals.", "Animals have babies.", "Every baby animal has a name."}, baby_fact, false}};
  const Topic& t = pick(rng, topics);
  std::vector<WordPair> pairs = *t.pairs;
  shuffle_in_place(rng, pairs);
  const size_t n = std::min(pairs.size(), size_t(4 + rng.below(5)));
  std::string out = pick(rng, t.openings);
  for (size_t i = 0; i < n; i++) {
    std::string a = pairs[i].a, b = pairs[i].b;
    if (t.both_ways && chance(rng, 50)) std::swap(a, b);
    out += " " + t.fact(rng, a, b);
  }
  return out;
}

std::string facts_qa_block(Rng& rng, int n) {
  const GenOptions train;  // split = train, the post-training generators' val_fraction
  std::string out;
  for (int i = 0; i < n;) {
    const uint64_t r = rng.below(10);
    const TaskItem t = r < 6 ? task_short_answer(rng) : r < 9 ? task_arithmetic(rng) : task_word(rng);
    if (!in_split(t.key, train)) continue;
    out += (out.empty() ? "" : "\n") + std::string("Q: ") + t.question + "\nA: " + t.reply;
    i++;
  }
  return out;
}

}  // namespace llm
