// Preference accuracy: does the scorer rank the chosen reply above the rejected one?
// Also the log-prob scorers (plain and DPO's implicit reward) and the perplexity rows.
#include <cmath>
#include <stdexcept>

#include "core/eval/harness.h"

namespace llm {

PreferenceScorer per_response_scorer(std::function<double(const std::vector<Message>&, const std::string&)> f) {
  return [f](const std::vector<PreferencePair>& pairs) {
    std::vector<std::array<double, 2>> out;
    for (const PreferencePair& p : pairs) out.push_back({f(p.prompt, p.chosen), f(p.prompt, p.rejected)});
    return out;
  };
}

// log pi(y|x) of chosen and rejected of each pair: 2 requests per pair, one batched scoring call
static std::vector<std::array<LoglikScore, 2>> pair_logprobs(Transformer<float>& m, const Tokenizer& tok,
                                                            const PromptStyle& st, const LoglikOptions& lo,
                                                            const std::vector<PreferencePair>& pairs) {
  std::vector<LoglikRequest> reqs;
  for (const PreferencePair& p : pairs) {
    const std::vector<int32_t> ctx = conversation_prompt(tok, p.prompt, st);
    reqs.push_back({ctx, answer_tokens(tok, p.chosen, st)});
    reqs.push_back({ctx, answer_tokens(tok, p.rejected, st)});
  }
  const std::vector<LoglikScore> s = score_continuations(m, reqs, lo);
  std::vector<std::array<LoglikScore, 2>> out(pairs.size());
  for (size_t i = 0; i < pairs.size(); i++) out[i] = {s[2 * i], s[2 * i + 1]};
  return out;
}

PreferenceScorer logprob_scorer(Transformer<float>& m, const Tokenizer& tok, PromptStyle style, bool mean,
                                LoglikOptions lo) {
  return [&m, &tok, style, mean, lo](const std::vector<PreferencePair>& pairs) {
    std::vector<std::array<double, 2>> out;
    for (const auto& cr : pair_logprobs(m, tok, style, lo, pairs))
      out.push_back(mean ? std::array<double, 2>{cr[0].mean(), cr[1].mean()} : std::array<double, 2>{cr[0].sum, cr[1].sum});
    return out;
  };
}

PreferenceScorer dpo_implicit_scorer(Transformer<float>& policy, Transformer<float>& ref, const Tokenizer& tok,
                                     PromptStyle style, double beta, LoglikOptions lo) {
  return [&policy, &ref, &tok, style, beta, lo](const std::vector<PreferencePair>& pairs) {
    const auto pi = pair_logprobs(policy, tok, style, lo, pairs), pr = pair_logprobs(ref, tok, style, lo, pairs);
    std::vector<std::array<double, 2>> out;
    for (size_t i = 0; i < pairs.size(); i++)
      out.push_back({beta * (pi[i][0].sum - pr[i][0].sum), beta * (pi[i][1].sum - pr[i][1].sum)});
    return out;
  };
}

std::vector<EvalResult> eval_preference(const std::string& name, const std::vector<PreferencePair>& pairs,
                                        const PreferenceScorer& scorer, const PreferenceOptions& opt) {
  std::vector<double> acc, margin;  // (n)
  const size_t chunk = std::max<size_t>(1, opt.chunk);
  for (size_t s = 0; s < pairs.size(); s += chunk) {
    const std::vector<PreferencePair> part(pairs.begin() + long(s), pairs.begin() + long(std::min(pairs.size(), s + chunk)));
    const std::vector<std::array<double, 2>> sc = scorer(part);
    if (sc.size() != part.size())
      throw std::runtime_error("eval_preference: the scorer returned " + std::to_string(sc.size()) + " scores for " +
                               std::to_string(part.size()) + " pairs");
    for (const auto& cr : sc) {
      if (!std::isfinite(cr[0]) || !std::isfinite(cr[1]))
        throw std::runtime_error("eval_preference: " + name + " pair " + std::to_string(acc.size()) + " got a non-finite score");
      acc.push_back(cr[0] > cr[1] ? 1.0 : cr[0] == cr[1] ? 0.5 : 0.0);
      margin.push_back(cr[0] - cr[1]);
    }
    if (opt.progress) {
      double a = 0;
      for (double x : acc) a += x;
      opt.progress(acc.size(), pairs.size(), a / double(acc.size()));
    }
  }
  return {mean_result(name, "acc", acc), mean_result(name, "margin", margin)};
}

std::vector<EvalResult> perplexity_results(const std::string& name, const std::vector<double>& window_losses) {
  EvalResult loss = mean_result(name, "loss", window_losses);
  EvalResult ppl = loss;
  ppl.metric = "ppl";
  ppl.value = std::exp(loss.value);
  ppl.std_err = ppl.value * loss.std_err;  // delta method: d exp(x) = exp(x) dx
  return {loss, ppl};
}

}  // namespace llm
