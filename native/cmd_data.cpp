// `llm data ...`: generate | import | pack | inspect here; clean | stats | download
// are dispatched to native/data_cmds.h.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/data/gen_facts.h"
#include "core/data/gen_preference.h"
#include "core/data/gen_rl.h"
#include "core/data/gen_sft.h"
#include "core/data/gen_stories.h"
#include "core/data/importers.h"
#include "core/data/records_json.h"
#include "core/data/shard_pack.h"
#include "core/tokenizer/bpe.h"
#include "core/tokenizer/tokenizer.h"
#include "native/args.h"
#include "native/commands.h"
#include "native/data_cmds.h"
#include "native/data_pack.h"
#include "native/fs.h"
#include "native/shard_loader.h"

namespace llm::cli {
namespace {

const char* kUsage =
    "usage: llm data <command> [options]\n"
    "  generate stories|sft|preference|rl --n N [--seed S] [--split train|validation] [--val-fraction F] [--out FILE]\n"
    "      [--facts P]  (stories: a world-knowledge paragraph after P% of them, core/data/gen_facts.h)\n"
    "      [--facts-qa P]  (stories: 4 train-split questions with answers after P% of them)\n"
    "      deterministic built-in data (datasets/README.md); stdout when --out is absent\n"
    "  import --input FILE [--format auto|text|jsonl|alpaca|chat|preference] [--out FILE.jsonl] [--text-split blank|line|sep]\n"
    "      normalize a dataset to our JSONL schemas (text / messages / prompt-chosen-rejected)\n"
    "  pack --input FILE --tokenizer tokenizer.json|bytes --out DIR [--val-fraction 0.05] [--seed 1]\n"
    "       [--format auto|text|jsonl] [--text-split blank|line|sep] [--separator S] [--eot-token T]\n"
    "       [--threads N] [--shard-tokens N]\n"
    "      encode documents into DIR/train_*.bin, DIR/val_*.bin and DIR/meta.json (docs/packing.md)\n"
    "  inspect FILE.bin|DIR [--tokenizer tokenizer.json] [--docs N]\n"
    "      validate shards and print their header (and the first documents, decoded)\n"
    "  clean | stats | download ...   see `llm data <command> --help`\n";

std::string need(const Args& a, const std::string& k) {
  if (!a.has(k)) throw std::runtime_error("missing required option --" + k);
  return a.str(k);
}

uint64_t to_u64(const std::string& s, const char* what) {
  char* end = nullptr;
  unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (s.empty() || *end || s[0] == '-') throw std::runtime_error(std::string("--") + what + " expects a non-negative integer, got '" + s + "'");
  return v;
}
double to_double(const std::string& s, const char* what) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end) throw std::runtime_error(std::string("--") + what + " expects a number, got '" + s + "'");
  return v;
}

using fs::read_file;  // throws "cannot open <path>: <reason>"

void write_output(const std::string& path, const std::string& bytes) {
  if (path.empty() || path == "-") {
    std::fwrite(bytes.data(), 1, bytes.size(), stdout);
    return;
  }
  std::ofstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(path + ": cannot open for writing");
  f.write(bytes.data(), std::streamsize(bytes.size()));
  if (!f) throw std::runtime_error(path + ": write failed");
}

TextSplit text_split(const Args& a) {
  TextSplit how;
  std::string m = a.str("text-split", "blank");
  if (m == "blank") how.mode = TextSplit::blank_lines;
  else if (m == "line") how.mode = TextSplit::lines;
  else if (m == "sep") how.mode = TextSplit::separator_lines;
  else throw std::runtime_error("--text-split expects blank, line or sep, got '" + m + "'");
  if (a.has("separator")) how.separator = a.str("separator");
  return how;
}

