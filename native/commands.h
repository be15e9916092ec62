// Subcommands of the `llm` CLI. Each takes the arguments after its own name
// (argv[0] is the subcommand name) and returns the process exit code.
#pragma once

namespace llm::cli {
int cmd_bench(int argc, char** argv);            // llm bench [gemm|model|tokenizer|...]
int cmd_bench_tokenizer(int argc, char** argv);  // llm bench tokenizer
int cmd_tokenizer(int argc, char** argv);        // llm tokenizer train|encode|decode|...
int cmd_data(int argc, char** argv);             // llm data generate|download|clean|stats|pack|...
}  // namespace llm::cli

namespace llm::cli {
int cmd_train_char(int argc, char** argv);  // llm train-char
int cmd_model(int argc, char** argv);       // llm model --config
double peak_rss_mb();
}  // namespace llm::cli

namespace llm::cli {
int cmd_pretrain(int argc, char** argv);  // llm pretrain --config
int cmd_eval(int argc, char** argv);      // llm eval ppl
int cmd_plot(int argc, char** argv);      // llm plot <run>
int cmd_diff(int argc, char** argv);      // llm diff a.safetensors b.safetensors
}  // namespace llm::cli

namespace llm::cli {
int cmd_sft(int argc, char** argv);   // llm sft --config configs/align/sft.json (full, LoRA, QLoRA)
int cmd_rm(int argc, char** argv);    // llm rm --config configs/align/rm.json (reward model)
int cmd_dpo(int argc, char** argv);   // llm dpo --config configs/align/dpo.json
int cmd_orpo(int argc, char** argv);  // llm orpo --config configs/align/orpo.json
}  // namespace llm::cli

namespace llm::cli {
int cmd_rl(int argc, char** argv);  // llm ppo|grpo|gspo --config configs/align/<stage>.json (argv[0] = stage)
}  // namespace llm::cli

namespace llm::cli {
int cmd_pipeline(int argc, char** argv);  // llm pipeline --config short|full (native/pipeline_cmd.cpp)
}  // namespace llm::cli
