// The paged engine: paged attention equals the contiguous cache token for token, n samples share
// their prompt blocks with copy-on-write, preemption by recompute changes nothing in the output,
// and the allocator stays consistent (and leak-free) under thousands of random operations.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/infer/engine.h"
#include "core/infer/paged.h"
#include "tests/infer/infer_test_util.h"

using namespace llm;
using namespace llm::testutil;

namespace {

using Key = std::pair<int64_t, int>;  // (request, sample index)
struct Outputs {
  std::map<Key, std::vector<int32_t>> tokens;
  std::map<Key, std::string> reason;
  std::vector<int32_t> tok(int64_t id, int i) const {
    auto it = tokens.find(Key(id, i));
    return it == tokens.end() ? std::vector<int32_t>() : it->second;
  }
  std::string why(int64_t id, int i) const {
    auto it = reason.find(Key(id, i));
    return it == reason.end() ? std::string() : it->second;
  }
};

// drains the engine, checking its invariants after every step
void run_all(Engine& e, Outputs& out, int max_steps = 100000) {
  for (int i = 0; i < max_steps && e.has_work(); i++) {
    for (const GenerationEvent& ev : e.step()) {
      const Key k{ev.request_id, ev.index};
      EXPECT_EQ(out.reason.count(k), 0u) << "event after finish for request " << ev.request_id;
      if (ev.token >= 0) out.tokens[k].push_back(ev.token);
      if (ev.finished) out.reason[k] = ev.finish_reason;
    }
    e.check();
  }
  ASSERT_FALSE(e.has_work()) << "engine did not drain";
}

// the reference: one contiguous cache and one Sampler per sample, one token at a time
std::vector<int32_t> reference_run(const InferModel& m, const std::vector<int32_t>& prompt, const SamplingParams& sp,
                                   int stream, KVDtype dtype = KVDtype::kF32) {
  KVCache cache(m.cfg(), dtype);
  Sampler smp(sp, m.cfg().vocab_size, prompt, uint64_t(stream));
  std::vector<int32_t> out;
  std::vector<float> row(size_t(m.cfg().vocab_size));
  const float* lg = cache.forward_last(m, prompt.data(), int(prompt.size()));
  for (int i = 0; i < sp.max_tokens; i++) {
    std::copy(lg, lg + row.size(), row.begin());
    const int32_t t = smp.sample(row.data()).token;
    out.push_back(t);
    if (std::find(sp.stop_token_ids.begin(), sp.stop_token_ids.end(), t) != sp.stop_token_ids.end()) break;
    if (i + 1 < sp.max_tokens) lg = cache.forward_last(m, &t, 1);
  }
  return out;
}

std::shared_ptr<InferModel> make_model(const ModelConfig& c, uint64_t seed, InferOptions o = {}) {
  auto t = random_model(c, seed);
  return std::make_shared<InferModel>(*t, o);
}

SamplingParams greedy(int max_tokens) {
  SamplingParams sp;
  sp.temperature = 0.f;
  sp.max_tokens = max_tokens;
  return sp;
}

// EngineSnapshot's own consistency: ref counts equal table membership, free count right
void check_snapshot(const EngineSnapshot& s) {
  std::vector<int> refs(size_t(s.num_blocks), 0);
  for (auto& q : s.seqs)
    for (int b : q.block_table) refs[size_t(b)]++;
  int free_count = 0;
  for (int b = 0; b < s.num_blocks; b++) {
    ASSERT_EQ(refs[size_t(b)], s.ref_count[size_t(b)]) << "block " << b;
    free_count += s.ref_count[size_t(b)] == 0;
    ASSERT_LE(s.block_tokens[size_t(b)], s.block_size);
  }
  ASSERT_EQ(free_count, s.free_blocks);
}

}  // namespace

