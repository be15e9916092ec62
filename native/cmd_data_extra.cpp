// `llm data clean`, `llm data stats`, `llm data download`: thin front ends over
// core/data/clean.h, core/data/stats.h and native/download.h (file I/O, flags).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/data/clean.h"
#include "core/data/clean_io.h"
#include "core/data/stats.h"
#include "core/tokenizer/bpe.h"
#include "core/tokenizer/tokenizer.h"
#include "native/data_cmds.h"
#include "native/download.h"

namespace llm::cli {
namespace {

const char* kCleanUsage =
    "usage: llm data clean --input FILE --out FILE [--config cfg.json] [--format auto|text|eot|lines|jsonl]\n"
    "                      [--report report.json]\n"
    "       llm data clean --print-config      (the default config, every key, as JSON)\n"
    "  Runs utf8_repair -> nfc -> html -> pii -> quality -> exact_dedup -> near_dedup and prints\n"
    "  per stage how many documents were removed or changed and why (docs/data_cleaning.md).\n"
    "  Formats: text = blank-line separated, eot = <|endoftext|> separated, lines, jsonl (field \"text\").\n";

const char* kStatsUsage =
    "usage: llm data stats --input FILE [--out stats.svg|stats.html] [--tokenizer tokenizer.json]\n"
    "                      [--format auto|text|eot|lines|jsonl] [--top K] [--bins N] [--title T]\n"
    "  Document length (chars, words, tokens) distributions and word/token frequency (top-k, Zipf)\n"
    "  as text on stdout and, with --out, as a self-contained SVG or HTML chart.\n";

const char* kDownloadUsage =
    "usage: llm data download tinystories [--out DIR] [--split all|train|valid] [--url-base URL]\n"
    "                         [--sha256-train HEX] [--sha256-valid HEX] [--force] [--connect-timeout S]\n"
    "       llm data download url URL --out FILE [--sha256 HEX] [--size BYTES] [--force]\n"
    "  TinyStories (TinyStoriesV2-GPT4-{train,valid}.txt, ~2.2 GB + ~22 MB) from Hugging Face into\n"
    "  DIR (default datasets/tinystories). Resumable: rerun after an interruption.\n"
    "  Offline? `llm data generate stories` builds the embedded corpus without network.\n";

const char* kTinyStoriesBase = "https://huggingface.co/datasets/roneneldan/TinyStories/resolve/main";

// --key value / --key=value; flags take no value. Unknown options are errors.
struct Opts {
  std::vector<std::string> pos;
  std::map<std::string, std::string> kv;
  bool has(const std::string& k) const { return kv.count(k) > 0; }
  std::string get(const std::string& k, const std::string& def = "") const {
    auto it = kv.find(k);
    return it == kv.end() ? def : it->second;
  }
  std::string need(const std::string& k) const {
    if (!has(k)) throw std::runtime_error("missing required option --" + k);
    return get(k);
  }
  int get_int(const std::string& k, int def) const {
    if (!has(k)) return def;
    const std::string v = get(k);
    char* end = nullptr;
    const long x = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end) throw std::runtime_error("option --" + k + " expects an integer, got '" + v + "'");
    return (int)x;
  }
};

Opts parse_opts(int argc, char** argv, const std::vector<std::string>& with_value,
                const std::vector<std::string>& flags) {
  Opts o;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "-h") s = "--help";
    if (s.rfind("--", 0) != 0) {
      o.pos.push_back(s);
      continue;
    }
    std::string k = s.substr(2), v;
    const size_t eq = k.find('=');
    if (eq != std::string::npos) {
      v = k.substr(eq + 1);
      k = k.substr(0, eq);
    }
    const bool is_flag = std::find(flags.begin(), flags.end(), k) != flags.end();
    const bool takes = std::find(with_value.begin(), with_value.end(), k) != with_value.end();
    if (!is_flag && !takes) throw std::runtime_error("unknown option --" + k);
    if (is_flag) {
      v = "1";
    } else if (eq == std::string::npos) {
      if (i + 1 >= argc) throw std::runtime_error("option --" + k + " needs a value");
      v = argv[++i];
    }
    o.kv[k] = v;
  }
  return o;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path);
  std::string s;
  f.seekg(0, std::ios::end);
  const std::streamoff size = f.tellg();
  if (size < 0) {  // a pipe (e.g. --config <(...)): no size, stream it
    f.clear();
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  s.resize((size_t)size);  // one allocation for multi-GB corpora
  f.seekg(0);
  f.read(s.data(), (std::streamsize)s.size());
  if (!f) throw std::runtime_error("cannot read " + path);
  return s;
}

