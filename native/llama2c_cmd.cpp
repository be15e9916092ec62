// `llm export llama2c` and `llm import llama2c`: the files around core/model/llama2c.h.
//
//   llm export llama2c --checkpoint DIR --out DIR [--keep-ids] [--version 0|1]
//                      [--verify path/to/run [--prompt TEXT] [--steps N] [--threads N]]
//   llm export llama2c --config small --seed 1 --out DIR      (a random-init model, for benchmarks)
//   llm import llama2c --model model.bin [--tokenizer tokenizer.bin] --out DIR
#include <cstdio>
#include <stdexcept>

#include "core/infer/infer_model.h"
#include "core/model/checkpoint.h"
#include "core/model/llama2c.h"
#include "core/tokenizer/bpe.h"
#include "native/args.h"
#include "native/checkpoint_dir.h"
#include "native/configs.h"
#include "native/fs.h"
#include "native/llama2c_run.h"
#include "native/threads.h"

namespace llm::cli {

namespace {

void check_format(int argc, char** argv, const char* cmd) {
  const std::string f = argc > 1 ? argv[1] : "";
  if (f != "llama2c")
    throw std::runtime_error(std::string("usage: llm ") + cmd + " llama2c ... (the only format so far is llama2c" +
                             (f.empty() ? ")" : "; got '" + f + "')"));
}

void print_notes(const std::vector<std::string>& notes) {
  for (const std::string& n : notes) std::printf("  note: %s\n", n.c_str());
}

}  // namespace

int cmd_export(int argc, char** argv) {
  check_format(argc, argv, "export");
  Args a(argc - 1, argv + 1,
         {"checkpoint", "config", "seed", "tokenizer", "out", "version", "verify", "prompt", "steps", "threads"},
         {"keep-ids"});
  const std::string out = a.str("out");
  if (out.empty()) throw std::runtime_error("--out DIR is required");
  if (a.has("checkpoint") == a.has("config"))
    throw std::runtime_error("give either --checkpoint DIR (a trained model) or --config NAME (random init)");

  // ---- the model and its tokenizer ----
  Transformer<float> m = a.has("checkpoint") ? load_model_dir(a.str("checkpoint"))
                                             : Transformer<float>(load_model_config(a.str("config")));
  if (a.has("config")) m.init(uint64_t(a.integer("seed", 1)));
  const std::vector<std::string> bad = llama2c::unsupported_switches(m.cfg);
  if (!bad.empty()) {
    std::string msg = "run.c can only run Llama-style models (rmsnorm, rope, swiglu, no bias); this model has:";
    for (const std::string& b : bad) msg += "\n  " + b;
    throw std::runtime_error(msg);
  }
  std::string tok_path = a.str("tokenizer");
  if (tok_path.empty() && a.has("checkpoint")) {
    const std::string beside = resolve_checkpoint(a.str("checkpoint")) + "/tokenizer.json";
    if (fs::exists(beside)) tok_path = beside;
  }
  llama2c::ExportedVocab ev;
  if (!tok_path.empty()) {
    std::unique_ptr<Tokenizer> t = load_tokenizer_json(fs::read_file(tok_path));
    const BpeTokenizer* bpe = dynamic_cast<const BpeTokenizer*>(t.get());
    if (!bpe)
      throw std::runtime_error(tok_path + ": a " + t->type() +
                               " tokenizer; only byte-level BPE tokenizers can be written as tokenizer.bin");
    ev = llama2c::export_vocab(*bpe, m.cfg.vocab_size, a.flag("keep-ids"));
  } else {
    ev.vocab = placeholder_vocab(m.cfg.vocab_size);
    for (int i = 0; i < m.cfg.vocab_size; i++) ev.order.push_back(i);
    ev.notes.push_back("no tokenizer: tokenizer.bin holds placeholder pieces (bytes at 3..258, \"[id]\" above)");
  }
  const int version = int(a.integer("version", 0));
  write_llama2c_dir(out, m, ev.vocab, ev.order, version);
  std::printf("wrote %s/model.bin (llama2.c v%d, %s) and %s/tokenizer.bin (%d tokens)\n", out.c_str(), version,
              m.cfg.summary().c_str(), out.c_str(), int(ev.vocab.pieces.size()));
  print_notes(ev.notes);
  if (version == 0)
    std::printf("run it: ./run %s/model.bin -z %s/tokenizer.bin -t 0 -n 256 -i \"Once upon a time\"\n", out.c_str(),
                out.c_str());

  // ---- run.c and our decoder side by side ----
  if (!a.has("verify")) return 0;
  if (version != 0) throw std::runtime_error("--verify needs --version 0 (run.c reads only the legacy format)");
  const int steps = int(a.integer("steps", 64)), threads = int(a.integer("threads", 0));
  const std::string prompt = a.str("prompt");
  if (threads > 0) set_threads(threads);
  InferModel im(m);
  int generated = 0;
  const std::string ours = greedy_as_runc(im, ev.vocab, ev.order, prompt, steps, &generated);
  const RunCOutput theirs = run_llama2c(a.str("verify"), out, prompt, steps, threads);
  std::printf("--- run.c (temperature 0, %d steps) ---\n%s--- ours (greedy, %d new tokens) ---\n%s", steps,
              theirs.text.c_str(), generated, ours.c_str());
  if (theirs.text != ours) {
    size_t i = 0;
    while (i < ours.size() && i < theirs.text.size() && ours[i] == theirs.text[i]) i++;
    std::printf("MISMATCH: the outputs differ from byte %zu on\n", i);
    return 1;
  }
  std::printf("identical greedy continuation under run.c and here\n");
  return 0;
}

int cmd_import(int argc, char** argv) {
  check_format(argc, argv, "import");
  Args a(argc - 1, argv + 1, {"model", "tokenizer", "out"});
  const std::string model_path = a.str("model"), out = a.str("out");
  if (model_path.empty() || out.empty()) throw std::runtime_error("--model model.bin and --out DIR are required");
  llama2c::Header h;
  Transformer<float> m = [&] {
    const std::string bytes = fs::read_file(model_path);
    return llama2c::read_model(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), model_path, &h);
  }();
  std::string tok_json;
  std::vector<std::string> notes;
  if (a.has("tokenizer")) {
    const std::string tb = fs::read_file(a.str("tokenizer"));
    const llama2c::Vocab v = llama2c::read_tokenizer(reinterpret_cast<const uint8_t*>(tb.data()), tb.size(),
                                                     h.vocab_size, a.str("tokenizer"));
    tok_json = llama2c::vocab_to_tokenizer_json(v, &notes);
    BpeTokenizer::from_hf_json(tok_json);  // it must load before we write it
  }
  fs::make_dirs(out);
  fs::write_file_atomic(out + "/model.safetensors", save_weights(m));
  fs::write_file_atomic(out + "/config.json", hf_config_json(m.cfg));
  if (!tok_json.empty()) fs::write_file_atomic(out + "/tokenizer.json", tok_json);
  std::printf("imported %s (llama2.c v%d): %s\nwrote %s/model.safetensors, %s/config.json%s\n", model_path.c_str(),
              h.version, m.describe().c_str(), out.c_str(), out.c_str(),
              tok_json.empty() ? " (no --tokenizer: generate/chat need a tokenizer.json beside them)"
                               : (", " + out + "/tokenizer.json").c_str());
  print_notes(notes);
  if (!tok_json.empty())
    std::printf("  note: llama2.c models start every text with BOS <s> (id 1); SentencePiece also puts a space "
                "before the first word\n");
  return 0;
}

}  // namespace llm::cli
