// Byte-level BPE (GPT-2 style), the fast version: trainer, encoder, decoder,
// Hugging Face tokenizer.json save/load. The short readable version of the same
// training algorithm is bpe_teaching.h; docs/tokenizers.md puts them side by side.
//
// Id layout of a tokenizer we train:
//   0..255                 the 256 single bytes (id == byte value)
//   256..256+M-1           the M merges, in the order they were learned
//   256+M..                special tokens (<|endoftext|>, <|pad|>, <|im_start|>, <|im_end|>, user-added)
// A loaded tokenizer.json may use any dense id layout.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/tokenizer/flat_hash.h"
#include "core/tokenizer/specials.h"
#include "core/tokenizer/tokenizer.h"

namespace llm {

struct BpeTrainOptions {
  int vocab_size = 4096;  // total: 256 bytes + merges + specials
  std::vector<std::string> specials = default_special_tokens();
  int threads = 1;        // OpenMP threads for pre-token counting (1 without OpenMP)
  int64_t min_count = 1;  // stop when the most frequent pair occurs fewer times
};

// One learned merge: tokens left and right become token id.
struct BpeMerge {
  int32_t left, right, id;
  int64_t count;  // occurrences of the pair when it was merged (0 when loaded from json)
};

// Memo of pre-token bytes -> ids, the main speed trick of the encoder (most
// words repeat). One cache per thread; it remembers which tokenizer filled it
// and clears itself when used with another one.
class BpeCache {
 public:
  explicit BpeCache(size_t max_entries = size_t(1) << 18);
  // ids of word, or nullptr (then *n is untouched).
  const int32_t* find(std::string_view word, uint64_t hash, int* n) const;
  void insert(std::string_view word, uint64_t hash, const int32_t* ids, int n);
  void clear();
  size_t size() const { return size_; }
  const void* owner = nullptr;

 private:
  struct Slot {
    uint64_t hash;
    uint32_t key_off, key_len;  // key_len == 0: empty slot (words are never empty)
    uint32_t ids_off, ids_len;
  };
  std::vector<Slot> slots_;   // (cap,) open addressing
  std::string keys_;          // concatenated word bytes
  std::vector<int32_t> ids_;  // concatenated ids
  size_t size_ = 0, max_entries_;
};

class BpeTokenizer : public Tokenizer {
 public:
  // The 256 byte tokens only: no merges, no specials.
  BpeTokenizer();

  // Learns merges on text (pre-tokenized with the GPT-2 regex after specials
  // are cut out). Deterministic: the most frequent pair wins, ties go to the
  // smallest (left id, right id); the result does not depend on threads.
  static BpeTokenizer train(std::string_view text, const BpeTrainOptions& opt = {});
  // Same, each document pre-tokenized on its own (no pre-token spans two docs).
  static BpeTokenizer train(const std::vector<std::string_view>& docs, const BpeTrainOptions& opt = {});
  // Builds the tokenizer from merges given as (left id, right id) in the layout
  // above (merge k makes id 256+k), then appends specials.
  static BpeTokenizer from_merges(const std::vector<std::pair<int32_t, int32_t>>& merges,
                                  const std::vector<std::string>& specials);

  // Hugging Face tokenizer.json (model BPE, ByteLevel pre-tokenizer/decoder,
  // specials as added_tokens with special:true).
  std::string to_hf_json() const;
  static BpeTokenizer from_hf_json(const std::string& json_text);

  // --- Tokenizer interface ---
  std::string type() const override { return "bpe"; }
  std::vector<int32_t> encode(std::string_view text, bool allow_special = true) const override;
  std::string decode(const std::vector<int32_t>& ids) const override;
  int vocab_size() const override { return int(tokens_.size()); }
  std::string id_to_token(int32_t id) const override;
  int32_t token_id(std::string_view token) const override;
  std::string to_json() const override { return to_hf_json(); }
  std::vector<std::pair<std::string, int32_t>> special_tokens() const override;

  // Appends ids to *out. cache may be nullptr (then a cache local to the call
  // is used for long texts).
  void encode_into(std::string_view text, std::vector<int32_t>* out, bool allow_special,
                   BpeCache* cache) const;
  // Encodes many texts, OpenMP-parallel over texts with one cache per thread.
  std::vector<std::vector<int32_t>> encode_batch(const std::vector<std::string_view>& texts, int threads,
                                                 bool allow_special = true) const;

  // Adds a special token after training; returns its id (the existing id when
  // it is already a special). Throws when it collides with a regular token.
  int32_t add_special_token(const std::string& content);
  // Raw bytes of a token (the content for specials).
  const std::string& token_bytes(int32_t id) const;
  bool is_special(int32_t id) const { return id >= 0 && id < vocab_size() && special_[id]; }
  const std::vector<BpeMerge>& merges() const { return merges_; }
  // Id of a token given by its raw bytes (not byte-level spelled), or -1.
  int32_t bytes_to_id(std::string_view bytes) const;

 private:
  void rebuild_indexes();  // byte_id_, merge_rank_, by_bytes_ from tokens_ and merges_
  void check_id(int32_t id, size_t pos) const;
  // BPE on one pre-token: byte ids, then merges by rank (leftmost first on ties).
  void merge_word(std::string_view word, std::vector<int32_t>* out) const;
  void encode_segment(std::string_view seg, std::vector<int32_t>* out, BpeCache* cache) const;

  std::vector<std::string> tokens_;  // (vocab,) raw bytes per id; content for specials
  std::vector<uint8_t> special_;     // (vocab,) 1 for special tokens
  std::vector<BpeMerge> merges_;     // (M,) in rank order
  SpecialMatcher specials_;
  bool ignore_merges_ = false;       // HF option: a pre-token that is a whole vocab entry maps directly

  // Derived indexes.
  int32_t byte_id_[256];                           // byte -> id (-1 if missing in a foreign vocab)
  struct RankId { int32_t rank, id; };
  flat::U64Map<RankId> merge_rank_;                // pair_key(left, right) -> (rank, new id)
  std::unordered_map<std::string, int32_t> by_bytes_;  // regular token bytes -> id
};

}  // namespace llm
