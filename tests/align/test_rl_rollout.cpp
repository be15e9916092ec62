// Rollouts through the paged engine, the pluggable rewards, and the RL step machine end to end on
// a tiny random model: old/new log-probs agree exactly at the first update, and a few GRPO / GSPO /
// PPO steps raise a simple reward.
#include <gtest/gtest.h>

#include <set>

#include <cmath>
#include <cstdio>

#include "core/align/rl_reward.h"
#include "core/align/rl_trainer.h"
#include "core/data/gen_rl.h"
#include "core/infer/chat_template.h"
#include "core/tokenizer/bpe.h"

using namespace llm;

namespace {

const BpeTokenizer& tok() {
  static const BpeTokenizer t = [] {
    BpeTrainOptions opt;
    opt.vocab_size = 300;
    std::string text;
    for (int i = 0; i < 20; i++) text += "user: what is 3 + 4? assistant: 3 + 4 = 7. The cat sat on the mat.\n";
    return BpeTokenizer::train(text, opt);
  }();
  return t;
}

Transformer<float> tiny_model(uint64_t seed) {
  ModelConfig c;
  c.dim = 32;
  c.n_layers = 2;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.vocab_size = tok().vocab_size();
  c.max_seq_len = 64;
  c.init_std = 0.1;
  Transformer<float> m(c);
  m.init(seed);
  return m;
}

}  // namespace

TEST(Rollout, GroupsOfSamplesFromTheEngine) {
  Transformer<float> m = tiny_model(1);
  auto im = std::make_shared<InferModel>(m);
  RolloutOptions o;
  o.group_size = 3;
  o.max_new_tokens = 6;
  o.seed = 5;
  const std::vector<std::string> prompts = {"what is 3 + 4?", "the cat"};
  std::vector<RlSample> s = generate_rollouts(im, tok(), prompts, o);
  ASSERT_EQ(s.size(), 6u);
  const ChatSpecials sp = chat_specials(tok());
  int distinct = 0;
  for (size_t i = 0; i < s.size(); i++) {
    EXPECT_EQ(s[i].group, int(i / 3));
    EXPECT_EQ(s[i].prompt_text, prompts[i / 3]);
    EXPECT_EQ(s[i].prompt, rl_prompt_ids(tok(), prompts[i / 3]));
    ASSERT_FALSE(s[i].completion.empty());
    EXPECT_LE(int(s[i].completion.size()), o.max_new_tokens);
    const int32_t last = s[i].completion.back();
    EXPECT_EQ(s[i].finished, last == sp.im_end || last == sp.endoftext);
    if (!s[i].finished) EXPECT_EQ(int(s[i].completion.size()), o.max_new_tokens);
    std::vector<int32_t> body(s[i].completion.begin(), s[i].completion.end() - (s[i].finished ? 1 : 0));
    EXPECT_EQ(s[i].text, tok().decode(body));
    if (i % 3 && s[i].completion != s[i - 1].completion) distinct++;
  }
  EXPECT_GT(distinct, 0);  // samples of one prompt differ (seeded per sample)
  // the same seed gives the same rollouts
  std::vector<RlSample> again = generate_rollouts(im, tok(), prompts, o);
  for (size_t i = 0; i < s.size(); i++) EXPECT_EQ(again[i].completion, s[i].completion);
  // greedy rollouts equal a plain greedy decode of the same model
  o.temperature = 0;
  o.group_size = 2;
  std::vector<RlSample> g = generate_rollouts(im, tok(), {prompts[0]}, o);
  KVCache cache(m.cfg);
  std::vector<int32_t> ref = greedy_decode(*im, cache, rl_prompt_ids(tok(), prompts[0]), o.max_new_tokens);
  for (const RlSample& x : g)
    for (size_t t = 0; t < x.completion.size(); t++) EXPECT_EQ(x.completion[t], ref[t]);
}

TEST(Rewards, VerifiableAndFormat) {
  EXPECT_TRUE(answer_format_ok("3 + 4 = 7."));
  EXPECT_TRUE(answer_format_ok("The answer is 12"));
  EXPECT_FALSE(answer_format_ok("7 apples and"));
  EXPECT_FALSE(answer_format_ok(""));
  std::vector<RlPrompt> ps = {{"What is 3 + 4?", "7", "arithmetic.add"}, {"What is 5 - 5?", "0", "arithmetic.sub"}};
  RewardFn r = verifiable_reward(ps);
  EXPECT_EQ(r("What is 3 + 4?", "3 + 4 = 7."), 1.f);
  EXPECT_EQ(r("What is 3 + 4?", "It is 7 or 8."), 0.f);  // the LAST integer counts
  EXPECT_EQ(r("What is 5 - 5?", "5 - 5 = 0"), 1.f);
  EXPECT_THROW(r("What is 1 + 1?", "2"), std::runtime_error);
  RewardFn rf = verifiable_reward(ps, 0.25);
  EXPECT_FLOAT_EQ(rf("What is 3 + 4?", "3 + 4 = 7."), 1.25f);
  EXPECT_FLOAT_EQ(rf("What is 3 + 4?", "3 + 4 = 8."), 0.25f);
  EXPECT_FLOAT_EQ(rf("What is 3 + 4?", "7 is it"), 1.0f);
}

