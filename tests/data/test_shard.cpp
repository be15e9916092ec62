// Packed shards (core/data/shard_*.h): format round trip, validation errors with
// their fixes, the train/val split, and the window sampler (shift, coverage,
// determinism, exact resume, document-boundary masks).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "core/data/gen_stories.h"
#include "core/data/shard_pack.h"
#include "core/data/shard_sampler.h"

namespace llm {
namespace {

template <class F>
void expect_error(F f, std::initializer_list<const char*> needles) {
  try {
    f();
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    std::string m = e.what();
    for (const char* n : needles) EXPECT_NE(m.find(n), std::string::npos) << "missing '" << n << "' in: " << m;
  }
}

std::vector<std::string> texts(size_t n, uint64_t seed) {
  GenOptions o;
  o.seed = seed;
  std::vector<std::string> out;
  for (auto& s : generate_stories(n, o)) out.push_back(s.text);
  return out;
}

std::vector<std::string_view> views(const std::vector<std::string>& v) { return std::vector<std::string_view>(v.begin(), v.end()); }

PackOptions byte_opts(double val = 0.0, uint64_t seed = 1) {
  PackOptions o;
  o.vocab_size = kByteVocab;
  o.eot_id = kByteEot;
  o.val_fraction = val;
  o.seed = seed;
  return o;
}

// Rewrites header fields of a shard and fixes the checksum, to simulate a shard
// written by another version or with inconsistent fields.
void patch_u32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; i++) b[off + i] = uint8_t(v >> (8 * i));
}
void reseal(std::vector<uint8_t>& b) {
  std::vector<uint8_t> h(b.begin(), b.begin() + 56);
  uint64_t x = fnv1a64(std::string_view(reinterpret_cast<const char*>(h.data()), 56));
  for (int i = 0; i < 8; i++) b[56 + i] = uint8_t(x >> (8 * i));
}

TEST(Shard, PackAndReadBackEveryDocument) {
  auto docs = texts(40, 1);
  PackedShards p = pack_documents(views(docs), encode_bytes, byte_opts());
  EXPECT_EQ(p.train_docs, 40u);
  EXPECT_EQ(p.val_docs, 0u);
  ShardView v = open_shard(p.train.data(), p.train.size(), "train.bin", {kByteVocab, kByteEot, true});
  EXPECT_EQ(v.header.token_bytes, 2u);  // 257 ids fit in uint16
  EXPECT_EQ(v.n_docs(), 40u);
  size_t total = 0;
  for (size_t d = 0; d < docs.size(); d++) {
    std::vector<int32_t> ids = v.document(d);
    ASSERT_EQ(ids.back(), kByteEot);
    std::string back;
    for (size_t i = 0; i + 1 < ids.size(); i++) back += char(ids[i]);
    EXPECT_EQ(back, docs[d]);
    total += ids.size();
  }
  EXPECT_EQ(total, v.n_tokens());
  EXPECT_EQ(v.doc_of(0), 0u);
  EXPECT_EQ(v.doc_of(v.doc_offset(7)), 7u);
  EXPECT_EQ(v.doc_of(v.doc_offset(7) - 1), 6u);
  EXPECT_EQ(v.doc_of(v.n_tokens() - 1), 39u);
  // the file size is exactly header + tokens + padding + index
  EXPECT_EQ(p.train.size(), shard_file_bytes(v.n_tokens(), 40, 2));
}

TEST(Shard, LargeVocabularyUsesUint32) {
  // ids above 65535 need 4 bytes; a fake encoder shifts bytes into that range
  EncodeFn enc = [](std::string_view s) {
    std::vector<int32_t> ids;
    for (unsigned char c : s) ids.push_back(70000 + c);
    return ids;
  };
  PackOptions o;
  o.vocab_size = 70300;
  o.eot_id = 70299;
  PackedShards p = pack_documents(std::vector<std::string_view>{"ab", "c"}, enc, o);
  ShardView v = open_shard(p.train.data(), p.train.size(), "big.bin", {70300, 70299, true});
  EXPECT_EQ(v.header.token_bytes, 4u);
  EXPECT_EQ(v.document(0), (std::vector<int32_t>{70000 + 'a', 70000 + 'b', 70299}));
  EXPECT_EQ(v.document(1), (std::vector<int32_t>{70000 + 'c', 70299}));
  EXPECT_EQ(token_bytes_for_vocab(65536), 2u);
  EXPECT_EQ(token_bytes_for_vocab(65537), 4u);
}