int generate(int argc, char** argv) {
  Args a(argc, argv, {"n", "seed", "split", "val-fraction", "out", "facts", "facts-qa"});
  if (a.positional.size() != 1) throw std::runtime_error("generate: name one kind: stories, sft, preference or rl");
  GenOptions g;
  g.seed = to_u64(a.str("seed", "1"), "seed");
  g.split = parse_split(a.str("split", "train"));
  g.val_fraction = to_double(a.str("val-fraction", "0.1"), "val-fraction");
  size_t n = size_t(to_u64(need(a, "n"), "n"));
  const std::string& kind = a.positional[0];
  if (kind != "stories" && kind != "sft" && kind != "preference" && kind != "rl")
    throw std::runtime_error("generate: unknown kind '" + kind + "' (expected stories, sft, preference or rl)");
  // Stream items to the output as they are made: memory stays constant for any --n.
  std::string path = a.str("out");
  std::ofstream file;
  if (!path.empty() && path != "-") {
    file.open(path, std::ios::binary);
    if (!file) throw std::runtime_error(path + ": cannot open for writing");
  }
  std::ostream& out = file.is_open() ? static_cast<std::ostream&>(file) : std::cout;
  size_t bytes = 0;
  auto line = [&](const std::string& s) {
    out << s << '\n';
    bytes += s.size() + 1;
  };
  const uint64_t facts = to_u64(a.str("facts", "0"), "facts");
  if (facts > 100) throw std::runtime_error("generate: --facts is a percentage, 0 to 100 (got " + std::to_string(facts) + ")");
  if (facts && kind != "stories") throw std::runtime_error("generate: --facts mixes fact paragraphs into stories only");
  const uint64_t facts_qa = to_u64(a.str("facts-qa", "0"), "facts-qa");
  if (facts_qa > 100) throw std::runtime_error("generate: --facts-qa is a percentage, 0 to 100 (got " + std::to_string(facts_qa) + ")");
  if (facts_qa && kind != "stories") throw std::runtime_error("generate: --facts-qa mixes question blocks into stories only");
  if (kind == "stories") {
    bool first = true;  // the format of stories_to_text: blank line between stories, final newline
    Rng frng = seeded_rng(g.seed, 0xFAC75);  // core/data/gen_facts.h: world knowledge, in both splits
    Rng qrng = seeded_rng(g.seed, 0xFAC7A);  // facts_qa_block: train-split questions only
    size_t n_facts = 0, n_qa = 0;
    generate_stories(n, g, [&](const Story& s) {
      if (!first) out << '\n', bytes++;
      first = false;
      line(s.text);
      if (facts && chance(frng, uint32_t(facts))) out << '\n', bytes++, line(facts_paragraph(frng)), n_facts++;
      if (facts_qa && chance(qrng, uint32_t(facts_qa))) out << '\n', bytes++, line(facts_qa_block(qrng, 4)), n_qa++;
    });
    if (facts) std::fprintf(stderr, "mixed in %zu fact paragraphs (--facts %d%%)\n", n_facts, int(facts));
    if (facts_qa) std::fprintf(stderr, "mixed in %zu blocks of 4 train-split questions (--facts-qa %d%%)\n", n_qa, int(facts_qa));
  } else if (kind == "sft") {
    generate_sft(n, g, [&](const SftExample& x) { line(to_jsonl(x)); });
  } else if (kind == "preference") {
    generate_preferences(n, g, [&](const PreferenceExample& x) { line(to_jsonl(x)); });
  } else {
    generate_rl(n, g, [&](const RlPrompt& x) { line(to_jsonl(x)); });
  }
  out.flush();
  if (!out) throw std::runtime_error((path.empty() ? std::string("stdout") : path) + ": write failed");
  if (file.is_open()) std::fprintf(stderr, "wrote %zu %s %s items (%zu bytes) to %s\n", n, split_name(g.split), kind.c_str(), bytes, path.c_str());
  return 0;
}

int import(int argc, char** argv) {
  Args a(argc, argv, {"input", "format", "out", "text-split", "separator"});
  std::string path = need(a, "input"), bytes = read_file(path);
  DataFormat f = parse_format(a.str("format", "auto"));
  if (f == DataFormat::unknown) f = detect_format(bytes, path);
  if (f == DataFormat::unknown) throw std::runtime_error(path + ": could not detect the format from the first record; pass --format");
  std::string out;
  size_t n = 0;
  switch (f) {
    case DataFormat::text: {
      auto d = import_text(bytes, text_split(a));
      n = d.size(), out = to_jsonl_lines(d);
      break;
    }
    case DataFormat::jsonl_text: {
      auto d = import_jsonl_text(bytes, path);
      n = d.size(), out = to_jsonl_lines(d);
      break;
    }
    case DataFormat::alpaca: {
      auto d = import_alpaca(bytes, path);
      n = d.size(), out = to_jsonl_lines(d);
      break;
    }
    case DataFormat::chat: {
      auto d = import_chat(bytes, path);
      n = d.size(), out = to_jsonl_lines(d);
      break;
    }
    default: {
      auto d = import_preference(bytes, path);
      n = d.size(), out = to_jsonl_lines(d);
    }
  }
  write_output(a.str("out"), out);
  std::fprintf(stderr, "imported %zu records from %s as %s\n", n, path.c_str(), format_name(f));
  return 0;
}

