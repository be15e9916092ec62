// Preference pairs in the three layouts found in the wild (see core/data/importers.h).
#include <stdexcept>

#include "core/data/importers.h"
#include "core/data/importers_json.h"

namespace llm {

using detail::RecordPos;
using nlohmann::json;

namespace {

// A reply can be a plain string, one message object, or a list of messages
// (OpenAI's preferred_output); we keep the text of the last assistant message.
std::string reply_text(const json& v, const RecordPos& pos, const std::string& field) {
  if (v.is_string()) return v.get<std::string>();
  std::string where = "field \"" + field + "\"";
  if (v.is_object()) {
    Message m = detail::parse_message(v, pos, where);
    if (m.role != "assistant") detail::record_error(pos, where + ": expected an assistant reply, got role \"" + m.role + "\"");
    return m.content;
  }
  if (v.is_array()) {
    auto msgs = detail::parse_messages(v, pos, where);
    for (size_t i = msgs.size(); i-- > 0;)
      if (msgs[i].role == "assistant") return msgs[i].content;
    detail::record_error(pos, where + ": no assistant message in the list");
  }
  detail::record_error(pos, where + " must be a string, a message or a list of messages, got " + detail::json_type(v));
}

void add_system(std::vector<Message>& prompt, const json& r, const RecordPos& pos) {
  if (!r.contains("system") || r["system"].is_null()) return;
  if (!r["system"].is_string()) detail::record_error(pos, std::string("field \"system\" must be a string, got ") + detail::json_type(r["system"]));
  std::string s = r["system"].get<std::string>();
  if (!s.empty()) prompt.insert(prompt.begin(), Message{"system", s});
}

PreferencePair parse_pair(const json& r, const RecordPos& pos) {
  if (!r.is_object()) detail::record_error(pos, std::string("expected a JSON object, got ") + detail::json_type(r));
  PreferencePair p;
  if (r.contains("preferred_output") || r.contains("non_preferred_output")) {  // OpenAI / orca DPO
    const json& input = detail::need(r, "input", pos);
    p.prompt = detail::parse_messages(detail::need(input, "messages", pos, "field \"input\": "), pos, "field \"input.messages\"");
    p.chosen = reply_text(detail::need(r, "preferred_output", pos), pos, "preferred_output");
    p.rejected = reply_text(detail::need(r, "non_preferred_output", pos), pos, "non_preferred_output");
  } else if (r.contains("conversations")) {  // LLaMA-Factory dpo_en_demo.json
    p.prompt = detail::parse_messages(r["conversations"], pos, "field \"conversations\"");
    add_system(p.prompt, r, pos);
    p.chosen = reply_text(detail::need(r, "chosen", pos), pos, "chosen");
    p.rejected = reply_text(detail::need(r, "rejected", pos), pos, "rejected");
  } else if (r.contains("prompt")) {  // {prompt, chosen, rejected}
    const json& pr = r["prompt"];
    if (pr.is_string()) p.prompt.push_back({"user", pr.get<std::string>()});
    else if (pr.is_array()) p.prompt = detail::parse_messages(pr, pos, "field \"prompt\"");
    else detail::record_error(pos, std::string("field \"prompt\" must be a string or a list of messages, got ") + detail::json_type(pr));
    add_system(p.prompt, r, pos);
    p.chosen = reply_text(detail::need(r, "chosen", pos), pos, "chosen");
    p.rejected = reply_text(detail::need(r, "rejected", pos), pos, "rejected");
  } else {
    detail::record_error(pos, "not a preference pair: expected prompt/chosen/rejected, conversations/chosen/rejected or "
                              "input.messages/preferred_output/non_preferred_output (found keys: " + detail::key_list(r) + ")");
  }
  bool user = false;
  for (auto& m : p.prompt) user = user || m.role == "user";
  if (!user) detail::record_error(pos, "the prompt has no user message");
  if (p.prompt.back().role == "assistant") detail::record_error(pos, "the prompt ends with an assistant message; the last prompt turn must await the reply");
  return p;
}

}  // namespace

std::vector<PreferencePair> import_preference(std::string_view bytes, std::string_view source) {
  std::vector<PreferencePair> out;
  detail::for_each_json_record(bytes, source, [&](const json& r, const RecordPos& pos) {
    out.push_back(parse_pair(r, pos));
    return true;
  });
  return out;
}

}  // namespace llm