TEST(Shard, EmptyDocumentsAreSkippedAndBadIdsRejected) {
  PackedShards p = pack_documents(std::vector<std::string_view>{"a", "", "b"}, encode_bytes, byte_opts());
  EXPECT_EQ(p.train_docs, 2u);
  EXPECT_EQ(p.empty_docs, 1u);
  ShardBuilder b(300, 299);
  expect_error([&] { b.add_document({1, 2, 300}); }, {"token id 300", "outside the vocabulary of 300"});
  expect_error([&] { b.add_document({-1}); }, {"token id -1"});
  EXPECT_EQ(b.n_docs(), 0u);  // a rejected document leaves nothing behind
  EXPECT_THROW(ShardBuilder(300, 300), std::runtime_error);
}

TEST(Shard, SplitByDocumentIsExactSeededAndStable) {
  auto a = split_documents(1000, 0.05, 1), b = split_documents(1000, 0.05, 1), c = split_documents(1000, 0.05, 2);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(std::count(a.begin(), a.end(), 1), 50);
  auto small = split_documents(3, 0.01, 1);
  EXPECT_EQ(std::count(small.begin(), small.end(), 1), 1);  // at least one validation doc
  auto none = split_documents(10, 0.0, 1);
  EXPECT_EQ(std::count(none.begin(), none.end(), 1), 0);
  auto one = split_documents(1, 0.5, 1);
  EXPECT_EQ(std::count(one.begin(), one.end(), 1), 0);  // never everything
  EXPECT_THROW(split_documents(10, 1.0, 1), std::runtime_error);

  auto docs = texts(200, 3);
  PackedShards p = pack_documents(views(docs), encode_bytes, byte_opts(0.1, 7));
  EXPECT_EQ(p.val_docs, 20u);
  EXPECT_EQ(p.train_docs, 180u);
  ShardView tv = open_shard(p.train.data(), p.train.size(), "t"), vv = open_shard(p.val.data(), p.val.size(), "v");
  EXPECT_EQ(tv.n_tokens() + vv.n_tokens(), p.train_tokens + p.val_tokens);
  // every document is in exactly one split, in original order
  auto flags = split_documents(200, 0.1, 7);
  size_t ti = 0, vi = 0;
  for (size_t d = 0; d < docs.size(); d++) {
    std::vector<int32_t> ids = flags[d] ? vv.document(vi++) : tv.document(ti++);
    EXPECT_EQ(ids.size(), docs[d].size() + 1);
  }
}

TEST(Shard, ValidationErrorsSayWhatAndHowToFix) {
  auto docs = texts(5, 4);
  std::vector<uint8_t> good = pack_documents(views(docs), encode_bytes, byte_opts()).train;
  auto open = [](const std::vector<uint8_t>& b, ShardExpect e = {}) { return open_shard(b.data(), b.size(), "data/train_000.bin", e); };
  EXPECT_NO_THROW(open(good));

  std::vector<uint8_t> cut(good.begin(), good.end() - 1);
  expect_error([&] { open(cut); }, {"data/train_000.bin", "truncated", "re-run `llm data pack`"});
  std::vector<uint8_t> tiny(good.begin(), good.begin() + 10);
  expect_error([&] { open(tiny); }, {"truncated", "64-byte"});
  std::vector<uint8_t> magic = good;
  magic[0] = 'X';
  expect_error([&] { open(magic); }, {"bad magic", "llm data pack"});
  std::vector<uint8_t> damaged = good;
  damaged[20] ^= 1;
  expect_error([&] { open(damaged); }, {"damaged", "checksum"});
  std::vector<uint8_t> version = good;
  patch_u32(version, 8, 2);
  reseal(version);
  expect_error([&] { open(version); }, {"version 2", "reads version 1", "re-run `llm data pack`"});
  std::vector<uint8_t> dtype = good;
  patch_u32(dtype, 12, 4);
  reseal(dtype);
  expect_error([&] { open(dtype); }, {"dtype mismatch", "4-byte ids for a vocabulary of 257"});
  std::vector<uint8_t> index = good;
  size_t idx = size_t(shard_index_offset(open(good).n_tokens(), 2));
  index[idx + 8 * 2] = 0xFF;  // document 2's offset now points far past the end
  index[idx + 8 * 2 + 1] = 0xFF;
  index[idx + 8 * 2 + 2] = 0xFF;
  expect_error([&] { open(index); }, {"document index entry 2", "out of range", "re-run `llm data pack`"});
  std::vector<uint8_t> trailing = good;
  trailing.push_back(0);
  expect_error([&] { open(trailing); }, {"trailing bytes"});
  expect_error([&] { open(good, {4096, -1, false}); }, {"vocabulary of 257", "uses 4096", "re-run `llm data pack` with the tokenizer"});
  expect_error([&] { open(good, {0, 3, false}); }, {"end-of-text id is 3"});
  std::vector<uint8_t> bad_token = good;
  bad_token[64] = 0xFF;  // first id becomes 0x..FF > 256
  bad_token[65] = 0x01;
  EXPECT_NO_THROW(open(bad_token));  // the cheap checks pass ...
  expect_error([&] { open(bad_token, {0, -1, true}); }, {"token id 511 at position 0"});  // ... the full scan does not
}

