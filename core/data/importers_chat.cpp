// Alpaca and chat (messages / ShareGPT conversations) importers.
#include <stdexcept>

#include "core/data/importers.h"
#include "core/data/importers_json.h"

namespace llm {

using detail::RecordPos;
using nlohmann::json;

namespace detail {

Message parse_message(const json& m, const RecordPos& pos, const std::string& where) {
  if (!m.is_object()) record_error(pos, where + ": expected a message object, got " + json_type(m));
  bool openai = m.contains("role"), sharegpt = m.contains("from");
  if (!openai && !sharegpt) record_error(pos, where + ": message has neither \"role\" nor \"from\" (found keys: " + key_list(m) + ")");
  std::string role_raw = need_string(m, openai ? "role" : "from", pos, where + ": ");
  std::string content = need_string(m, openai ? "content" : "value", pos, where + ": ");
  std::string role = normalize_role(role_raw);
  if (role.empty()) record_error(pos, where + ": unknown role \"" + role_raw + "\" (expected system, user, assistant, human, gpt or tool)");
  return Message{role, content};
}

std::vector<Message> parse_messages(const json& arr, const RecordPos& pos, const std::string& where) {
  if (!arr.is_array()) record_error(pos, where + " must be an array of messages, got " + json_type(arr));
  std::vector<Message> out;
  for (size_t i = 0; i < arr.size(); i++) out.push_back(parse_message(arr[i], pos, where + "[" + std::to_string(i) + "]"));
  return out;
}

}  // namespace detail

namespace {

// A chat must hold a user turn and end with the assistant: that is what SFT trains on.
void check_chat(const Chat& c, const RecordPos& pos) {
  if (c.messages.empty()) detail::record_error(pos, "conversation is empty");
  if (c.messages.back().role != "assistant")
    detail::record_error(pos, "conversation must end with an assistant message (last role is \"" + c.messages.back().role + "\")");
  bool user = false;
  for (auto& m : c.messages) user = user || m.role == "user";
  if (!user) detail::record_error(pos, "conversation has no user message");
}

}  // namespace

std::vector<Chat> import_alpaca(std::string_view bytes, std::string_view source) {
  std::vector<Chat> out;
  detail::for_each_json_record(bytes, source, [&](const json& r, const RecordPos& pos) {
    Chat c;
    if (r.is_object() && r.contains("system")) {
      const json& sys = r["system"];
      if (!sys.is_string()) detail::record_error(pos, std::string("field \"system\" must be a string, got ") + detail::json_type(sys));
      if (!sys.get<std::string>().empty()) c.messages.push_back({"system", sys.get<std::string>()});
    }
    std::string instruction = detail::need_string(r, "instruction", pos);
    std::string output = detail::need_string(r, "output", pos);
    std::string input;
    if (r.contains("input") && !r["input"].is_null()) input = detail::need_string(r, "input", pos);
    if (r.contains("history") && !r["history"].is_null()) {  // [[user, assistant], ...] earlier turns
      const json& h = r["history"];
      if (!h.is_array()) detail::record_error(pos, "field \"history\" must be an array of [user, assistant] pairs");
      for (size_t i = 0; i < h.size(); i++) {
        if (!h[i].is_array() || h[i].size() != 2 || !h[i][0].is_string() || !h[i][1].is_string())
          detail::record_error(pos, "field \"history\"[" + std::to_string(i) + "] must be a [user, assistant] pair of strings");
        c.messages.push_back({"user", h[i][0].get<std::string>()});
        c.messages.push_back({"assistant", h[i][1].get<std::string>()});
      }
    }
    c.messages.push_back({"user", input.empty() ? instruction : instruction + "\n" + input});
    c.messages.push_back({"assistant", output});
    out.push_back(std::move(c));
    return true;
  });
  return out;
}

std::vector<Chat> import_chat(std::string_view bytes, std::string_view source) {
  std::vector<Chat> out;
  detail::for_each_json_record(bytes, source, [&](const json& r, const RecordPos& pos) {
    if (!r.is_object()) detail::record_error(pos, std::string("expected a JSON object, got ") + detail::json_type(r));
    Chat c;
    if (r.contains("messages")) {
      c.messages = detail::parse_messages(r["messages"], pos, "field \"messages\"");
    } else if (r.contains("conversations")) {
      if (r.contains("system") && r["system"].is_string() && !r["system"].get<std::string>().empty())
        c.messages.push_back({"system", r["system"].get<std::string>()});
      auto conv = detail::parse_messages(r["conversations"], pos, "field \"conversations\"");
      c.messages.insert(c.messages.end(), conv.begin(), conv.end());
    } else {
      detail::record_error(pos, "missing field \"messages\" (or ShareGPT \"conversations\") (found keys: " + detail::key_list(r) + ")");
    }
    check_chat(c, pos);
    out.push_back(std::move(c));
    return true;
  });
  return out;
}

}  // namespace llm