TEST(PagedEngine, GreedyOutputEqualsContiguousCacheTokenForToken) {
  ModelConfig c = tiny_cfg("rope", 4, 2);
  auto m = make_model(c, 21);
  for (int bs : {4, 16}) {
    SCOPED_TRACE("block_size " + std::to_string(bs));
    EngineConfig ec;
    ec.block_size = bs;
    ec.num_blocks = 64;
    ec.max_num_seqs = 8;
    ec.max_batched_tokens = 24;  // long prompts are prefilled in chunks, mixed with decodes
    Engine e(m, ec);
    const int lens[] = {1, 3, 17, 30, 9, 4, 25};
    const int gens[] = {20, 12, 9, 30, 1, 33, 16};
    std::vector<std::vector<int32_t>> prompts;
    std::vector<int64_t> ids;
    Outputs out;
    for (int i = 0; i < 7; i++) {
      prompts.push_back(random_tokens(lens[i], c.vocab_size, 100 + uint64_t(i)));
      ids.push_back(e.add_request(prompts.back(), greedy(gens[i])));
      // later requests arrive while earlier ones decode (continuous batching)
      for (int k = 0; k < 2; k++)
        for (const GenerationEvent& ev : e.step()) {
          if (ev.token >= 0) out.tokens[{ev.request_id, ev.index}].push_back(ev.token);
          if (ev.finished) out.reason[{ev.request_id, ev.index}] = ev.finish_reason;
        }
    }
    run_all(e, out);
    for (int i = 0; i < 7; i++) {
      std::vector<int32_t> ref = reference_run(*m, prompts[size_t(i)], greedy(gens[i]), 0);
      EXPECT_EQ(out.tok(ids[size_t(i)], 0), ref) << "request " << i;
      EXPECT_EQ(out.why(ids[size_t(i)], 0), "length");
    }
    EngineSnapshot s = e.snapshot();
    EXPECT_EQ(s.free_blocks, s.num_blocks);
    EXPECT_GT(s.steps, 0);
  }
}

// fp16 pool (EngineConfig::kv_dtype): paged equals the contiguous fp16 cache token for token
// (sampled, so every logit matters), copy-on-write copies fp16 blocks, the pool takes half the
// bytes, and fp16 logits stay close to fp32 ones
TEST(PagedEngine, Fp16PoolEqualsTheContiguousFp16CacheTokenForToken) {
  for (const char* pos : {"rope", "alibi"}) {
    ModelConfig c = tiny_cfg(pos, 4, 2);
    auto m = make_model(c, 23);
    for (int bs : {4, 16}) {
      SCOPED_TRACE(std::string(pos) + " block_size " + std::to_string(bs));
      EngineConfig ec;
      ec.block_size = bs;
      ec.num_blocks = 64;
      ec.max_num_seqs = 8;
      ec.max_batched_tokens = 24;
      ec.kv_dtype = KVDtype::kF16;
      Engine e(m, ec);
      std::vector<std::vector<int32_t>> prompts;
      std::vector<int64_t> ids;
      SamplingParams sp;
      sp.temperature = 0.9f;
      sp.max_tokens = 14;
      Outputs out;
      for (int i = 0; i < 5; i++) {
        prompts.push_back(random_tokens(3 + 7 * i, c.vocab_size, 300 + uint64_t(i)));
        sp.seed = 40 + uint64_t(i);
        ids.push_back(e.add_request(prompts.back(), sp, i == 2 ? 3 : 1));  // request 2: 3 samples, shared prompt
        for (const GenerationEvent& ev : e.step()) {  // later requests join a running batch
          if (ev.token >= 0) out.tokens[{ev.request_id, ev.index}].push_back(ev.token);
          if (ev.finished) out.reason[{ev.request_id, ev.index}] = ev.finish_reason;
        }
      }
      run_all(e, out);
      for (int i = 0; i < 5; i++) {
        sp.seed = 40 + uint64_t(i);
        for (int k = 0; k < (i == 2 ? 3 : 1); k++)
          EXPECT_EQ(out.tok(ids[size_t(i)], k), reference_run(*m, prompts[size_t(i)], sp, k, KVDtype::kF16))
              << "request " << i << " sample " << k;
      }
      EXPECT_EQ(e.snapshot().free_blocks, ec.num_blocks);
      EngineConfig e32 = ec;
      e32.kv_dtype = KVDtype::kF32;
      EXPECT_EQ(Engine(m, e32).snapshot().kv_bytes, 2 * e.snapshot().kv_bytes);
    }
    // fp16 rounding of K/V moves the logits a little, never far
    const std::vector<int32_t> toks = random_tokens(40, c.vocab_size, 9);
    KVCache c32(c), c16(c, KVDtype::kF16);
    const std::vector<float> l32 = c32.forward(*m, toks.data(), int(toks.size())),
                             l16 = c16.forward(*m, toks.data(), int(toks.size()));
    float maxabs = 0, maxdiff = 0;
    for (size_t i = 0; i < l32.size(); i++)
      maxabs = std::max(maxabs, std::fabs(l32[i])), maxdiff = std::max(maxdiff, std::fabs(l32[i] - l16[i]));
    EXPECT_GT(maxdiff, 0.f) << "fp16 cache gave the fp32 numbers: is it really fp16?";
    EXPECT_LT(maxdiff, 5e-3f * (1 + maxabs)) << pos;
  }
}

