// Exact and near-duplicate detection.
//
// Exact: 64-bit hash of a normalized form of each document (ASCII lower-case,
// whitespace runs collapsed, trimmed); the first document with a hash is kept.
//
// Near (Broder 1997; Leskovec, Rajaraman & Ullman, "Mining of Massive Datasets" ch. 3):
//   1. shingles: the set S(d) of k-grams of words (or of characters) of document d;
//   2. MinHash: for N seeded hash functions h_i, sig_i(d) = min over S(d) of h_i.
//      P[sig_i(a) == sig_i(b)] = Jaccard(S(a), S(b)), so the fraction of equal
//      entries of two signatures estimates the Jaccard similarity;
//   3. LSH banding: cut the N values into b bands of r rows; two documents become a
//      candidate pair if any band matches exactly. A pair with similarity s is a
//      candidate with probability 1 - (1 - s^r)^b, an S-curve around (1/b)^(1/r);
//      b and r are chosen so the curve's step sits at the Jaccard threshold;
//   4. candidates are verified with the estimated Jaccard >= threshold, joined with
//      union-find, and each cluster keeps its first document.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace llm {

std::string normalize_for_dedup(std::string_view text);

struct ExactDedupResult {
  std::vector<char> keep;        // (D,) 1 = first occurrence
  std::vector<int64_t> dup_of;   // (D,) index of the kept copy, -1 if kept
  size_t removed = 0;
};
ExactDedupResult exact_dedup(const std::vector<std::string>& docs);

struct MinHashConfig {
  double threshold = 0.8;   // Jaccard similarity at or above which docs are duplicates
  int num_perm = 128;       // N, signature length
  int bands = 0, rows = 0;  // 0 = choose from threshold (bands * rows <= num_perm)
  bool char_shingles = false;  // false: k-grams of words, true: k-grams of characters
  int k = 5;                // shingle size (words or UTF-8 bytes)
  uint64_t seed = 1;        // seeds the N hash functions
};

// Shingle hashes of a document (a set: sorted, unique). Documents shorter than k
// give one shingle of the whole (normalized) text, so they still compare.
std::vector<uint64_t> shingle_hashes(std::string_view text, const MinHashConfig& cfg);

// The N hash functions are universal hashing over the Mersenne prime p = 2^31 - 1:
// h_i(x) = (a_i * x + b_i) mod p with (a_i, b_i) drawn from the seed; x is the
// 64-bit shingle hash reduced mod p. The products fit in 64 bits (the loop
// vectorizes) and each minimum fits 32 bits; two distinct shingles collide with
// probability ~1/p = 5e-10, far below the estimator's own noise (~1/sqrt(N)).
using Signature = std::vector<uint32_t>;  // (N,)

class MinHasher {
 public:
  explicit MinHasher(const MinHashConfig& cfg);
  Signature signature(std::string_view text) const;
  Signature signature_of_shingles(const std::vector<uint64_t>& shingles) const;
  const MinHashConfig& config() const { return cfg_; }

 private:
  MinHashConfig cfg_;
  std::vector<uint32_t> a_, b_;  // (N,) each, in [0, p)
};

// Fraction of equal entries: the MinHash estimate of Jaccard similarity.
double estimated_jaccard(const Signature& a, const Signature& b);
double exact_jaccard(const std::vector<uint64_t>& set_a, const std::vector<uint64_t>& set_b);

// Probability that a pair with Jaccard s shares at least one of b bands of r rows.
double lsh_candidate_probability(double s, int bands, int rows);

// (bands, rows) with bands * rows <= num_perm minimizing the false-positive area
// (integral of P over [0, t]) plus the false-negative area (integral of 1 - P over
// [t, 1]), as in datasketch's MinHashLSH.
void choose_lsh_params(double threshold, int num_perm, int* bands, int* rows);

struct NearDedupResult {
  std::vector<char> keep;        // (D,)
  std::vector<int64_t> cluster;  // (D,) index of the cluster's kept document
  int bands = 0, rows = 0;
  size_t candidate_pairs = 0;    // pairs sharing a band (before verification)
  size_t verified_pairs = 0;     // candidates whose estimated Jaccard >= threshold
  size_t clusters = 0;           // clusters with >= 2 documents
  size_t removed = 0;
};

NearDedupResult near_dedup(const std::vector<std::string>& docs, const MinHashConfig& cfg);
// Same, from precomputed signatures (D x N).
NearDedupResult near_dedup_signatures(const std::vector<Signature>& sigs,
                                      const MinHashConfig& cfg);

}  // namespace llm
