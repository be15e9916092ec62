// TinyStories-like corpus generator: short children's stories in a controlled
// vocabulary (core/data/gen_words.*), composed from plot templates made of
// interchangeable parts (setup, problem, attempts, help, resolution, moral).
//
// Variety comes from three levels: 13 plots, several phrasings per plot step, and
// random slot values (about 180 names, 22 animal kinds, 28 things, 24 places,
// 14 helpers, colors, feelings, ...), so there are far more distinct stories than a
// small model can memorize. Narration is in the past tense, dialogue in the present;
// each character's pronouns follow their gender, and the facts used to write a story
// are returned with it so the SFT generator can ask questions about it.
#pragma once
#include <string>
#include <vector>

#include "core/data/gen_common.h"

namespace llm {

struct StoryFacts {
  std::string plot;         // "lost", "stuck", "sharing", "fear", "broken", "hurt_animal", ...
  std::string name;         // the hero's name: "Lily"
  std::string kind;         // "girl", "boy" or an animal: "bunny"
  bool hero_female = false; // the hero's pronouns: she/her or he/his
  std::string place;        // bare noun: "park" ("" when the story has no particular place)
  std::string object;       // "ball" ("" when the plot has no object)
  std::string color;        // the object's color ("" when it has none)
  std::string helper;       // who helped: "mom", "owl", or the friend's name ("" when nobody)
  std::string friend_name;  // "" when the story has no friend
  std::string feeling_end;  // how the hero felt at the end: "happy", "proud", ...
  std::string detail;       // plot-specific: the fear ("the dark"), the skill, the gift, the rule, where it got stuck
  bool has_female = false;  // a female character appears (so "she"/"her" may occur)
  bool has_male = false;    // a male character appears (so "he"/"his" may occur)
};

struct Story {
  std::string text;                     // one paragraph, no newlines
  std::vector<std::string> sentences;   // text == join(sentences, " ")
  StoryFacts facts;
};

// One story drawn from rng.
Story generate_story(Rng& rng);

// n stories of the requested split (the split key is the story text).
std::vector<Story> generate_stories(size_t n, const GenOptions& opt);
// The same stories, handed to `sink` one by one (constant memory for huge corpora).
void generate_stories(size_t n, const GenOptions& opt, const std::function<void(const Story&)>& sink);

// The corpus file format: stories separated by one blank line, ending with a newline.
std::string stories_to_text(const std::vector<Story>& stories);

}  // namespace llm
