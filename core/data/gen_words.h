// The controlled vocabulary of the generators: a children's-book world of about
// 1,500 distinct words. Stories, SFT tasks and preference pairs all draw from these
// tables, so a small model sees the same world from several angles.
#pragma once
#include <string>
#include <vector>

namespace llm::words {

enum class Gender { female, male };

struct Pronouns {
  const char* he;       // she / he
  const char* him;      // her / him
  const char* his;      // her / his
  const char* himself;  // herself / himself
};
const Pronouns& pronouns(Gender g);

// A toy or thing a character can own, lose, share or break.
struct Thing {
  const char* name;       // "ball"
  const char* play_past;  // "kicked {the_obj} across the grass": what playing with it looks like
  bool small;             // light enough to get stuck up a tree or be carried off by a dog
};

struct Place {
  const char* name;     // "park"
  const char* at;       // "at the park"
  const char* feature;  // a describing sentence, past tense
  const char* spot;     // somewhere to search: "under the slide"
  bool outdoor;         // trees, rain and wild animals make sense here
};

// Someone who helps: a family member or a friendly animal.
struct Helper {
  const char* first;  // first mention without possessive: "mom", "a wise old owl"
  const char* later;  // later mentions: "mom" (with possessive), "the owl"
  const char* voc;    // how the hero addresses them: "Mom", "Mr. Owl"
  Gender gender;
  bool family;        // family helpers take the hero's possessive: "her mom"
  const char* reach;  // how they get something down from high up, past tense
};

struct WordPair {
  const char* a;
  const char* b;
};

extern const std::vector<const char*> kGirlNames, kBoyNames, kPetNames;
extern const std::vector<const char*> kAnimalKinds;     // "bunny", "fox", ...
extern const std::vector<const char*> kHeroAdjectives;  // "little", "brave", ...
extern const std::vector<const char*> kColors;
extern const std::vector<const char*> kThingAdjectives;  // "shiny", "soft", ...
extern const std::vector<Thing> kThings;
extern const std::vector<Place> kPlaces;
extern const std::vector<Helper> kHelpers;
extern const std::vector<const char*> kHappyFeelings, kSadFeelings;
extern const std::vector<const char*> kHobbies;      // "draw pictures" (base form)
extern const std::vector<const char*> kFoods;
extern const std::vector<const char*> kHighPlaces;   // "up in a tall tree"
extern const std::vector<const char*> kSkills;       // "ride a bike"
extern const std::vector<const char*> kTimeOpeners;  // "One sunny morning"
extern const std::vector<const char*> kWeather;      // "The sun was warm and bright."

// For the short-answer and word tasks.
extern const std::vector<WordPair> kOpposites;   // big/small
extern const std::vector<WordPair> kPlurals;     // cat/cats, mouse/mice
extern const std::vector<WordPair> kThingColors; // grass/green
extern const std::vector<WordPair> kSounds;      // cow/moo
extern const std::vector<WordPair> kPastTense;   // run/ran
extern const std::vector<WordPair> kBabyAnimals; // dog/puppy
extern const std::vector<WordPair> kFears;       // {"the dark", sentence where it shows up}

// Plain lower-case words (3-9 letters) for spelling/reversing/counting tasks.
const std::vector<std::string>& simple_words();

}  // namespace llm::words
