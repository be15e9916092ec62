// Story generator. Each plot is a function that appends sentences through a Writer;
// shared steps (introductions, dialogue, morals) are Writer methods with several
// phrasings each. Slot names used by the templates:
//   hero:   {name} {kind} {a_kind} {adj} {he} {him} {his} {himself}
//   helper: {helper_first} {helper} {hhe} {hhim} {hhis} {hvoc} {reach}
//   friend: {friend} {fkind} {a_fkind} {fhe} {fhim} {fhis}
//   thing:  {obj} {cobj} {a_cobj} {the_obj} {play}
//   place:  {place} {at_place} {to_place} {spot} {spot2}
//   misc:   {time} {sad} {happy} {home}, and plot-specific slots set by each plot
// A capitalized slot ({He}, {Helper}) capitalizes the value (core/data/gen_common.h).
#include "core/data/gen_stories.h"

#include <array>
#include <string_view>

#include "core/data/gen_words.h"

namespace llm {
namespace {

using namespace llm::words;

const std::vector<const char*> kHomes = {"in a little town", "in a small village", "in a big forest", "on a quiet farm",
                                         "in a house by the sea", "in a green valley", "in a busy city", "in a cozy cottage"};
const std::vector<const char*> kGenericSpots = {"under a bench", "near the gate", "behind a bush", "in the tall grass",
                                                "next to a big rock", "under some leaves", "by the fence"};
const std::vector<const char*> kGames = {"tag", "hide and seek", "catch", "pretend pirates", "ball",
                                         "a game of jumping over sticks", "with blocks"};
const std::vector<const char*> kSnacks = {"sandwiches", "cookies", "apples", "grapes", "cupcakes", "warm bread"};

class Writer {
 public:
  explicit Writer(Rng& r) : rng(r) {}
  Rng& rng;
  Slots s;
  StoryFacts f;
  std::vector<std::string> out;  // sentences, joined with one space at the end
  bool hero_is_child = true;     // friends of children are children, of animals other animals
  bool helper_family = true;     // family helpers get family morals ("ask for help")
  bool f_sad_used = false;       // "happy again" only reads well after a sad sentence

  void add(std::string_view tmpl) { out.push_back(fill(tmpl, s)); }
  template <class C>
  void one_of(const C& c) {
    add(pick(rng, c));
  }

  // Dialogue in one of three shapes. `who` is a template naming the speaker,
  // `line` the words spoken (present tense, ending in . ! or ?). `verb` overrides the
  // speech verb ("replied", "cried"); by default it follows the punctuation.
  void talk(std::string_view who_tmpl, std::string_view line_tmpl, const char* verb = nullptr) {
    std::string who = fill(who_tmpl, s), line = fill(line_tmpl, s);
    char end = line.empty() ? '.' : line.back();
    if (!verb) verb = end == '?' ? "asked" : end == '!' ? pick(rng, std::vector<const char*>{"said", "said", "shouted"}) : "said";
    switch (rng.below(3)) {
      case 0: {  // "Line," who said.
        std::string l = line;
        if (end == '.') l.back() = ',';
        out.push_back("\"" + l + "\" " + who + " " + verb + ".");
        break;
      }
      case 1:  // Who said, "Line."
        out.push_back(capitalize(who) + " " + verb + ", \"" + line + "\"");
        break;
      default:  // Who looked up and said, "Line."
        if (std::string_view(verb) == "said")
          out.push_back(capitalize(who) + " " + pick(rng, std::vector<const char*>{"looked up and said", "turned and said", "said"}) + ", \"" + line + "\"");
        else
          out.push_back(capitalize(who) + " " + verb + ", \"" + line + "\"");
        break;
    }
  }

  // ---- cast -------------------------------------------------------------------
  void make_hero() {
    bool child = chance(rng, 55);
    Gender g = chance(rng, 50) ? Gender::female : Gender::male;
    if (child) {
      f.kind = g == Gender::female ? "girl" : "boy";
      f.name = g == Gender::female ? pick(rng, kGirlNames) : pick(rng, kBoyNames);
    } else {
      f.kind = pick(rng, kAnimalKinds);
      f.name = pick(rng, kPetNames);
    }
    mark(g);
    f.hero_female = g == Gender::female;
    const Pronouns& p = pronouns(g);
    s.set("name", f.name);
    s.set("kind", f.kind);
    s.set("a_kind", with_article(f.kind));
    s.set("adj", pick(rng, kHeroAdjectives));
    s.set("he", p.he);
    s.set("him", p.him);
    s.set("his", p.his);
    s.set("himself", p.himself);
    s.set("home", pick(rng, kHomes));
    s.set("time", pick(rng, kTimeOpeners));
    s.set("sad", pick(rng, kSadFeelings));
    s.set("happy", pick(rng, kHappyFeelings));
    f.feeling_end = *s.find("happy");
    hero_is_child = child;
  }

