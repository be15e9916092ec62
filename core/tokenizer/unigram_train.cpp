// Unigram training: EM over piece probabilities with pruning, after
// SentencePiece's unigram trainer (simplified: plain maximum-likelihood M-step,
// all characters always kept).
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>
#include <unordered_map>

#include "core/tokenizer/piece_trie.h"
#include "core/tokenizer/pretokenize.h"
#include "core/tokenizer/unicode.h"
#include "core/tokenizer/unigram.h"

namespace llm {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

double log_add(double a, double b) {
  if (a == kNegInf) return b;
  if (b == kNegInf) return a;
  return a > b ? a + std::log1p(std::exp(b - a)) : b + std::log1p(std::exp(a - b));
}

// A training word: its text, count and character boundaries.
struct Word {
  std::string text;
  int64_t count;
  std::vector<uint32_t> bounds;       // (chars+1,) byte offset of each character boundary
  std::vector<int32_t> char_of_byte;  // (bytes+1,) character index at a boundary, else -1
};

// The model being trained: pieces with log-probabilities. Characters are
// "required": never pruned, so every word always has a segmentation.
struct Model {
  std::vector<std::string> text;          // (P,)
  std::vector<double> logp;               // (P,)
  std::vector<uint8_t> required;          // (P,)
  PieceTrie trie;

