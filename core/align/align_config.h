// AlignConfig: one strict JSON config for every post-training stage (sft, rm, dpo, orpo, ppo,
// grpo, gspo). Unknown keys are errors naming the key; the resolved config is printed at start and
// saved inside every checkpoint. Fields a stage does not use are ignored by it (each stage's docs page
// lists the keys it reads); they stay in one struct so a pipeline can pass one file through all stages.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace llm {

// X-macro list: (type, name, default). One list drives the struct, from_json and to_json.
#define LLM_ALIGN_FIELDS(X)                                                                         \
  /* what and where */                                                                                \
  X(std::string, stage, "sft")          /* sft | rm | dpo | orpo | ppo | grpo | gspo */              \
  X(std::string, base, "")              /* checkpoint dir of the starting policy / model */          \
  X(std::string, ref, "")               /* reference model dir (dpo/ppo/grpo/gspo); "" = base */      \
  X(std::string, reward_model, "")      /* rm checkpoint dir when reward == "rm" */                  \
  X(std::string, data, "generated")     /* "generated" or a JSONL path (datasets/README.md) */       \
  X(std::string, out_dir, "runs/align") /* run folder */                                             \
  X(int, n_train, 2000)                 /* generated examples for training */                        \
  X(int, n_eval, 200)                   /* generated held-out examples */                            \
  /* optimisation (AdamW, warmup + cosine, clipping: core/train) */                                  \
  X(int, batch_size, 8)                                                                               \
  X(int, grad_accum, 1)                                                                               \
  X(int, max_steps, 200)                                                                              \
  X(int, seq_len, 256)                                                                                \
  X(double, lr, 1e-4)                                                                                 \
  X(double, min_lr, 1e-5)                                                                             \
  X(int, warmup_steps, 10)                                                                            \
  X(double, weight_decay, 0.0)                                                                        \
  X(double, grad_clip, 1.0)                                                                           \
  X(int, eval_every, 50)                                                                              \
  X(int, log_every, 10)                                                                               \
  X(int, checkpoint_every, 0)                                                                         \
  X(uint64_t, seed, 1)                                                                                \
  X(bool, packing, true)                /* sft: pack short examples, no attention across them */     \
  /* LoRA / QLoRA */                                                                                  \
  X(bool, lora, false)                                                                                \
  X(int, lora_rank, 8)                                                                                \
  X(double, lora_alpha, 16.0)                                                                         \
  X(double, lora_dropout, 0.0)                                                                        \
  X(std::vector<std::string>, lora_targets, std::vector<std::string>({"q_proj", "v_proj"}))           \
  X(bool, qlora, false)                 /* NF4 base weights (block scales) + LoRA */                 \
  X(int, nf4_block, 64)                                                                               \
  /* preference (dpo / orpo) */                                                                       \
  X(double, beta, 0.1)                  /* dpo temperature */                                        \
  X(std::string, dpo_loss, "sigmoid")   /* sigmoid | ipo */                                          \
  X(double, label_smoothing, 0.0)       /* conservative dpo */                                       \
  X(double, orpo_lambda, 0.1)           /* weight of the odds-ratio term */                          \
  X(double, rm_lm_coef, 0.0)            /* rm: weight of the chosen replies' NLL (reward.h) */       \
  /* RL (ppo / grpo / gspo) */                                                                        \
  X(std::string, reward, "verifiable")  /* verifiable | rm */                                        \
  X(int, prompts_per_step, 8)                                                                         \
  X(int, group_size, 4)                 /* grpo/gspo samples per prompt (ppo: samples per prompt) */ \
  X(int, ppo_epochs, 2)                 /* optimisation epochs over each rollout batch */            \
  X(double, clip_eps, 0.2)              /* ppo/grpo ratio clip (gspo: use ~3e-4) */                  \
  X(double, clip_eps_high, 0.0)         /* dapo "clip higher"; 0 = clip_eps */                       \
  X(double, kl_coef, 0.04)              /* grpo k3 KL / ppo per-token KL penalty */                  \
  X(std::string, loss_agg, "grpo")      /* grpo | dr_grpo | dapo */                                  \
  X(double, gamma, 1.0)                 /* ppo GAE */                                                \
  X(double, lam, 0.95)                                                                                \
  X(double, vf_coef, 0.1)                                                                             \
  X(double, value_clip, 0.2)                                                                          \
  X(bool, whiten_advantages, true)                                                                    \
  /* rollout sampling */                                                                              \
  X(double, temperature, 1.0)                                                                         \
  X(int, top_k, 0)                                                                                    \
  X(double, top_p, 1.0)                                                                               \
  X(int, max_new_tokens, 24)                                                                          \
  /* ---- added by the sft/rm/dpo/orpo stages (core/align/{sft,lora,nf4,reward,preference}) ---- */ \
  X(bool, nf4_double_quant, true)       /* qlora: absmax stored as 8-bit log codes (docs/lora.md) */ \
  X(bool, eval_base, true)              /* sft: also evaluate the starting model ("before" numbers) */ \
  /* ---- added by the ppo/grpo/gspo stages (core/align/{rl,rollout,ppo,grpo,gspo}) ---- */          \
  X(double, format_reward, 0.0)         /* verifiable reward: + this when the answer format is ok */ \
  X(std::string, rl_tasks, "")          /* rl prompts: task-name prefixes, comma-separated; "" = all */ \
  X(bool, dynamic_sampling, false)      /* grpo/gspo (DAPO): drop groups whose rewards are all equal  */ \
  X(int, max_resample_rounds, 3)        /*   and roll out more prompts, up to this many extra rounds  */

struct AlignConfig {
#define LLM_ALIGN_DECLARE(type, name, def) type name = def;
  LLM_ALIGN_FIELDS(LLM_ALIGN_DECLARE)
#undef LLM_ALIGN_DECLARE

  void validate() const;                                 // throws naming the bad key
  static AlignConfig from_json(const std::string& text);  // strict: unknown key = error
  std::string to_json() const;
};

}  // namespace llm