namespace {

// reward: share of the completion's characters that are the letter 'a' (dense, easy to raise)
float share_of_a(const std::string&, const std::string& c) {
  if (c.empty()) return 0.f;
  int n = 0;
  for (char ch : c) n += ch == 'a';
  return float(n) / float(c.size());
}

AlignConfig rl_cfg(const std::string& stage) {
  AlignConfig c;
  c.stage = stage;
  c.group_size = 4;
  c.batch_size = 8;
  c.ppo_epochs = 2;
  c.max_new_tokens = 8;
  c.lr = 1e-2;
  c.min_lr = 1e-2;
  c.warmup_steps = 0;
  c.max_steps = 100;
  c.kl_coef = 0.0;
  if (stage == "gspo") c.clip_eps = 3e-4, c.clip_eps_high = 4e-4;
  return c;
}

double train_and_measure(const std::string& stage, int steps, double* first_dev, double* start, double* end) {
  Transformer<float> m = tiny_model(2);
  RlTrainer tr(rl_cfg(stage), m, m, tok(), share_of_a);
  const std::vector<RlPrompt> prompts = {{"the cat", "0", "t"}, {"what is", "0", "t"}, {"3 + 4", "0", "t"}, {"sat on", "0", "t"}};
  double a = 0, b = 0;
  for (int i = 0; i < steps; i++) {
    RlStepStats st = tr.step(prompts);
    if (i == 0) *first_dev = st.first_ratio_max_dev;
    if (i < 3) a += st.reward_mean / 3;
    if (i >= steps - 3) b += st.reward_mean / 3;
  }
  *start = a, *end = b;
  return b - a;
}

}  // namespace

TEST(RlTrainer, OldAndNewLogProbsAgreeExactlyAtTheFirstUpdate) {
  for (const char* stage : {"grpo", "ppo", "gspo"}) {
    Transformer<float> m = tiny_model(3);
    AlignConfig c = rl_cfg(stage);
    c.batch_size = 5;  // uneven minibatches (16 samples = 5 + 5 + 5 + 1)
    if (std::string(stage) == "gspo") c.temperature = 0.7;  // log-probs of the tempered policy
    RlTrainer tr(c, m, m, tok(), share_of_a);
    RlStepStats st = tr.step({{"the cat", "0", "t"}, {"what is", "0", "t"}, {"3 + 4", "0", "t"}, {"sat", "0", "t"}});
    EXPECT_EQ(st.first_ratio_max_dev, 0.0) << stage;
    EXPECT_EQ(st.updates, 2 * 4);
    EXPECT_GT(st.gen_tokens, 0);
    EXPECT_NEAR(st.kl_seq, 0.0, 1e-5) << stage;  // policy == reference before any update
    for (const RlSample& s : tr.last_samples()) {
      EXPECT_EQ(s.old_logp.size(), s.completion.size());
      EXPECT_EQ(s.ref_logp, s.old_logp);
      EXPECT_FLOAT_EQ(s.score, share_of_a("", s.text));
    }
  }
}

TEST(Rollout, TemperatureScalesTheLogits) {
  Transformer<float> m = tiny_model(5);
  RlSample s;
  s.prompt = rl_prompt_ids(tok(), "the cat");
  s.completion = {5, 9, 11};
  const RlBatch b = pack_rl_batch({&s});
  Graph<float> g;
  g.grad_enabled = false;
  TensorT<float> lp = rl_token_logprobs(g, m, b, 0.5f);
  TensorT<float> logits = m.forward(g, b.tokens.data(), b.B, b.T);  // (T, V)
  const int V = m.cfg.vocab_size;
  for (int j = 0; j < 3; j++) {
    const float* row = logits.data + size_t(b.first_row[0] + j) * V;
    double mx = -1e30, z = 0;
    for (int v = 0; v < V; v++) mx = std::max(mx, double(row[v]) / 0.5);
    for (int v = 0; v < V; v++) z += std::exp(double(row[v]) / 0.5 - mx);
    EXPECT_NEAR(lp.data[b.first_row[0] + j], double(row[s.completion[j]]) / 0.5 - mx - std::log(z), 1e-4);
  }
}

