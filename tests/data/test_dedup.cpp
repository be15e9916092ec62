// Exact dedup, MinHash estimates, LSH parameters, and the planted near-duplicate
// test: a generated corpus with a few edited copies, which must all be found
// without touching documents that are clearly different.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "core/data/dedup.h"
#include "core/data/dedup_hash.h"

namespace {

// Small deterministic generator (splitmix64) so the corpus is the same everywhere.
struct Gen {
  uint64_t s;
  uint64_t next() { return llm::mix64(s += 0x9E3779B97F4A7C15ull); }
  size_t below(size_t n) { return (size_t)(next() % n); }
};

std::vector<std::string> make_vocab(Gen& g, size_t n) {
  std::vector<std::string> v;
  std::set<std::string> seen;
  while (v.size() < n) {
    std::string w;
    const size_t len = 3 + g.below(6);
    for (size_t i = 0; i < len; ++i) w.push_back((char)('a' + g.below(26)));
    if (seen.insert(w).second) v.push_back(w);
  }
  return v;
}

std::vector<std::string> make_words(Gen& g, const std::vector<std::string>& vocab, size_t n) {
  std::vector<std::string> w(n);
  for (auto& x : w) x = vocab[g.below(vocab.size())];
  return w;
}

std::string join(const std::vector<std::string>& words) {
  std::string s;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i) s += (i % 12 == 0) ? ". " : " ";
    s += words[i];
  }
  return s + ".";
}

}  // namespace

TEST(Dedup, ExactDedupIgnoresCaseAndWhitespace) {
  const std::vector<std::string> docs = {"Hello  world\n", "hello world", "HELLO\tWORLD", "hello, world"};
  const llm::ExactDedupResult r = llm::exact_dedup(docs);
  EXPECT_EQ(r.removed, 2u);
  EXPECT_EQ(r.keep, (std::vector<char>{1, 0, 0, 1}));
  EXPECT_EQ(r.dup_of[1], 0);
  EXPECT_EQ(r.dup_of[2], 0);
  EXPECT_EQ(r.dup_of[3], -1);
}

TEST(Dedup, MinHashEstimatesJaccard) {
  Gen g{42};
  const auto vocab = make_vocab(g, 3000);
  llm::MinHashConfig cfg;
  cfg.num_perm = 256;
  cfg.k = 3;
  const llm::MinHasher mh(cfg);
  // Pairs sharing a varying prefix: exact Jaccard spans roughly 0..1.
  for (size_t shared : {0, 100, 200, 300, 380}) {
    auto a = make_words(g, vocab, 400);
    auto b = a;
    for (size_t i = shared; i < b.size(); ++i) b[i] = vocab[g.below(vocab.size())];
    const std::string da = join(a), db = join(b);
    const double exact = llm::exact_jaccard(llm::shingle_hashes(da, cfg), llm::shingle_hashes(db, cfg));
    const double est = llm::estimated_jaccard(mh.signature(da), mh.signature(db));
    const double sigma = std::sqrt(std::max(exact * (1 - exact), 0.01) / cfg.num_perm);
    EXPECT_NEAR(est, exact, 4 * sigma) << "shared prefix " << shared;
  }
  // Identical documents: identical signatures.
  const std::string d = join(make_words(g, vocab, 50));
  EXPECT_EQ(mh.signature(d), mh.signature(d));
  EXPECT_DOUBLE_EQ(llm::estimated_jaccard(mh.signature(d), mh.signature(d)), 1.0);
}

TEST(Dedup, LshParamsPutTheStepAtTheThreshold) {
  EXPECT_NEAR(llm::lsh_candidate_probability(0.5, 1, 1), 0.5, 1e-12);
  EXPECT_NEAR(llm::lsh_candidate_probability(0.8, 4, 2), 1 - std::pow(1 - 0.64, 4), 1e-12);
  for (double t : {0.5, 0.7, 0.8, 0.9}) {
    int b = 0, r = 0;
    llm::choose_lsh_params(t, 128, &b, &r);
    ASSERT_GT(b, 0);
    ASSERT_GT(r, 0);
    EXPECT_LE(b * r, 128);
    // The S-curve is steep around (1/b)^(1/r); it must sit near the threshold,
    // and pairs well above it must almost surely become candidates.
    const double step = std::pow(1.0 / b, 1.0 / r);
    EXPECT_NEAR(step, t, 0.12) << "t=" << t << " b=" << b << " r=" << r;
    EXPECT_GT(llm::lsh_candidate_probability(std::min(t + 0.15, 0.99), b, r), 0.9) << "t=" << t;
    EXPECT_LT(llm::lsh_candidate_probability(t - 0.3, b, r), 0.05) << "t=" << t;
  }
}

