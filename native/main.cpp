// llm: the native command-line front end. Every algorithm lives in core/; this file dispatches.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include <sys/mman.h>

#include "core/model/transformer.h"
#include "core/util/large_buffer.h"
#include "native/args.h"
#include "native/commands.h"
#include "native/configs.h"
#include "native/cpu_features.h"

namespace llm::cli {

int cmd_model(int argc, char** argv) {
  Args a(argc, argv, {"config"});
  ModelConfig c = load_model_config(a.str("config", "small"));
  Transformer<float> m(c);
  std::printf("%s\n", m.describe().c_str());
  for (const ParamInfo& p : m.params.infos())
    std::printf("  %-48s %-14s %s\n", p.name.c_str(), p.shape.str().c_str(), p.decay ? "decay" : "");
  return 0;
}

struct Command {
  const char* name;
  int (*fn)(int, char**);
  const char* help;
};

int cmd_export(int argc, char** argv);  // native/llama2c_cmd.cpp
int cmd_import(int argc, char** argv);
int cmd_generate(int argc, char** argv);  // native/generate.cpp
int cmd_chat(int argc, char** argv);      // native/chat.cpp
int cmd_serve(int argc, char** argv);     // native/serve_cmd.cpp

static const Command kCommands[] = {
    {"data", cmd_data, "data generate|import|clean|stats|pack|download (embedded generators, cleaning, packed shards)"},
    {"tokenizer", cmd_tokenizer, "train/encode/decode/info a BPE, WordPiece or Unigram tokenizer (tokenizer.json)"},
    {"pretrain", cmd_pretrain, "pretrain on packed shards (--config tiny|small|gpt2|path.json, --resume); mpirun -np N for data parallel"},
    {"sft", cmd_sft, "supervised fine-tuning on chats: full, LoRA or QLoRA (--config sft|sft_lora|sft_qlora|path.json)"},
    {"rm", cmd_rm, "train a reward model (scalar head, Bradley-Terry) on preference pairs (--config rm)"},
    {"dpo", cmd_dpo, "direct preference optimisation: sigmoid, cDPO or IPO (--config dpo)"},
    {"orpo", cmd_orpo, "odds-ratio preference optimisation, no reference model (--config orpo)"},
    {"ppo", cmd_rl, "PPO with a value head and a reward model or verifiable reward (--config ppo)"},
    {"grpo", cmd_rl, "GRPO / Dr. GRPO / DAPO on verifiable arithmetic rewards (--config grpo)"},
    {"gspo", cmd_rl, "GSPO: sequence-level ratio and clipping (--config gspo)"},
    {"pipeline", cmd_pipeline, "data -> pretrain -> sft -> rm -> dpo -> grpo -> eval in one resumable command (--config short|full)"},
    {"eval", cmd_eval, "evaluate: eval ppl|math|mcq|pref|all --checkpoint DIR (docs/evaluation.md)"},
    {"plot", cmd_plot, "render a run's metrics.jsonl as an SVG chart: plot <run>"},
    {"diff", cmd_diff, "compare two safetensors files: diff A B [--tol T] (exit 1 above tol)"},
    {"train-char",  cmd_train_char, "train a character-level model on a text (default: generated stories) and sample"},
    {"model", cmd_model, "show a model config's parameters and count (--config small|tiny|path.json)"},
    {"bench", cmd_bench, "benchmarks as JSON: gemm | model | train | tokenizer (--config, --threads 1,2)"},
    {"export", cmd_export, "export llama2c --checkpoint DIR --out DIR: model.bin + tokenizer.bin for llama2.c's run.c"},
    {"import", cmd_import, "import llama2c --model model.bin [--tokenizer tokenizer.bin] --out DIR (stories15M etc.)"},
    {"generate", cmd_generate, "one-shot text: generate --checkpoint DIR --prompt \"...\" [--temperature --top-k --top-p --seed --quantize]"},
    {"chat", cmd_chat, "multi-turn chat (ChatML) on stdin: chat --checkpoint DIR [--system \"...\"] [--quantize | --bf16]; /clear, /quit"},
    {"serve", cmd_serve, "OpenAI-compatible HTTP server: serve --checkpoint DIR [--port 8080 --api-key K --quantize | --bf16]"},
};

static void usage() {
  std::printf(
      "llm - a language model from scratch (C++ core, native CLI)\n\n"
      "usage: llm <command> [options]\n\ncommands:\n");
  for (const Command& c : kCommands) std::printf("  %-12s %s\n", c.name, c.help);
  std::printf("\nRun `llm <command> --help` for a command's options.\n");
}

}  // namespace llm::cli

int main(int argc, char** argv) {
  using namespace llm::cli;
  // inference weights in huge pages (core/util/large_buffer.h); a refusal is harmless
  llm::set_large_buffer_advice([](void* p, size_t bytes) {
#ifdef MADV_HUGEPAGE
    (void)::madvise(p, bytes, MADV_HUGEPAGE);
#else
    (void)p, (void)bytes;
#endif
  });
  enable_amx();  // --bf16 linears on AMX tiles where the CPU and the OS allow (core/infer/gemm_bf16.h)
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    usage();
    return argc < 2 ? 1 : 0;
  }
  for (const Command& c : kCommands)
    if (argv[1] == std::string(c.name)) {
      try {
        return c.fn(argc - 1, argv + 1);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "\nllm %s: error: %s\n", c.name, e.what());
        return 1;
      }
    }
  std::fprintf(stderr, "llm: unknown command '%s'\n\n", argv[1]);
  usage();
  return 2;
}
