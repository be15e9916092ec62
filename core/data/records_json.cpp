#include "core/data/records_json.h"

#include <nlohmann/json.hpp>

namespace llm {
namespace {

using ojson = nlohmann::ordered_json;

ojson messages_json(const std::vector<Message>& msgs) {
  ojson a = ojson::array();
  for (auto& m : msgs) a.push_back(ojson{{"role", m.role}, {"content", m.content}});
  return a;
}

// dump() with invalid UTF-8 replaced instead of throwing: imported text may carry
// broken bytes and a converter should not die on them (cleaning repairs them).
std::string dump(const ojson& j) { return j.dump(-1, ' ', false, ojson::error_handler_t::replace); }

}  // namespace

std::string to_jsonl(const Document& d) { return dump(ojson{{"text", d.text}}); }

std::string to_jsonl(const Chat& c) { return dump(ojson{{"messages", messages_json(c.messages)}}); }

std::string to_jsonl(const PreferencePair& p) {
  ojson j;
  j["prompt"] = messages_json(p.prompt);
  j["chosen"] = p.chosen;
  j["rejected"] = p.rejected;
  return dump(j);
}

std::string to_jsonl(const SftExample& e) {
  ojson j;
  j["messages"] = messages_json(e.chat.messages);
  j["answer"] = e.answer;
  j["task"] = e.task;
  return dump(j);
}

std::string to_jsonl(const PreferenceExample& e) {
  // Generated pairs have one user turn and maybe a system turn: flatten them to
  // strings, the simplest form of the {prompt, chosen, rejected} schema.
  ojson j;
  std::string user;
  for (auto& m : e.pair.prompt) {
    if (m.role == "system") j["system"] = m.content;
    else user = m.content;
  }
  j["prompt"] = user;
  j["chosen"] = e.pair.chosen;
  j["rejected"] = e.pair.rejected;
  j["reason"] = e.reason;
  j["task"] = e.task;
  return dump(j);
}

std::string to_jsonl(const RlPrompt& p) { return dump(ojson{{"prompt", p.prompt}, {"answer", p.answer}, {"task", p.task}}); }

}  // namespace llm