  void reindex() {
    trie.clear();
    for (int32_t i = 0; i < int32_t(text.size()); i++) trie.insert(text[i], i);
  }
  // Edges (start char, end char, piece) of a word's lattice, sorted by start.
  struct Edge { int s, e; int32_t id; };
  void edges(const Word& w, std::vector<Edge>* out, int32_t exclude = -1) const {
    out->clear();
    const int m = int(w.bounds.size()) - 1;
    for (int s = 0; s < m; s++)
      trie.prefixes(w.text, w.bounds[s], [&](size_t end, int32_t id) {
        const int e = w.char_of_byte[end];  // -1: the piece ends inside a character
        if (e > s && id != exclude) out->push_back({s, e, id});
      });
  }
  // Best segmentation (ids appended to *out); returns its log-probability.
  double viterbi(const Word& w, std::vector<int32_t>* out, int32_t exclude = -1) const {
    std::vector<Edge> es;
    edges(w, &es, exclude);
    const int m = int(w.bounds.size()) - 1;
    std::vector<double> best(m + 1, kNegInf);
    std::vector<int> back(m + 1, -1);  // index into es
    best[0] = 0;
    for (int k = 0; k < int(es.size()); k++) {  // edges are sorted by start
      const Edge& ed = es[k];
      if (best[ed.s] == kNegInf) continue;
      const double s = best[ed.s] + logp[ed.id];
      if (s > best[ed.e]) { best[ed.e] = s; back[ed.e] = k; }
    }
    if (best[m] == kNegInf) return kNegInf;
    const size_t mark = out->size();
    for (int e = m; e > 0; e = es[back[e]].s) out->push_back(es[back[e]].id);
    std::reverse(out->begin() + mark, out->end());
    return best[m];
  }
};

Word make_word(std::string text, int64_t count) {
  Word w{std::move(text), count, {}};
  const auto* p = reinterpret_cast<const unsigned char*>(w.text.data());
  for (size_t i = 0; i < w.text.size();) {
    w.bounds.push_back(uint32_t(i));
    uint32_t cp;
    i += uni::decode_utf8(p, i, w.text.size(), &cp);
  }
  w.bounds.push_back(uint32_t(w.text.size()));
  w.char_of_byte.assign(w.text.size() + 1, -1);
  for (size_t c = 0; c < w.bounds.size(); c++) w.char_of_byte[w.bounds[c]] = int32_t(c);
  return w;
}

// E-step + M-step. Returns the corpus log-likelihood (before the update).
double em_step(Model& model, const std::vector<Word>& words) {
  std::vector<double> expected(model.text.size(), 0.0);  // (P,)
  double loglik = 0;
  std::vector<Model::Edge> es;
  for (const Word& w : words) {
    model.edges(w, &es);
    const int m = int(w.bounds.size()) - 1;
    // Forward: alpha[k] = log sum over segmentations of the first k chars.
    std::vector<double> alpha(m + 1, kNegInf), beta(m + 1, kNegInf);
    alpha[0] = 0;
    for (const auto& e : es) alpha[e.e] = log_add(alpha[e.e], alpha[e.s] + model.logp[e.id]);
    // Backward: beta[k] = log sum over segmentations of chars k..m.
    beta[m] = 0;
    for (int k = int(es.size()) - 1; k >= 0; k--) {
      const auto& e = es[k];
      beta[e.s] = log_add(beta[e.s], model.logp[e.id] + beta[e.e]);
    }
    const double z = alpha[m];
    if (z == kNegInf) continue;
    loglik += double(w.count) * z;
    // Posterior of each edge = alpha * p * beta / Z; weight by the word count.
    for (const auto& e : es)
      expected[e.id] += double(w.count) * std::exp(alpha[e.s] + model.logp[e.id] + beta[e.e] - z);
  }
  // M-step: drop pieces expected fewer than 0.5 times (characters stay),
  // then log p = log(count / total).
  Model next;
  double total = 0;
  for (size_t i = 0; i < expected.size(); i++) {
    if (expected[i] < 0.5 && !model.required[i]) continue;
    const double c = std::max(expected[i], 0.5);
    next.text.push_back(model.text[i]);
    next.logp.push_back(c);
    next.required.push_back(model.required[i]);
    total += c;
  }
  for (double& lp : next.logp) lp = std::log(lp / total);
  next.reindex();
  model = std::move(next);
  return loglik;
}

// Keeps the `keep` pieces whose removal would lose the most likelihood.
void prune(Model& model, const std::vector<Word>& words, size_t keep) {
  const size_t n = model.text.size();
  // How often each piece is used in the best segmentations of the corpus.
  std::vector<double> freq(n, 0.0);  // (P,)
  std::vector<int32_t> seg;
  for (const Word& w : words) {
    seg.clear();
    model.viterbi(w, &seg);
    for (int32_t id : seg) freq[id] += double(w.count);
  }
  double total = 0;
  for (double f : freq) total += f;
  // loss[i]: drop in log-likelihood when piece i is replaced by its own best
  // segmentation without it, the alternatives absorbing its frequency.
  std::vector<std::pair<double, int32_t>> loss;  // (loss, id) for prunable pieces
  std::vector<int32_t> alt;
  for (int32_t i = 0; i < int32_t(n); i++) {
    if (model.required[i] || freq[i] == 0) continue;  // unused pieces are simply dropped
    alt.clear();
    model.viterbi(make_word(model.text[i], 1), &alt, i);
    const double logprob_piece = std::log(freq[i]) - std::log(total);
    const double logsum_alt = std::log(total + freq[i] * double(alt.size() - 1));
    double logprob_alt = 0;
    for (int32_t a : alt) logprob_alt += std::log(freq[a] + freq[i]) - logsum_alt;
    loss.push_back({freq[i] * (logprob_piece - logprob_alt), i});
  }
  std::sort(loss.begin(), loss.end(), [&](const auto& x, const auto& y) {
    if (x.first != y.first) return x.first > y.first;
    return model.text[x.second] < model.text[y.second];
  });
  size_t n_required = 0;
  for (uint8_t r : model.required) n_required += r;
  std::vector<uint8_t> kept(n, 0);
  for (size_t i = 0; i < n; i++) kept[i] = model.required[i];
  for (size_t k = 0; k < loss.size() && n_required + k < keep; k++) kept[loss[k].second] = 1;
  Model next;
  for (size_t i = 0; i < n; i++)
    if (kept[i]) {
      next.text.push_back(model.text[i]);
      next.logp.push_back(model.logp[i]);
      next.required.push_back(model.required[i]);
    }
  next.reindex();
  model = std::move(next);
}

}  // namespace

