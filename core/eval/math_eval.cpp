// Exact-match math: greedy completion, answer extraction (core/eval/answer.h), 0/1 per item.
#include <map>

#include "core/eval/answer.h"
#include "core/eval/harness.h"

namespace llm {

static std::string cut_at_stops(std::string s, const std::vector<std::string>& stops) {
  size_t cut = s.size();
  for (const std::string& st : stops) cut = std::min(cut, s.find(st));
  return s.substr(0, cut);
}

std::vector<EvalResult> eval_math(const std::string& name, const std::vector<MathItem>& items, const Tokenizer& tok,
                                  const GenerateFn& generate, const MathOptions& opt, std::vector<MathRecord>* records) {
  const std::vector<std::string> stops = stop_strings(opt.style);
  std::vector<double> correct;  // (n) 0/1
  std::map<std::string, std::vector<double>> by_task;
  const size_t chunk = std::max<size_t>(1, opt.chunk);
  for (size_t s = 0; s < items.size(); s += chunk) {
    const size_t e = std::min(items.size(), s + chunk);
    std::vector<std::vector<int32_t>> prompts;
    for (size_t i = s; i < e; i++) prompts.push_back(question_prompt(tok, items[i].question, opt.style));
    const std::vector<std::vector<int32_t>> outs = generate(prompts);
    if (outs.size() != prompts.size())
      throw std::runtime_error("eval_math: the generator returned " + std::to_string(outs.size()) + " completions for " +
                               std::to_string(prompts.size()) + " prompts");
    for (size_t i = s; i < e; i++) {
      MathRecord r;
      r.question = items[i].question;
      r.reference = items[i].answer;
      r.completion = cut_at_stops(tok.decode(outs[i - s]), stops);
      r.extracted = extract_answer(r.completion);
      r.correct = !r.reference.empty() && r.extracted == normalize_answer(r.reference);
      correct.push_back(r.correct ? 1.0 : 0.0);
      by_task[items[i].task].push_back(correct.back());
      if (records) records->push_back(std::move(r));
    }
    if (opt.progress) {
      double acc = 0;
      for (double c : correct) acc += c;
      opt.progress(e, items.size(), acc / double(correct.size()));
    }
  }
  std::vector<EvalResult> rows = {mean_result(name, "exact_match", correct)};
  if (opt.breakdown && by_task.size() > 1)
    for (const auto& [task, xs] : by_task) rows.push_back(mean_result(name + "/" + task, "exact_match", xs));
  return rows;
}

}  // namespace llm
