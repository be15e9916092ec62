#include "core/align/rollout.h"

#include <algorithm>
#include <stdexcept>

#include "core/align/align_config.h"
#include "core/data/gen_common.h"
#include "core/data/gen_rl.h"
#include "core/infer/chat_template.h"
#include "core/util/ignore_index.h"

namespace llm {

RolloutOptions RolloutOptions::from(const AlignConfig& c, uint64_t step_seed) {
  RolloutOptions o;
  o.group_size = c.group_size;
  o.temperature = float(c.temperature);
  o.top_k = c.top_k;
  o.top_p = float(c.top_p);
  o.max_new_tokens = c.max_new_tokens;
  o.seed = step_seed;
  return o;
}

std::vector<int32_t> rl_prompt_ids(const Tokenizer& tok, const std::string& prompt) {
  return encode_chat(tok, {{"user", prompt}}, /*add_generation_prompt=*/true).ids;
}

namespace {

struct Generated {
  std::vector<int32_t> tokens;
  bool finished = false;  // stop id sampled
  bool done = false;
};

// Runs one request per prompt (n samples each) to completion in a freshly sized engine.
// out[i][k] = sample k of prompt i.
std::vector<std::vector<Generated>> run_engine(std::shared_ptr<const InferModel> model,
                                               const std::vector<std::vector<int32_t>>& prompts, int n,
                                               const SamplingParams& base, uint64_t seed, int block_size) {
  const int ctx = model->cfg().max_seq_len;
  EngineConfig ec;
  ec.block_size = block_size;
  ec.max_num_seqs = int(prompts.size()) * n;
  int64_t blocks = 0, longest = 0;
  for (const auto& p : prompts) {
    const int64_t len = int64_t(p.size()) + base.max_tokens;
    blocks += n * ((len + block_size - 1) / block_size);  // no sharing assumed: never preempts
    longest = std::max<int64_t>(longest, int64_t(p.size()));
  }
  ec.num_blocks = int(blocks + 1);
  ec.max_batched_tokens = int(std::max<int64_t>(512, longest));
  Engine eng(model, ec);
  std::map<int64_t, size_t> which;  // request id -> prompt index
  for (size_t i = 0; i < prompts.size(); i++) {
    if (int(prompts[i].size()) >= ctx)
      throw std::runtime_error("rollout: prompt " + std::to_string(i) + " has " + std::to_string(prompts[i].size()) +
                               " tokens, the context is " + std::to_string(ctx));
    SamplingParams sp = base;
    sp.max_tokens = std::min(base.max_tokens, ctx - int(prompts[i].size()));
    sp.seed = seed_mix(seed ^ seed_mix(i + 1));
    which[eng.add_request(prompts[i], sp, n)] = i;
  }
  std::vector<std::vector<Generated>> out(prompts.size(), std::vector<Generated>(size_t(n)));
  while (eng.has_work())
    for (const GenerationEvent& e : eng.step()) {
      Generated& g = out[which.at(e.request_id)][size_t(e.index)];
      if (e.token >= 0) g.tokens.push_back(e.token);
      if (e.finished) {
        g.done = true;
        g.finished = e.finish_reason == "stop";
      }
    }
  for (size_t i = 0; i < out.size(); i++)
    for (size_t k = 0; k < out[i].size(); k++)
      if (!out[i][k].done) throw std::logic_error("rollout: engine ended without finishing prompt " + std::to_string(i));
  return out;
}

// The completion's text without its stop id. A model whose vocab is padded beyond the
// tokenizer's (vocab_size 4096, tokenizer 2366) can sample an id the tokenizer has no text for:
// it decodes to nothing (and stays in the completion ids, so the update can push it down).
std::string decode_completion(const Tokenizer& tok, const std::vector<int32_t>& ids, bool finished) {
  std::vector<int32_t> text_ids;
  const size_t n = ids.size() - (finished && !ids.empty() ? 1 : 0);
  for (size_t i = 0; i < n; i++)
    if (ids[i] >= 0 && ids[i] < tok.vocab_size()) text_ids.push_back(ids[i]);
  return tok.decode(text_ids);
}

}  // namespace

std::vector<RlSample> generate_rollouts(std::shared_ptr<const InferModel> model, const Tokenizer& tok,
                                        const std::vector<std::string>& prompts, const RolloutOptions& o) {
  if (o.group_size < 1) throw std::runtime_error("rollout: group_size must be >= 1");
  const ChatSpecials sp_ids = chat_specials(tok);
  std::vector<std::vector<int32_t>> ids;
  for (const std::string& p : prompts) ids.push_back(rl_prompt_ids(tok, p));
  SamplingParams sp;
  sp.temperature = o.temperature;
  sp.top_k = o.top_k;
  sp.top_p = o.top_p;
  sp.max_tokens = o.max_new_tokens;
  sp.stop_token_ids = sp_ids.stop_ids();
  auto gen = run_engine(model, ids, o.group_size, sp, o.seed, o.block_size);
  std::vector<RlSample> out;
  out.reserve(prompts.size() * size_t(o.group_size));
  for (size_t i = 0; i < prompts.size(); i++)
    for (Generated& g : gen[i]) {
      RlSample s;
      s.group = int(i);
      s.prompt = ids[i];
      s.finished = g.finished;
      s.prompt_text = prompts[i];
      s.text = decode_completion(tok, g.tokens, g.finished);
      s.completion = std::move(g.tokens);
      if (s.completion.empty()) throw std::logic_error("rollout: empty completion for prompt " + std::to_string(i));
      out.push_back(std::move(s));
    }
  return out;
}

TensorT<float> rl_token_logprobs(Graph<float>& g, Transformer<float>& model, const RlBatch& b, float temperature,
                                 TensorT<float>* hidden) {
  TensorT<float> h = model.forward_hidden(g, b.tokens.data(), b.B, b.T);  // (B*T, C)
  TensorT<float> logits = model.head(g, h);                                // (B*T, V)
  if (temperature > 0 && temperature != 1.0f) logits = scale(g, logits, 1.0f / temperature);
  if (hidden) *hidden = h;
  return token_logprobs(g, logits, b.targets.data());  // (B*T)
}

SampleScores score_samples(Transformer<float>& model, ValueHead<float>* head, const std::vector<const RlSample*>& batch,
                           int32_t pad_id, float temperature) {
  const RlBatch b = pack_rl_batch(batch, pad_id);
  Graph<float> g;
  g.grad_enabled = false;
  TensorT<float> h;
  TensorT<float> lp = rl_token_logprobs(g, model, b, temperature, &h);  // (B*T)
  SampleScores s;
  for (int i = 0; i < b.B; i++) s.logp.push_back(rows_of_sample(b, i, lp.data));
  if (head) {
    TensorT<float> v = head->forward(g, h);  // (B*T)
    for (int i = 0; i < b.B; i++) s.values.push_back(rows_of_sample(b, i, v.data));
  }
  return s;
}

RlEvalResult evaluate_greedy(std::shared_ptr<const InferModel> model, const Tokenizer& tok,
                             const std::vector<RlPrompt>& prompts, int max_new_tokens, int keep_examples) {
  RlEvalResult r;
  if (prompts.empty()) return r;
  std::vector<std::vector<int32_t>> ids;
  for (const RlPrompt& p : prompts) ids.push_back(rl_prompt_ids(tok, p.prompt));
  SamplingParams sp;
  sp.temperature = 0.f;
  sp.max_tokens = max_new_tokens;
  sp.stop_token_ids = chat_specials(tok).stop_ids();
  auto gen = run_engine(model, ids, 1, sp, 0, 16);
  for (size_t i = 0; i < prompts.size(); i++) {
    const std::string text = decode_completion(tok, gen[i][0].tokens, gen[i][0].finished);
    const bool ok = rl_reward(text, prompts[i].answer) > 0.5f;
    r.n++;
    r.correct += ok;
    auto& t = r.by_task[prompts[i].task];
    t.first += ok;
    t.second++;
    if (int(r.examples.size()) < keep_examples) r.examples.push_back({prompts[i].prompt, text});
  }
  return r;
}

}  // namespace llm
