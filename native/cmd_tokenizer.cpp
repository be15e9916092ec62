// `llm tokenizer train|encode|decode|info`: the file-level front end of
// core/tokenizer (which only sees strings).
#include <chrono>
#include <climits>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/tokenizer/bpe.h"
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/unigram.h"
#include "core/tokenizer/wordpiece.h"
#include "native/args.h"
#include "native/commands.h"
#include "native/fs.h"
#include "native/threads.h"

namespace llm::cli {
namespace {

const char* kUsage =
    "usage: llm tokenizer <command> [options]\n"
    "\n"
    "  train  --input FILE --vocab-size N --out DIR|FILE.json [--type bpe|wordpiece|unigram]\n"
    "         [--threads N] [--specials \"<|a|>,<|b|>\"] [--no-default-specials]\n"
    "         Learns a tokenizer on a text file and writes a Hugging Face tokenizer.json\n"
    "         (DIR/tokenizer.json when --out is not a .json path). Default specials:\n"
    "         bpe <|endoftext|> <|pad|> <|im_start|> <|im_end|>; wordpiece [PAD] [UNK] [CLS] [SEP] [MASK];\n"
    "         unigram <unk> + the bpe ones. --specials adds more.\n"
    "  encode --tokenizer FILE.json (--text \"...\" | --input FILE) [--no-special] [--tokens]\n"
    "         Prints the ids on one line (--tokens: one \"id<TAB>token\" line each).\n"
    "  decode --tokenizer FILE.json (--ids \"1 2 3\" | --input FILE) [--raw]\n"
    "         Prints the text (--raw: exactly the decoded bytes, no trailing newline).\n"
    "  info   --tokenizer FILE.json\n";

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::string need(const Args& a, const std::string& k) {
  if (!a.has(k)) throw std::runtime_error("missing --" + k + "\n" + kUsage);
  return a.str(k);
}

std::unique_ptr<Tokenizer> load(const std::string& path) {
  try {
    return load_tokenizer_json(fs::read_file(path));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

int train(int argc, char** argv) {
  const Args a(argc, argv, {"input", "vocab-size", "out", "type", "threads", "specials"}, {"no-default-specials"});
  const std::string input = need(a, "input"), out = need(a, "out"), type = a.str("type", "bpe");
  const int vocab = int(a.integer("vocab-size", 4096));
  const int threads = int(a.integer("threads", get_threads()));
  set_threads(threads);
  const std::vector<std::string> extra = split_list(a.str("specials"));
  const bool defaults = !a.flag("no-default-specials");
  const std::string text = fs::read_file(input);

  const double t0 = now_s();
  std::unique_ptr<Tokenizer> tok;
  auto specials_with = [&](std::vector<std::string> base) {
    if (!defaults) base.clear();
    base.insert(base.end(), extra.begin(), extra.end());
    return base;
  };
  if (type == "bpe") {
    BpeTrainOptions o;
    o.vocab_size = vocab;
    o.threads = threads;
    o.specials = specials_with(o.specials);
    tok = std::make_unique<BpeTokenizer>(BpeTokenizer::train(text, o));
  } else if (type == "wordpiece") {
    WordPieceTrainOptions o;
    o.vocab_size = vocab;
    o.specials = specials_with(o.specials);
    tok = std::make_unique<WordPieceTokenizer>(WordPieceTokenizer::train(text, o));
  } else if (type == "unigram") {
    UnigramTrainOptions o;
    o.vocab_size = vocab;
    o.specials = specials_with(o.specials);
    tok = std::make_unique<UnigramTokenizer>(UnigramTokenizer::train(text, o));
  } else {
    throw std::runtime_error("--type must be bpe, wordpiece or unigram (got '" + type + "')");
  }
  const double secs = now_s() - t0;

  std::string path = out;
  if (path.size() < 5 || path.compare(path.size() - 5, 5, ".json") != 0) {
    fs::make_dirs(path);
    path += "/tokenizer.json";
  } else if (path.find('/') != std::string::npos) {
    fs::make_dirs(path.substr(0, path.rfind('/')));
  }
  fs::write_file_atomic(path, tok->to_json());
  std::fprintf(stderr, "trained %s tokenizer: vocab %d on %.2f MB in %.2f s (%d threads) -> %s\n", type.c_str(),
               tok->vocab_size(), double(text.size()) / 1e6, secs, threads, path.c_str());
  if (tok->vocab_size() < vocab)
    std::fprintf(stderr, "note: the input supports only %d tokens (asked for %d)\n", tok->vocab_size(), vocab);
  return 0;
}

int encode(int argc, char** argv) {
  const Args a(argc, argv, {"tokenizer", "text", "input"}, {"no-special", "tokens"});
  const auto tok = load(need(a, "tokenizer"));
  if (a.has("text") == a.has("input")) throw std::runtime_error("give exactly one of --text or --input\n" + std::string(kUsage));
  const std::string text = a.has("text") ? a.str("text") : fs::read_file(a.str("input"));
  const std::vector<int32_t> ids = tok->encode(text, !a.flag("no-special"));
  std::string out;
  if (a.flag("tokens")) {
    for (int32_t id : ids) out += std::to_string(id) + "\t" + tok->id_to_token(id) + "\n";
  } else {
    for (size_t i = 0; i < ids.size(); i++) out += (i ? " " : "") + std::to_string(ids[i]);
    out += "\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

std::vector<int32_t> parse_ids(const std::string& s) {
  // Accepts "1 2 3", "1,2,3" and "[1, 2, 3]".
  std::vector<int32_t> ids;
  std::string cur;
  auto flush = [&](size_t pos) {
    if (cur.empty()) return;
    try {
      size_t used;
      const long long v = std::stoll(cur, &used);
      if (used != cur.size() || v < INT32_MIN || v > INT32_MAX) throw std::invalid_argument("");
      ids.push_back(int32_t(v));
    } catch (const std::exception&) {
      throw std::runtime_error("ids: '" + cur + "' before offset " + std::to_string(pos) + " is not an integer");
    }
    cur.clear();
  };
  for (size_t i = 0; i < s.size(); i++) {
    const char c = s[i];
    if (c == ' ' || c == ',' || c == '\n' || c == '\t' || c == '\r' || c == '[' || c == ']') flush(i);
    else cur += c;
  }
  flush(s.size());
  return ids;
}

int decode(int argc, char** argv) {
  const Args a(argc, argv, {"tokenizer", "ids", "input"}, {"raw"});
  const auto tok = load(need(a, "tokenizer"));
  if (a.has("ids") == a.has("input")) throw std::runtime_error("give exactly one of --ids or --input\n" + std::string(kUsage));
  const std::string text = tok->decode(parse_ids(a.has("ids") ? a.str("ids") : fs::read_file(a.str("input"))));
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (!a.flag("raw")) std::fputc('\n', stdout);
  return 0;
}

int info(int argc, char** argv) {
  const Args a(argc, argv, {"tokenizer"});
  const auto tok = load(need(a, "tokenizer"));
  std::printf("type: %s\nvocab_size: %d\n", tok->type().c_str(), tok->vocab_size());
  if (auto* bpe = dynamic_cast<const BpeTokenizer*>(tok.get())) std::printf("merges: %zu\n", bpe->merges().size());
  std::printf("special tokens:\n");
  for (const auto& [content, id] : tok->special_tokens()) std::printf("  %6d  %s\n", id, content.c_str());
  return 0;
}

}  // namespace

int cmd_tokenizer(int argc, char** argv) {
  const std::string sub = argc > 1 ? argv[1] : "";
  if (sub.empty() || sub == "--help" || sub == "-h" || sub == "help") {
    std::fputs(kUsage, sub.empty() ? stderr : stdout);
    return sub.empty() ? 2 : 0;
  }
  for (int i = 2; i < argc; i++)
    if (std::string(argv[i]) == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
  if (sub == "train") return train(argc - 1, argv + 1);
  if (sub == "encode") return encode(argc - 1, argv + 1);
  if (sub == "decode") return decode(argc - 1, argv + 1);
  if (sub == "info") return info(argc - 1, argv + 1);
  std::fprintf(stderr, "llm tokenizer: unknown command '%s'\n%s", sub.c_str(), kUsage);
  return 2;
}

}  // namespace llm::cli
