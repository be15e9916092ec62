// Single question/answer items shared by the SFT, preference and RL generators:
// arithmetic, word manipulation, short answers and questions about a story.
//
// Answer convention (datasets/README.md): a correct reply *ends with* its answer,
// optionally followed by closing punctuation (. ! ? " '), and the answer starts at a
// word boundary. So "7 + 5 = 12." answers "12" and "The first letter of \"dog\" is
// \"d\"." answers "d"; check_answer() implements this rule.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "core/data/gen_stories.h"

namespace llm {

struct TaskItem {
  std::string question;     // the user's message
  std::string reply;        // a correct assistant reply, ending with `answer`
  std::string answer;       // reference answer
  std::string wrong_reply;  // same shape as reply, with a plausible wrong answer
  std::string task;         // "arithmetic.add", "word.reverse", "short.plural", "story.who", ...
  std::string key;          // split key: the underlying problem, not its phrasing
  long long value = 0;      // numeric answer for arithmetic and counting tasks (0 otherwise)
};

// Arithmetic with explicit operands; op is '+', '-' or '*'. Phrasing is random.
TaskItem arithmetic_item(Rng& rng, char op, long long a, long long b);
TaskItem task_arithmetic(Rng& rng);     // random op and small operands (sums below 200)
TaskItem task_word_problem(Rng& rng);   // "Lily had 3 apples and found 4 more..." ends "the answer is 7."
TaskItem task_word(Rng& rng);           // reverse / spell / count letters / count a letter / uppercase / first / last letter
TaskItem task_short_answer(Rng& rng);   // opposite / plural / color / animal sound / past tense / baby animal
TaskItem task_counting(Rng& rng);       // counting letters, list items or words (integer answers)
// A question about `story`, answered from story.facts. The question kind is drawn
// among those the story's facts support (every story supports at least "who").
TaskItem task_story_question(Rng& rng, const Story& story);

// True when `reply` ends with `answer` under the convention above.
bool check_answer(std::string_view reply, std::string_view answer);
// The last (optionally negative) base-10 integer in s, e.g. for RL rewards.
std::optional<long long> last_integer(std::string_view s);

}  // namespace llm
