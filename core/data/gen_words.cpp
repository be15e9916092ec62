#include "core/data/gen_words.h"

#include <set>

namespace llm::words {

const Pronouns& pronouns(Gender g) {
  static const Pronouns she{"she", "her", "her", "herself"};
  static const Pronouns he{"he", "him", "his", "himself"};
  return g == Gender::female ? she : he;
}

const std::vector<const char*> kGirlNames = {
    "Lily", "Mia", "Emma", "Sara", "Lucy", "Anna", "Zoe", "Ella", "Amy", "Sophie", "Grace", "Ruby",
    "Rosie", "Molly", "Daisy", "Chloe", "Lola", "Maya", "Nora", "Ivy", "Hannah", "Julia", "Kate", "Bella",
    "Clara", "Alice", "Jane", "Sue", "Kim", "Nina", "Tina", "Rita", "Ava", "Leah", "Eva", "Isla",
    "Luna", "Poppy", "Hazel", "Jenny", "Fiona", "Holly", "Lisa", "Mary", "Nell", "Olive", "Rose", "Sally",
    "Tess", "Vera", "Wendy", "Zara", "Amber", "Beth", "Cora", "Dana", "Elsie", "Gina", "Iris", "Jade"};

const std::vector<const char*> kBoyNames = {
    "Tim", "Ben", "Max", "Sam", "Tom", "Jack", "Leo", "Jake", "Finn", "Noah", "Liam", "Ollie",
    "Harry", "Oscar", "Theo", "Alex", "Adam", "Billy", "Bobby", "Charlie", "Danny", "Eddie", "Frank", "George",
    "Henry", "Ian", "Joe", "Kevin", "Luke", "Mark", "Ned", "Owen", "Pete", "Ray", "Rob", "Seth",
    "Ted", "Victor", "Will", "Zack", "Andy", "Bruno", "Carl", "Dean", "Eli", "Felix", "Gus", "Hugo",
    "Jim", "Kai", "Lenny", "Milo", "Nick", "Otto", "Paul", "Roy", "Toby", "Vince", "Dan", "Ricky"};

const std::vector<const char*> kPetNames = {
    "Spot", "Buddy", "Whiskers", "Fluffy", "Pip", "Bubbles", "Coco", "Sunny", "Patch", "Muffin",
    "Peanut", "Biscuit", "Snowy", "Ziggy", "Pebble", "Hoppy", "Tiny", "Rusty", "Ginger", "Dot",
    "Bingo", "Button", "Honey", "Nibbles", "Squeaky", "Pepper", "Socks", "Cookie", "Bumble", "Twinkle",
    "Fuzzy", "Lucky", "Shadow", "Maple", "Clover", "Jelly", "Noodle", "Pumpkin", "Sparky", "Waffles"};

const std::vector<const char*> kAnimalKinds = {
    "bunny", "cat", "dog", "puppy", "kitten", "bear", "bird", "mouse", "duck", "frog", "fox",
    "squirrel", "pig", "lion", "elephant", "turtle", "monkey", "horse", "sheep", "owl", "deer", "hedgehog"};

const std::vector<const char*> kHeroAdjectives = {
    "little", "small", "brave", "kind", "curious", "shy", "happy", "silly", "clever", "gentle",
    "playful", "friendly", "cheerful", "tiny", "sweet", "busy", "quiet", "funny", "smart", "young"};

const std::vector<const char*> kColors = {"red", "blue", "green", "yellow", "pink", "purple", "orange",
                                          "brown", "white", "black", "gray", "gold", "silver"};

const std::vector<const char*> kThingAdjectives = {"shiny", "soft", "big", "little", "new", "old",
                                                   "special", "pretty", "round", "fluffy", "bright", "tiny"};

const std::vector<Thing> kThings = {
    {"ball", "kicked {the_obj} across the grass", true},
    {"kite", "flew {the_obj} high in the sky", true},
    {"toy car", "raced {the_obj} up and down the path", true},
    {"doll", "played with {the_obj} all morning", true},
    {"teddy bear", "hugged {the_obj} tight", true},
    {"book", "read {the_obj} again and again", false},
    {"hat", "wore {the_obj} everywhere", true},
    {"balloon", "held {the_obj} by its string", true},
    {"toy boat", "sailed {the_obj} in a puddle", true},
    {"drum", "played {the_obj} with a loud boom", false},
    {"toy train", "pushed {the_obj} around and around", false},
    {"robot", "made {the_obj} walk and beep", false},
    {"scarf", "wore {the_obj} around {his} neck", true},
    {"bike", "rode {the_obj} down the road", false},
    {"shovel", "dug a big hole with {the_obj}", false},
    {"cup", "drank milk from {the_obj}", false},
    {"necklace", "wore {the_obj} every day", true},
    {"blanket", "wrapped {himself} in {the_obj}", false},
    {"whistle", "blew {the_obj} very loud", true},
    {"box of crayons", "drew pictures with {the_obj}", false},
    {"jump rope", "jumped with {the_obj} ten times in a row", true},
    {"puzzle", "put {the_obj} together piece by piece", false},
    {"bucket", "filled {the_obj} with sand", false},
    {"umbrella", "opened {the_obj} and spun it around", false},
    {"flute", "played a happy song on {the_obj}", false},
    {"wagon", "pulled {the_obj} behind {him}", false},
    {"spinning top", "spun {the_obj} on the floor", false},
    {"toy plane", "zoomed {the_obj} through the air", true},
};

const std::vector<Place> kPlaces = {
    {"park", "at the park", "There were tall trees and a big red slide.", "under the slide", true},
    {"forest", "in the forest", "The trees were tall and the birds sang.", "behind a big tree", true},
    {"garden", "in the garden", "The flowers were bright and the bees were busy.", "under the rose bush", true},
    {"beach", "at the beach", "The sand was warm and the waves were gentle.", "behind a big rock", true},
    {"farm", "on the farm", "There were cows, pigs and a noisy rooster.", "inside the barn", true},
    {"lake", "by the lake", "The water was calm and blue.", "near the old boat", true},
    {"hill", "on the hill", "The wind was soft and the grass was green.", "behind the tall grass", true},
    {"meadow", "in the meadow", "Butterflies flew over the yellow flowers.", "among the flowers", true},
    {"backyard", "in the backyard", "There was a swing and a little sandbox.", "in the sandbox", true},
    {"playground", "at the playground", "Children laughed on the swings.", "under the swings", true},
    {"zoo", "at the zoo", "The animals made funny sounds.", "near the monkey house", false},
    {"river", "by the river", "The water splashed over the stones.", "between the stones", true},
    {"library", "at the library", "It was quiet and full of books.", "under a table", false},
    {"school", "at school", "The classroom was full of bright pictures.", "under a desk", false},
    {"market", "at the market", "There were apples, bread and flowers for sale.", "behind a fruit stand", false},
    {"woods", "in the woods", "Dry leaves covered the ground.", "under a pile of leaves", true},
    {"pond", "by the pond", "Frogs sat on the lily pads.", "in the reeds", true},
    {"field", "in the field", "The grass was tall and full of bugs.", "in the tall grass", true},
    {"town", "in the town", "There were little shops and a big clock.", "near the fountain", true},
    {"jungle", "in the jungle", "Monkeys swung from the vines.", "under a giant leaf", true},
    {"castle", "at the castle", "The castle had tall towers and a big gate.", "behind the gate", true},
    {"kitchen", "in the kitchen", "It smelled like fresh bread.", "under the table", false},
    {"bedroom", "in the bedroom", "Toys were all over the floor.", "under the bed", false},
    {"zoo garden", "in the zoo garden", "Peacocks walked on the green lawn.", "behind a bench", true},
};

const std::vector<Helper> kHelpers = {
    {"mom", "mom", "Mom", Gender::female, true, "reached up high and took it down"},
    {"dad", "dad", "Dad", Gender::male, true, "reached up with his long arms and took it down"},
    {"grandma", "grandma", "Grandma", Gender::female, true, "used her walking stick to bring it down"},
    {"grandpa", "grandpa", "Grandpa", Gender::male, true, "got a ladder and climbed up to get it"},
    {"big sister", "sister", "Sis", Gender::female, true, "climbed up carefully and brought it down"},
    {"big brother", "brother", "Bro", Gender::male, true, "stood on a chair and grabbed it"},
    {"aunt", "aunt", "Auntie", Gender::female, true, "used a long broom to push it down"},
    {"uncle", "uncle", "Uncle", Gender::male, true, "lifted {name} up on his shoulders so {he} could grab it"},
    {"a wise old owl", "the owl", "Mr. Owl", Gender::male, false, "flew up and pushed it down with his wing"},
    {"a kind old turtle", "the turtle", "Mrs. Turtle", Gender::female, false, "pushed a stick up to knock it down"},
    {"a big friendly bear", "the bear", "Mr. Bear", Gender::male, false, "stood up on his back legs and got it"},
    {"a tall giraffe", "the giraffe", "Miss Giraffe", Gender::female, false, "stretched her long neck and got it"},
    {"a little bird", "the bird", "Little Bird", Gender::female, false, "flew up and pulled it free with her beak"},
    {"a gentle elephant", "the elephant", "Mr. Elephant", Gender::male, false, "reached up with his long trunk and got it"},
};

const std::vector<const char*> kHappyFeelings = {"happy", "glad", "excited", "thankful", "joyful", "cheerful"};
const std::vector<const char*> kSadFeelings = {"sad", "upset", "worried", "scared", "lonely", "grumpy", "unhappy"};

const std::vector<const char*> kHobbies = {
    "play outside", "draw pictures", "sing songs", "dance", "read books", "run fast", "jump in puddles",
    "build with blocks", "pick flowers", "climb trees", "look at the stars", "bake cookies",
    "play hide and seek", "splash in the water", "chase butterflies", "make mud pies", "watch the clouds",
    "collect shiny stones", "play with {his} friends", "help in the garden"};

const std::vector<const char*> kFoods = {"apple", "cookie", "cake", "sandwich", "banana", "pie", "carrot",
                                         "orange", "muffin", "soup", "pear", "cupcake", "berry pie", "pancake"};

const std::vector<const char*> kHighPlaces = {"up in a tall tree", "on the roof", "on a high shelf",
                                              "on top of the fence", "in a thorny bush", "on a high rock"};

const std::vector<WordPair> kFears = {
    {"the dark", "That night, the lights went out, and the room was very dark."},
    {"thunder", "That night, a big storm came, and the thunder went boom!"},
    {"the big dog next door", "One day, the big dog next door ran up to the fence and barked."},
    {"deep water", "At the lake, all the other children jumped into the deep water."},
    {"the tall slide", "At the playground, all the other children went down the tall slide."},
    {"loud noises", "At the fair, there were bells, horns and many loud noises."},
    {"the old attic", "One day, {his} ball rolled up the stairs and into the old attic."},
    {"bees", "In the garden, a fat bee buzzed right past {his} nose."},
    {"the big waves", "At the beach, the big waves crashed on the sand."}};

const std::vector<const char*> kSkills = {"ride a bike", "swim", "tie {his} shoes", "jump rope",
                                          "climb the big tree", "whistle", "bake a cake", "fly a kite",
                                          "skate", "read a whole book"};

const std::vector<const char*> kTimeOpeners = {
    "One day", "One sunny morning", "One rainy afternoon", "One cold winter day", "One warm summer day",
    "Early one morning", "One evening", "On a windy day", "One bright spring morning", "Last Saturday"};

const std::vector<const char*> kWeather = {
    "The sun was warm and bright.", "The sky was blue and clear.", "A cool wind was blowing.",
    "Little white clouds floated in the sky.", "The air smelled like flowers.", "It was a quiet day."};

const std::vector<WordPair> kOpposites = {
    {"big", "small"}, {"hot", "cold"}, {"up", "down"}, {"happy", "sad"}, {"fast", "slow"}, {"day", "night"},
    {"open", "closed"}, {"wet", "dry"}, {"tall", "short"}, {"light", "dark"}, {"old", "young"},
    {"full", "empty"}, {"loud", "quiet"}, {"hard", "soft"}, {"in", "out"}, {"yes", "no"}, {"good", "bad"},
    {"clean", "dirty"}, {"early", "late"}, {"near", "far"}, {"first", "last"}, {"heavy", "light"},
    {"rich", "poor"}, {"strong", "weak"}, {"thick", "thin"}, {"win", "lose"}, {"push", "pull"},
    {"left", "right"}, {"top", "bottom"}, {"front", "back"}, {"inside", "outside"}, {"start", "finish"},
    {"laugh", "cry"}, {"sweet", "sour"}, {"long", "short"}, {"high", "low"}, {"easy", "hard"},
    {"awake", "asleep"}, {"above", "below"}, {"give", "take"}};

const std::vector<WordPair> kPlurals = {
    {"cat", "cats"}, {"dog", "dogs"}, {"ball", "balls"}, {"tree", "trees"}, {"book", "books"},
    {"box", "boxes"}, {"fox", "foxes"}, {"bus", "buses"}, {"dish", "dishes"}, {"bench", "benches"},
    {"baby", "babies"}, {"puppy", "puppies"}, {"berry", "berries"}, {"bunny", "bunnies"}, {"story", "stories"},
    {"mouse", "mice"}, {"child", "children"}, {"man", "men"}, {"woman", "women"}, {"foot", "feet"},
    {"tooth", "teeth"}, {"goose", "geese"}, {"sheep", "sheep"}, {"fish", "fish"}, {"deer", "deer"},
    {"leaf", "leaves"}, {"wolf", "wolves"}, {"knife", "knives"}, {"shelf", "shelves"}, {"toy", "toys"},
    {"key", "keys"}, {"boy", "boys"}, {"girl", "girls"}, {"apple", "apples"}, {"egg", "eggs"},
    {"flower", "flowers"}, {"star", "stars"}, {"bird", "birds"}, {"kite", "kites"}, {"hat", "hats"},
    {"glass", "glasses"}, {"peach", "peaches"}, {"potato", "potatoes"}, {"tomato", "tomatoes"}, {"ox", "oxen"}};

const std::vector<WordPair> kThingColors = {
    {"grass", "green"}, {"sky", "blue"}, {"snow", "white"}, {"banana", "yellow"}, {"sun", "yellow"},
    {"strawberry", "red"}, {"carrot", "orange"}, {"orange", "orange"}, {"coal", "black"}, {"milk", "white"},
    {"cherry", "red"}, {"leaf", "green"}, {"frog", "green"}, {"crow", "black"}, {"lemon", "yellow"},
    {"tomato", "red"}, {"cloud", "white"}, {"pumpkin", "orange"}, {"chocolate", "brown"}, {"grape", "purple"},
    {"sea", "blue"}, {"fire truck", "red"}, {"lime", "green"}, {"polar bear", "white"}, {"mud", "brown"},
    {"pig", "pink"}, {"flamingo", "pink"}, {"elephant", "gray"}, {"blueberry", "blue"}, {"corn", "yellow"}};

const std::vector<WordPair> kSounds = {
    {"cow", "moo"}, {"dog", "woof"}, {"cat", "meow"}, {"duck", "quack"}, {"sheep", "baa"}, {"pig", "oink"},
    {"owl", "hoot"}, {"lion", "roar"}, {"mouse", "squeak"}, {"horse", "neigh"}, {"bee", "buzz"},
    {"snake", "hiss"}, {"frog", "ribbit"}, {"rooster", "cock-a-doodle-doo"}, {"bird", "tweet"}, {"goat", "baa"}};

const std::vector<WordPair> kPastTense = {
    {"run", "ran"}, {"jump", "jumped"}, {"eat", "ate"}, {"see", "saw"}, {"go", "went"}, {"play", "played"},
    {"sing", "sang"}, {"swim", "swam"}, {"fly", "flew"}, {"find", "found"}, {"give", "gave"}, {"take", "took"},
    {"make", "made"}, {"sit", "sat"}, {"walk", "walked"}, {"talk", "talked"}, {"drink", "drank"},
    {"write", "wrote"}, {"read", "read"}, {"come", "came"}, {"hold", "held"}, {"fall", "fell"}, {"climb", "climbed"},
    {"laugh", "laughed"}, {"cry", "cried"}, {"catch", "caught"}, {"throw", "threw"}, {"draw", "drew"},
    {"buy", "bought"}, {"think", "thought"}, {"sleep", "slept"}, {"bring", "brought"}, {"help", "helped"},
    {"hug", "hugged"}, {"stop", "stopped"}, {"smile", "smiled"}, {"dance", "danced"}, {"know", "knew"}};

const std::vector<WordPair> kBabyAnimals = {
    {"dog", "puppy"}, {"cat", "kitten"}, {"cow", "calf"}, {"horse", "foal"}, {"sheep", "lamb"}, {"duck", "duckling"},
    {"frog", "tadpole"}, {"bear", "cub"}, {"lion", "cub"}, {"goat", "kid"}, {"pig", "piglet"}, {"hen", "chick"},
    {"deer", "fawn"}, {"goose", "gosling"}, {"owl", "owlet"}, {"kangaroo", "joey"}};

const std::vector<std::string>& simple_words() {
  static const std::vector<std::string> words = [] {
    std::set<std::string> s;
    auto add = [&](const std::string& w) {
      bool ok = w.size() >= 3 && w.size() <= 9;
      for (char c : w) ok = ok && c >= 'a' && c <= 'z';
      if (ok) s.insert(w);
    };
    for (auto* w : kAnimalKinds) add(w);
    for (auto* w : kColors) add(w);
    for (auto* w : kFoods) add(w);
    for (auto* w : kHeroAdjectives) add(w);
    for (auto& t : kThings) add(t.name);
    for (auto& p : kPlaces) add(p.name);
    for (auto& p : kOpposites) add(p.a), add(p.b);
    for (auto& p : kPlurals) add(p.a), add(p.b);
    for (auto& p : kPastTense) add(p.a), add(p.b);
    return std::vector<std::string>(s.begin(), s.end());  // sorted: independent of insertion order
  }();
  return words;
}

}  // namespace llm::words
