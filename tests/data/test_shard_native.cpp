// Native packing and loading: threaded encoding to files, the mmap loader, and the
// `llm data generate|pack|inspect` commands end to end. Not built for wasm
// (no files, threads or mmap there).
#ifndef __EMSCRIPTEN__
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/data/gen_stories.h"
#include "core/data/importers.h"
#include "core/tokenizer/bpe.h"
#include "native/commands.h"
#include "native/data_pack.h"
#include "native/shard_loader.h"

namespace llm {
namespace {

std::string temp_dir() {
  char tmpl[] = "/tmp/llm_shard_test_XXXXXX";
  char* d = mkdtemp(tmpl);
  if (!d) throw std::runtime_error("mkdtemp failed");
  return d;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void rm_rf(const std::string& dir) { std::system(("rm -rf '" + dir + "'").c_str()); }

struct Corpus {
  std::vector<std::string> texts;
  std::vector<std::string_view> views;
  explicit Corpus(size_t n, uint64_t seed = 1) {
    GenOptions o;
    o.seed = seed;
    for (auto& s : generate_stories(n, o)) texts.push_back(s.text);
    views.assign(texts.begin(), texts.end());
  }
};

PackFilesOptions opts(const std::string& dir, int threads) {
  PackFilesOptions o;
  o.out_dir = dir;
  o.vocab_size = kByteVocab;
  o.eot_id = kByteEot;
  o.val_fraction = 0.1;
  o.seed = 3;
  o.threads = threads;
  o.chunk_docs = 37;  // several chunks, odd size
  return o;
}

EncoderFactory bytes_factory() {
  return [] { return EncodeFn(encode_bytes); };
}

TEST(ShardNative, ThreadedPackingIsByteIdenticalToSingleThreaded) {
  Corpus c(300);
  std::string d1 = temp_dir(), d2 = temp_dir();
  PackReport r1 = pack_to_files(c.views, bytes_factory(), opts(d1, 1));
  PackReport r2 = pack_to_files(c.views, bytes_factory(), opts(d2, 2));
  ASSERT_EQ(r1.train.files.size(), 1u);
  ASSERT_EQ(r1.val.files.size(), 1u);
  EXPECT_EQ(r1.train.docs, 270u);
  EXPECT_EQ(r1.val.docs, 30u);
  EXPECT_EQ(slurp(r1.train.files[0]), slurp(r2.train.files[0]));
  EXPECT_EQ(slurp(r1.val.files[0]), slurp(r2.val.files[0]));
  // and identical to the in-memory packer of core
  PackOptions po;
  po.vocab_size = kByteVocab, po.eot_id = kByteEot, po.val_fraction = 0.1, po.seed = 3;
  PackedShards mem = pack_documents(c.views, encode_bytes, po);
  std::string t = slurp(r1.train.files[0]);
  EXPECT_EQ(std::vector<uint8_t>(t.begin(), t.end()), mem.train);
  struct stat st;
  EXPECT_NE(stat((r1.train.files[0] + ".tmp").c_str(), &st), 0);  // no temp file left
  rm_rf(d1);
  rm_rf(d2);
}

TEST(ShardNative, ShardTokenLimitSplitsFilesAndTheLoaderReadsThemAll) {
  Corpus c(200, 2);
  std::string dir = temp_dir();
  PackFilesOptions o = opts(dir, 2);
  o.shard_tokens = 20000;
  PackReport r = pack_to_files(c.views, bytes_factory(), o);
  ASSERT_GE(r.train.files.size(), 3u);
  auto files = ShardLoader::list_shards(dir, "train");
  EXPECT_EQ(files, r.train.files);
  SamplerOptions so;
  so.T = 128;
  so.seed = 5;
  ShardLoader loader(files, so, {kByteVocab, kByteEot, true});
  uint64_t tokens = 0, docs = 0;
  for (auto& v : loader.shards()) tokens += v.n_tokens(), docs += v.n_docs();
  EXPECT_EQ(tokens, r.train.tokens);
  EXPECT_EQ(docs, r.train.docs);

  // the mmap loader yields exactly what the core sampler yields over the same bytes
  std::vector<std::string> blobs;
  std::vector<ShardView> views;
  for (auto& f : files) blobs.push_back(slurp(f));
  for (size_t i = 0; i < blobs.size(); i++) views.push_back(open_shard(reinterpret_cast<const uint8_t*>(blobs[i].data()), blobs[i].size(), files[i]));
  WindowSampler mem(views, so);
  WindowBatch a, b;
  for (int step = 0; step < 10; step++) {
    loader.next_batch(4, a);
    mem.next_batch(4, b);
    ASSERT_EQ(a.x, b.x);
    ASSERT_EQ(a.y, b.y);
  }
  // resume from a saved position
  SamplerState st = loader.state();
  loader.next_batch(4, a);
  ShardLoader again(files, so);
  again.set_state(st);
  again.next_batch(4, b);
  EXPECT_EQ(a.x, b.x);
  rm_rf(dir);
}

TEST(ShardNative, DamagedFilesOnDiskAreReportedWithTheirPath) {
  Corpus c(50, 3);
  std::string dir = temp_dir();
  PackReport r = pack_to_files(c.views, bytes_factory(), opts(dir, 1));
  std::string path = r.train.files[0];
  std::string bytes = slurp(path);
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), std::streamsize(bytes.size() / 2));
  }
  SamplerOptions so;
  so.T = 16;
  try {
    ShardLoader l({path}, so);
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find(path), std::string::npos) << m;
    EXPECT_NE(m.find("truncated"), std::string::npos) << m;
    EXPECT_NE(m.find("llm data pack"), std::string::npos) << m;
  }
  EXPECT_THROW(ShardLoader({dir + "/missing.bin"}, so), std::runtime_error);
  EXPECT_THROW(ShardLoader::list_shards(dir + "/nope", "train"), std::runtime_error);
  EXPECT_THROW(ShardLoader::list_shards(dir, "test"), std::runtime_error);
  rm_rf(dir);
}