// The tokenizer as an encoder factory: one BPE cache per thread when it is BPE.
struct LoadedTokenizer {
  std::shared_ptr<Tokenizer> tok;  // null for the byte-level fallback
  uint32_t vocab = kByteVocab;
  int32_t eot = kByteEot;
  std::string name = "bytes";
  EncoderFactory factory() const {
    if (!tok) return [] { return EncodeFn(encode_bytes); };
    std::shared_ptr<Tokenizer> t = tok;
    if (auto bpe = std::dynamic_pointer_cast<BpeTokenizer>(t)) {
      return [bpe] {
        auto cache = std::make_shared<BpeCache>();
        return EncodeFn([bpe, cache](std::string_view s) {
          std::vector<int32_t> ids;
          bpe->encode_into(s, &ids, /*allow_special=*/false, cache.get());
          return ids;
        });
      };
    }
    return [t] { return EncodeFn([t](std::string_view s) { return t->encode(s, /*allow_special=*/false); }); };
  }
};

LoadedTokenizer load_tokenizer(const std::string& path, const std::string& eot_token) {
  LoadedTokenizer L;
  if (path == "bytes") return L;
  L.tok = std::shared_ptr<Tokenizer>(load_tokenizer_json(read_file(path)).release());
  L.vocab = uint32_t(L.tok->vocab_size());
  L.eot = L.tok->token_id(eot_token);
  L.name = path;
  if (L.eot < 0) throw std::runtime_error(path + ": the tokenizer has no special token \"" + eot_token + "\"; add it when training or pass --eot-token");
  return L;
}

int pack(int argc, char** argv) {
  Args a(argc, argv, {"input", "tokenizer", "out", "val-fraction", "seed", "format", "text-split", "separator", "eot-token", "threads", "shard-tokens"});
  std::string input = need(a, "input"), out_dir = need(a, "out");
  LoadedTokenizer tok = load_tokenizer(need(a, "tokenizer"), a.str("eot-token", "<|endoftext|>"));
  std::string bytes = read_file(input);
  DataFormat f = parse_format(a.str("format", "auto"));
  if (f == DataFormat::unknown) f = detect_format(bytes, input);
  // Plain text stays in one buffer; documents are views into it (no copies).
  std::vector<Document> owned;
  std::vector<std::string_view> docs;
  if (f == DataFormat::text) {
    docs = split_text_documents(bytes, text_split(a));
  } else {
    owned = import_documents(bytes, input, f);
    for (auto& d : owned) docs.push_back(d.text);
  }
  PackFilesOptions po;
  po.out_dir = out_dir;
  po.vocab_size = tok.vocab;
  po.eot_id = tok.eot;
  po.val_fraction = to_double(a.str("val-fraction", "0.05"), "val-fraction");
  po.seed = to_u64(a.str("seed", "1"), "seed");
  po.threads = int(to_u64(a.str("threads", "0"), "threads"));
  po.shard_tokens = to_u64(a.str("shard-tokens", "0"), "shard-tokens");
  bool tty = isatty(2);
  PackReport r = pack_to_files(docs, tok.factory(), po, [&](size_t done, size_t total) {
    if (tty) std::fprintf(stderr, "\rencoding %zu/%zu documents", done, total);
  });
  if (tty) std::fprintf(stderr, "\n");

  nlohmann::ordered_json meta;
  meta["format"] = "LLMSHARD";
  meta["version"] = kShardVersion;
  meta["input"] = input;
  meta["tokenizer"] = tok.name;
  meta["vocab_size"] = tok.vocab;
  meta["eot_id"] = tok.eot;
  meta["dtype"] = token_bytes_for_vocab(tok.vocab) == 2 ? "uint16" : "uint32";
  meta["seed"] = po.seed;
  meta["val_fraction"] = po.val_fraction;
  auto split_json = [](const PackSplitReport& s) {
    nlohmann::ordered_json j;
    std::vector<std::string> names;
    for (auto& p : s.files) names.push_back(p.substr(p.find_last_of('/') + 1));
    j["files"] = names;
    j["docs"] = s.docs;
    j["tokens"] = s.tokens;
    return j;
  };
  meta["train"] = split_json(r.train);
  meta["val"] = split_json(r.val);
  meta["empty_docs_skipped"] = r.empty_docs;
  fs::write_file_atomic(out_dir + "/meta.json", meta.dump(2) + "\n");
  std::printf("packed %zu documents (%.1f MB of text) with %s in %.2f s (%.1f MB/s, %d threads)\n", docs.size(), r.bytes_in / 1e6, tok.name.c_str(), r.seconds,
              r.seconds > 0 ? r.bytes_in / 1e6 / r.seconds : 0.0, po.threads > 0 ? po.threads : int(std::max(1u, std::thread::hardware_concurrency())));
  std::printf("  train: %llu docs, %llu tokens in %zu file(s)\n", (unsigned long long)r.train.docs, (unsigned long long)r.train.tokens, r.train.files.size());
  std::printf("  val:   %llu docs, %llu tokens in %zu file(s)\n", (unsigned long long)r.val.docs, (unsigned long long)r.val.tokens, r.val.files.size());
  if (r.empty_docs) std::printf("  skipped %llu documents that encoded to no tokens\n", (unsigned long long)r.empty_docs);
  std::printf("  %s/meta.json\n", out_dir.c_str());
  return 0;
}

