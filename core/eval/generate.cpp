#include "core/eval/generate.h"

#include <algorithm>
#include <stdexcept>
#include <unordered_map>

#include "core/infer/engine.h"

namespace llm {

std::vector<std::vector<int32_t>> greedy_generate(std::shared_ptr<const InferModel> model,
                                                  const std::vector<std::vector<int32_t>>& prompts,
                                                  const GreedyOptions& opt) {
  const int ctx = model->cfg().max_seq_len;
  EngineConfig ec;
  ec.block_size = 16;
  ec.max_num_seqs = std::max(1, opt.max_num_seqs);
  // room for every running sequence at full context: no preemption (recompute) ever needed
  ec.num_blocks = ec.max_num_seqs * ((ctx + ec.block_size - 1) / ec.block_size) + 1;
  ec.max_batched_tokens = std::max(512, ctx);
  ec.prefix_sharing = true;  // few-shot / system prompts share their blocks
  Engine engine(model, ec);

  std::vector<std::vector<int32_t>> out(prompts.size());
  std::unordered_map<int64_t, size_t> which;  // request id -> prompt index
  for (size_t i = 0; i < prompts.size(); i++) {
    if (prompts[i].empty()) throw std::runtime_error("greedy_generate: prompt " + std::to_string(i) + " is empty");
    std::vector<int32_t> p = prompts[i];
    if (int(p.size()) > ctx - 1) p.erase(p.begin(), p.end() - (ctx - 1));
    SamplingParams sp;
    sp.temperature = 0.f;  // greedy
    sp.max_tokens = std::max(0, std::min(opt.max_new_tokens, ctx - int(p.size())));
    sp.stop_token_ids = opt.stop_ids;
    which[engine.add_request(p, sp, 1)] = i;
  }
  while (engine.has_work())
    for (const GenerationEvent& ev : engine.step()) {
      if (ev.token < 0) continue;
      if (std::find(opt.stop_ids.begin(), opt.stop_ids.end(), ev.token) != opt.stop_ids.end()) continue;
      out[which.at(ev.request_id)].push_back(ev.token);
    }
  return out;
}

GenerateFn greedy_generator(std::shared_ptr<const InferModel> model, GreedyOptions opt) {
  return [model, opt](const std::vector<std::vector<int32_t>>& prompts) { return greedy_generate(model, prompts, opt); };
}

}  // namespace llm