TEST(PagedEngine, SamplesShareThePromptAndCopyOnWrite) {
  ModelConfig c = tiny_cfg("alibi", 4, 2);
  auto m = make_model(c, 5);
  EngineConfig ec;
  ec.block_size = 4;
  ec.num_blocks = 64;
  Engine e(m, ec);
  std::vector<int32_t> prompt = random_tokens(10, c.vocab_size, 77);  // 2 full blocks + 2 tokens
  SamplingParams sp;
  sp.temperature = 0.9f;
  sp.seed = 1234;
  sp.max_tokens = 15;
  const int64_t id = e.add_request(prompt, sp, 4);

  Outputs out;
  auto record = [&](const std::vector<GenerationEvent>& evs) {
    for (const GenerationEvent& ev : evs) {
      if (ev.token >= 0) out.tokens[{ev.request_id, ev.index}].push_back(ev.token);
      if (ev.finished) out.reason[{ev.request_id, ev.index}] = ev.finish_reason;
    }
  };
  record(e.step());  // prefill once, fork into 4 samples
  EngineSnapshot s = e.snapshot();
  check_snapshot(s);
  ASSERT_EQ(s.seqs.size(), 4u);
  for (auto& q : s.seqs) {
    EXPECT_EQ(q.block_table, s.seqs[0].block_table);  // one prompt, one set of blocks
    EXPECT_EQ(q.length, 11);
  }
  ASSERT_EQ(s.seqs[0].block_table.size(), 3u);
  for (int b : s.seqs[0].block_table) EXPECT_EQ(s.ref_count[size_t(b)], 4);
  EXPECT_EQ(s.free_blocks, s.num_blocks - 3);
  EXPECT_EQ(s.block_tokens[size_t(s.seqs[0].block_table[2])], 2);

  record(e.step());  // every sample writes position 10: the shared partial block is copied 3 times
  s = e.snapshot();
  check_snapshot(s);
  EXPECT_EQ(s.cow_copies, 3);
  for (auto& q : s.seqs) {
    EXPECT_EQ(s.ref_count[size_t(q.block_table[0])], 4);  // full prompt blocks still shared
    EXPECT_EQ(s.ref_count[size_t(q.block_table[1])], 4);
    EXPECT_EQ(s.ref_count[size_t(q.block_table[2])], 1);  // private now
  }
  std::set<int> last;
  for (auto& q : s.seqs) last.insert(q.block_table[2]);
  EXPECT_EQ(last.size(), 4u);

  // a second request with the same prompt while the first runs: its full blocks are cache hits
  const int64_t id2 = e.add_request(prompt, sp, 1);
  run_all(e, out);
  s = e.snapshot();
  EXPECT_EQ(s.prefix_hits, 2);
  EXPECT_EQ(s.free_blocks, s.num_blocks);

  std::set<std::vector<int32_t>> distinct;
  for (int i = 0; i < 4; i++) {
    std::vector<int32_t> ref = reference_run(*m, prompt, sp, i);
    EXPECT_EQ(out.tok(id, i), ref) << "sample " << i;
    distinct.insert(out.tok(id, i));
  }
  EXPECT_GT(distinct.size(), 1u) << "samples with different streams should differ";
  EXPECT_EQ(out.tok(id2, 0), out.tok(id, 0));  // same seed, same stream, same text
}