// Token stream of a shard, for checking windows against.
std::vector<int32_t> all_tokens(const ShardView& v) {
  std::vector<int32_t> t(v.n_tokens());
  v.read_tokens(0, t.size(), t.data());
  return t;
}

// A shard whose token at position a is a itself (or the eot), so a window's
// position can be read off its contents.
std::vector<uint8_t> counting_shard(size_t n_docs, uint64_t seed, int32_t eot = 99999) {
  ShardBuilder b(100000, eot);
  Rng rng(seed);
  int32_t pos = 0;
  for (size_t d = 0; d < n_docs; d++) {
    int32_t len = 1 + int32_t(rng.below(60));
    std::vector<int32_t> ids;
    for (int32_t i = 0; i < len; i++) ids.push_back(pos + i);
    b.add_document(ids);
    pos += len + 1;  // the eot takes the next position
  }
  return b.build();
}

TEST(Sampler, WindowsAreShiftedPairsCoveringTheEpochOnce) {
  std::vector<uint8_t> bytes = counting_shard(300, 1);
  ShardView v = open_shard(bytes.data(), bytes.size(), "s");
  std::vector<int32_t> tok = all_tokens(v);
  SamplerOptions o;
  o.T = 64;
  o.seed = 3;
  WindowSampler s({v}, o);
  uint64_t W = s.windows_in_epoch(0);
  ASSERT_GT(W, 100u);
  std::set<uint64_t> starts;
  WindowBatch b;
  for (uint64_t k = 0; k < W; k += 4) {
    s.next_batch(4, b);
    for (int r = 0; r < 4 && k + r < W; r++) {
      const int32_t* x = &b.x[r * o.T];
      const int32_t* y = &b.y[r * o.T];
      uint64_t start = x[0] != 99999 ? uint64_t(x[0]) : uint64_t(x[1]) - 1;
      for (int t = 0; t < o.T; t++) {
        EXPECT_EQ(x[t], tok[start + t]);
        EXPECT_EQ(y[t], tok[start + t + 1]);
      }
      starts.insert(start);
    }
  }
  EXPECT_EQ(starts.size(), W);  // no window twice in an epoch
  // one epoch = non-overlapping windows on a common grid (offset + k*T)
  std::set<uint64_t> phases;
  for (uint64_t st : starts) phases.insert(st % 64);
  EXPECT_EQ(phases.size(), 1u);
  EXPECT_GE(*starts.rbegin() + 65, v.n_tokens() - 64);  // covers the shard up to the last T tokens
  EXPECT_TRUE(b.doc_start.empty());
}

TEST(Sampler, DeterministicBySeedAndResumesExactly) {
  auto docs = texts(50, 6);
  std::vector<uint8_t> bytes = pack_documents(views(docs), encode_bytes, byte_opts()).train;
  ShardView v = open_shard(bytes.data(), bytes.size(), "s");
  SamplerOptions o;
  o.T = 32;
  o.seed = 11;
  WindowSampler a({v}, o), b({v}, o);
  o.seed = 12;
  WindowSampler c({v}, o);
  WindowBatch ba, bb, bc;
  a.next_batch(8, ba);
  b.next_batch(8, bb);
  c.next_batch(8, bc);
  EXPECT_EQ(ba.x, bb.x);
  EXPECT_NE(ba.x, bc.x);

  // run across an epoch boundary, save, continue; a fresh sampler restored from
  // the saved state must produce the same batches
  uint64_t W = a.windows_in_epoch(0);
  for (uint64_t i = 0; i < W / 8; i++) a.next_batch(8, ba);
  SamplerState saved = a.state();
  std::vector<std::vector<int32_t>> expect;
  for (int i = 0; i < 5; i++) {
    a.next_batch(8, ba);
    expect.push_back(ba.x);
    expect.push_back(ba.y);
  }
  EXPECT_GE(a.state().epoch, 1u);
  o.seed = 11;
  WindowSampler r({v}, o);
  r.set_state(saved);
  for (int i = 0; i < 5; i++) {
    r.next_batch(8, bb);
    EXPECT_EQ(bb.x, expect[2 * i]);
    EXPECT_EQ(bb.y, expect[2 * i + 1]);
  }
  EXPECT_EQ(r.state(), a.state());
  EXPECT_THROW(r.set_state({0, W + 1000}), std::runtime_error);
}

