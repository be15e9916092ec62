#include "core/data/shard_sampler.h"

#include <algorithm>
#include <stdexcept>

#include "core/data/gen_common.h"

namespace llm {

WindowSampler::WindowSampler(std::vector<ShardView> shards, const SamplerOptions& opt) : shards_(std::move(shards)), opt_(opt) {
  if (opt_.T < 1) throw std::runtime_error("WindowSampler: context length T must be >= 1");
  if (shards_.empty()) throw std::runtime_error("WindowSampler: no shards given");
  for (auto& s : shards_) total_tokens_ += s.n_tokens();
  if (windows_in_epoch(0) == 0) {
    uint64_t biggest = 0;
    for (auto& s : shards_) biggest = std::max(biggest, s.n_tokens());
    throw std::runtime_error("WindowSampler: the largest shard holds " + std::to_string(biggest) + " tokens, fewer than T+1 = " + std::to_string(opt_.T + 1) +
                             "; pack more data or use a shorter context length");
  }
}

WindowSampler::Layout WindowSampler::layout(uint64_t epoch) const {
  Layout L;
  if (opt_.shuffle) {
    Rng r = seeded_rng(opt_.seed, 0x1000 + 2 * epoch);  // offset stream of epoch
    L.offset = r.below(uint64_t(opt_.T));
  }
  L.first.assign(shards_.size() + 1, 0);
  for (size_t s = 0; s < shards_.size(); s++) {
    uint64_t n = shards_[s].n_tokens(), T = uint64_t(opt_.T);
    // windows start at o + k*T and need T+1 tokens: o + k*T + T + 1 <= n
    uint64_t count = n >= L.offset + T + 1 ? (n - L.offset - T - 1) / T + 1 : 0;
    // a short shard with no room after the offset still gets its window at 0
    if (count == 0 && n >= T + 1) count = 1;
    L.first[s + 1] = L.first[s] + count;
  }
  return L;
}

uint64_t WindowSampler::windows_in_epoch(uint64_t epoch) const { return layout(epoch).first.back(); }

void WindowSampler::prepare_epoch(uint64_t epoch) const {
  if (cache_epoch_ == epoch) return;
  cache_layout_ = layout(epoch);
  uint64_t W = cache_layout_.first.back();
  cache_perm_.resize(W);
  for (uint64_t i = 0; i < W; i++) cache_perm_[i] = i;
  if (opt_.shuffle) {
    Rng r = seeded_rng(opt_.seed, 0x1001 + 2 * epoch);  // permutation stream of epoch
    for (uint64_t i = W; i > 1; i--) std::swap(cache_perm_[i - 1], cache_perm_[r.below(i)]);
  }
  cache_epoch_ = epoch;
}

void WindowSampler::window_at(const Layout& L, uint64_t w, int32_t* x, int32_t* y, int32_t* doc_start) const {
  // shard holding window w: last s with first[s] <= w
  size_t s = size_t(std::upper_bound(L.first.begin(), L.first.end(), w) - L.first.begin()) - 1;
  const ShardView& sh = shards_[s];
  uint64_t T = uint64_t(opt_.T), k = w - L.first[s];
  uint64_t start = L.offset + k * T;
  if (start + T + 1 > sh.n_tokens()) start = 0;  // the short-shard case of layout()
  // x and y overlap by T-1 tokens: read T+1 once
  sh.read_tokens(start, T, x);
  for (uint64_t t = 0; t + 1 < T; t++) y[t] = x[t + 1];
  y[T - 1] = sh.token(start + T);
  if (!opt_.doc_boundaries) return;
  // Walk the documents that overlap [start, start+T].
  uint64_t d = sh.doc_of(start);
  uint64_t next = sh.doc_offset(d + 1);
  int32_t cur = 0;  // window-local start of the current document (0 if it began earlier)
  for (uint64_t t = 0; t < T; t++) {
    uint64_t a = start + t;
    if (a == next) {  // x[t] opens a new document
      d++;
      next = sh.doc_offset(d + 1);
      cur = int32_t(t);
    }
    doc_start[t] = cur;
    if (a + 1 == next && d + 1 < sh.n_docs()) y[t] = kIgnoreIndex;  // target is the first token of document d+1
  }
}

void WindowSampler::window(uint64_t epoch, uint64_t k, int32_t* x, int32_t* y, int32_t* doc_start) const {
  prepare_epoch(epoch);
  if (k >= cache_perm_.size())
    throw std::runtime_error("WindowSampler: window " + std::to_string(k) + " of epoch " + std::to_string(epoch) + " does not exist (epoch has " +
                             std::to_string(cache_perm_.size()) + ")");
  window_at(cache_layout_, cache_perm_[k], x, y, doc_start);
}

void WindowSampler::next_batch(int B, WindowBatch& out) {
  int T = opt_.T;
  out.B = B;
  out.T = T;
  out.x.resize(size_t(B) * T);
  out.y.resize(size_t(B) * T);
  out.doc_start.resize(opt_.doc_boundaries ? size_t(B) * T : 0);
  for (int b = 0; b < B; b++) {
    prepare_epoch(state_.epoch);
    if (state_.index >= cache_perm_.size()) {
      state_.epoch++;
      state_.index = 0;
      prepare_epoch(state_.epoch);
    }
    window_at(cache_layout_, cache_perm_[state_.index], &out.x[size_t(b) * T], &out.y[size_t(b) * T],
              opt_.doc_boundaries ? &out.doc_start[size_t(b) * T] : nullptr);
    state_.index++;
  }
}

void WindowSampler::set_state(const SamplerState& s) {
  if (s.index > windows_in_epoch(s.epoch))
    throw std::runtime_error("WindowSampler: saved position " + std::to_string(s.index) + " is past the end of epoch " + std::to_string(s.epoch) +
                             " (" + std::to_string(windows_in_epoch(s.epoch)) + " windows); was the checkpoint made with other shards or another T?");
  state_ = s;
}

}  // namespace llm