  void make_helper(bool family_only = false) {
    const Helper* h;
    do h = &pick(rng, kHelpers);
    while (family_only && !h->family);
    mark(h->gender);
    const Pronouns& p = pronouns(h->gender);
    std::string his = *s.find("his");
    s.set("helper_first", h->family ? his + " " + h->first : h->first);
    s.set("helper", h->family ? his + " " + h->later : h->later);
    s.set("hvoc", h->voc);
    s.set("hhe", p.he);
    s.set("hhim", p.him);
    s.set("hhis", p.his);
    s.set("reach", fill(h->reach, s));
    std::string later = h->later;
    f.helper = later.rfind("the ", 0) == 0 ? later.substr(4) : later;
    helper_family = h->family;
  }

  void make_friend() {
    Gender g = chance(rng, 50) ? Gender::female : Gender::male;
    std::string name;
    do {
      if (hero_is_child) name = g == Gender::female ? pick(rng, kGirlNames) : pick(rng, kBoyNames);
      else name = pick(rng, kPetNames);
    } while (name == f.name);
    std::string kind;
    if (hero_is_child) kind = g == Gender::female ? "girl" : "boy";
    else do kind = pick(rng, kAnimalKinds);
      while (kind == f.kind);
    mark(g);
    const Pronouns& p = pronouns(g);
    f.friend_name = name;
    s.set("friend", name);
    s.set("fkind", kind);
    s.set("a_fkind", with_article(kind));
    s.set("fhe", p.he);
    s.set("fhim", p.him);
    s.set("fhis", p.his);
  }

  void make_thing(bool small_only = false) {
    const Thing* t;
    do t = &pick(rng, kThings);
    while (small_only && !t->small);
    std::string obj = t->name, cobj = obj;
    uint64_t r = rng.below(10);
    f.color.clear();
    if (r < 6) {
      f.color = pick(rng, kColors);
      cobj = f.color + " " + obj;
    } else if (r < 9) {
      cobj = std::string(pick(rng, kThingAdjectives)) + " " + obj;
    }
    f.object = obj;
    s.set("obj", obj);
    s.set("cobj", cobj);
    s.set("a_cobj", with_article(cobj));
    s.set("the_obj", "the " + obj);
    s.set("play", fill(t->play_past, s));
  }

  void make_place(bool outdoor_only = false) {
    const Place* pp;
    do pp = &pick(rng, kPlaces);
    while (outdoor_only && !pp->outdoor);
    const Place& p = *pp;
    f.place = p.name;
    std::string at = p.at;
    std::string to = at.rfind("at school", 0) == 0 ? "to school" : at.rfind("in the town", 0) == 0 ? "to town" : std::string("to the ") + p.name;
    s.set("place", p.name);
    s.set("at_place", at);
    s.set("to_place", to);
    s.set("feature", p.feature);
    s.set("spot", p.spot);
    s.set("spot2", pick(rng, kGenericSpots));
  }

  void mark(Gender g) { (g == Gender::female ? f.has_female : f.has_male) = true; }

  // ---- shared steps --------------------------------------------------------------
  void intro() {
    static const std::vector<const char*> v = {
        "Once upon a time, there was a {adj} {kind} named {name}.",
        "Once upon a time, {home}, there lived a {adj} {kind} named {name}.",
        "There once was a {adj} {kind} called {name}.",
        "{Name} was a {adj} {kind} who lived {home}.",
        "{Home}, there was a {adj} {kind}. {His} name was {name}.",
        "Once there was {a_kind} named {name}. {He} was very {adj}."};
    one_of(v);
    if (chance(rng, 45)) {
      static const std::vector<const char*> h = {"{He} loved to {hobby}.", "{He} liked to {hobby} every day.",
                                                 "Every day, {he} liked to {hobby}.", "More than anything, {name} loved to {hobby}."};
      s.set("hobby", fill(pick(rng, kHobbies), s));
      one_of(h);
    }
  }

  void thing_intro() {
    static const std::vector<const char*> v = {
        "{Name} had {a_cobj}. {He} loved it very much.",
        "{Name}'s favorite thing in the world was {his} {cobj}.",
        "{Name} had {a_cobj} that {he} took everywhere.",
        "For {his} birthday, {name} got {a_cobj}. It was the best gift ever.",
        "{Name} had a special {cobj}. Every day, {he} {play}."};
    one_of(v);
  }

  void go_to_place(bool with_thing) {
    static const std::vector<const char*> t = {"{Time}, {name} took {his} {obj} {to_place}.",
                                               "{Time}, {name} and {his} {obj} went {to_place}.",
                                               "{Time}, {name} went {to_place} to play with {his} {obj}."};
    static const std::vector<const char*> n = {"{Time}, {name} went {to_place}.", "{Time}, {name} was playing {at_place}.",
                                               "{Time}, {name} decided to go {to_place}."};
    one_of(with_thing ? t : n);
    if (chance(rng, 40)) add("{feature}");
    // a weather sentence only when the time opener did not already set the weather
    const std::string& time = *s.find("time");
    bool weather_said = false;
    for (const char* w : {"rain", "sun", "cold", "warm", "wind", "winter", "summer"}) weather_said = weather_said || time.find(w) != std::string::npos;
    if (!weather_said && chance(rng, 25)) one_of(kWeather);
    maybe_detail(35, /*walking=*/true);
  }

