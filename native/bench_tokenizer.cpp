// `llm bench tokenizer`: byte-level BPE training time and encoding throughput,
// side by side with the npm `tokenizers` package (Hugging Face, via
// native/bench/hf_tokenizers_bench.mjs) and SentencePiece's spm_train, on the
// same input. Prints one JSON object. Medians over --reps runs.
//
// Input: --input FILE, else $LLM_SHARED_DATA/tinystories/train_head_lowercase.txt
// (LLM_SHARED_DATA defaults to ../shared/data), else ~4 MB of generated text.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/tokenizer/bpe.h"
#include "core/tokenizer/unigram.h"
#include "core/util/rng.h"
#include "native/args.h"
#include "native/bench_util.h"
#include "native/commands.h"
#include "native/fs.h"
#include "native/threads.h"

namespace llm::cli {
namespace {

using nlohmann::json;

// ~mb megabytes of lowercase story-like text: Zipf-distributed words from a
// small vocabulary, sentences and paragraphs. Deterministic.
std::string generate_text(double mb) {
  static const char* words[] = {
      "the", "a", "and", "to", "was", "he", "she", "they", "it", "little", "girl", "boy", "dog", "cat", "ball",
      "park", "mom", "dad", "happy", "sad", "big", "small", "tree", "sun", "day", "one", "time", "upon", "once",
      "there", "lived", "named", "lily", "tom", "ben", "saw", "wanted", "play", "friend", "together", "went",
      "said", "look", "found", "red", "blue", "box", "toy", "car", "bird", "sky", "home", "love", "learned", "very",
      "fun", "jumped", "ran", "smiled", "laughed", "because", "but", "so", "then", "after", "every", "garden"};
  const int n = int(sizeof(words) / sizeof(words[0]));
  std::vector<double> cdf(n);
  double z = 0;
  for (int i = 0; i < n; i++) cdf[i] = (z += 1.0 / (i + 1.5));
  Rng rng(7);
  std::string s;
  const size_t target = size_t(mb * 1e6);
  while (s.size() < target) {
    const int sentences = 3 + int(rng.below(5));
    for (int k = 0; k < sentences; k++) {
      const int len = 4 + int(rng.below(10));
      for (int w = 0; w < len; w++) {
        const double u = rng.uniform_double() * z;
        const int i = int(std::lower_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
        if (w) s += ' ';
        s += words[std::min(i, n - 1)];
        if (w + 1 < len && rng.below(12) == 0) s += ',';
      }
      s += rng.below(6) == 0 ? "! " : ". ";
    }
    s += "\n\n";
  }
  return s;
}

std::string find_input(const Args& a, std::string* source) {
  if (a.has("input")) {
    *source = "file";
    return a.str("input");
  }
  const char* env = std::getenv("LLM_SHARED_DATA");
  const std::string shared = env && *env ? env : "../shared/data";
  const std::string path = shared + "/tinystories/train_head_lowercase.txt";
  if (fs::exists(path)) {
    *source = "shared data";
    return path;
  }
  *source = "generated";
  return "";
}

// Runs a shell command, returns its stdout (exit status in *status).
std::string run(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) {
    *status = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  *status = pclose(p);
  return out;
}

bool have_program(const std::string& name) {
  int st;
  run("command -v " + name + " >/dev/null 2>&1", &st);
  return st == 0;
}

std::string quote_sh(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// The node peer script: --hf-script, else next to the source tree (cwd or
// the executable's ../../native/bench).
std::string find_hf_script(const Args& a) {
  if (a.has("hf-script")) return a.str("hf-script");
  std::vector<std::string> cands = {"native/bench/hf_tokenizers_bench.mjs"};
  char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    std::string dir(exe, size_t(n));
    dir = dir.substr(0, dir.rfind('/'));
    cands.push_back(dir + "/../../native/bench/hf_tokenizers_bench.mjs");
    cands.push_back(dir + "/../native/bench/hf_tokenizers_bench.mjs");
  }
  for (const auto& c : cands)
    if (fs::exists(c)) return c;
  return "";
}

// The same checksum the node script computes over the ids of all lines.
uint32_t ids_hash(const std::vector<std::vector<int32_t>>& all, size_t* count) {
  uint32_t h = 0;
  *count = 0;
  for (const auto& ids : all)
    for (int32_t id : ids) {
      h = h * 31u + uint32_t(id) + 1u;
      ++*count;
    }
  return h;
}

}  // namespace

int cmd_bench_tokenizer(int argc, char** argv) {
  const Args a(argc, argv,
               {"input", "vocab-size", "threads", "reps", "encode-mb", "peers", "hf-script", "full-vocab", "tmp"},
               {"unigram"});
  const int vocab = int(a.integer("vocab-size", 4096));
  const int full_vocab = int(a.integer("full-vocab", 30000));
  const std::vector<int> threads = parse_int_list(a.str("threads", "1,2"));
  const int reps = int(a.integer("reps", 3));
  const double encode_mb = a.number("encode-mb", 1.0);
  const std::string peers = a.str("peers", "hf,spm");
  const bool unigram = a.flag("unigram");

  std::string source;
  std::string input = find_input(a, &source);
  const std::string tmp = a.str("tmp", "/tmp/llm_bench_tokenizer_" + std::to_string(getpid()));
  fs::make_dirs(tmp);
  std::string text;
  if (input.empty()) {
    text = generate_text(4.0);
    input = tmp + "/generated.txt";
    fs::write_file_atomic(input, text);
  } else {
    text = fs::read_file(input);
  }
  // Encoding input: the first ~encode_mb MB of non-empty lines (the npm
  // package is slow enough that the whole file would dominate the run).
  std::string enc_text;
  std::vector<std::string_view> lines;
  for (size_t i = 0; i < text.size() && double(enc_text.size()) < encode_mb * 1e6;) {
    size_t j = text.find('\n', i);
    if (j == std::string::npos) j = text.size();
    if (j > i) enc_text.append(text, i, j - i + (j < text.size() ? 1 : 0));
    i = j + 1;
  }
  const std::string enc_path = tmp + "/encode_input.txt";
  fs::write_file_atomic(enc_path, enc_text);
  for (size_t i = 0; i < enc_text.size();) {
    size_t j = enc_text.find('\n', i);
    if (j == std::string::npos) j = enc_text.size();
    if (j > i) lines.push_back(std::string_view(enc_text).substr(i, j - i));
    i = j + 1;
  }

  json out = {{"input", input},
              {"input_source", source},
              {"input_mb", double(text.size()) / 1e6},
              {"vocab_size", vocab},
              {"reps", reps},
              {"encode_input_mb", double(enc_text.size()) / 1e6},
              {"encode_lines", lines.size()}};

  // ---------------------------------------------------------------- ours --
  json ours = json::object();
  BpeTokenizer tok;
  for (int t : threads) {
    set_threads(t);
    std::vector<double> secs, secs_full;
    int full_reached = 0;
    for (int r = 0; r < reps; r++) {
      BpeTrainOptions o;
      o.vocab_size = vocab;
      o.threads = t;
      double t0 = now_s();
      tok = BpeTokenizer::train(text, o);
      secs.push_back(now_s() - t0);
      o.vocab_size = full_vocab;
      t0 = now_s();
      const BpeTokenizer full = BpeTokenizer::train(text, o);
      secs_full.push_back(now_s() - t0);
      full_reached = full.vocab_size();
    }
    ours["train_s_" + std::to_string(t) + "t"] = median_of(secs);
    ours["train_s_full_vocab_" + std::to_string(t) + "t"] = median_of(secs_full);
    ours["full_vocab_reached"] = full_reached;
  }
  const std::string tok_path = tmp + "/tokenizer.json";
  fs::write_file_atomic(tok_path, tok.to_hf_json());
  {  // one call on the whole encoding text, one thread
    std::vector<double> rates;
    for (int r = 0; r < reps + 1; r++) {
      const double t0 = now_s();
      const auto ids = tok.encode(enc_text);
      if (r) rates.push_back(double(enc_text.size()) / 1e6 / (now_s() - t0));
    }
    ours["encode_mb_s_single_call"] = median_of(rates);
  }
  size_t our_count = 0;
  uint32_t our_hash = 0;
  for (int t : threads) {  // per line, like the peers' batch API
    std::vector<double> rates;
    for (int r = 0; r < reps + 1; r++) {
      const double t0 = now_s();
      const auto all = tok.encode_batch(lines, t);
      if (r) rates.push_back(double(enc_text.size()) / 1e6 / (now_s() - t0));
      else our_hash = ids_hash(all, &our_count);
    }
    ours["encode_batch_mb_s_" + std::to_string(t) + "t"] = median_of(rates);
  }
  ours["encode_tokens"] = our_count;
  if (unigram) {
    UnigramTrainOptions o;
    o.vocab_size = vocab;
    const double t0 = now_s();
    const UnigramTokenizer ug = UnigramTokenizer::train(text, o);
    ours["unigram_train_s"] = now_s() - t0;
  }
  out["ours"] = ours;

  // ------------------------------------------------- Hugging Face (npm) --
  const bool want_hf = peers.find("hf") != std::string::npos;
  const std::string script = find_hf_script(a);
  if (!want_hf) {
    out["hf_tokenizers"] = {{"skipped", "--peers"}};
  } else if (script.empty() || !have_program("node")) {
    out["hf_tokenizers"] = {{"skipped", script.empty() ? "native/bench/hf_tokenizers_bench.mjs not found (run from the repo root or pass --hf-script)" : "node not found"}};
  } else {
    json hf = json::object();
    for (int t : threads) {
      int st;
      // Training reads the whole input, encoding the smaller encode_input.txt.
      const std::string common = "RAYON_NUM_THREADS=" + std::to_string(t) + " node " + quote_sh(script) +
                                 " --reps " + std::to_string(reps) + " 2>/dev/null";
      const std::string tr = run(common + " --train --input " + quote_sh(input), &st);
      const std::string en = run(common + " --encode --input " + quote_sh(enc_path) + " --tokenizer " + quote_sh(tok_path), &st);
      try {
        json r = json::parse(tr);
        const json e = json::parse(en);
        for (auto it = e.begin(); it != e.end(); ++it) r[it.key()] = it.value();
        hf[std::to_string(t) + "t"] = r;
      } catch (const std::exception&) {
        hf[std::to_string(t) + "t"] = {{"error", "the node script failed (is the npm package `tokenizers` installed?)"},
                                       {"stdout", tr + en}};
      }
    }
    out["hf_tokenizers"] = hf;
  }

  // ----------------------------------------------------- SentencePiece --
  const bool want_spm = peers.find("spm") != std::string::npos;
  if (!want_spm) {
    out["spm_train"] = {{"skipped", "--peers"}};
  } else if (!have_program("spm_train")) {
    out["spm_train"] = {{"skipped", "spm_train not found (Debian package `sentencepiece`)"}};
  } else {
    json spm = json::object();
    std::vector<std::string> types = {"bpe"};
    if (unigram) types.push_back("unigram");
    for (const auto& type : types)
      for (int t : threads) {
        std::vector<double> secs;
        int st = 0;
        for (int r = 0; r < reps; r++) {
          const double t0 = now_s();
          run("spm_train --input=" + quote_sh(input) + " --model_prefix=" + quote_sh(tmp + "/spm_" + type) +
                  " --vocab_size=" + std::to_string(vocab) + " --model_type=" + type +
                  " --character_coverage=1.0 --num_threads=" + std::to_string(t) + " --minloglevel=2 >/dev/null 2>&1",
              &st);
          secs.push_back(now_s() - t0);
        }
        spm[type + "_train_s_" + std::to_string(t) + "t"] = st == 0 ? json(median_of(secs)) : json("failed");
      }
    out["spm_train"] = spm;
  }

  // ------------------------------------------------------------ ratios --
  json ratios = json::object();
  const json& hf = out["hf_tokenizers"];
  for (int t : threads) {
    const std::string k = std::to_string(t) + "t";
    if (!hf.contains(k) || !hf[k].contains("train_s")) continue;
    const json& h = hf[k];
    // Hugging Face's Node binding cannot set vocab_size: it trains towards
    // 30000 (until no pair is left), so compare with our run to the same target.
    ratios["train_speedup_vs_hf_same_target_" + k] = h["train_s"].get<double>() / ours["train_s_full_vocab_" + k].get<double>();
    ratios["train_speedup_vs_hf_ours_at_vocab_" + k] = h["train_s"].get<double>() / ours["train_s_" + k].get<double>();
    if (h.contains("encode_mb_s")) {
      ratios["encode_speedup_vs_hf_" + k] = ours["encode_batch_mb_s_" + k].get<double>() / h["encode_mb_s"].get<double>();
      out["ids_identical_to_hf"] = h["encode_ids_hash"].get<uint32_t>() == our_hash && h["encode_tokens"].get<size_t>() == our_count;
    }
  }
  const json& spm = out["spm_train"];
  for (int t : threads) {
    const std::string k = "bpe_train_s_" + std::to_string(t) + "t";
    if (spm.contains(k) && spm[k].is_number())
      ratios["train_speedup_vs_spm_bpe_" + std::to_string(t) + "t"] = spm[k].get<double>() / ours["train_s_" + std::to_string(t) + "t"].get<double>();
  }
  if (unigram && spm.contains("unigram_train_s_1t") && spm["unigram_train_s_1t"].is_number())
    ratios["unigram_train_speedup_vs_spm_1t"] = spm["unigram_train_s_1t"].get<double>() / ours["unigram_train_s"].get<double>();
  out["ratios"] = ratios;

  std::printf("%s\n", out.dump(2).c_str());
  if (!a.has("tmp")) {
    int st;
    run("rm -rf " + quote_sh(tmp), &st);
  }
  return 0;
}

}  // namespace llm::cli