void write_file(const std::string& path, const std::string& data) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw std::runtime_error("cannot write " + path);
  f.write(data.data(), (std::streamsize)data.size());
  if (!f) throw std::runtime_error("write failed: " + path);
}

bool ends_with(const std::string& s, const std::string& suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

int run_clean(int argc, char** argv) {
  const Opts o = parse_opts(argc, argv, {"input", "out", "config", "format", "report"}, {"help", "print-config"});
  if (o.has("help")) {
    std::fputs(kCleanUsage, stdout);
    return 0;
  }
  CleanConfig cfg;
  if (o.has("config")) cfg = CleanConfig::from_json(read_file(o.get("config")), o.get("config"));
  if (o.has("print-config")) {
    std::fputs(cfg.to_json().c_str(), stdout);
    return 0;
  }
  const std::string in = o.need("input"), out = o.need("out");
  const std::string bytes = read_file(in);
  const DocCorpus corpus = parse_documents(bytes, parse_doc_format(o.get("format", "auto")), in);
  std::fprintf(stderr, "read %zu documents from %s (format %s)\n", corpus.texts.size(), in.c_str(),
               doc_format_name(corpus.format));
  if (corpus.input_bytes_repaired)
    std::fprintf(stderr, "note: %zu invalid UTF-8 bytes were replaced while parsing JSONL (before utf8_repair)\n",
                 corpus.input_bytes_repaired);
  const CleanResult r = clean_documents(corpus.texts, cfg);
  std::fputs(r.report.to_text().c_str(), stdout);
  size_t collapsed = 0;
  write_file(out, serialize_documents(corpus, r.docs, r.source_index, &collapsed));
  if (collapsed)
    std::fprintf(stderr,
                 "note: %zu documents had blank lines inside; the text format cannot hold them, so they were "
                 "collapsed (use --format eot or jsonl output to keep them)\n",
                 collapsed);
  std::fprintf(stderr, "wrote %zu documents to %s\n", r.docs.size(), out.c_str());
  if (o.has("report")) write_file(o.get("report"), r.report.to_json());
  return 0;
}

int run_stats(int argc, char** argv) {
  const Opts o = parse_opts(argc, argv, {"input", "out", "tokenizer", "format", "top", "bins", "title"}, {"help"});
  if (o.has("help")) {
    std::fputs(kStatsUsage, stdout);
    return 0;
  }
  const std::string in = o.need("input");
  const std::string out = o.get("out");
  if (!out.empty() && !ends_with(out, ".svg") && !ends_with(out, ".html") && !ends_with(out, ".htm"))
    throw std::runtime_error("--out must end in .svg or .html, got '" + out + "'");
  const DocCorpus corpus = parse_documents(read_file(in), parse_doc_format(o.get("format", "auto")), in);
  StatsOptions so;
  so.top_k = o.get_int("top", 30);
  so.bins = o.get_int("bins", 40);
  if (so.top_k < 1 || so.bins < 1) throw std::runtime_error("--top and --bins must be >= 1");

  std::unique_ptr<Tokenizer> tok;
  std::vector<std::vector<int32_t>> ids;
  if (o.has("tokenizer")) {
    tok = load_tokenizer_json(read_file(o.get("tokenizer")));
    if (auto* bpe = dynamic_cast<BpeTokenizer*>(tok.get())) {
      std::vector<std::string_view> views(corpus.texts.begin(), corpus.texts.end());
      const int threads = (int)std::max(1u, std::thread::hardware_concurrency());
      ids = bpe->encode_batch(views, threads, /*allow_special=*/true);
    } else {
      ids.reserve(corpus.texts.size());
      for (const std::string& t : corpus.texts) ids.push_back(tok->encode(t, true));
    }
  }
  const Tokenizer* tp = tok.get();
  const CorpusStats s = compute_corpus_stats(corpus.texts, so, tok ? &ids : nullptr,
                                             [tp](int32_t id) { return tp->id_to_token(id); });
  std::fputs(stats_to_text(s).c_str(), stdout);
  if (!out.empty()) {
    const std::string title = o.get("title", std::filesystem::path(in).filename().string());
    write_file(out, ends_with(out, ".svg") ? stats_to_svg(s, title) : stats_to_html(s, title));
    std::fprintf(stderr, "wrote %s\n", out.c_str());
  }
  return 0;
}

void print_download(const DownloadResult& r, const std::string& path) {
  if (r.already_present)
    std::printf("%s: already present (%lld bytes), skipped\n", path.c_str(), (long long)r.bytes);
  else
    std::printf("%s: %lld bytes, sha256 %s%s\n", path.c_str(), (long long)r.bytes, r.sha256.c_str(),
                r.resumes ? " (resumed)" : "");
}

int run_download(int argc, char** argv) {
  const Opts o = parse_opts(argc, argv,
                            {"out", "split", "url-base", "sha256-train", "sha256-valid", "sha256", "size",
                             "connect-timeout"},
                            {"help", "force", "quiet"});
  if (o.has("help") || o.pos.empty()) {
    std::fputs(kDownloadUsage, o.pos.empty() && !o.has("help") ? stderr : stdout);
    return o.has("help") ? 0 : 2;
  }
  DownloadOptions base;
  base.force = o.has("force");
  base.progress = !o.has("quiet");
  base.connect_timeout_s = o.get_int("connect-timeout", base.connect_timeout_s);
  const std::string what = o.pos[0];
  if (what == "url") {
    if (o.pos.size() < 2) throw std::runtime_error("usage: llm data download url URL --out FILE");
    DownloadOptions d = base;
    d.url = o.pos[1];
    d.out_path = o.need("out");
    d.expected_sha256 = o.get("sha256");
    if (o.has("size")) d.expected_size = std::stoll(o.get("size"));
    print_download(download_file(d), d.out_path);
    return 0;
  }
  if (what != "tinystories") throw std::runtime_error("unknown dataset '" + what + "' (known: tinystories, url)");
  const std::string dir = o.get("out", "datasets/tinystories");
  std::string url_base = o.get("url-base", kTinyStoriesBase);
  while (!url_base.empty() && url_base.back() == '/') url_base.pop_back();
  const std::string split = o.get("split", "all");
  if (split != "all" && split != "train" && split != "valid")
    throw std::runtime_error("--split must be all, train or valid, got '" + split + "'");
  // valid first: it is small, so a network problem shows up in seconds.
  std::vector<std::pair<std::string, std::string>> files;  // (split, file name)
  if (split != "train") files.push_back({"valid", "TinyStoriesV2-GPT4-valid.txt"});
  if (split != "valid") files.push_back({"train", "TinyStoriesV2-GPT4-train.txt"});
  for (const auto& [name, file] : files) {
    DownloadOptions d = base;
    d.url = url_base + "/" + file;
    d.out_path = dir + "/" + file;
    d.label = file;
    d.expected_sha256 = o.get("sha256-" + name);
    print_download(download_file(d), d.out_path);
  }
  std::printf("TinyStories is in %s (documents are separated by <|endoftext|>; use --format eot)\n", dir.c_str());
  return 0;
}

template <class F>
int guarded(const char* name, F&& f, int argc, char** argv) {
  try {
    return f(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "llm data %s: error: %s\n", name, e.what());
    return 1;
  }
}

}  // namespace

int cmd_data_clean(int argc, char** argv) { return guarded("clean", run_clean, argc, argv); }
int cmd_data_stats(int argc, char** argv) { return guarded("stats", run_stats, argc, argv); }
int cmd_data_download(int argc, char** argv) { return guarded("download", run_download, argc, argv); }

}  // namespace llm::cli