TEST(RlTrainer, GrpoGspoAndPpoRaiseASimpleReward) {
  for (const char* stage : {"grpo", "gspo", "ppo"}) {
    double dev, start, end;
    train_and_measure(stage, 12, &dev, &start, &end);
    std::printf("%s: reward %.3f -> %.3f\n", stage, start, end);
    EXPECT_GT(end, start + 0.05) << stage << ": reward " << start << " -> " << end;
  }
}

TEST(Rewards, RewardModelScoresTheChatTemplatedReply) {
  auto m = std::make_shared<Transformer<float>>(tiny_model(4));
  auto head = std::make_shared<RewardHead<float>>(m->cfg.dim);
  head->init(3, 0.5);
  RewardFn r = reward_model_reward(m, head, tok());
  // the same score by hand: prompt and reply in the template, read at the reply's <|im_end|>
  std::vector<int32_t> ids = encode_chat(tok(), {{"user", "what is 3 + 4?"}, {"assistant", "7."}}, false).ids;
  ASSERT_EQ(tok().decode({ids.back()}), "\n");
  ids.pop_back();  // the template's trailing "\n" after <|im_end|>
  ASSERT_EQ(ids.back(), chat_specials(tok()).im_end);
  Graph<float> g;
  g.grad_enabled = false;
  const float want = reward_scores(g, *m, *head, ids.data(), 1, int(ids.size()), {int32_t(ids.size()) - 1}).data[0];
  EXPECT_EQ(r("what is 3 + 4?", "7."), want);
  EXPECT_NE(r("what is 3 + 4?", "7."), r("what is 3 + 4?", "the cat sat"));
}

// DAPO dynamic sampling: groups whose rewards are all equal are dropped and replaced by groups
// from more_prompts, so the update trains on informative groups only (renumbered 0..), while
// the step's statistics still count everything rolled out
TEST(RlTrainer, DynamicSamplingTrainsOnlyOnGroupsWithSignal) {
  // prompts starting with "flat" always score 0; the others score the parity of the completion
  // length, which a random policy's 4 samples almost never all share
  auto reward = [](const std::string& p, const std::string& c) -> float {
    return p.rfind("flat", 0) == 0 ? 0.f : float(c.size() % 2);
  };
  for (const char* stage : {"grpo", "gspo"}) {
    SCOPED_TRACE(stage);
    Transformer<float> m = tiny_model(4);
    AlignConfig c = rl_cfg(stage);
    c.dynamic_sampling = true;
    c.max_resample_rounds = 6;
    c.temperature = 1.5;
    RlTrainer tr(c, m, m, tok(), reward);
    int asked = 0;
    tr.more_prompts = [&](int n) {
      asked += n;
      std::vector<RlPrompt> v;
      for (int i = 0; i < n; i++) v.push_back({i % 2 ? "flat again" : "the cat sat", "0", "t"});
      return v;
    };
    const std::vector<RlPrompt> ps = {{"flat one", "0", "t"}, {"what is", "0", "t"}, {"flat two", "0", "t"}, {"3 + 4", "0", "t"}};
    const RlStepStats st = tr.step(ps);
    EXPECT_GT(asked, 0) << "two flat groups of four: it must have asked for more prompts";
    EXPECT_EQ(st.groups_used, 4);
    EXPECT_GT(st.groups_rolled, 4);
    EXPECT_GT(st.zero_adv_frac, 0.0);
    ASSERT_EQ(tr.last_samples().size(), 4u * 4u);
    for (int g = 0; g < 4; g++) {
      std::set<float> scores;
      for (const RlSample& s : tr.last_samples())
        if (s.group == g) {
          scores.insert(s.score);
          EXPECT_NE(s.prompt_text.rfind("flat", 0), 0u);
        }
      EXPECT_EQ(scores.size(), 2u) << "group " << g << " has no reward spread";
    }
    // without it, the same step keeps the flat groups
    c.dynamic_sampling = false;
    RlTrainer plain(c, m, m, tok(), reward);
    const RlStepStats s0 = plain.step(ps);
    EXPECT_EQ(s0.groups_used, 4);
    EXPECT_EQ(s0.groups_rolled, 4);
    EXPECT_GE(s0.zero_adv_frac, 0.5);
  }
  AlignConfig bad = rl_cfg("ppo");
  bad.dynamic_sampling = true;
  EXPECT_THROW(bad.validate(), std::runtime_error);
}
