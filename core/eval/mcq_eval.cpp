// Multiple choice by log-likelihood: every choice is scored as a continuation of the question;
// the most likely one (by sum: acc; by per-token mean: acc_norm) is the model's answer.
#include <stdexcept>

#include "core/eval/harness.h"

namespace llm {

int pick_choice(const std::vector<LoglikScore>& scores, bool normalized) {
  if (scores.empty()) throw std::runtime_error("pick_choice: no choices");
  int best = 0;
  for (int i = 1; i < int(scores.size()); i++) {
    const double a = normalized ? scores[size_t(i)].mean() : scores[size_t(i)].sum;
    const double b = normalized ? scores[size_t(best)].mean() : scores[size_t(best)].sum;
    if (a > b) best = i;
  }
  return best;
}

std::vector<EvalResult> eval_mcq(const std::string& name, const std::vector<McqItem>& items, Transformer<float>& m,
                                 const Tokenizer& tok, const McqOptions& opt,
                                 std::vector<std::array<int, 2>>* predictions) {
  std::vector<LoglikRequest> reqs;
  std::vector<size_t> first(items.size() + 1, 0);  // (n+1) item i's requests are [first[i], first[i+1])
  for (size_t i = 0; i < items.size(); i++) {
    const McqItem& it = items[i];
    if (it.choices.size() < 2)
      throw std::runtime_error("eval_mcq: " + name + " item " + std::to_string(i) + " has fewer than 2 choices");
    if (it.label < 0 || it.label >= int(it.choices.size()))
      throw std::runtime_error("eval_mcq: " + name + " item " + std::to_string(i) + " has label " +
                               std::to_string(it.label) + " outside its " + std::to_string(it.choices.size()) +
                               " choices");
    const std::vector<int32_t> ctx = question_prompt(tok, it.question, opt.style);
    for (const std::string& c : it.choices) reqs.push_back({ctx, answer_tokens(tok, c, opt.style)});
    first[i + 1] = reqs.size();
  }
  LoglikOptions lo = opt.loglik;
  if (opt.progress) lo.progress = [&](size_t done, size_t total) { opt.progress(done, total, NAN); };
  const std::vector<LoglikScore> sc = score_continuations(m, reqs, lo);
  std::vector<double> acc, acc_norm;  // (n) 0/1
  for (size_t i = 0; i < items.size(); i++) {
    const std::vector<LoglikScore> mine(sc.begin() + long(first[i]), sc.begin() + long(first[i + 1]));
    const int p = pick_choice(mine, false), pn = pick_choice(mine, true);
    acc.push_back(p == items[i].label ? 1.0 : 0.0);
    acc_norm.push_back(pn == items[i].label ? 1.0 : 0.0);
    if (predictions) predictions->push_back({p, pn});
  }
  return {mean_result(name, "acc", acc), mean_result(name, "acc_norm", acc_norm)};
}

}  // namespace llm
