// Small open-addressing hash tables for the tokenizer hot paths. The standard
// unordered_map allocates a node per entry; these keep everything in flat
// arrays (linear probing, power-of-two capacity, load factor <= 1/2).
#pragma once
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace llm::flat {

inline uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCDull;
  x ^= x >> 33;
  x *= 0xC4CEB9FE1A85EC53ull;
  x ^= x >> 33;
  return x;
}

// Hash of a byte string, 8 bytes per step (words are short, so this is mostly
// one or two multiplies).
inline uint64_t hash_bytes(const char* p, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xC2B2AE3D27D4EB4Full);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = mix64(h ^ w) * 0x9E3779B97F4A7C15ull;
    p += 8;
    n -= 8;
  }
  uint64_t w = 0;
  std::memcpy(&w, p, n);
  return mix64(h ^ w ^ (uint64_t(n) << 56));
}

inline uint64_t pair_key(int32_t a, int32_t b) { return (uint64_t(uint32_t(a)) << 32) | uint32_t(b); }

// uint64 key -> V. The key ~0 marks an empty slot (pair keys never reach it,
// ids are < 2^31).
template <class V>
class U64Map {
 public:
  static constexpr uint64_t kEmpty = ~0ull;
  explicit U64Map(size_t expected = 16) { rehash(expected * 2 + 16); }

  // Pointer to the value for key, or nullptr.
  const V* find(uint64_t key) const {
    size_t i = mix64(key) & mask_;
    while (true) {
      const uint64_t k = keys_[i];
      if (k == key) return &vals_[i];
      if (k == kEmpty) return nullptr;
      i = (i + 1) & mask_;
    }
  }
  V* find(uint64_t key) { return const_cast<V*>(static_cast<const U64Map*>(this)->find(key)); }

  // Value for key, inserted as init when absent; *inserted tells which.
  V& get_or_insert(uint64_t key, const V& init, bool* inserted = nullptr) {
    if ((size_ + 1) * 2 > keys_.size()) rehash(keys_.size() * 2);
    size_t i = mix64(key) & mask_;
    while (true) {
      const uint64_t k = keys_[i];
      if (k == key) { if (inserted) *inserted = false; return vals_[i]; }
      if (k == kEmpty) break;
      i = (i + 1) & mask_;
    }
    keys_[i] = key;
    vals_[i] = init;
    size_++;
    if (inserted) *inserted = true;
    return vals_[i];
  }
  size_t size() const { return size_; }

  template <class F>
  void for_each(F&& f) const {
    for (size_t i = 0; i < keys_.size(); i++)
      if (keys_[i] != kEmpty) f(keys_[i], vals_[i]);
  }

 private:
  void rehash(size_t want) {
    size_t cap = 16;
    while (cap < want) cap *= 2;
    std::vector<uint64_t> old_keys(cap, kEmpty);
    std::vector<V> old_vals(cap);
    old_keys.swap(keys_);
    old_vals.swap(vals_);
    mask_ = cap - 1;
    size_ = 0;
    for (size_t i = 0; i < old_keys.size(); i++)
      if (old_keys[i] != kEmpty) get_or_insert(old_keys[i], old_vals[i]);
  }
  std::vector<uint64_t> keys_;  // (cap,)
  std::vector<V> vals_;         // (cap,)
  size_t mask_ = 0, size_ = 0;
};

// Counts of byte strings that stay alive elsewhere (views into the training
// text), e.g. pre-token -> number of occurrences.
class StringCounter {
 public:
  StringCounter() { rehash(1 << 12); }
  void add(std::string_view s, int64_t n) { add_hashed(s, hash_bytes(s.data(), s.size()), n); }
  void add_hashed(std::string_view s, uint64_t h, int64_t n) {
    if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.size() * 2);
    size_t i = h & mask_;
    while (true) {
      Slot& sl = slots_[i];
      if (sl.count == 0) { sl = {s, h, n}; size_++; return; }
      if (sl.hash == h && sl.key == s) { sl.count += n; return; }
      i = (i + 1) & mask_;
    }
  }
  void merge_from(const StringCounter& o) {
    for (const Slot& sl : o.slots_) if (sl.count) add_hashed(sl.key, sl.hash, sl.count);
  }
  size_t size() const { return size_; }
  template <class F>
  void for_each(F&& f) const {
    for (const Slot& sl : slots_) if (sl.count) f(sl.key, sl.count);
  }

 private:
  struct Slot {
    std::string_view key;
    uint64_t hash = 0;
    int64_t count = 0;  // 0 marks an empty slot
  };
  void rehash(size_t cap) {
    std::vector<Slot> old(cap);
    old.swap(slots_);
    mask_ = cap - 1;
    size_ = 0;
    for (const Slot& sl : old) if (sl.count) add_hashed(sl.key, sl.hash, sl.count);
  }
  std::vector<Slot> slots_;  // (cap,)
  size_t mask_ = 0, size_ = 0;
};

}  // namespace llm::flat
