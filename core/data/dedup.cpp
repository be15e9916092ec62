#include "core/data/dedup.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "core/data/clean_quality.h"
#include "core/data/dedup_hash.h"
#include "core/data/unicode_utf8.h"

namespace llm {
namespace {

// p = 2^31 - 1. With a, b, x < p every product a*x fits in 64 bits, so the inner
// loop is plain 32x32->64 multiplies (vpmuludq: 4 or 8 lanes at once) and the
// minima fit a uint32_t signature exactly.
constexpr uint64_t kMersenne31 = (1ull << 31) - 1;

inline uint32_t mod_mersenne31(uint64_t v) {  // v < 2^63
  v = (v & kMersenne31) + (v >> 31);  // 2^31 == 1 (mod p): fold the high part down
  v = (v & kMersenne31) + (v >> 31);
  return (uint32_t)(v >= kMersenne31 ? v - kMersenne31 : v);
}

// Union-find over document indices; the root of a set is its smallest index, so
// "keep the root" keeps the earliest document of each cluster.
struct UnionFind {
  std::vector<int64_t> parent;
  explicit UnionFind(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  int64_t find(int64_t x) {
    while (parent[x] != x) {
      parent[x] = parent[parent[x]];  // path halving
      x = parent[x];
    }
    return x;
  }
  bool unite(int64_t a, int64_t b) {
    a = find(a);
    b = find(b);
    if (a == b) return false;
    if (b < a) std::swap(a, b);
    parent[b] = a;
    return true;
  }
};

}  // namespace

std::string normalize_for_dedup(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back((c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c);
  }
  return out;
}

ExactDedupResult exact_dedup(const std::vector<std::string>& docs) {
  ExactDedupResult r;
  r.keep.assign(docs.size(), 1);
  r.dup_of.assign(docs.size(), -1);
  std::unordered_map<uint64_t, int64_t> first;  // normalized-text hash -> first doc
  first.reserve(docs.size() * 2);
  for (size_t i = 0; i < docs.size(); ++i) {
    const uint64_t h = hash64(normalize_for_dedup(docs[i]));
    auto [it, inserted] = first.emplace(h, (int64_t)i);
    if (!inserted) {
      r.keep[i] = 0;
      r.dup_of[i] = it->second;
      ++r.removed;
    }
  }
  return r;
}

std::vector<uint64_t> shingle_hashes(std::string_view text, const MinHashConfig& cfg) {
  if (cfg.k < 1) throw std::runtime_error("minhash: shingle size k must be >= 1, got " + std::to_string(cfg.k));
  std::vector<uint64_t> out;
  if (cfg.char_shingles) {
    const std::string norm = normalize_for_dedup(text);
    std::vector<size_t> starts;  // byte offset of every code point, plus the end
    for (size_t i = 0; i < norm.size();) {
      starts.push_back(i);
      utf8_next(norm, i);
    }
    starts.push_back(norm.size());
    const size_t n = starts.size() - 1;
    if (n <= (size_t)cfg.k) {
      if (n) out.push_back(hash64(norm));
    } else {
      for (size_t i = 0; i + cfg.k <= n; ++i)
        out.push_back(hash64(std::string_view(norm).substr(starts[i], starts[i + cfg.k] - starts[i])));
    }
  } else {
    const std::vector<std::string> words = normalized_words(text);
    std::vector<uint64_t> wh(words.size());  // (W,)
    for (size_t i = 0; i < words.size(); ++i) wh[i] = hash64(words[i]);
    const size_t k = std::min<size_t>(cfg.k, words.size());
    for (size_t i = 0; k && i + k <= words.size(); ++i) {
      uint64_t h = 0;
      for (size_t j = 0; j < k; ++j) h = hash_combine(h, wh[i + j]);
      out.push_back(h);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

MinHasher::MinHasher(const MinHashConfig& cfg) : cfg_(cfg) {
  if (cfg.num_perm < 1) throw std::runtime_error("minhash: num_perm must be >= 1");
  a_.resize(cfg.num_perm);
  b_.resize(cfg.num_perm);
  uint64_t state = cfg.seed;
  for (int i = 0; i < cfg.num_perm; ++i) {
    // splitmix64 stream; a in [1, p), b in [0, p).
    state += 0x9E3779B97F4A7C15ull;
    a_[i] = (uint32_t)(1 + mix64(state) % (kMersenne31 - 1));
    state += 0x9E3779B97F4A7C15ull;
    b_[i] = (uint32_t)(mix64(state) % kMersenne31);
  }
}

Signature MinHasher::signature_of_shingles(const std::vector<uint64_t>& shingles) const {
  const int n = cfg_.num_perm;
  Signature sig(n, 0xFFFFFFFFu);  // (N,) running minima; above any value < p (empty doc keeps them)
  uint32_t* mins = sig.data();
  const uint32_t* a = a_.data();
  const uint32_t* b = b_.data();
  for (uint64_t s : shingles) {
    const uint64_t x = mod_mersenne31(s >> 1);  // shingle hash reduced into [0, p)
    for (int i = 0; i < n; ++i) {
      const uint32_t h = mod_mersenne31((uint64_t)a[i] * x + b[i]);
      mins[i] = h < mins[i] ? h : mins[i];
    }
  }
  return sig;
}

Signature MinHasher::signature(std::string_view text) const {
  return signature_of_shingles(shingle_hashes(text, cfg_));
}

double estimated_jaccard(const Signature& a, const Signature& b) {
  if (a.size() != b.size() || a.empty())
    throw std::runtime_error("minhash: signatures of different lengths (" + std::to_string(a.size()) +
                             " vs " + std::to_string(b.size()) + ")");
  size_t eq = 0;
  for (size_t i = 0; i < a.size(); ++i) eq += a[i] == b[i];
  return (double)eq / a.size();
}

double exact_jaccard(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  // Both are sorted unique sets: merge-count the intersection.
  size_t i = 0, j = 0, inter = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] < b[j]) ++i;
    else if (b[j] < a[i]) ++j;
    else { ++inter; ++i; ++j; }
  }
  const size_t uni = a.size() + b.size() - inter;
  return uni ? (double)inter / uni : 1.0;
}

double lsh_candidate_probability(double s, int bands, int rows) {
  return 1.0 - std::pow(1.0 - std::pow(s, rows), bands);
}

void choose_lsh_params(double t, int num_perm, int* bands, int* rows) {
  if (!(t > 0 && t < 1)) throw std::runtime_error("lsh: threshold must be in (0, 1), got " + std::to_string(t));
  // Midpoint-rule integrals with 200 steps; the error curve is smooth in s.
  auto integrate = [](auto f, double a, double b) {
    const int steps = 200;
    const double h = (b - a) / steps;
    double sum = 0;
    for (int i = 0; i < steps; ++i) sum += f(a + (i + 0.5) * h);
    return sum * h;
  };
  double best = 1e300;
  for (int b = 1; b <= num_perm; ++b) {
    for (int r = 1; b * r <= num_perm; ++r) {
      const double fp = integrate([&](double s) { return lsh_candidate_probability(s, b, r); }, 0.0, t);
      const double fn = integrate([&](double s) { return 1.0 - lsh_candidate_probability(s, b, r); }, t, 1.0);
      const double err = 0.5 * fp + 0.5 * fn;
      if (err < best) {
        best = err;
        *bands = b;
        *rows = r;
      }
    }
  }
}

NearDedupResult near_dedup_signatures(const std::vector<Signature>& sigs, const MinHashConfig& cfg) {
  NearDedupResult r;
  const size_t D = sigs.size();
  const int N = cfg.num_perm;
  r.bands = cfg.bands;
  r.rows = cfg.rows;
  if (r.bands <= 0 || r.rows <= 0) choose_lsh_params(cfg.threshold, N, &r.bands, &r.rows);
  if ((int64_t)r.bands * r.rows > N)
    throw std::runtime_error("lsh: bands * rows = " + std::to_string(r.bands * r.rows) +
                             " exceeds num_perm = " + std::to_string(N));
  for (size_t d = 0; d < D; ++d)
    if ((int)sigs[d].size() != N)
      throw std::runtime_error("near_dedup: signature " + std::to_string(d) + " has length " +
                               std::to_string(sigs[d].size()) + ", expected " + std::to_string(N));
  UnionFind uf(D);
  std::vector<std::pair<uint64_t, uint32_t>> keys(D);  // (D,) (band hash, doc)
  for (int band = 0; band < r.bands; ++band) {
    for (size_t d = 0; d < D; ++d) {
      uint64_t h = hash_combine(0x5EED, (uint64_t)band);
      for (int k = 0; k < r.rows; ++k) h = hash_combine(h, sigs[d][band * r.rows + k]);
      keys[d] = {h, (uint32_t)d};
    }
    std::sort(keys.begin(), keys.end());
    for (size_t i = 0; i < D;) {
      size_t j = i + 1;
      while (j < D && keys[j].first == keys[i].first) ++j;
      // Bucket [i, j): verify every pair not already in one cluster.
      for (size_t x = i + 1; x < j; ++x) {
        for (size_t y = i; y < x; ++y) {
          const uint32_t a = keys[y].second, b = keys[x].second;
          if (uf.find(a) == uf.find(b)) continue;
          ++r.candidate_pairs;
          if (estimated_jaccard(sigs[a], sigs[b]) >= cfg.threshold) {
            ++r.verified_pairs;
            uf.unite(a, b);
          }
        }
      }
      i = j;
    }
  }
  r.keep.assign(D, 1);
  r.cluster.assign(D, -1);
  std::vector<char> multi(D, 0);  // (D,) root has at least one other member
  for (size_t d = 0; d < D; ++d) {
    const int64_t root = uf.find(d);
    r.cluster[d] = root;
    if (root != (int64_t)d) {
      r.keep[d] = 0;
      ++r.removed;
      multi[root] = 1;
    }
  }
  for (char m : multi) r.clusters += m;
  return r;
}

NearDedupResult near_dedup(const std::vector<std::string>& docs, const MinHashConfig& cfg) {
  const MinHasher hasher(cfg);
  std::vector<Signature> sigs(docs.size());
  // Signatures are independent per document: the expensive part parallelizes.
#pragma omp parallel for schedule(dynamic, 16)
  for (long long d = 0; d < (long long)docs.size(); ++d) sigs[d] = hasher.signature(docs[d]);
  return near_dedup_signatures(sigs, cfg);
}

}  // namespace llm
