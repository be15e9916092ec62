#include "core/align/rl_trainer.h"

#include <cmath>
#include <numeric>
#include <stdexcept>

#include "core/data/gen_common.h"
#include "core/infer/chat_template.h"

namespace llm {

RlTrainer::RlTrainer(const AlignConfig& c, const Transformer<float>& pol, const Transformer<float>& ref,
                     const Tokenizer& tok, RewardFn reward)
    : cfg(c), policy(pol), reference(ref), tok_(tok), reward_(std::move(reward)), rng_(seed_mix(c.seed)) {
  cfg.validate();
  if (cfg.stage != "ppo" && cfg.stage != "grpo" && cfg.stage != "gspo")
    throw std::runtime_error("RlTrainer: stage must be ppo, grpo or gspo; got \"" + cfg.stage + "\"");
  if (policy.cfg.to_json() != reference.cfg.to_json())
    throw std::runtime_error("RlTrainer: the reference model's config differs from the policy's");
  if (tok.vocab_size() > policy.cfg.vocab_size)
    throw std::runtime_error("RlTrainer: the tokenizer has " + std::to_string(tok.vocab_size()) + " ids, the model " +
                             std::to_string(policy.cfg.vocab_size));
  pad_id_ = chat_specials(tok).endoftext;
  if (cfg.stage == "ppo") {
    value = std::make_unique<ValueHead<float>>(policy.cfg.dim);
    value->init(cfg.seed, 0.0);
  }
  AdamWConfig ac;
  ac.weight_decay = float(cfg.weight_decay);
  opt_ = AdamW(ac);
  vopt_ = AdamW(ac);
}

std::shared_ptr<const InferModel> RlTrainer::infer_model() const { return std::make_shared<InferModel>(policy); }

float RlTrainer::clip_grads(float max_norm) {
  double ss = 0;
  auto add = [&](ParamStore<float>& ps) {
    for (size_t i = 0; i < ps.size(); i++) ss += double(ps.grads()[i]) * ps.grads()[i];
  };
  add(policy.params);
  if (value) add(value->params);
  const float norm = float(std::sqrt(ss));
  if (max_norm > 0 && norm > max_norm) {
    const float s = max_norm / (norm + 1e-6f);
    auto scale = [&](ParamStore<float>& ps) {
      for (size_t i = 0; i < ps.size(); i++) ps.grads()[i] *= s;
    };
    scale(policy.params);
    if (value) scale(value->params);
  }
  return norm;
}

RlStepStats RlTrainer::step(const std::vector<RlPrompt>& prompts) {
  if (prompts.empty()) throw std::runtime_error("RlTrainer::step: no prompts");
  const bool ppo = cfg.stage == "ppo", gspo = cfg.stage == "gspo";
  RlStepStats st;

  // 1. rollout: G completions per prompt from the current policy through the paged engine, and
  // 2. rewards. Statistics cover every sample rolled out (before any dynamic-sampling filter).
  const std::shared_ptr<const InferModel> im = infer_model();
  double rs = 0, rss = 0;
  int64_t n_rolled = 0;
  int flat_groups = 0;
  auto roll = [&](const std::vector<RlPrompt>& ps, int round) {
    std::vector<std::string> texts;
    for (const RlPrompt& p : ps) texts.push_back(p.prompt);
    const uint64_t step_seed = seed_mix(seed_mix(cfg.seed) + uint64_t(steps_done) + 1) + uint64_t(round) * 0x9E3779B97F4A7C15ull;
    std::vector<RlSample> out = generate_rollouts(im, tok_, texts, RolloutOptions::from(cfg, step_seed));
    for (RlSample& s : out) {
      s.score = reward_(s.prompt_text, s.text);
      rs += s.score, rss += double(s.score) * s.score;
      st.gen_tokens += int64_t(s.completion.size());
      st.finished_frac += s.finished;
      n_rolled++;
    }
    return out;
  };
  // each rolled-out group: its samples are contiguous in rollout order; a group whose samples all
  // got the same reward has zero advantage and carries no learning signal
  struct Span {
    size_t begin, end;
    bool flat;
  };
  auto spans_of = [&](const std::vector<RlSample>& all) {
    std::vector<Span> out;
    for (size_t i = 0; i < all.size();) {
      size_t j = i;
      bool same = true;
      while (j < all.size() && all[j].group == all[i].group) same &= all[j].score == all[i].score, j++;
      out.push_back({i, j, same});
      st.groups_rolled++, flat_groups += same && !ppo, i = j;
    }
    return out;
  };
  std::vector<RlSample> first = roll(prompts, 0);
  if (cfg.dynamic_sampling && !ppo) {
    std::vector<std::vector<RlSample>> keep, flat;
    auto sort_groups = [&](std::vector<RlSample>& all) {
      for (const Span& g : spans_of(all))
        (g.flat ? flat : keep).emplace_back(std::make_move_iterator(all.begin() + long(g.begin)),
                                            std::make_move_iterator(all.begin() + long(g.end)));
    };
    sort_groups(first);
    for (int round = 1; round <= cfg.max_resample_rounds && keep.size() < prompts.size() && more_prompts; round++) {
      std::vector<RlSample> more = roll(more_prompts(int(prompts.size())), round);
      sort_groups(more);
    }
    if (keep.size() > prompts.size()) keep.resize(prompts.size());
    if (keep.empty() && !flat.empty()) keep.push_back(std::move(flat.front()));  // nothing informative: a zero-advantage update
    samples_.clear();
    for (size_t g = 0; g < keep.size(); g++)
      for (RlSample& x : keep[g]) x.group = int(g), samples_.push_back(std::move(x));
  } else {
    samples_ = std::move(first);
    spans_of(samples_);  // counts only: every group is kept
  }
  st.groups_used = samples_.empty() ? 0 : samples_.back().group + 1;
  st.zero_adv_frac = double(flat_groups) / std::max(1, st.groups_rolled);
  st.reward_mean = rs / double(n_rolled);
  st.reward_std = std::sqrt(std::max(0.0, rss / double(n_rolled) - st.reward_mean * st.reward_mean));
  st.mean_len = double(st.gen_tokens) / double(n_rolled);
  st.finished_frac /= double(n_rolled);
  const size_t N = samples_.size();

  // 3. minibatches: one shuffled partition kept for every epoch, so the first update sees
  // exactly the batch shapes its old log-probs were computed with (ratio == 1 bit for bit)
  std::vector<size_t> order(N);
  std::iota(order.begin(), order.end(), size_t(0));
  shuffle_in_place(rng_, order);
  const size_t mb = std::min<size_t>(size_t(cfg.batch_size), N);
  std::vector<std::vector<size_t>> mbs;  // sample indices of each minibatch
  for (size_t i = 0; i < N; i += mb) mbs.emplace_back(order.begin() + long(i), order.begin() + long(std::min(N, i + mb)));
  auto batch_of = [&](const std::vector<size_t>& idx) {
    std::vector<const RlSample*> b;
    for (size_t k : idx) b.push_back(&samples_[k]);
    return b;
  };

  // 4. old log-probs (+ values) from the policy before any update; reference log-probs, once
  for (const auto& idx : mbs) {
    SampleScores o = score_samples(policy, value.get(), batch_of(idx), pad_id_, float(cfg.temperature));
    SampleScores r = score_samples(reference, nullptr, batch_of(idx), pad_id_, float(cfg.temperature));
    for (size_t k = 0; k < idx.size(); k++) {
      RlSample& s = samples_[idx[k]];
      s.old_logp = std::move(o.logp[k]);
      s.ref_logp = std::move(r.logp[k]);
      if (value) s.old_values = std::move(o.values[k]);
    }
  }
  for (const RlSample& s : samples_) {
    double kl = 0;
    for (size_t t = 0; t < s.completion.size(); t++) kl += double(s.old_logp[t]) - s.ref_logp[t];
    st.kl_seq += kl / N;
  }
  int64_t kept_tokens = 0;
  for (const RlSample& s : samples_) kept_tokens += int64_t(s.completion.size());
  st.kl_token = st.kl_seq * N / double(std::max<int64_t>(1, kept_tokens));

  // 5. advantages
  if (ppo) {
    ppo_prepare(samples_, cfg.kl_coef, cfg.gamma, cfg.lam, cfg.whiten_advantages);
  } else {
    std::vector<float> r;
    std::vector<int> grp;
    for (const RlSample& s : samples_) r.push_back(s.score), grp.push_back(s.group);
    const bool scale_std = gspo || cfg.loss_agg != "dr_grpo";
    const std::vector<float> a = group_advantages(r, grp, scale_std);
    for (size_t i = 0; i < N; i++) samples_[i].advantages.assign(samples_[i].completion.size(), a[i]);
  }

  // 6. ppo_epochs passes of minibatch updates
  const float lr = lr_schedule(steps_done, cfg.warmup_steps, cfg.max_steps, float(cfg.lr), float(cfg.min_lr));
  const GrpoLossConfig gc = GrpoLossConfig::from(cfg);
  const GspoLossConfig sc = GspoLossConfig::from(cfg);
  const PpoLossConfig pc = PpoLossConfig::from(cfg);
  for (int e = 0; e < cfg.ppo_epochs; e++)
    for (const auto& idx : mbs) {
      const RlBatch b = pack_rl_batch(batch_of(idx), pad_id_);
      Graph<float> g;
      policy.params.zero_grad();
      if (value) value->params.zero_grad();
      TensorT<float> h;
      TensorT<float> lp = rl_token_logprobs(g, policy, b, float(cfg.temperature), &h);  // (B*T)
      RlLossStats ls;
      TensorT<float> loss;
      if (ppo) {
        TensorT<float> v = value->forward(g, h);  // (B*T)
        loss = ppo_loss(g, lp, v, b, pc, &ls);
      } else if (gspo) {
        loss = gspo_loss(g, lp, b, sc, &ls);
      } else {
        loss = grpo_loss(g, lp, b, gc, &ls);
      }
      if (st.updates == 0)
        for (int64_t r = 0; r < int64_t(b.B) * b.T; r++)
          if (b.counted(r))
            st.first_ratio_max_dev = std::max(st.first_ratio_max_dev, std::abs(std::exp(double(lp.data[r]) - b.old_logp[size_t(r)]) - 1));
      g.backward(loss);
      const float gn = clip_grads(float(cfg.grad_clip));
      opt_.step(policy.params, lr);
      if (value) vopt_.step(value->params, lr);
      st.loss += ls.loss, st.policy_loss += ls.policy_loss, st.value_loss += ls.value_loss;
      st.clip_frac += ls.clip_frac, st.ratio_mean += ls.ratio_mean, st.grad_norm += gn;
      st.train_tokens += int64_t(b.B) * b.T;
      st.updates++;
    }
  for (double* x : {&st.loss, &st.policy_loss, &st.value_loss, &st.clip_frac, &st.ratio_mean, &st.grad_norm})
    *x /= st.updates;
  st.lr = lr;
  st.step = ++steps_done;
  return st;
}

}  // namespace llm