TEST(ShardNative, EncoderErrorsPropagateFromWorkerThreads) {
  Corpus c(100, 4);
  std::string bad = c.texts[57];
  std::vector<EncodeFn> encs(2, EncodeFn([bad](std::string_view s) -> std::vector<int32_t> {
                               if (s == bad) throw std::runtime_error("encoder failed on document 57");
                               return encode_bytes(s);
                             }));
  EXPECT_THROW(encode_parallel(c.views, 0, c.views.size(), encs), std::runtime_error);
}

TEST(ShardNative, PacksWithARealBpeTokenizerAndDecodesBack) {
  Corpus c(120, 5);
  std::string text;
  for (auto& t : c.texts) text += t + "\n\n";
  BpeTrainOptions bo;
  bo.vocab_size = 512;
  BpeTokenizer tok = BpeTokenizer::train(text, bo);
  int32_t eot = tok.token_id("<|endoftext|>");
  ASSERT_GE(eot, 0);
  std::string dir = temp_dir();
  PackFilesOptions o = opts(dir, 2);
  o.vocab_size = uint32_t(tok.vocab_size());
  o.eot_id = eot;
  o.val_fraction = 0;
  PackReport r = pack_to_files(c.views, [&] { return EncodeFn([&](std::string_view s) { return tok.encode(s, false); }); }, o);
  ASSERT_EQ(r.train.files.size(), 1u);
  EXPECT_LT(r.train.tokens, text.size() * 6 / 10);  // BPE actually compresses
  MappedFile mf(r.train.files[0]);
  ShardView v = open_shard(mf.data(), mf.size(), mf.path(), {uint32_t(tok.vocab_size()), eot, true});
  for (uint64_t d = 0; d < v.n_docs(); d += 17) {
    std::vector<int32_t> ids = v.document(d);
    ids.pop_back();  // eot
    EXPECT_EQ(tok.decode(ids), c.texts[d]);
  }
  rm_rf(dir);
}

// `llm data ...` through its entry point, as the CLI runs it.
int run(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return cli::cmd_data(int(argv.size()), argv.data());
}

TEST(ShardNative, CliGeneratePackInspect) {
  std::string dir = temp_dir();
  ASSERT_EQ(run({"data", "generate", "stories", "--n", "300", "--seed", "2", "--out", dir + "/stories.txt"}), 0);
  std::string stories = slurp(dir + "/stories.txt");
  EXPECT_EQ(import_text(stories).size(), 300u);
  ASSERT_EQ(run({"data", "generate", "sft", "--n", "20", "--out", dir + "/sft.jsonl"}), 0);
  EXPECT_EQ(import_chat(slurp(dir + "/sft.jsonl")).size(), 20u);
  ASSERT_EQ(run({"data", "generate", "rl", "--n", "5", "--split", "validation", "--out", dir + "/rl.jsonl"}), 0);
  ASSERT_EQ(run({"data", "generate", "preference", "--n", "5", "--out", dir + "/pref.jsonl"}), 0);
  EXPECT_EQ(import_preference(slurp(dir + "/pref.jsonl")).size(), 5u);

  ASSERT_EQ(run({"data", "pack", "--input", dir + "/stories.txt", "--tokenizer", "bytes", "--out", dir + "/nested/packed", "--val-fraction", "0.05", "--seed", "1",
                 "--threads", "2"}),
            0);
  auto meta = nlohmann::json::parse(slurp(dir + "/nested/packed/meta.json"));
  EXPECT_EQ(meta["vocab_size"], kByteVocab);
  EXPECT_EQ(meta["dtype"], "uint16");
  EXPECT_EQ(meta["train"]["docs"].get<int>() + meta["val"]["docs"].get<int>(), 300);
  EXPECT_EQ(meta["val"]["docs"], 15);
  EXPECT_EQ(run({"data", "inspect", dir + "/nested/packed"}), 0);
  ASSERT_EQ(run({"data", "import", "--input", dir + "/sft.jsonl", "--out", dir + "/sft_norm.jsonl"}), 0);
  EXPECT_EQ(import_chat(slurp(dir + "/sft_norm.jsonl")).size(), 20u);

  // errors: exit code 1, no crash
  EXPECT_EQ(run({"data", "generate", "poems", "--n", "3"}), 1);
  EXPECT_EQ(run({"data", "pack", "--input", dir + "/missing.txt", "--tokenizer", "bytes", "--out", dir + "/x"}), 1);
  EXPECT_EQ(run({"data", "pack", "--input", dir + "/sft.jsonl", "--tokenizer", "bytes", "--out", dir + "/x"}), 1);  // chat is not pretraining text
  EXPECT_EQ(run({"data", "generate", "stories", "--n", "3", "--bogus", "1"}), 1);
  EXPECT_EQ(run({"data", "frobnicate"}), 2);
  rm_rf(dir);
}

}  // namespace
}  // namespace llm
#endif  // __EMSCRIPTEN__