TEST(PagedEngine, PreemptionByRecomputeDoesNotChangeOutputs) {
  ModelConfig c = tiny_cfg("learned", 4, 4);
  auto m = make_model(c, 8);
  std::vector<std::vector<int32_t>> prompts;
  for (int i = 0; i < 6; i++) prompts.push_back(random_tokens(5 + 3 * i, c.vocab_size, 300 + uint64_t(i)));
  auto run = [&](int num_blocks, EngineSnapshot* snap) {
    EngineConfig ec;
    ec.block_size = 4;
    ec.num_blocks = num_blocks;
    ec.max_batched_tokens = 16;
    Engine e(m, ec);
    Outputs out;
    for (int i = 0; i < 6; i++) {
      SamplingParams sp;
      sp.temperature = 1.0f;
      sp.top_k = 20;
      sp.seed = 50 + uint64_t(i);
      sp.max_tokens = 24;
      e.add_request(prompts[size_t(i)], sp, i == 2 ? 2 : 1);
    }
    run_all(e, out);
    *snap = e.snapshot();
    return out;
  };
  EngineSnapshot big, tiny;
  Outputs a = run(256, &big), b = run(12, &tiny);  // 12 blocks: two sequences at most
  EXPECT_EQ(big.preemptions, 0);
  EXPECT_GT(tiny.preemptions, 0);
  EXPECT_EQ(tiny.free_blocks, tiny.num_blocks);
  EXPECT_EQ(a.tokens, b.tokens);
  EXPECT_EQ(a.reason, b.reason);
  EXPECT_EQ(a.tokens.size(), 7u);
  std::printf("  preemptions with a 12-block pool: %lld, tokens recomputed: %lld (vs %lld)\n",
              (long long)tiny.preemptions, (long long)tiny.tokens_computed, (long long)big.tokens_computed);
}

