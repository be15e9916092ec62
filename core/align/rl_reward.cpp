#include "core/align/rl_reward.h"

#include <stdexcept>
#include <string_view>
#include <unordered_map>

#include "core/data/gen_rl.h"
#include "core/infer/chat_template.h"

namespace llm {

bool answer_format_ok(const std::string& c) {
  size_t i = c.size();
  while (i > 0 && std::string_view(".!?\"' \n\t").find(c[i - 1]) != std::string_view::npos) i--;
  return i > 0 && c[i - 1] >= '0' && c[i - 1] <= '9';
}

RewardFn verifiable_reward(const std::vector<RlPrompt>& prompts, double format_bonus) {
  auto answers = std::make_shared<std::unordered_map<std::string, std::string>>();
  for (const RlPrompt& p : prompts) (*answers)[p.prompt] = p.answer;
  return [answers, format_bonus](const std::string& prompt, const std::string& completion) {
    auto it = answers->find(prompt);
    if (it == answers->end()) throw std::runtime_error("verifiable reward: no answer known for prompt \"" + prompt + "\"");
    float r = rl_reward(completion, it->second);
    if (format_bonus != 0 && answer_format_ok(completion)) r += float(format_bonus);
    return r;
  };
}

RewardFn reward_model_reward(std::shared_ptr<Transformer<float>> model, std::shared_ptr<RewardHead<float>> head,
                             const Tokenizer& tok) {
  if (!model || !head) throw std::runtime_error("reward_model_reward: no model or head");
  return [model, head, &tok](const std::string& prompt, const std::string& completion) {
    EncodedChat c = encode_chat(tok, {{"user", prompt}, {"assistant", completion}}, false);
    std::vector<int32_t> ids(c.ids.begin(), c.ids.begin() + long(c.assistant_tokens.back().end));  // ends with <|im_end|>
    const size_t ctx = size_t(model->cfg.max_seq_len);
    if (ids.size() > ctx) ids.erase(ids.begin(), ids.end() - long(ctx));
    Graph<float> g;
    g.grad_enabled = false;
    TensorT<float> s = reward_scores(g, *model, *head, ids.data(), 1, int(ids.size()), {int32_t(ids.size()) - 1});
    return s.data[0];
  };
}

}  // namespace llm
