// Continuous-batching engine over the paged KV pool (docs/paged_attention.md).
//
// A sequence is the unit that owns a block table. A request with n samples starts as ONE
// sequence (its prompt is prefilled once); when the prompt's logits come out it is forked into n
// sequences whose tables point at the same blocks (ref count n). The full blocks are never
// written again; the last, partial block is copied the first time a sample writes into it
// (copy-on-write), so samples diverge without ever copying the shared prompt.
//
// step():
//   1. running sequences, oldest first: each gets its next chunk (1 token when decoding, up to the
//      remaining budget when still prefilling). Blocks for the chunk are reserved; when the pool
//      is empty the NEWEST running sequence is preempted (blocks released, back to the front of
//      the waiting queue, recomputed later) until the chunk fits.
//   2. if nothing was preempted, waiting sequences are admitted in order while seats, budget and
//      blocks allow. Admission first looks the sequence's full blocks up in the prefix cache.
//   3. one forward over every scheduled chunk (InferModel::forward_batch, attention straight from
//      the blocks); newly full blocks are published in the prefix cache.
//   4. sequences whose chunk reached their end are sampled; finished ones release their blocks now.
#include "core/infer/engine.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "core/infer/paged.h"

namespace llm {

namespace {

struct Seq {
  int64_t uid = 0, rid = 0;
  int index = 0;                 // sample index within the request
  std::vector<int32_t> tokens;   // prompt + generated
  int prompt_len = 0, generated = 0;
  std::vector<int> table;        // logical block -> physical block
  std::vector<uint64_t> hashes;  // chain hashes of full blocks 0..hashes.size()-1
  int computed = 0;              // leading tokens whose K/V are in the blocks
  int fork = 1;                  // > 1: fork into this many samples when the prompt's logits arrive
  std::unique_ptr<Sampler> sampler;  // created at the first sample; survives preemption
  bool running = false;
  bool finished = false;
};

struct Request {
  SamplingParams sp;
  std::vector<int32_t> prompt;
  int n = 1;
  int live = 0;  // sequences not finished yet
};

}  // namespace

struct Engine::Impl {
  std::shared_ptr<const InferModel> model;
  EngineConfig cfg;
  BlockAllocator alloc;
  KVPool pool;
  InferScratch scratch;
  std::vector<int32_t> filled;  // (num_blocks) tokens written in each block
  std::unordered_map<int64_t, Request> reqs;
  std::unordered_map<int64_t, std::unique_ptr<Seq>> seqs;  // owner, by uid
  std::deque<Seq*> waiting;
  std::vector<Seq*> running;  // oldest admitted first
  std::vector<GenerationEvent> pending;  // finish events to deliver at the next step
  int64_t next_rid = 1, next_uid = 1;
  EngineSnapshot stats;  // only the counters are kept up to date here
  // per-step buffers, reused
  std::vector<std::pair<Seq*, int>> sched;
  std::vector<BatchSeq> batch;
  std::vector<int32_t> batch_tokens;
  std::vector<float> row;  // (V) logits handed to a sampler (which may modify them)

  Impl(std::shared_ptr<const InferModel> m, const EngineConfig& c)
      : model(std::move(m)), cfg(c), alloc(c.num_blocks), pool(model->cfg(), c.num_blocks, c.block_size, c.kv_dtype),
        filled(size_t(c.num_blocks), 0) {}

  int bs() const { return cfg.block_size; }

  void ensure_hashes(Seq& s, int nfull) {
    while (int(s.hashes.size()) < nfull) {
      const size_t b = s.hashes.size();
      const uint64_t parent = b ? s.hashes[b - 1] : kRootHash;
      s.hashes.push_back(block_hash(parent, s.tokens.data() + b * size_t(bs()), bs()));
    }
  }

  void release_all(Seq& s) {
    // newest blocks first: they land nearer the head of the free list and are reused before the
    // prompt blocks, which are the likelier prefix-cache hits
    for (size_t i = s.table.size(); i-- > 0;) alloc.release(s.table[i]);
    s.table.clear();
    s.computed = 0;
  }

