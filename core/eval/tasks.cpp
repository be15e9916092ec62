#include "core/eval/tasks.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "core/data/gen_common.h"
#include "core/data/gen_preference.h"
#include "core/data/gen_rl.h"
#include "core/data/importers_json.h"
#include "core/eval/answer.h"

namespace llm {

using detail::for_each_json_record;
using detail::need;
using detail::need_string;
using detail::record_error;
using detail::RecordPos;

std::vector<MathItem> parse_gsm8k_jsonl(std::string_view bytes, std::string_view source) {
  std::vector<MathItem> out;
  for_each_json_record(bytes, source, [&](const nlohmann::json& r, const RecordPos& pos) {
    MathItem it;
    it.question = need_string(r, "question", pos);
    const std::string a = need_string(r, "answer", pos);
    if (a.find("####") == std::string::npos) record_error(pos, "field \"answer\" has no \"####\" final answer");
    it.answer = normalize_answer(a);
    if (it.answer.empty()) record_error(pos, "field \"answer\" is empty after \"####\"");
    it.task = "gsm8k";
    out.push_back(std::move(it));
    return true;
  });
  return out;
}

std::vector<MathItem> parse_svamp_json(std::string_view bytes, std::string_view source) {
  std::vector<MathItem> out;
  for_each_json_record(bytes, source, [&](const nlohmann::json& r, const RecordPos& pos) {
    MathItem it;
    it.question = need_string(r, "Body", pos) + " " + need_string(r, "Question", pos);
    const nlohmann::json& a = need(r, "Answer", pos);
    if (!a.is_number()) record_error(pos, std::string("field \"Answer\" must be a number, got ") + detail::json_type(a));
    // shortest round-trip spelling, then canonical: 51.0 -> "51", 0.5 -> "0.5"
    std::ostringstream os;
    os.precision(15);
    os << a.get<double>();
    it.answer = normalize_answer(os.str());
    it.task = "svamp";
    out.push_back(std::move(it));
    return true;
  });
  return out;
}

std::vector<McqItem> parse_piqa(std::string_view jsonl, std::string_view labels, std::string_view source) {
  const std::string src(source);
  std::vector<McqItem> out;
  for_each_json_record(jsonl, src + "/valid.jsonl", [&](const nlohmann::json& r, const RecordPos& pos) {
    McqItem it;
    it.question = need_string(r, "goal", pos);
    it.choices = {need_string(r, "sol1", pos), need_string(r, "sol2", pos)};
    it.task = "piqa";
    out.push_back(std::move(it));
    return true;
  });
  size_t i = 0, line = 0, start = 0;
  while (start < labels.size()) {
    size_t end = labels.find('\n', start);
    if (end == std::string_view::npos) end = labels.size();
    std::string_view l = labels.substr(start, end - start);
    start = end + 1;
    line++;
    while (!l.empty() && (l.back() == '\r' || l.back() == ' ')) l.remove_suffix(1);
    if (l.empty()) continue;
    if (l != "0" && l != "1")
      throw std::runtime_error(src + "/valid-labels.lst:" + std::to_string(line) + ": label must be 0 or 1, got '" +
                               std::string(l) + "'");
    if (i >= out.size())
      throw std::runtime_error(src + "/valid-labels.lst:" + std::to_string(line) + ": more labels than the " +
                               std::to_string(out.size()) + " items of valid.jsonl");
    out[i++].label = l[0] - '0';
  }
  if (i != out.size())
    throw std::runtime_error(src + "/valid-labels.lst: " + std::to_string(i) + " labels for " +
                             std::to_string(out.size()) + " items of valid.jsonl");
  return out;
}

static GenOptions held_out(uint64_t seed) {
  GenOptions o;
  o.seed = seed;
  o.split = Split::validation;
  return o;
}

std::vector<MathItem> generated_math(size_t n, uint64_t seed) {
  std::vector<MathItem> out;
  generate_rl(n, held_out(seed), [&](const RlPrompt& p) { out.push_back({p.prompt, normalize_answer(p.answer), p.task}); });
  return out;
}

McqItem make_mcq_item(const RlPrompt& p, Rng& rng) {
  long long v = 0;
  try {
    size_t used = 0;
    v = std::stoll(p.answer, &used);
    if (used != p.answer.size()) throw std::invalid_argument("");
  } catch (const std::exception&) {
    throw std::runtime_error("make_mcq_item: answer '" + p.answer + "' of \"" + p.prompt + "\" is not an integer");
  }
  std::vector<long long> pool;
  for (long long d : {1, -1, 2, -2, 10, -10})
    if (v < 0 || v + d >= 0) pool.push_back(v + d);  // no negative distractor for a non-negative answer
  shuffle_in_place(rng, pool);
  std::vector<long long> opts = {v, pool[0], pool[1], pool[2]};  // pool has >= 3 entries (+1, +2, +10 always)
  shuffle_in_place(rng, opts);
  McqItem it;
  it.question = p.prompt;
  for (size_t i = 0; i < opts.size(); i++) {
    it.choices.push_back(std::to_string(opts[i]));
    if (opts[i] == v) it.label = int(i);
  }
  it.task = "mcq." + p.task;
  return it;
}

std::vector<McqItem> generated_mcq(size_t n, uint64_t seed) {
  return generate_split<McqItem>(n, held_out(seed), [](Rng& rng) {
    std::string key;
    const RlPrompt p = make_rl_prompt(rng, &key);
    return std::make_pair(make_mcq_item(p, rng), key);  // the RL key: held out from RL training too
  });
}

std::vector<PreferenceExample> generated_preferences(size_t n, uint64_t seed) {
  return generate_preferences(n, held_out(seed));
}

}  // namespace llm
