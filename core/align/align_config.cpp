#include "core/align/align_config.h"

#include <stdexcept>

#include "core/util/strict_json.h"

namespace llm {

void AlignConfig::validate() const {
  auto bad = [](const std::string& m) { throw std::runtime_error("align config: " + m); };
  const std::vector<std::string> stages = {"sft", "rm", "dpo", "orpo", "ppo", "grpo", "gspo"};
  bool known = false;
  for (auto& s : stages) known |= s == stage;
  if (!known) bad("stage must be one of sft, rm, dpo, orpo, ppo, grpo, gspo; got \"" + stage + "\"");
  if (batch_size <= 0 || grad_accum <= 0 || max_steps <= 0 || seq_len <= 0)
    bad("batch_size, grad_accum, max_steps and seq_len must be positive");
  if (n_train <= 0 || n_eval < 0) bad("n_train must be positive and n_eval >= 0");
  if (!(lr > 0) || min_lr < 0 || min_lr > lr) bad("need 0 <= min_lr <= lr and lr > 0");
  if (warmup_steps < 0 || weight_decay < 0 || grad_clip < 0) bad("warmup_steps, weight_decay, grad_clip must be >= 0");
  if (eval_every < 0 || log_every <= 0 || checkpoint_every < 0) bad("eval_every, checkpoint_every >= 0 and log_every > 0");
  if (lora_rank <= 0 || !(lora_alpha > 0) || lora_dropout < 0 || lora_dropout >= 1)
    bad("lora_rank > 0, lora_alpha > 0, 0 <= lora_dropout < 1");
  if (lora && lora_targets.empty()) bad("lora_targets is empty");
  if (nf4_block <= 0 || nf4_block % 2) bad("nf4_block must be a positive even number");
  if (qlora && !lora) bad("qlora trains LoRA adapters on NF4 base weights: set lora to true as well");
  if (!(beta > 0)) bad("beta must be positive");
  if (dpo_loss != "sigmoid" && dpo_loss != "ipo") bad("dpo_loss must be sigmoid or ipo; got \"" + dpo_loss + "\"");
  if (label_smoothing < 0 || label_smoothing >= 0.5) bad("label_smoothing must be in [0, 0.5)");
  if (orpo_lambda < 0) bad("orpo_lambda must be >= 0");
  if (!(rm_lm_coef >= 0)) bad("rm_lm_coef must be >= 0");
  if (reward != "verifiable" && reward != "rm") bad("reward must be verifiable or rm; got \"" + reward + "\"");
  if (prompts_per_step <= 0 || group_size <= 0 || ppo_epochs <= 0) bad("prompts_per_step, group_size, ppo_epochs must be positive");
  if ((stage == "grpo" || stage == "gspo") && group_size < 2) bad("grpo/gspo need group_size >= 2 (advantages are group-normalized)");
  if (!(clip_eps > 0) || clip_eps_high < 0 || kl_coef < 0) bad("clip_eps > 0, clip_eps_high >= 0, kl_coef >= 0");
  if (max_resample_rounds < 0 || max_resample_rounds > 64) bad("max_resample_rounds must be in [0, 64]");
  if (dynamic_sampling && stage == "ppo") bad("dynamic_sampling is for grpo and gspo (group advantages), not ppo");
  if (loss_agg != "grpo" && loss_agg != "dr_grpo" && loss_agg != "dapo")
    bad("loss_agg must be grpo, dr_grpo or dapo; got \"" + loss_agg + "\"");
  if (gamma < 0 || gamma > 1 || lam < 0 || lam > 1) bad("gamma and lam must be in [0, 1]");
  if (vf_coef < 0 || value_clip < 0) bad("vf_coef and value_clip must be >= 0");
  if (temperature < 0 || top_k < 0 || !(top_p > 0) || top_p > 1 || max_new_tokens <= 0)
    bad("temperature >= 0, top_k >= 0, 0 < top_p <= 1, max_new_tokens > 0");
  // ppo / grpo / gspo additions
  if (!(format_reward >= 0) || format_reward > 10) bad("format_reward must be in [0, 10]");
}

AlignConfig AlignConfig::from_json(const std::string& text) {
  json j = parse_json(text, "align config");
  AlignConfig c;
  StrictReader r(j, "align config");
#define LLM_ALIGN_READ(type, name, def) r.get(#name, c.name);
  LLM_ALIGN_FIELDS(LLM_ALIGN_READ)
#undef LLM_ALIGN_READ
  r.finish();
  c.validate();
  return c;
}

std::string AlignConfig::to_json() const {
  json j = json::object();
#define LLM_ALIGN_WRITE(type, name, def) j[#name] = name;
  LLM_ALIGN_FIELDS(LLM_ALIGN_WRITE)
#undef LLM_ALIGN_WRITE
  return j.dump(2);
}

}  // namespace llm