  // Blocks for positions [0, computed + take): copy-on-write of a shared block that will be
  // written, then fresh blocks. On failure the blocks obtained so far stay in the table.
  bool reserve(Seq& s, int take) {
    const int end = s.computed + take;
    const int need = (end + bs() - 1) / bs();
    for (int i = s.computed / bs(); i < std::min<int>(need, int(s.table.size())); i++) {
      const int old = s.table[size_t(i)];
      if (alloc.ref(old) <= 1) continue;
      const int nb = alloc.allocate();
      if (nb < 0) return false;
      pool.copy_block(old, nb);
      filled[size_t(nb)] = std::max(0, std::min(bs(), s.computed - i * bs()));
      alloc.release(old);
      s.table[size_t(i)] = nb;
      stats.cow_copies++;
    }
    while (int(s.table.size()) < need) {
      const int nb = alloc.allocate();
      if (nb < 0) return false;
      filled[size_t(nb)] = 0;
      s.table.push_back(nb);
    }
    return true;
  }

  void preempt(Seq& s) {
    release_all(s);
    s.running = false;
    stats.preemptions++;
  }

  // prefix-cache hits for a sequence about to be admitted (always leaves >= 1 token to compute,
  // whose logits the sampler needs)
  int take_prefix(Seq& s) {
    if (!cfg.prefix_sharing || !s.table.empty()) return 0;
    const int max_blocks = (int(s.tokens.size()) - 1) / bs();
    ensure_hashes(s, max_blocks);
    int hits = 0;
    for (int b = 0; b < max_blocks; b++) {
      const int blk = alloc.lookup(s.hashes[size_t(b)]);
      if (blk < 0) break;
      alloc.retain(blk);
      s.table.push_back(blk);
      hits++;
    }
    s.computed = hits * bs();
    return hits;
  }

  void finish_seq(Seq& s, std::vector<GenerationEvent>& ev, GenerationEvent e, const std::string& reason) {
    e.finished = true;
    e.finish_reason = reason;
    ev.push_back(std::move(e));
    release_all(s);
    s.finished = true;
    auto it = reqs.find(s.rid);
    if (it != reqs.end() && --it->second.live == 0) {
      reqs.erase(it);
      stats.requests_finished++;
    }
  }

  Seq* fork_from(Seq& leader, int index) {
    auto f = std::make_unique<Seq>();
    f->uid = next_uid++;
    f->rid = leader.rid;
    f->index = index;
    f->tokens = leader.tokens;
    f->prompt_len = leader.prompt_len;
    f->table = leader.table;
    for (int b : f->table) alloc.retain(b);
    f->hashes = leader.hashes;
    f->computed = leader.computed;
    f->running = true;
    Seq* p = f.get();
    seqs[p->uid] = std::move(f);
    return p;
  }