  // An optional descriptive sentence: small random details make the corpus hard
  // to memorize without changing the plot. `walking`: the hero is on the way
  // somewhere outdoors (otherwise only details that fit anywhere are used).
  void maybe_detail(uint32_t percent, bool walking) {
    if (!chance(rng, percent)) return;
    static const std::vector<const char*> on_the_way = {
        "On the way, {he} saw {a_critter} {critter_doing}.", "{Name} stopped to watch {a_critter} {critter_doing}.",
        "{Name} hummed a little song as {he} walked.", "The grass was soft under {his} feet.",
        "{Name} skipped and hopped along the path.", "{He} waved at {a_critter} {critter_doing}.",
        "There was a little {color2} flower by the path.", "{Name} counted {num} clouds in the sky."};
    static const std::vector<const char*> anywhere = {
        "{He} could smell {smell} in the air.", "{Name} was wearing {his} {color2} {clothes}.",
        "Outside the window, {a_critter} was {critter_doing}.", "{Name} had {a_color2} {clothes} on that day."};
    static const std::vector<std::pair<const char*, std::vector<const char*>>> critters = {
        {"bird", {"singing in a tree", "building a nest", "hopping on a branch"}},
        {"duck", {"swimming in a puddle", "waddling by", "shaking its wet feathers"}},
        {"frog", {"sitting on a log", "sleeping in the sun", "hopping in the grass"}},
        {"butterfly", {"flying in circles", "resting on a flower"}},
        {"squirrel", {"eating a nut", "running up a tree", "hiding an acorn"}},
        {"bee", {"buzzing around a flower", "flying in circles"}},
        {"ladybug", {"crawling on a leaf", "resting on a flower"}},
        {"rabbit", {"hopping in the grass", "eating a carrot"}},
        {"snail", {"crawling on a leaf", "sleeping under a leaf"}},
        {"cat", {"sleeping in the sun", "playing with a leaf", "chasing its tail"}},
        {"puppy", {"chasing its tail", "drinking from a puddle", "playing with a stick"}}};
    static const std::vector<const char*> smells = {"fresh bread", "sweet flowers", "the rain", "warm cookies", "pine trees", "soup"};
    static const std::vector<const char*> nums = {"two", "three", "four", "five", "six", "seven"};
    static const std::vector<const char*> clothes_f = {"dress", "hat", "boots", "coat", "bow", "sweater"}, clothes_m = {"hat", "boots", "coat", "sweater", "cap", "shirt"};
    auto& c = pick(rng, critters);
    s.set("a_critter", with_article(c.first));
    s.set("critter_doing", pick(rng, c.second));
    s.set("smell", pick(rng, smells));
    s.set("color2", pick(rng, kColors));
    s.set("a_color2", with_article(*s.find("color2")));
    s.set("num", pick(rng, nums));
    s.set("clothes", f.hero_female ? pick(rng, clothes_f) : pick(rng, clothes_m));
    add(walking && chance(rng, 70) ? pick(rng, on_the_way) : pick(rng, anywhere));
  }

  void helper_comes() {
    static const std::vector<const char*> v = {"Just then, {helper_first} came by.", "Then {helper_first} saw {him} and came over.",
                                               "Soon, {helper_first} heard {him} and came to see what was wrong."};
    one_of(v);
    // After the first mention, "a wise old owl" becomes "the owl".
  }

  void thanks() {
    static const std::vector<const char*> v = {"Thank you, {hvoc}!", "Thank you so much, {hvoc}!", "You are the best, {hvoc}!"};
    talk("{name}", pick(rng, v));
    if (chance(rng, 60)) add(pick(rng, std::vector<const char*>{"{He} gave {helper} a big hug.", "{Helper} smiled.", "{Name} hugged {helper} tight."}));
  }

  void feel_happy() {
    static const std::vector<const char*> v = {"{Name} was so {happy}!", "{Name} felt very {happy}."};
    if (f_sad_used && chance(rng, 30)) add("{Name} smiled. {He} was {happy} again.");
    else one_of(v);
  }
  // Narrow the "sad" slot to feelings that fit this plot's trouble.
  void sad_from(std::vector<const char*> options) { s.set("sad", pick(rng, options)); }
  void feel_sad() {
    static const std::vector<const char*> v = {"{Name} felt very {sad}.", "{Name} was {sad}.", "{Name} sat down. {He} felt {sad}."};
    one_of(v);
    f_sad_used = true;
  }

