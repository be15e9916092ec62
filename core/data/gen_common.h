// Shared machinery of the data generators (datasets/README.md): options, the
// train/validation split, and a tiny "{slot}" template filler.
//
// Determinism: all randomness comes from llm::Rng (splitmix64, core/util/rng.h) and
// integer arithmetic, never from std::*_distribution, so a seed gives the same bytes
// on every compiler, standard library and in WebAssembly.
#pragma once
#include <cstdint>
#include <functional>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/util/rng.h"

namespace llm {

enum class Split { train, validation };

struct GenOptions {
  uint64_t seed = 1;
  Split split = Split::train;
  // Share of the *item space* reserved for validation. An item belongs to validation
  // when the hash of its key (the story text, the arithmetic problem, ...) falls below
  // this fraction, whatever the seed: train and validation can never share an item,
  // even when they are generated with different seeds.
  double val_fraction = 0.1;
};

// "train" / "validation" (also accepts "val"); throws on anything else.
Split parse_split(std::string_view s);
const char* split_name(Split s);

// 64-bit FNV-1a; stable across platforms (used for split membership and golden tests).
uint64_t fnv1a64(std::string_view s, uint64_t h = 0xcbf29ce484222325ull);

// True when an item with this key belongs to opt.split.
bool in_split(std::string_view key, const GenOptions& opt);

// A well-mixed Rng for (seed, stream). Needed because splitmix64's state advances
// by a fixed constant: Rng(seed * that constant) would make seed s+1 replay seed s
// shifted by one draw. Hashing the seed first makes every (seed, stream) unrelated.
inline uint64_t seed_mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
inline Rng seeded_rng(uint64_t seed, uint64_t stream) { return Rng(seed_mix(seed_mix(seed) ^ seed_mix(stream + 0x51ED2701ull))); }

// Draw items from `make(rng)` (returning {item, key}) and pass the first n that fall
// in the requested split to `sink`, in order. Throws if the split is starved (e.g.
// val_fraction = 0 with split = validation) rather than looping forever.
template <class T, class Make, class Sink>
void for_each_in_split(size_t n, const GenOptions& opt, Make make, Sink sink) {
  Rng rng = seeded_rng(opt.seed, /*stream=*/1);
  size_t done = 0, tries = 0, max_tries = 1000 + 200 * n;
  while (done < n) {
    std::pair<T, std::string> item_key = make(rng);
    if (in_split(item_key.second, opt)) {
      sink(item_key.first);
      done++;
    }
    if (++tries > max_tries) throw std::runtime_error("data generator: the requested split is empty or too small (val_fraction=" + std::to_string(opt.val_fraction) + ")");
  }
}

// The same, collected into a vector.
template <class T, class Make>
std::vector<T> generate_split(size_t n, const GenOptions& opt, Make make) {
  std::vector<T> out;
  out.reserve(n);
  for_each_in_split<T>(n, opt, make, [&](T& item) { out.push_back(std::move(item)); });
  return out;
}

// Uniform choice from any indexable container or C array.
template <class C>
const auto& pick(Rng& rng, const C& c) {
  return c[rng.below(std::size(c))];
}
inline bool chance(Rng& rng, uint32_t percent) { return rng.below(100) < percent; }

// Fisher-Yates with our own Rng (std::shuffle's algorithm is library-specific).
template <class T>
void shuffle_in_place(Rng& rng, std::vector<T>& v) {
  for (size_t i = v.size(); i > 1; i--) std::swap(v[i - 1], v[rng.below(i)]);
}

// Slot values for template filling. A template says "{his} {obj}"; an upper-case first
// letter in the slot name ("{His}") capitalizes the value of the lower-case slot.
class Slots {
 public:
  void set(const std::string& key, std::string value);
  const std::string* find(std::string_view key) const;

 private:
  std::vector<std::pair<std::string, std::string>> kv_;  // few slots: a linear scan is fastest
};

// Replace every {slot}; an unknown slot throws (a template bug, caught by the tests
// that generate thousands of items).
std::string fill(std::string_view tmpl, const Slots& slots);

std::string capitalize(std::string s);
// "a" or "an" for the word that follows ("an apple", "a red ball").
const char* article_for(std::string_view next_word);
std::string with_article(const std::string& phrase);  // "apple" -> "an apple"

// Split on ASCII whitespace / join with a separator.
std::vector<std::string> split_whitespace(std::string_view s);
std::string join(const std::vector<std::string>& parts, std::string_view sep);

}  // namespace llm