TEST(Dedup, FindsPlantedNearDuplicatesWithoutFalsePositives) {
  Gen g{2024};
  const auto vocab = make_vocab(g, 5000);
  std::vector<std::string> docs;
  std::vector<std::vector<std::string>> words;
  for (int i = 0; i < 400; ++i) words.push_back(make_words(g, vocab, 300 + g.below(100)));
  // Clearly different but related documents: pairs sharing half their text
  // (Jaccard ~ 1/3) must NOT be merged at threshold 0.8.
  for (int i = 0; i < 10; ++i) {
    auto w = words[i];
    for (size_t k = w.size() / 2; k < w.size(); ++k) w[k] = vocab[g.below(vocab.size())];
    words.push_back(w);
  }
  const size_t n_orig = words.size();
  // Planted near-duplicates of documents 20..39: 1-3 word edits each
  // (substitution, deletion, insertion). An edit changes at most k = 5 word
  // 5-shingles, so the copies keep Jaccard >= ~0.9 with their original.
  std::vector<std::pair<size_t, size_t>> planted;  // (copy index, original index)
  for (size_t src = 20; src < 40; ++src) {
    auto w = words[src];
    const int edits = 1 + (int)g.below(3);
    for (int e = 0; e < edits; ++e) {
      const size_t pos = 1 + g.below(w.size() - 2);
      switch (g.below(3)) {
        case 0: w[pos] = vocab[g.below(vocab.size())]; break;
        case 1: w.erase(w.begin() + pos); break;
        default: w.insert(w.begin() + pos, vocab[g.below(vocab.size())]); break;
      }
    }
    planted.push_back({words.size(), src});
    words.push_back(w);
  }
  for (const auto& w : words) docs.push_back(join(w));

  // Threshold 0.7 with 128 permutations gives 14 bands x 9 rows: a pair with
  // Jaccard 0.9 becomes a candidate with probability 1 - (1 - 0.9^9)^14 > 0.999,
  // one with Jaccard 1/3 with probability < 0.001 (and verification rejects it).
  llm::MinHashConfig cfg;  // word 5-shingles
  cfg.threshold = 0.7;
  // Preconditions on the corpus itself (exact Jaccard), so a failure below is
  // the algorithm's fault, not the generator's.
  for (const auto& [copy, src] : planted)
    ASSERT_GE(llm::exact_jaccard(llm::shingle_hashes(docs[copy], cfg), llm::shingle_hashes(docs[src], cfg)), 0.88);
  for (int i = 0; i < 10; ++i)
    ASSERT_LE(llm::exact_jaccard(llm::shingle_hashes(docs[400 + i], cfg), llm::shingle_hashes(docs[i], cfg)), 0.5);
  const llm::NearDedupResult r = llm::near_dedup(docs, cfg);
  EXPECT_EQ(r.removed, planted.size());
  EXPECT_EQ(r.clusters, planted.size());
  for (const auto& [copy, src] : planted) {
    EXPECT_FALSE(r.keep[copy]) << "planted copy " << copy << " of " << src << " was not found";
    EXPECT_EQ(r.cluster[copy], (int64_t)src);
    EXPECT_TRUE(r.keep[src]) << "the original (first) document must be kept";
  }
  for (size_t i = 0; i < n_orig; ++i) EXPECT_TRUE(r.keep[i]) << "false positive: document " << i;
  EXPECT_GE(r.candidate_pairs, r.verified_pairs);
  EXPECT_EQ(r.bands * r.rows <= cfg.num_perm, true);
}

TEST(Dedup, CharShinglesAndShortDocs) {
  llm::MinHashConfig cfg;
  cfg.char_shingles = true;
  cfg.k = 4;
  // "abc" is shorter than k: one shingle of the whole text, so equal texts still match.
  EXPECT_EQ(llm::shingle_hashes("abc", cfg).size(), 1u);
  EXPECT_EQ(llm::shingle_hashes("abcdef", cfg).size(), 3u);  // abcd bcde cdef
  // Multi-byte characters count as one: 5 code points -> 2 shingles of 4.
  EXPECT_EQ(llm::shingle_hashes("\xC3\xA9t\xC3\xA9s!", cfg).size(), 2u);
  const std::vector<std::string> docs = {"The cat sat on the mat today.", "The cat sat on the mat today!",
                                         "A completely different sentence here."};
  cfg.threshold = 0.7;
  const llm::NearDedupResult r = llm::near_dedup(docs, cfg);
  EXPECT_EQ(r.keep, (std::vector<char>{1, 0, 1}));
}

TEST(Dedup, RejectsBadParameters) {
  llm::MinHashConfig cfg;
  cfg.bands = 20;
  cfg.rows = 10;  // 200 > 128
  EXPECT_THROW(llm::near_dedup({"a b c", "d e f"}, cfg), std::runtime_error);
  int b, r;
  EXPECT_THROW(llm::choose_lsh_params(1.5, 128, &b, &r), std::runtime_error);
}