TEST(PagedEngine, AllocatorInvariantsUnderThousandsOfRandomOperations) {
  ModelConfig c = tiny_cfg("rope", 2, 1);
  c.dim = 16;
  c.n_layers = 1;
  c.vocab_size = 13;
  auto m = make_model(c, 2);
  EngineConfig ec;
  ec.block_size = 4;
  ec.num_blocks = 20;
  ec.max_num_seqs = 6;
  ec.max_batched_tokens = 12;
  Engine e(m, ec);
  Rng rng(99);
  std::vector<std::vector<int32_t>> stems;  // shared prefixes exercise the prefix cache
  for (int i = 0; i < 4; i++) stems.push_back(random_tokens(8, c.vocab_size, 500 + uint64_t(i)));
  std::map<int64_t, int> live;  // request -> n
  std::set<int64_t> aborted;
  std::map<Key, int> finished;
  int added = 0, n_abort = 0;
  for (int it = 0; it < 6000; it++) {
    const float u = rng.uniform();
    if (u < 0.35f) {
      std::vector<int32_t> p;
      if (rng.uniform() < 0.6f) {
        const auto& st = stems[rng.below(stems.size())];
        p.assign(st.begin(), st.begin() + 1 + int(rng.below(st.size())));
      }
      const int extra = int(rng.below(9));
      for (int k = 0; k < extra || p.empty(); k++) p.push_back(int32_t(rng.below(uint64_t(c.vocab_size))));
      SamplingParams sp;
      sp.temperature = rng.uniform() < 0.5f ? 0.f : 1.f;
      sp.seed = rng.next_u64();
      sp.max_tokens = int(rng.below(std::min<uint64_t>(14, uint64_t(c.max_seq_len) - p.size())));
      if (rng.uniform() < 0.3f) sp.stop_token_ids = {int32_t(rng.below(uint64_t(c.vocab_size)))};
      const int n = 1 + int(rng.below(3));
      live[e.add_request(p, sp, n)] = n;
      added++;
    } else if (u < 0.42f && !live.empty()) {
      auto itr = live.begin();
      std::advance(itr, long(rng.below(live.size())));
      e.abort(itr->first);
      aborted.insert(itr->first);
      live.erase(itr);
      n_abort++;
    } else {
      for (const GenerationEvent& ev : e.step()) {
        ASSERT_EQ(aborted.count(ev.request_id), 0u) << "event after abort";
        if (ev.finished) {
          ASSERT_EQ(finished[Key(ev.request_id, ev.index)]++, 0) << "finished twice";
          auto l = live.find(ev.request_id);
          ASSERT_NE(l, live.end());
          if (--l->second == 0) live.erase(l);
        }
      }
    }
    e.check();
    check_snapshot(e.snapshot());
    if (HasFatalFailure()) return;
  }
  Outputs rest;
  run_all(e, rest);
  EngineSnapshot s = e.snapshot();
  EXPECT_EQ(s.free_blocks, s.num_blocks) << "leaked blocks";
  EXPECT_TRUE(s.seqs.empty());
  EXPECT_EQ(s.requests_added, added);
  EXPECT_EQ(s.requests_aborted, n_abort);
  EXPECT_EQ(s.requests_finished + s.requests_aborted, s.requests_added);
  EXPECT_GT(added, 1500);
  EXPECT_GT(s.preemptions, 0);
  EXPECT_GT(s.prefix_hits, 0);
  EXPECT_GT(s.cow_copies, 0);
  std::printf("  %d requests, %d aborts, %lld preemptions, %lld prefix hits, %lld COW copies\n", added, n_abort,
              (long long)s.preemptions, (long long)s.prefix_hits, (long long)s.cow_copies);
}

TEST(PagedEngine, AbortFreesBlocksAtOnceAndStopTokensFinish) {
  ModelConfig c = tiny_cfg();
  auto m = make_model(c, 4);
  EngineConfig ec;
  ec.block_size = 4;
  ec.num_blocks = 32;
  Engine e(m, ec);
  std::vector<int32_t> prompt = random_tokens(9, c.vocab_size, 1);
  const int64_t a = e.add_request(prompt, greedy(30), 2);
  e.step();
  e.step();
  EXPECT_LT(e.snapshot().free_blocks, ec.num_blocks);
  e.abort(a);
  EngineSnapshot s = e.snapshot();
  EXPECT_EQ(s.free_blocks, ec.num_blocks);
  EXPECT_TRUE(s.seqs.empty());
  EXPECT_FALSE(e.has_work());
  e.abort(a);  // twice: harmless

  // stop token: the greedy continuation's 4th token stops the request there
  std::vector<int32_t> ref = reference_run(*m, prompt, greedy(10), 0);
  SamplingParams sp = greedy(10);
  sp.stop_token_ids = {ref[3]};
  const int64_t b = e.add_request(prompt, sp);
  Outputs out;
  run_all(e, out);
  const size_t first = size_t(std::find(ref.begin(), ref.end(), ref[3]) - ref.begin());
  EXPECT_EQ(out.tok(b, 0), std::vector<int32_t>(ref.begin(), ref.begin() + long(first) + 1));
  EXPECT_EQ(out.why(b, 0), "stop");

  // max_tokens = 0: one finish event per sample, no token
  const int64_t z = e.add_request(prompt, greedy(0), 3);
  std::vector<GenerationEvent> ev = e.step();
  ASSERT_EQ(ev.size(), 3u);
  for (auto& x : ev) {
    EXPECT_EQ(x.request_id, z);
    EXPECT_TRUE(x.finished);
    EXPECT_EQ(x.token, -1);
    EXPECT_EQ(x.finish_reason, "length");
  }
}