int inspect(int argc, char** argv) {
  Args a(argc, argv, {"tokenizer", "docs", "eot-token"});
  if (a.positional.size() != 1) throw std::runtime_error("inspect: give one shard file or pack directory");
  std::string target = a.positional[0];
  std::vector<std::string> files;
  if (target.size() > 4 && target.compare(target.size() - 4, 4, ".bin") == 0) {
    files.push_back(target);
  } else {
    for (const char* split : {"train", "val"}) {
      try {
        for (auto& p : ShardLoader::list_shards(target, split)) files.push_back(p);
      } catch (const std::exception&) {
        if (std::string(split) == "train") throw;
      }
    }
  }
  std::unique_ptr<Tokenizer> tok;
  if (a.has("tokenizer")) tok = load_tokenizer_json(read_file(a.str("tokenizer")));
  size_t show = size_t(to_u64(a.str("docs", tok ? "2" : "0"), "docs"));
  for (auto& p : files) {
    MappedFile mf(p);
    static const uint8_t empty[1] = {0};
    ShardExpect ex;
    if (tok) ex.vocab_size = uint32_t(tok->vocab_size());
    ex.check_token_ids = true;
    ShardView v = open_shard(mf.data() ? mf.data() : empty, mf.size(), p, ex);
    std::printf("%s: ok  version %u  dtype uint%u  vocab %u  eot %d  %llu tokens  %llu docs\n", p.c_str(), v.header.version, v.header.token_bytes * 8,
                v.header.vocab_size, v.header.eot_id, (unsigned long long)v.n_tokens(), (unsigned long long)v.n_docs());
    for (size_t d = 0; d < show && d < v.n_docs(); d++) {
      std::vector<int32_t> ids = v.document(d);
      std::string text = tok ? tok->decode(ids) : std::string();
      std::printf("  doc %zu (%zu tokens): %s\n", d, ids.size(), text.substr(0, 300).c_str());
    }
  }
  return 0;
}

}  // namespace

int cmd_data(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" || std::string(argv[1]) == "help") {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string sub = argv[1];
  // argv[0] of the subcommand reads "data <sub>", so usage messages say `llm data <sub> ...`
  std::string full = "data " + sub;
  std::vector<char*> args(argv + 1, argv + argc);
  args[0] = full.data();
  try {
    if (sub == "generate") return generate(argc - 1, args.data());
    if (sub == "import") return import(argc - 1, args.data());
    if (sub == "pack") return pack(argc - 1, args.data());
    if (sub == "inspect") return inspect(argc - 1, args.data());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "llm data %s: error: %s\n", sub.c_str(), e.what());
    return 1;
  }
  if (sub == "clean") return cmd_data_clean(argc - 1, argv + 1);
  if (sub == "stats") return cmd_data_stats(argc - 1, argv + 1);
  if (sub == "download") return cmd_data_download(argc - 1, argv + 1);
  std::fprintf(stderr, "llm data: unknown command '%s'\n%s", sub.c_str(), kUsage);
  return 2;
}

}  // namespace llm::cli