  std::vector<GenerationEvent> step();
};

Engine::Engine(std::shared_ptr<const InferModel> model, EngineConfig cfg) {
  if (!model) throw std::invalid_argument("Engine: model is null");
  if (cfg.block_size <= 0 || cfg.num_blocks <= 0 || cfg.max_num_seqs <= 0 || cfg.max_batched_tokens <= 0)
    throw std::invalid_argument("Engine: block_size, num_blocks, max_num_seqs and max_batched_tokens must be > 0");
  impl_ = std::make_unique<Impl>(std::move(model), cfg);
}
Engine::~Engine() = default;

const EngineConfig& Engine::config() const { return impl_->cfg; }
const InferModel& Engine::model() const { return *impl_->model; }
void Engine::set_profile(StepProfile* p) { impl_->scratch.profile = p; }

int64_t Engine::add_request(const std::vector<int32_t>& prompt, const SamplingParams& sp, int n) {
  Impl& I = *impl_;
  const ModelConfig& mc = I.model->cfg();
  sp.validate();
  if (prompt.empty()) throw std::invalid_argument("prompt is empty");
  for (size_t i = 0; i < prompt.size(); i++)
    if (prompt[i] < 0 || prompt[i] >= mc.vocab_size)
      throw std::invalid_argument("prompt token id " + std::to_string(prompt[i]) + " at position " +
                                  std::to_string(i) + " is outside the vocabulary [0, " +
                                  std::to_string(mc.vocab_size) + ")");
  if (n < 1 || n > I.cfg.max_num_seqs)
    throw std::invalid_argument("n must be in [1, " + std::to_string(I.cfg.max_num_seqs) + "], got " +
                                std::to_string(n));
  const int64_t P = int64_t(prompt.size()), M = sp.max_tokens;
  if (P + M > mc.max_seq_len)
    throw std::invalid_argument("prompt (" + std::to_string(P) + " tokens) + max_tokens (" + std::to_string(M) +
                                ") exceeds the model's context of " + std::to_string(mc.max_seq_len) + " tokens");
  // K/V are stored for every token but the last sampled one
  const int64_t kv_tokens = std::max(P, P + M - 1), blocks = (kv_tokens + I.bs() - 1) / I.bs();
  if (blocks > I.cfg.num_blocks)
    throw std::invalid_argument("the request needs " + std::to_string(blocks) + " KV blocks but the pool has " +
                                std::to_string(I.cfg.num_blocks));
  const int64_t rid = I.next_rid++;
  I.stats.requests_added++;
  I.stats.prompt_tokens += P;
  if (M == 0) {  // nothing to generate: finish at the next step without touching the pool
    for (int i = 0; i < n; i++) {
      GenerationEvent e;
      e.request_id = rid;
      e.index = i;
      e.finished = true;
      e.finish_reason = "length";
      I.pending.push_back(e);
    }
    I.stats.requests_finished++;
    return rid;
  }
  Request r;
  r.sp = sp;
  r.prompt = prompt;
  r.n = n;
  r.live = n;
  I.reqs[rid] = std::move(r);
  auto s = std::make_unique<Seq>();
  s->uid = I.next_uid++;
  s->rid = rid;
  s->tokens = prompt;
  s->prompt_len = int(P);
  s->fork = n;
  I.waiting.push_back(s.get());
  I.seqs[s->uid] = std::move(s);
  return rid;
}

void Engine::abort(int64_t rid) {
  Impl& I = *impl_;
  auto& pend = I.pending;
  pend.erase(std::remove_if(pend.begin(), pend.end(), [&](const GenerationEvent& e) { return e.request_id == rid; }),
             pend.end());
  auto it = I.reqs.find(rid);
  if (it == I.reqs.end()) return;  // unknown or already finished: nothing to do
  I.reqs.erase(it);
  I.stats.requests_aborted++;
  auto drop = [&](Seq* s) {
    if (s->rid != rid) return false;
    I.release_all(*s);
    I.seqs.erase(s->uid);
    return true;
  };
  I.running.erase(std::remove_if(I.running.begin(), I.running.end(), drop), I.running.end());
  I.waiting.erase(std::remove_if(I.waiting.begin(), I.waiting.end(), drop), I.waiting.end());
}

bool Engine::has_work() const {
  return !impl_->waiting.empty() || !impl_->running.empty() || !impl_->pending.empty();
}

std::vector<GenerationEvent> Engine::step() { return impl_->step(); }

std::vector<GenerationEvent> Engine::Impl::step() {
  std::vector<GenerationEvent> ev;
  ev.swap(pending);
  int budget = cfg.max_batched_tokens;
  sched.clear();
  bool preempted = false;

  // 1. running sequences first, oldest first; preempt the newest when blocks run out
  for (size_t i = 0; i < running.size() && budget > 0; i++) {
    Seq* s = running[i];
    const int take = std::min(int(s->tokens.size()) - s->computed, budget);
    if (take <= 0) continue;
    bool self_preempted = false;
    while (!reserve(*s, take)) {
      Seq* victim = running.back();
      running.pop_back();
      preempt(*victim);
      waiting.push_front(victim);
      preempted = true;
      if (victim == s) {
        self_preempted = true;
        break;
      }
    }
    if (self_preempted) break;
    sched.emplace_back(s, take);
    budget -= take;
  }

  // 2. admit waiting sequences (not in a step that had to preempt: the pool is tight).
  // Seats count the samples a running leader will fork into.
  int seats = 0;
  for (const Seq* s : running) seats += s->fork;
  while (!preempted && !waiting.empty() && budget > 0) {
    Seq* s = waiting.front();
    if (seats + s->fork > cfg.max_num_seqs) break;
    const int hits = take_prefix(*s);
    const int take = std::min(int(s->tokens.size()) - s->computed, budget);
    // keep one block spare for the decodes of the running sequences, unless nothing runs
    const int spare = running.empty() ? 0 : 1;
    const int need = (s->computed + take + bs() - 1) / bs() - int(s->table.size());
    if (alloc.num_free() < need + spare || !reserve(*s, take)) {
      release_all(*s);
      break;
    }
    stats.prefix_hits += hits;
    waiting.pop_front();
    s->running = true;
    running.push_back(s);
    seats += s->fork;
    sched.emplace_back(s, take);
    budget -= take;
  }
  if (sched.empty()) return ev;

  // 3. one forward over all scheduled chunks
  batch.clear();
  batch_tokens.clear();
  for (auto& [s, take] : sched) {
    BatchSeq b;
    b.block_table = s->table.data();
    b.pos0 = s->computed;
    b.n_tokens = take;
    b.logits = s->computed + take == int(s->tokens.size()) ? BatchSeq::kLast : BatchSeq::kNone;
    batch.push_back(b);
    batch_tokens.insert(batch_tokens.end(), s->tokens.begin() + s->computed, s->tokens.begin() + s->computed + take);
  }
  const float* logits = model->forward_batch(pool.layout(), batch.data(), int(batch.size()), batch_tokens.data(),
                                             scratch);
  stats.steps++;
  stats.tokens_computed += int64_t(batch_tokens.size());
  stats.last_batch_tokens = int(batch_tokens.size());
  stats.last_batch_seqs = int(sched.size());
  for (auto& [s, take] : sched) {
    const int c0 = s->computed, c1 = c0 + take;
    for (int b = c0 / bs(); b * bs() < c1; b++)
      filled[size_t(s->table[size_t(b)])] = std::min(bs(), c1 - b * bs());
    s->computed = c1;
    if (cfg.prefix_sharing)  // publish the blocks that just became full
      for (int b = c0 / bs(); b < c1 / bs(); b++) {
        ensure_hashes(*s, b + 1);
        alloc.publish(s->table[size_t(b)], s->hashes[size_t(b)]);
      }
  }

  // 4. sample the sequences whose chunk reached their end; fork n-sample requests
  const int V = model->cfg().vocab_size;
  row.resize(size_t(V));
  std::unordered_map<Seq*, std::vector<Seq*>> forks;
  int r = 0;
  for (auto& [s, take] : sched) {
    (void)take;
    if (s->computed != int(s->tokens.size())) continue;
    const float* lg = logits + size_t(r++) * V;
    const SamplingParams sp = reqs.at(s->rid).sp;  // a copy: finishing the last sample erases the request
    const std::vector<int32_t>& prompt = reqs.at(s->rid).prompt;
    std::vector<Seq*> group{s};
    if (s->fork > 1) {
      for (int i = 1; i < s->fork; i++) group.push_back(fork_from(*s, i));
      forks[s] = std::vector<Seq*>(group.begin() + 1, group.end());
      s->fork = 1;
    }
    for (Seq* g : group)  // samplers first, while the request (and its prompt) surely exists
      if (!g->sampler) g->sampler = std::make_unique<Sampler>(sp, V, prompt, uint64_t(g->index));
    for (Seq* g : group) {
      std::copy(lg, lg + V, row.begin());
      GenerationEvent e;
      e.request_id = g->rid;
      e.index = g->index;
      e.choice = g->sampler->sample(row.data());
      e.token = e.choice.token;
      g->tokens.push_back(e.token);
      g->generated++;
      stats.tokens_generated++;
      const auto& stops = sp.stop_token_ids;
      if (std::find(stops.begin(), stops.end(), e.token) != stops.end())
        finish_seq(*g, ev, std::move(e), "stop");
      else if (g->generated >= sp.max_tokens || int(g->tokens.size()) >= model->cfg().max_seq_len)
        finish_seq(*g, ev, std::move(e), "length");
      else
        ev.push_back(std::move(e));
    }
  }

  // running order: forks right after their leader; finished sequences leave now
  std::vector<Seq*> next;
  next.reserve(running.size() + forks.size());
  auto keep = [&](Seq* s) {
    if (s->finished) seqs.erase(s->uid);
    else next.push_back(s);
  };
  for (Seq* s : running) {
    auto it = forks.find(s);
    keep(s);
    if (it != forks.end())
      for (Seq* f : it->second) keep(f);
  }
  running.swap(next);
  return ev;
}

EngineSnapshot Engine::snapshot() const {
  const Impl& I = *impl_;
  EngineSnapshot s = I.stats;
  s.num_blocks = I.cfg.num_blocks;
  s.block_size = I.cfg.block_size;
  s.free_blocks = I.alloc.num_free();
  s.kv_bytes = I.pool.bytes();
  s.ref_count.resize(size_t(s.num_blocks));
  s.block_tokens.resize(size_t(s.num_blocks));
  s.cached.resize(size_t(s.num_blocks));
  for (int b = 0; b < s.num_blocks; b++) {
    s.ref_count[size_t(b)] = I.alloc.ref(b);
    s.block_tokens[size_t(b)] = I.alloc.ref(b) ? I.filled[size_t(b)] : 0;
    s.cached[size_t(b)] = I.alloc.cached(b) ? 1 : 0;
  }
  auto add = [&](const Seq* q, const char* state) {
    EngineSnapshot::Seq e;
    e.request_id = q->rid;
    e.index = q->index;
    e.length = int(q->tokens.size());
    e.state = state;
    e.block_table = q->table;
    s.seqs.push_back(std::move(e));
  };
  for (const Seq* q : I.running) add(q, "running");
  for (const Seq* q : I.waiting) add(q, "waiting");
  s.running = int(I.running.size());
  s.waiting = int(I.waiting.size());
  return s;
}

void Engine::check() const {
  const Impl& I = *impl_;
  I.alloc.check();
  auto fail = [](const std::string& m) { throw std::logic_error("Engine::check: " + m); };
  std::vector<int> refs(size_t(I.cfg.num_blocks), 0);
  size_t live = 0;
  auto visit = [&](const Seq* q, bool running) {
    live++;
    if (q->running != running) fail("sequence state flag disagrees with its queue");
    if (!running && q->computed != 0) fail("a waiting sequence has computed tokens");
    if (int(q->table.size()) * I.bs() < q->computed) fail("block table shorter than the computed tokens");
    if (q->computed > int(q->tokens.size())) fail("computed beyond the sequence");
    for (int b : q->table) {
      if (b < 0 || b >= I.cfg.num_blocks) fail("block id out of range");
      refs[size_t(b)]++;
    }
  };
  for (const Seq* q : I.running) visit(q, true);
  for (const Seq* q : I.waiting) visit(q, false);
  if (live != I.seqs.size()) fail("owned sequences (" + std::to_string(I.seqs.size()) + ") != queued (" +
                                  std::to_string(live) + ")");
  int free_count = 0;
  for (int b = 0; b < I.cfg.num_blocks; b++) {
    if (refs[size_t(b)] != I.alloc.ref(b))
      fail("block " + std::to_string(b) + " has ref count " + std::to_string(I.alloc.ref(b)) + " but " +
           std::to_string(refs[size_t(b)]) + " tables hold it");
    free_count += refs[size_t(b)] == 0;
  }
  if (free_count != I.alloc.num_free()) fail("free count disagrees");
  if (int(I.running.size()) > I.cfg.max_num_seqs) fail("more running sequences than max_num_seqs");
}

}  // namespace llm