TEST(PagedEngine, BadRequestsAreInvalidArgumentsWithClearMessages) {
  ModelConfig c = tiny_cfg();
  auto m = make_model(c, 4);
  EngineConfig ec;
  ec.block_size = 4;
  ec.num_blocks = 8;  // 32 tokens
  ec.max_num_seqs = 4;
  Engine e(m, ec);
  auto msg = [&](const std::vector<int32_t>& p, SamplingParams sp, int n) -> std::string {
    try {
      e.add_request(p, sp, n);
    } catch (const std::invalid_argument& x) {
      return x.what();
    }
    return "";
  };
  EXPECT_NE(msg({}, greedy(1), 1).find("empty"), std::string::npos);
  EXPECT_NE(msg({1, 99}, greedy(1), 1).find("position 1"), std::string::npos);
  EXPECT_NE(msg({1, 2}, greedy(c.max_seq_len), 1).find("context"), std::string::npos);
  EXPECT_NE(msg({1, 2}, greedy(40), 1).find("KV blocks"), std::string::npos);
  EXPECT_NE(msg({1, 2}, greedy(1), 5).find("n must be"), std::string::npos);
  SamplingParams bad = greedy(1);
  bad.top_p = 1.5f;
  EXPECT_NE(msg({1, 2}, bad, 1).find("top_p"), std::string::npos);
  EXPECT_FALSE(e.has_work());
  EXPECT_THROW(Engine(m, EngineConfig{0, 8, 4, 16, true}), std::invalid_argument);
}

TEST(BlockAllocator, RefCountsFreeListAndPrefixCache) {
  BlockAllocator a(4);
  EXPECT_EQ(a.num_free(), 4);
  const int b0 = a.allocate(), b1 = a.allocate();
  a.publish(b0, 111);
  a.retain(b0);
  EXPECT_EQ(a.ref(b0), 2);
  a.release(b0);
  a.release(b0);  // free but still cached
  EXPECT_EQ(a.num_free(), 3);
  EXPECT_EQ(a.lookup(111), b0);
  a.retain(b0);  // revived by a hit
  EXPECT_EQ(a.num_free(), 2);
  a.release(b0);
  // the two never-used blocks go first, then the cached one (evicted: its hash is forgotten)
  const int c1 = a.allocate(), c2 = a.allocate(), c3 = a.allocate();
  EXPECT_NE(c1, b0);
  EXPECT_NE(c2, b0);
  EXPECT_EQ(c3, b0);
  EXPECT_EQ(a.lookup(111), -1);
  EXPECT_EQ(a.allocate(), -1);
  a.check();
  EXPECT_THROW(a.release(-1), std::logic_error);
  for (int b : {b1, c1, c2, c3}) a.release(b);
  EXPECT_EQ(a.num_free(), 4);
  EXPECT_THROW(a.release(b1), std::logic_error);
  a.check();
  // chain hash: equal prefixes, equal hashes; any differing earlier token changes every later one
  const int32_t t1[] = {1, 2, 3, 4}, t2[] = {1, 2, 3, 5};
  EXPECT_EQ(block_hash(kRootHash, t1, 4), block_hash(kRootHash, t1, 4));
  EXPECT_NE(block_hash(kRootHash, t1, 4), block_hash(kRootHash, t2, 4));
  EXPECT_NE(block_hash(block_hash(kRootHash, t1, 4), t1, 4), block_hash(block_hash(kRootHash, t2, 4), t1, 4));
}
