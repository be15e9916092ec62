// The task runners: each takes items (core/eval/tasks.h), a model or a scorer, and returns result
// rows (core/eval/results.h). Formulas and code locations: docs/evaluation.md.
//
//   eval_math        exact match of greedy completions     (math_eval.cpp)
//   eval_mcq         acc / acc_norm by log-likelihood       (mcq_eval.cpp)
//   eval_preference  pair accuracy of any scorer            (pref_eval.cpp)
//   perplexity_results  loss / ppl over token windows   (window_losses in loglik.cpp)
#pragma once
#include <array>
#include <functional>
#include <string>
#include <vector>

#include "core/eval/generate.h"
#include "core/eval/loglik.h"
#include "core/eval/prompt.h"
#include "core/eval/results.h"
#include "core/eval/tasks.h"
#include "core/model/transformer.h"
#include "core/tokenizer/tokenizer.h"

namespace llm {

// (done, total, running value of the task's main metric) after each chunk
using EvalProgress = std::function<void(size_t done, size_t total, double value)>;

// ---------------------------------------------------------------- math (exact match)
struct MathOptions {
  PromptStyle style;
  size_t chunk = 64;       // prompts per call of the GenerateFn (progress granularity)
  bool breakdown = false;  // also one row per item.task ("arith_gen/arithmetic.add")
  EvalProgress progress;
};
struct MathRecord {  // one scored item, for a samples file
  std::string question, reference, completion, extracted;
  bool correct = false;
};
// Renders each question with style (question_prompt), generates, decodes, cuts at the style's
// stop strings, and compares extract_answer(completion) with the normalized reference.
// Rows: {name, "exact_match"} (+ breakdown rows).
std::vector<EvalResult> eval_math(const std::string& name, const std::vector<MathItem>& items, const Tokenizer& tok,
                                  const GenerateFn& generate, const MathOptions& opt,
                                  std::vector<MathRecord>* records = nullptr);

// ---------------------------------------------------------------- multiple choice (log-likelihood)
struct McqOptions {
  PromptStyle style{PromptFormat::plain, ""};
  LoglikOptions loglik;
  EvalProgress progress;
};
// Which choice wins: argmax of the summed log-prob (normalized = false) or of the per-token mean
// (normalized = true). Ties go to the lowest index.
int pick_choice(const std::vector<LoglikScore>& scores, bool normalized);
// One request per (item, choice): context = question_prompt(question), continuation =
// answer_tokens(choice). Rows: {name, "acc"}, {name, "acc_norm"}. predictions (n, 2): the picks
// by sum and by mean, when given.
std::vector<EvalResult> eval_mcq(const std::string& name, const std::vector<McqItem>& items, Transformer<float>& m,
                                 const Tokenizer& tok, const McqOptions& opt,
                                 std::vector<std::array<int, 2>>* predictions = nullptr);

// ---------------------------------------------------------------- preference accuracy
// (chosen score, rejected score) of each pair; higher = preferred. The reward model, the
// implicit DPO reward or a test's fake plug in here.
using PreferenceScorer = std::function<std::vector<std::array<double, 2>>(const std::vector<PreferencePair>& pairs)>;
// Adapter for a scorer of one (prompt, response) at a time, e.g. an RM's scalar head.
PreferenceScorer per_response_scorer(std::function<double(const std::vector<Message>& prompt, const std::string& response)> f);
// log pi(response | prompt) of the model: the sum over response tokens (mean = false) or the
// per-token mean (mean = true, what ORPO's odds use). Response tokens = answer_tokens(style).
PreferenceScorer logprob_scorer(Transformer<float>& m, const Tokenizer& tok, PromptStyle style, bool mean = false,
                                LoglikOptions lo = {});
// DPO's implicit reward beta * (log pi(y|x) - log pi_ref(y|x)) (summed over response tokens).
PreferenceScorer dpo_implicit_scorer(Transformer<float>& policy, Transformer<float>& ref, const Tokenizer& tok,
                                     PromptStyle style, double beta, LoglikOptions lo = {});

struct PreferenceOptions {
  size_t chunk = 64;  // pairs per scorer call
  EvalProgress progress;
};
// Rows: {name, "acc"} (chosen > rejected = 1, tie = 0.5, else 0) and {name, "margin"} (mean of
// score(chosen) - score(rejected)).
std::vector<EvalResult> eval_preference(const std::string& name, const std::vector<PreferencePair>& pairs,
                                        const PreferenceScorer& scorer, const PreferenceOptions& opt = {});

// ---------------------------------------------------------------- perplexity
// Rows {name, "loss"} (mean nats per token, stderr over windows) and {name, "ppl"} = exp(loss)
// with stderr by the delta method, ppl * stderr(loss).
std::vector<EvalResult> perplexity_results(const std::string& name, const std::vector<double>& window_losses);

}  // namespace llm