UnigramTokenizer UnigramTokenizer::train(std::string_view text, const UnigramTrainOptions& opt) {
  std::vector<std::string> specials = opt.specials;
  if (std::find(specials.begin(), specials.end(), opt.unk_token) == specials.end())
    specials.insert(specials.begin(), opt.unk_token);
  const int reserved = int(specials.size()) + (opt.byte_fallback ? 256 : 0);
  const int want = opt.vocab_size - reserved;  // learned pieces (characters included)
  if (want < 1)
    throw std::runtime_error("unigram train: vocab_size " + std::to_string(opt.vocab_size) + " leaves no room after " +
                             std::to_string(reserved) + " specials/byte pieces");
  SpecialMatcher matcher;
  for (size_t i = 0; i < specials.size(); i++) matcher.add(specials[i], int32_t(i));

  // Distinct metaspace words with counts.
  std::map<std::string, int64_t> counts;
  matcher.split(
      text, true,
      [&](std::string_view seg) {
        for (auto& w : metaspace_pretokenize(seg)) counts[w]++;
      },
      [](int32_t) {});
  std::vector<Word> words;
  for (auto& [w, c] : counts) words.push_back(make_word(w, c));

  // Characters (required) and substring seeds with frequencies.
  std::map<std::string, double> char_freq;
  std::unordered_map<std::string, double> sub_freq;
  for (const Word& w : words) {
    const int m = int(w.bounds.size()) - 1;
    for (int s = 0; s < m; s++) {
      char_freq[w.text.substr(w.bounds[s], w.bounds[s + 1] - w.bounds[s])] += double(w.count);
      for (int e = s + 2; e <= m && e - s <= opt.max_piece_chars; e++)
        sub_freq[w.text.substr(w.bounds[s], w.bounds[e] - w.bounds[s])] += double(w.count);
    }
  }
  // Too many characters for the vocabulary: keep the most frequent; the others
  // will be covered by byte fallback, and words containing them are skipped.
  std::vector<std::pair<std::string, double>> chars(char_freq.begin(), char_freq.end());
  if (int(chars.size()) > want) {
    std::stable_sort(chars.begin(), chars.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    chars.resize(want);
  }
  Model model;
  for (const auto& [c, f] : chars) {
    model.text.push_back(c);
    model.logp.push_back(f);
    model.required.push_back(1);
  }
  // Seeds ranked by frequency x length (SentencePiece's heuristic).
  std::vector<std::pair<double, std::string>> seeds;
  for (auto& [s, f] : sub_freq)
    if (f >= 2) seeds.push_back({f * double(make_word(s, 1).bounds.size() - 1), s});
  std::sort(seeds.begin(), seeds.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  if (int(seeds.size()) > opt.seed_pieces) seeds.resize(opt.seed_pieces);
  for (auto& [score, s] : seeds) {
    model.text.push_back(s);
    model.logp.push_back(score);
    model.required.push_back(0);
  }
  double total = 0;
  for (double v : model.logp) total += v;
  for (double& v : model.logp) v = std::log(v / total);
  model.reindex();
  {  // words with a dropped character have no segmentation: skip them
    std::vector<Word> kept;
    std::vector<int32_t> seg;
    for (Word& w : words)
      if (model.viterbi(w, &seg) != kNegInf) kept.push_back(std::move(w));
    words.swap(kept);
  }

  // EM + pruning until the vocabulary is within 10% of the target, then a
  // last EM and a cut to exactly `want` by probability.
  const size_t target = size_t(want);
  while (true) {
    for (int it = 0; it < opt.em_iterations; it++) em_step(model, words);
    if (model.text.size() <= target + target / 10) break;
    const size_t keep = std::max(target + target / 10, size_t(double(model.text.size()) * opt.shrink_factor));
    prune(model, words, keep);
  }
  em_step(model, words);

  // Final order: by log-probability (characters always kept).
  std::vector<int32_t> order(model.text.size());
  for (int32_t i = 0; i < int32_t(order.size()); i++) order[i] = i;
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    if (model.required[a] != model.required[b]) return model.required[a] > model.required[b];
    if (model.logp[a] != model.logp[b]) return model.logp[a] > model.logp[b];
    return model.text[a] < model.text[b];
  });
  if (order.size() > target) order.resize(target);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    if (model.logp[a] != model.logp[b]) return model.logp[a] > model.logp[b];
    return model.text[a] < model.text[b];
  });

  std::vector<Piece> pieces;
  int32_t unk_id = -1;
  for (const auto& s : specials) {
    if (s == opt.unk_token) unk_id = int32_t(pieces.size());
    pieces.push_back({s, 0.0, kSpecial});
  }
  if (opt.byte_fallback) {
    char buf[8];
    for (int b = 0; b < 256; b++) {
      std::snprintf(buf, sizeof buf, "<0x%02X>", b);
      pieces.push_back({buf, 0.0, kByte});
    }
  }
  for (int32_t i : order) pieces.push_back({model.text[i], model.logp[i], kNormal});
  return UnigramTokenizer(std::move(pieces), unk_id, opt.byte_fallback);
}

}  // namespace llm