TEST(Sampler, EpochsReorderAndRealignWindows) {
  auto docs = texts(50, 7);
  std::vector<uint8_t> bytes = pack_documents(views(docs), encode_bytes, byte_opts()).train;
  ShardView v = open_shard(bytes.data(), bytes.size(), "s");
  SamplerOptions o;
  o.T = 50;
  WindowSampler s({v}, o);
  std::vector<int32_t> x0(50), y0(50), x1(50), y1(50);
  size_t same = 0;
  for (uint64_t k = 0; k < 20; k++) {
    s.window(0, k, x0.data(), y0.data(), nullptr);
    s.window(1, k, x1.data(), y1.data(), nullptr);
    same += x0 == x1;
  }
  EXPECT_LT(same, 3u);
  // without shuffling, windows come in file order from offset 0
  o.shuffle = false;
  WindowSampler seq({v}, o);
  std::vector<int32_t> tok = all_tokens(v);
  for (uint64_t k = 0; k < 5; k++) {
    seq.window(0, k, x0.data(), y0.data(), nullptr);
    EXPECT_TRUE(std::equal(x0.begin(), x0.end(), tok.begin() + k * 50));
  }
}

TEST(Sampler, DocumentBoundariesMaskTargetsAndMarkStarts) {
  // short documents, so every window crosses several boundaries; one is eot-only
  ShardBuilder builder(kByteVocab, kByteEot);
  std::vector<std::string> docs = {"abc", "de", "fghij", "k", "lmnopq", "rs", "tuv", "wxyz", "0123456789", "AB"};
  for (auto& d : docs) builder.add_document(encode_bytes(d));
  builder.add_document(std::vector<int32_t>{});  // [eot] only
  builder.add_document(encode_bytes("end"));
  std::vector<uint8_t> bytes = builder.build();
  ShardView v = open_shard(bytes.data(), bytes.size(), "s");
  std::vector<int32_t> tok = all_tokens(v);
  std::set<uint64_t> starts;
  for (uint64_t d = 0; d < v.n_docs(); d++) starts.insert(v.doc_offset(d));
  SamplerOptions o;
  o.T = 8;
  o.doc_boundaries = true;
  o.shuffle = false;
  WindowSampler s({v}, o);
  size_t masked = 0;
  for (uint64_t k = 0; k < s.windows_in_epoch(0); k++) {
    std::vector<int32_t> x(8), y(8), ds(8);
    s.window(0, k, x.data(), y.data(), ds.data());
    uint64_t start = k * 8;
    for (int t = 0; t < 8; t++) {
      uint64_t a = start + t;
      bool target_opens_doc = starts.count(a + 1) > 0;
      EXPECT_EQ(y[t], target_opens_doc ? kIgnoreIndex : tok[a + 1]) << "window " << k << " t " << t;
      masked += target_opens_doc;
      if (target_opens_doc) { EXPECT_EQ(x[t], kByteEot); }  // only an eot precedes a new document
      // doc_start: latest document start <= a, clipped to the window
      uint64_t ds_abs = *std::prev(starts.upper_bound(a));
      EXPECT_EQ(ds[t], int32_t(ds_abs < start ? 0 : ds_abs - start)) << "window " << k << " t " << t;
    }
  }
  EXPECT_GT(masked, 5u);
  // through next_batch too
  WindowBatch b;
  WindowSampler s2({v}, o);
  s2.next_batch(2, b);
  EXPECT_EQ(b.doc_start.size(), 16u);
  EXPECT_EQ(b.doc_start[0], 0);
}

TEST(Sampler, MultipleShardsAndTooLittleData) {
  auto d1 = texts(20, 8), d2 = texts(30, 9);
  std::vector<uint8_t> b1 = pack_documents(views(d1), encode_bytes, byte_opts()).train;
  std::vector<uint8_t> b2 = pack_documents(views(d2), encode_bytes, byte_opts()).train;
  ShardView v1 = open_shard(b1.data(), b1.size(), "a"), v2 = open_shard(b2.data(), b2.size(), "b");
  SamplerOptions o;
  o.T = 100;
  o.shuffle = false;
  WindowSampler s({v1, v2}, o);
  EXPECT_EQ(s.windows_in_epoch(0), (v1.n_tokens() - 1) / 100 + (v2.n_tokens() - 1) / 100);
  EXPECT_EQ(s.total_tokens(), v1.n_tokens() + v2.n_tokens());
  // the first window of the second shard starts at its token 0
  std::vector<int32_t> x(100), y(100), t2 = all_tokens(v2);
  s.window(0, (v1.n_tokens() - 1) / 100, x.data(), y.data(), nullptr);
  EXPECT_TRUE(std::equal(x.begin(), x.end(), t2.begin()));

  std::vector<uint8_t> small = pack_documents(std::vector<std::string_view>{"hi"}, encode_bytes, byte_opts()).train;
  ShardView vs = open_shard(small.data(), small.size(), "small.bin");
  expect_error([&] { WindowSampler({vs}, o); }, {"fewer than T+1 = 101", "shorter context"});
}

}  // namespace
}  // namespace llm
