#include "core/eval/prompt.h"

#include <stdexcept>

#include "core/infer/chat_template.h"

namespace llm {

static bool has_chat_specials(const Tokenizer& tok) {
  try {
    chat_specials(tok);
    return true;
  } catch (const std::runtime_error&) {
    return false;
  }
}

static int32_t endoftext_id(const Tokenizer& tok) {
  for (const auto& [content, id] : tok.special_tokens())
    if (content == "<|endoftext|>") return id;
  return -1;
}

PromptFormat parse_prompt_format(std::string_view s, const Tokenizer& tok) {
  if (s == "chat") return PromptFormat::chat;
  if (s == "plain") return PromptFormat::plain;
  if (s == "auto" || s.empty()) return has_chat_specials(tok) ? PromptFormat::chat : PromptFormat::plain;
  throw std::runtime_error("prompt format must be chat, plain or auto, got '" + std::string(s) + "'");
}

const char* prompt_format_name(PromptFormat f) { return f == PromptFormat::chat ? "chat" : "plain"; }

static std::vector<int32_t> plain_prompt(const Tokenizer& tok, const std::string& question) {
  std::vector<int32_t> ids;
  const int32_t eot = endoftext_id(tok);
  if (eot >= 0) ids.push_back(eot);
  const std::vector<int32_t> q = tok.encode("Question: " + question + "\nAnswer:", /*allow_special=*/false);
  ids.insert(ids.end(), q.begin(), q.end());
  return ids;
}

std::vector<int32_t> question_prompt(const Tokenizer& tok, const std::string& question, const PromptStyle& st) {
  if (st.format == PromptFormat::plain) return plain_prompt(tok, question);
  std::vector<ChatMessage> msgs;
  if (!st.system.empty()) msgs.push_back({"system", st.system});
  msgs.push_back({"user", question});
  return encode_chat(tok, msgs, /*add_generation_prompt=*/true).ids;
}

std::vector<int32_t> conversation_prompt(const Tokenizer& tok, const std::vector<Message>& prompt,
                                         const PromptStyle& st) {
  if (prompt.empty()) throw std::runtime_error("conversation_prompt: empty prompt");
  if (st.format == PromptFormat::plain) {
    std::string q;
    for (const Message& m : prompt) q += (q.empty() ? "" : "\n\n") + m.content;
    return plain_prompt(tok, q);
  }
  std::vector<ChatMessage> msgs;
  if (!st.system.empty() && prompt.front().role != "system") msgs.push_back({"system", st.system});
  for (const Message& m : prompt) msgs.push_back({m.role, m.content});
  return encode_chat(tok, msgs, /*add_generation_prompt=*/true).ids;
}

std::vector<int32_t> answer_tokens(const Tokenizer& tok, const std::string& answer, const PromptStyle& st) {
  if (st.format == PromptFormat::plain) return tok.encode(" " + answer, /*allow_special=*/false);
  // exactly the tokens encode_chat gives an assistant message: content pieces then <|im_end|>
  std::vector<int32_t> ids = tok.encode(answer, /*allow_special=*/false);
  ids.push_back(chat_specials(tok).im_end);
  return ids;
}

std::vector<int32_t> stop_token_ids(const Tokenizer& tok, const PromptStyle& st) {
  if (st.format == PromptFormat::chat) return chat_specials(tok).stop_ids();
  const int32_t eot = endoftext_id(tok);
  return eot >= 0 ? std::vector<int32_t>{eot} : std::vector<int32_t>{};
}

std::vector<std::string> stop_strings(const PromptStyle& st) {
  if (st.format == PromptFormat::chat) return {};
  return {"\n\n", "\nQuestion:"};
}

}  // namespace llm