  std::string text() const { return join(out, " "); }
};

// ---- plots -------------------------------------------------------------------

void plot_lost(Writer& w) {
  w.f.plot = "lost";
  w.sad_from({"sad", "upset", "worried", "unhappy"});
  w.make_place();
  w.make_thing();
  w.make_helper();
  w.intro();
  w.thing_intro();
  w.go_to_place(true);
  if (chance(w.rng, 60)) w.add("{He} {play}.");
  static const std::vector<const char*> loss = {
      "When it was time to go home, {name} could not find {his} {obj}.",
      "After a while, {he} looked around, but {his} {obj} was gone!",
      "{He} put {his} {obj} down to look at a butterfly. When {he} turned back, the {obj} was gone!",
      "{Name} played and played. Then {he} saw that {his} {obj} was not there anymore."};
  w.one_of(loss);
  if (chance(w.rng, 50)) w.talk("{name}", pick(w.rng, std::vector<const char*>{"Oh no! Where is my {obj}?", "I lost my {obj}!", "Where did my {obj} go?"}), "cried");
  w.feel_sad();
  w.add(pick(w.rng, std::vector<const char*>{"{He} looked {spot}, but it was not there.", "First, {he} looked {spot}. No {obj}."}));
  if (chance(w.rng, 50)) w.add(pick(w.rng, std::vector<const char*>{"Then {he} looked {spot2}. Still no {obj}.", "{He} looked {spot2} too, but {he} could not find it."}));
  w.helper_comes();
  if (chance(w.rng, 50)) {
    w.talk("{helper}", "What is wrong, {name}?");
    w.talk("{name}", "I lost my {obj}.", "replied");
  }
  w.talk("{helper}", pick(w.rng, std::vector<const char*>{"Don't worry. We will find it together.", "Let me help you look.", "Let's look together."}));
  static const std::vector<const char*> found = {
      "They looked everywhere. At last, {helper} found the {obj} {spot2}!",
      "Together they walked back the way {name} came, and there was the {obj}, {spot2}!",
      "Just then, a friendly dog ran up to them with the {obj} in its mouth.",
      "{Helper} pointed and said, \"Look there!\" The {obj} was {spot2}."};
  w.one_of(found);
  w.feel_happy();
  w.thanks();
  static const std::vector<const char*> moral = {"From that day on, {name} always kept {his} {obj} close.",
                                                 "{Name} learned that it was good to ask for help.",
                                                 "After that, {name} was more careful with {his} things."};
  w.one_of(moral);
}

void plot_stuck(Writer& w) {
  w.f.plot = "stuck";
  w.sad_from({"sad", "upset", "unhappy", "grumpy"});
  w.make_place(/*outdoor_only=*/true);
  w.make_thing(/*small_only=*/true);
  w.make_helper();
  w.s.set("high", pick(w.rng, kHighPlaces));
  w.f.detail = *w.s.find("high");
  w.intro();
  w.thing_intro();
  w.go_to_place(true);
  static const std::vector<const char*> stuck = {"But then the wind blew, and the {obj} landed {high}!",
                                                 "{Name} threw {his} {obj} up in the air, but it got stuck {high}.",
                                                 "Oops! The {obj} flew away and got stuck {high}."};
  w.one_of(stuck);
  static const std::vector<const char*> tries = {"{Name} jumped as high as {he} could, but {he} could not reach it.",
                                                 "{He} tried to climb up, but it was too high.",
                                                 "{He} tried to knock it down with a stick, but the stick was too short.",
                                                 "{He} called to the {obj}, but of course it did not come down."};
  size_t a = w.rng.below(tries.size()), b = w.rng.below(tries.size());
  w.add(tries[a]);
  if (b != a && chance(w.rng, 60)) w.add(tries[b]);
  if (chance(w.rng, 50)) w.talk("{name}", pick(w.rng, std::vector<const char*>{"I will never get my {obj} back!", "How can I get it down?", "Please come down!"}));
  w.feel_sad();
  w.helper_comes();
  w.talk("{helper}", pick(w.rng, std::vector<const char*>{"I can help you!", "Don't be sad. I will get it for you.", "Let me try."}));
  w.add("{Helper} {reach}.");
  w.feel_happy();
  w.thanks();
  if (w.helper_family)
    w.one_of(std::vector<const char*>{"{Name} learned that it was okay to ask for help.", "From that day on, {name} was more careful with {his} {obj}."});
  else
    w.one_of(std::vector<const char*>{"{Name} learned that friends help each other.", "From that day on, {name} and {helper} were good friends."});
}

void plot_sharing(Writer& w) {
  w.f.plot = "sharing";
  w.make_place();
  w.make_thing();
  w.make_friend();
  w.f.helper = w.f.friend_name;
  w.intro();
  w.thing_intro();
  w.go_to_place(true);
  w.one_of(std::vector<const char*>{"There, {he} met {a_fkind} named {friend}.", "{Friend}, {a_fkind} from next door, was there too.",
                                    "At the {place}, {name} saw {his} friend {friend}."});
  w.add(pick(w.rng, std::vector<const char*>{"{Friend} saw the {obj} and wanted to play with it.", "{Friend} looked at the {obj} with big eyes."}));
  w.talk("{friend}", pick(w.rng, std::vector<const char*>{"Can I play with your {obj}, please?", "May I have a turn?", "Can we play with it together?"}));
  w.one_of(std::vector<const char*>{"But {name} did not want to share.", "{Name} held {his} {obj} close and shook {his} head."});
  w.talk("{name}", pick(w.rng, std::vector<const char*>{"No, it is mine!", "No! I want to play with it alone.", "Go away, it is my {obj}."}));
  w.one_of(std::vector<const char*>{"{Friend} felt sad and walked away.", "{Friend} sat down alone. {Fhe} looked very sad."});
  w.one_of(std::vector<const char*>{"{Name} played alone, but it was not fun.", "Soon, {name} felt bad. {He} did not like to see {his} friend so sad."});
  w.add("{Name} ran to {friend}.");
  w.talk("{name}", pick(w.rng, std::vector<const char*>{"I am sorry. Let's play together!", "I am sorry, {friend}. You can have a turn."}));
  w.one_of(std::vector<const char*>{"{Friend} smiled a big smile.", "{Friend} jumped up and laughed."});
  w.one_of(std::vector<const char*>{"They took turns with the {obj} and laughed all day.", "They played with the {obj} together until the sun went down."});
  w.feel_happy();
  w.one_of(std::vector<const char*>{"{Name} learned that sharing made playing more fun.", "From that day on, {name} and {friend} shared everything.",
                                    "{Name} learned that a toy was more fun with a friend."});
}

void plot_fear(Writer& w) {
  w.f.plot = "fear";
  w.make_helper();
  w.intro();
  const WordPair& fear = pick(w.rng, kFears);
  w.s.set("fear", fear.a);
  w.f.detail = fear.a;
  w.one_of(std::vector<const char*>{"{Name} was afraid of {fear}.", "There was one thing {name} did not like: {fear}.",
                                    "{Name} was scared of {fear}. Just thinking about it made {his} tummy feel funny."});
  w.maybe_detail(30, /*walking=*/false);
  w.add(fear.b);
  w.talk("{name}", pick(w.rng, std::vector<const char*>{"I am scared!", "I don't like this!", "Help! I want to go home!"}), "cried");
  w.one_of(std::vector<const char*>{"{Name} wanted to run and hide.", "{Name} closed {his} eyes tight.", "{Name} began to shake."});
  w.add(pick(w.rng, std::vector<const char*>{"Then {helper_first} held {his} hand.", "Then {helper_first} came and sat next to {him}."}));
  w.talk("{helper}", pick(w.rng, std::vector<const char*>{"It is okay to be scared. I am here with you.", "Take a deep breath. You are braver than you think.",
                                                          "Let's count to ten together. Then you will feel better."}));
  w.one_of(std::vector<const char*>{"{Name} took a deep breath.", "{Name} counted to ten with {helper}.", "{Name} held on tight and listened."});
  w.one_of(std::vector<const char*>{"Slowly, {he} felt better.", "Soon, {he} saw that there was nothing to be afraid of.",
                                    "Little by little, the scary feeling went away."});
  w.s.set("happy", "proud");
  w.f.feeling_end = "proud";
  w.one_of(std::vector<const char*>{"{Name} felt very proud of {himself}.", "{Name} was proud. {He} had been brave!"});
  if (chance(w.rng, 60)) w.thanks();
  w.one_of(std::vector<const char*>{"{Name} learned that being brave did not mean never being scared.",
                                    "After that day, {name} was not afraid of {fear} anymore."});
}

void plot_broken(Writer& w) {
  w.f.plot = "broken";
  w.make_helper(/*family_only=*/true);
  w.intro();
  static const std::vector<const char*> precious = {"vase", "lamp", "plate", "clock", "mirror", "teapot", "bowl", "flower pot"};
  const char* thing = pick(w.rng, precious);
  w.f.object = thing;
  w.f.color = pick(w.rng, kColors);
  w.s.set("obj", thing);
  w.s.set("cobj", w.f.color + " " + thing);
  w.f.place = "house";
  w.s.set("a_cobj", with_article(w.f.color + " " + thing));
  w.add("{Helper} had {a_cobj}. {Hhe} loved it very much.");
  if (chance(w.rng, 50)) {
    w.add("{Time}, {name} was playing with a ball in the house.");
    w.s.set("house_rule", "play ball in the house");
  } else {
    w.add("{Time}, {name} was running and jumping in the house.");
    w.s.set("house_rule", "run in the house");
  }
  w.one_of(std::vector<const char*>{"Crash! The {obj} fell down and broke into pieces.", "{He} bumped into the table, and the {obj} fell. It broke!"});
  w.s.set("sad", "scared");
  w.one_of(std::vector<const char*>{"{Name} was very scared.", "{Name} felt scared. {His} heart beat fast."});
  w.one_of(std::vector<const char*>{"{He} thought about hiding the pieces under the rug.", "{He} wanted to run away and hide."});
  w.add("But {he} knew that hiding it was wrong.");
  w.add("{Name} went to {helper}.");
  w.talk("{name}", pick(w.rng, std::vector<const char*>{"I am sorry. I broke your {obj}.", "{Hvoc}, I have to tell you something. I broke the {obj}."}));
  w.one_of(std::vector<const char*>{"{Helper} looked at the pieces. Then {hhe} looked at {name}.", "{Helper} was quiet for a moment."});
  w.talk("{helper}", pick(w.rng, std::vector<const char*>{"Thank you for telling me the truth.", "I am glad you told me. The truth is more important than a {obj}."}));
  w.one_of(std::vector<const char*>{"Together they glued the pieces back together.", "They cleaned up the pieces together, and {helper} gave {him} a hug."});
  w.s.set("happy", "relieved");
  w.f.feeling_end = "relieved";
  w.one_of(std::vector<const char*>{"{Name} felt {happy}.", "{Name} felt much better. {He} was {happy}."});
  w.one_of(std::vector<const char*>{"{Name} learned that telling the truth was always the right thing to do.",
                                    "From then on, {name} did not {house_rule}."});
}

void plot_hurt_animal(Writer& w) {
  w.f.plot = "hurt_animal";
  static const std::vector<std::array<const char*, 4>> animals = {  // animal, body part, how it moves, moved
      {"bird", "wing", "fly", "flew"}, {"bunny", "leg", "hop", "hopped"}, {"kitten", "paw", "walk", "walked"},
      {"duck", "wing", "fly", "flew"}, {"puppy", "paw", "run", "ran"}, {"squirrel", "leg", "climb", "climbed"}};
  auto& a = pick(w.rng, animals);
  w.s.set("animal", a[0]);
  w.s.set("part", a[1]);
  w.s.set("move", a[2]);
  w.s.set("moved", a[3]);
  w.make_place(/*outdoor_only=*/true);
  w.make_helper(/*family_only=*/true);
  w.intro();
  w.maybe_detail(30, /*walking=*/false);
  w.one_of(std::vector<const char*>{"{Time}, {name} was walking {at_place} when {he} heard a small sound.",
                                    "{Time}, {name} went {to_place}. Under a bush, {he} saw something move."});
  w.add("It was a little {animal} with a hurt {part}.");
  w.add("The {animal} could not {move}.");
  w.talk("{name}", pick(w.rng, std::vector<const char*>{"Poor little {animal}! I will help you.", "Don't be scared, little {animal}."}));
  w.add("{Name} gently picked up the {animal} and took it home.");
  w.add(pick(w.rng, std::vector<const char*>{"{He} and {helper} made a soft bed for it in a box.", "{Helper} helped {him} wrap the {part} in a soft cloth."}));
  w.add(pick(w.rng, std::vector<const char*>{"Every day, {name} gave the {animal} water and food.", "{Name} fed the {animal} and sang to it every day."}));
  w.add(pick(w.rng, std::vector<const char*>{"After a few days, the {part} was better.", "Soon, the {animal} was strong again."}));
  w.add("The {animal} {moved} around the room!");
  w.one_of(std::vector<const char*>{"Then it was time to say goodbye. The {animal} {moved} away, but it came back to visit every day.",
                                    "{Name} let the {animal} go {at_place}. It looked back as if to say thank you."});
  w.f.object = a[0];
  w.feel_happy();
  w.one_of(std::vector<const char*>{"{Name} learned that being kind to animals made the world a better place.",
                                    "{Name} was proud that {he} had helped."});
}

void plot_try_again(Writer& w) {
  w.f.plot = "try_again";
  w.make_helper();
  w.intro();
  w.s.set("skill", fill(pick(w.rng, kSkills), w.s));
  w.f.detail = *w.s.find("skill");
  w.one_of(std::vector<const char*>{"{Name} wanted to {skill}.", "More than anything, {name} wanted to learn to {skill}."});
  w.one_of(std::vector<const char*>{"All of {his} friends could {skill}, but {name} could not.", "It looked easy, but it was very hard."});
  w.one_of(std::vector<const char*>{"The first time {he} tried, {he} fell down.", "{He} tried and tried, but {he} could not do it."});
  w.talk("{name}", pick(w.rng, std::vector<const char*>{"I can't do it!", "This is too hard!", "I will never learn!"}));
  w.helper_comes();
  w.talk("{helper}", pick(w.rng, std::vector<const char*>{"Keep trying. You will get better every time.", "Everyone falls at first. Try again!",
                                                          "Let's practice together a little every day."}));
  w.maybe_detail(30, /*walking=*/false);
  w.one_of(std::vector<const char*>{"So {name} practiced every day.", "The next day, {name} tried again. And the next day, and the next."});
  w.one_of(std::vector<const char*>{"Then one day, {he} did it! {Name} could {skill}!", "At last, {name} did it all by {himself}!"});
  w.s.set("happy", "proud");
  w.f.feeling_end = "proud";
  w.feel_happy();
  if (chance(w.rng, 60)) w.thanks();
  w.one_of(std::vector<const char*>{"{Name} learned to never give up.", "{Name} learned that practice made hard things easy."});
}

void plot_new_friend(Writer& w) {
  w.f.plot = "new_friend";
  w.make_place(/*outdoor_only=*/true);
  w.make_friend();
  w.f.helper = w.f.friend_name;
  w.intro();
  w.go_to_place(false);
  w.one_of(std::vector<const char*>{"There, {he} saw {a_fkind} sitting all alone.", "{Name} saw {a_fkind} {spot}. The {fkind} looked lonely."});
  w.one_of(std::vector<const char*>{"{He} walked over to say hello.", "{Name} took a deep breath. {He} walked over and smiled."});
  w.talk("{name}", "Hi! My name is {name}. What is your name?");
  w.talk("the {fkind}", pick(w.rng, std::vector<const char*>{"I am {friend}. I am new here.", "My name is {friend}. I don't know anyone here."}), "replied");
  w.talk("{name}", pick(w.rng, std::vector<const char*>{"Do you want to play with me?", "Let's be friends!"}));
  w.one_of(std::vector<const char*>{"{Friend} smiled and nodded.", "{Friend}'s face lit up."});
  w.s.set("game", pick(w.rng, kGames));
  w.one_of(std::vector<const char*>{"They played {game} all afternoon.", "They played {game} until it was time to go home."});
  w.add("{Friend} was not lonely anymore.");
  w.feel_happy();
  w.one_of(std::vector<const char*>{"From that day on, {name} and {friend} were best friends.",
                                    "{Name} learned that a friendly hello could make a new friend."});
}

void plot_disobey(Writer& w) {
  w.f.plot = "disobey";
  w.sad_from({"sad", "scared", "sorry", "upset"});
  w.make_helper(/*family_only=*/true);
  static const std::vector<WordPair> rules = {
      {"go near the river alone", "{He} slipped on a wet stone and fell into the cold water."},
      {"eat the cookies before dinner", "{He} ate five cookies, and soon {he} had a bad tummy ache."},
      {"climb the old tree", "A branch broke, and {he} fell down and hurt {his} knee."},
      {"play ball in the house", "The ball hit a lamp, and the lamp fell with a crash."},
      {"go out in the rain without a coat", "{He} got all wet, and the next day {he} had a cold."},
      {"touch the bees' nest", "The bees got angry and buzzed all around {him}."}};
  const WordPair& r = pick(w.rng, rules);
  w.s.set("rule", r.a);
  w.f.detail = r.a;
  w.intro();
  w.talk("{helper_first}", "{Name}, please do not {rule}.");
  w.one_of(std::vector<const char*>{"But {name} did not listen.", "{Name} nodded, but {he} did not really listen."});
  w.one_of(std::vector<const char*>{"Later that day, {he} wanted to {rule} anyway.", "When nobody was looking, {name} decided to {rule}."});
  w.maybe_detail(30, /*walking=*/false);
  w.add(r.b);
  w.feel_sad();
  w.f.feeling_end = *w.s.find("sad");
  if (chance(w.rng, 70)) {  // most stories end well; some, like TinyStories, do not
    w.add("{Helper} came running.");
    w.talk("{name}", pick(w.rng, std::vector<const char*>{"I am sorry, {hvoc}. I should have listened.", "I am sorry! I did not listen."}));
    w.talk("{helper}", pick(w.rng, std::vector<const char*>{"I am glad you are okay. Rules keep you safe.", "It is okay. Now you know why I said no."}));
    w.add("{Helper} gave {him} a warm hug.");
    w.f.feeling_end = "safe";
    w.add("{Name} felt safe again.");
    w.one_of(std::vector<const char*>{"{Name} learned to listen to {helper}.", "From that day on, {name} always listened."});
  } else {
    w.one_of(std::vector<const char*>{"{Name} wished {he} had listened to {helper}.", "{Name} cried. {He} knew it was {his} own fault."});
  }
}

void plot_gift(Writer& w) {
  w.f.plot = "gift";
  w.make_helper(/*family_only=*/true);
  static const std::vector<WordPair> gifts = {{"draw a picture", "a picture of the two of them"}, {"pick some flowers", "a bunch of flowers"},
                                              {"bake some cookies", "a plate of cookies"},         {"make a card", "a card with a big heart"},
                                              {"make a necklace", "a necklace of colorful beads"}};
  const WordPair& g = pick(w.rng, gifts);
  w.s.set("make", g.a);
  w.s.set("gift", g.b);
  w.f.detail = g.b;
  w.intro();
  w.one_of(std::vector<const char*>{"It was almost {helper}'s birthday.", "Tomorrow was {helper}'s birthday."});
  w.one_of(std::vector<const char*>{"{Name} wanted to give {hhim} something special.", "{Name} wanted to make {hhim} very happy."});
  w.one_of(std::vector<const char*>{"But {name} had no money.", "{Name} thought and thought."});
  w.maybe_detail(30, /*walking=*/false);
  w.add("Then {he} had an idea. {He} would {make}!");
  w.one_of(std::vector<const char*>{"{He} worked very hard all afternoon.", "{He} worked quietly in {his} room so it would be a surprise."});
  w.add("On the big day, {name} gave {helper} {gift}.");
  w.talk("{helper}", pick(w.rng, std::vector<const char*>{"This is the best gift ever!", "Oh, {name}! I love it!", "You made this for me? Thank you!"}));
  w.add("{Hhe} gave {name} a big hug.");
  w.s.set("happy", "proud");
  w.f.feeling_end = "proud";
  w.feel_happy();
  w.one_of(std::vector<const char*>{"{Name} learned that the best gifts came from the heart.", "It was a very happy birthday."});
}

void plot_rainy_picnic(Writer& w) {
  w.f.plot = "rainy_picnic";
  w.sad_from({"sad", "upset", "grumpy", "unhappy"});
  w.make_place(/*outdoor_only=*/true);
  w.make_helper(/*family_only=*/true);
  w.s.set("snack", pick(w.rng, kSnacks));
  w.intro();
  w.add(pick(w.rng, std::vector<const char*>{"{Name} and {helper} wanted to have a picnic {at_place}.", "One morning, {helper} said they could have a picnic {at_place}."}));
  w.add("They packed {snack} and a big blanket.");
  w.one_of(std::vector<const char*>{"But then dark clouds came, and it started to rain.", "Just as they opened the door, it began to rain very hard."});
  w.feel_sad();
  w.talk("{name}", pick(w.rng, std::vector<const char*>{"Now we cannot have our picnic!", "Oh no, the rain ruined everything!"}));
  w.talk("{helper}", pick(w.rng, std::vector<const char*>{"Let's have a picnic inside!", "We can have our picnic on the living room floor."}));
  w.add("They put the blanket on the floor and ate {snack} together.");
  w.one_of(std::vector<const char*>{"They listened to the rain and told funny stories.", "They pretended the rug was green grass."});
  w.feel_happy();
  w.f.place = "house";
  w.one_of(std::vector<const char*>{"It was the best picnic ever.", "{Name} learned that a rainy day could still be a fun day."});
}

void plot_race(Writer& w) {
  w.f.plot = "race";
  w.make_place(/*outdoor_only=*/true);
  w.make_friend();
  w.f.helper = w.f.friend_name;
  w.intro();
  w.go_to_place(false);
  w.add("{Name} and {his} friend {friend} wanted to have a race.");
  w.talk("{friend}", pick(w.rng, std::vector<const char*>{"Ready, set, go!", "Let's race to the big tree!"}));
  w.one_of(std::vector<const char*>{"{Name} ran very fast, but {he} tripped on a rock and fell.", "{Friend} was in front, but then {fhe} tripped and fell."});
  bool hero_fell = w.out.back().find(w.f.name + " ran") != std::string::npos;
  if (hero_fell) {
    w.add("{Friend} stopped and helped {name} up.");
    w.talk("{friend}", "Are you okay?");
  } else {
    w.add("{Name} stopped running and helped {friend} up.");
    w.talk("{name}", "Are you okay?");
  }
  w.add("They walked to the finish together, holding hands.");
  w.add("Nobody won the race, but they both laughed.");
  w.feel_happy();
  w.one_of(std::vector<const char*>{"{Name} learned that helping a friend was better than winning.", "Being good friends was the best prize of all."});
}

void plot_treasure(Writer& w) {
  w.f.plot = "treasure";
  w.make_place(/*outdoor_only=*/true);
  w.make_friend();
  w.f.helper = w.f.friend_name;
  static const std::vector<const char*> treasures = {"shiny stones", "old gold coins", "colorful marbles", "a little note that said: be kind",
                                                     "seeds for a magic garden", "a tiny silver bell"};
  w.s.set("treasure", pick(w.rng, treasures));
  w.f.object = "map";
  w.f.detail = *w.s.find("treasure");
  w.intro();
  w.one_of(std::vector<const char*>{"{Time}, {name} found an old map {at_place}.", "{Time}, {name} found a map {spot} {at_place}."});
  w.add("On the map, there was a big red X.");
  w.talk("{name}", pick(w.rng, std::vector<const char*>{"A treasure map! Let's follow it!", "I wonder what is under the X."}));
  w.add("{Name} asked {his} friend {friend} to come too.");
  w.one_of(std::vector<const char*>{"They walked past a little bridge and a big rock.", "They counted their steps and followed the path."});
  w.add("At last, they came to the red X. They dug and dug.");
  w.add("Under the ground, they found a small box. Inside it, they saw {treasure}.");
  w.s.set("happy", "excited");
  w.f.feeling_end = "excited";
  w.feel_happy();
  w.one_of(std::vector<const char*>{"They shared the treasure with all their friends.", "It was the best day of their summer."});
}

}  // namespace

Story generate_story(Rng& rng) {
  Writer w(rng);
  w.make_hero();
  using Plot = void (*)(Writer&);
  static const Plot plots[] = {plot_lost,      plot_stuck,  plot_sharing, plot_fear,  plot_broken,
                               plot_hurt_animal, plot_try_again, plot_new_friend, plot_disobey,
                               plot_gift,      plot_rainy_picnic, plot_race, plot_treasure};
  pick(rng, plots)(w);
  return Story{w.text(), std::move(w.out), w.f};
}

namespace {
std::pair<Story, std::string> story_and_key(Rng& rng) {
  Story s = generate_story(rng);
  std::string key = s.text;
  return std::make_pair(std::move(s), std::move(key));
}
}  // namespace

std::vector<Story> generate_stories(size_t n, const GenOptions& opt) { return generate_split<Story>(n, opt, story_and_key); }

void generate_stories(size_t n, const GenOptions& opt, const std::function<void(const Story&)>& sink) {
  for_each_in_split<Story>(n, opt, story_and_key, [&](Story& s) { sink(s); });
}

std::string stories_to_text(const std::vector<Story>& stories) {
  std::string out;
  for (size_t i = 0; i < stories.size(); i++) {
    if (i) out += "\n\n";
    out += stories[i].text;
  }
  if (!out.empty()) out += "\n";
  return out;
}

}  // namespace llm
