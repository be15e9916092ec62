#include "core/infer/chat_template.h"

#include <algorithm>
#include <stdexcept>

namespace llm {

static const char* kImStart = "<|im_start|>";
static const char* kImEnd = "<|im_end|>";
static const char* kEndOfText = "<|endoftext|>";

ChatSpecials chat_specials(const Tokenizer& tok) {
  ChatSpecials s;
  // only registered specials count: a regular token spelled "<|im_end|>" would be split by the
  // encoder and never sampled as one id
  for (const auto& [content, id] : tok.special_tokens()) {
    if (content == kImStart) s.im_start = id;
    if (content == kImEnd) s.im_end = id;
    if (content == kEndOfText) s.endoftext = id;
  }
  std::string missing;
  if (s.im_start < 0) missing += std::string(" ") + kImStart;
  if (s.im_end < 0) missing += std::string(" ") + kImEnd;
  if (s.endoftext < 0) missing += std::string(" ") + kEndOfText;
  if (!missing.empty())
    throw std::runtime_error("chat template: the tokenizer lacks the special token(s)" + missing +
                             " (train it with the default specials or add them)");
  return s;
}

ChatFormat chat_format(const Tokenizer& tok) {
  ChatFormat f;
  int32_t im_start = -1, im_end = -1, eot = -1, bos = -1, eos = -1;
  for (const auto& [content, id] : tok.special_tokens()) {
    if (content == kImStart) im_start = id;
    if (content == kImEnd) im_end = id;
    if (content == kEndOfText) eot = id;
    if (content == "<s>") bos = id;
    if (content == "</s>") eos = id;
  }
  if (im_start >= 0 && im_end >= 0 && eot >= 0) {
    f.specials = chat_specials(tok);
    f.stop_ids = f.specials.stop_ids();
    f.doc_start = f.specials.endoftext;
    return f;
  }
  f.chatml = false;
  f.bos = bos >= 0 ? bos : eot;
  f.doc_start = f.bos;
  // llama2.c models end a story by starting the next one (<s>), run.c stops there too
  for (int32_t id : {eos, bos, eot, im_end})
    if (id >= 0 && std::find(f.stop_ids.begin(), f.stop_ids.end(), id) == f.stop_ids.end()) f.stop_ids.push_back(id);
  f.stop_strings = {"\nUser:"};
  return f;
}

std::string render_plain_chat(const std::vector<ChatMessage>& msgs, bool add_generation_prompt) {
  validate_chat(msgs);
  std::string out;
  for (const ChatMessage& m : msgs) {
    const char* label = m.role == "system" ? "System: " : m.role == "user" ? "User: " : "Assistant: ";
    out += label + m.content + "\n\n";
  }
  if (add_generation_prompt) out += "Assistant:";
  return out;
}

std::vector<int32_t> encode_chat_prompt(const Tokenizer& tok, const ChatFormat& f, const std::vector<ChatMessage>& msgs,
                                        bool add_generation_prompt) {
  if (f.chatml) return encode_chat(tok, msgs, add_generation_prompt).ids;
  std::vector<int32_t> ids;
  if (f.bos >= 0) ids.push_back(f.bos);
  const std::vector<int32_t> body = tok.encode(render_plain_chat(msgs, add_generation_prompt), /*allow_special=*/false);
  ids.insert(ids.end(), body.begin(), body.end());
  return ids;
}

void validate_chat(const std::vector<ChatMessage>& msgs) {
  if (msgs.empty()) throw std::invalid_argument("messages must hold at least one message");
  for (size_t i = 0; i < msgs.size(); i++) {
    const std::string& r = msgs[i].role;
    if (r != "system" && r != "user" && r != "assistant")
      throw std::invalid_argument("messages[" + std::to_string(i) + "].role must be one of system, user, assistant, got '" +
                                  r + "'");
    if (r == "system" && i != 0)
      throw std::invalid_argument("messages[" + std::to_string(i) + "]: a system message may only come first");
  }
}

RenderedChat render_chat(const std::vector<ChatMessage>& msgs, bool add_generation_prompt) {
  validate_chat(msgs);
  RenderedChat out;
  for (const ChatMessage& m : msgs) {
    out.text += kImStart + m.role + "\n";
    const size_t begin = out.text.size();
    out.text += m.content;
    out.text += kImEnd;
    if (m.role == "assistant") out.assistant_chars.push_back({begin, out.text.size()});
    out.text += "\n";
  }
  if (add_generation_prompt) out.text += std::string(kImStart) + "assistant\n";
  return out;
}

EncodedChat encode_chat(const Tokenizer& tok, const std::vector<ChatMessage>& msgs, bool add_generation_prompt) {
  validate_chat(msgs);
  const ChatSpecials sp = chat_specials(tok);
  EncodedChat out;
  auto append = [&](const std::string& text) {  // ordinary text only: specials inside are bytes
    const std::vector<int32_t> ids = tok.encode(text, /*allow_special=*/false);
    out.ids.insert(out.ids.end(), ids.begin(), ids.end());
  };
  for (const ChatMessage& m : msgs) {
    out.ids.push_back(sp.im_start);
    append(m.role + "\n");
    const size_t begin = out.ids.size();
    append(m.content);
    out.ids.push_back(sp.im_end);
    if (m.role == "assistant") out.assistant_tokens.push_back({begin, out.ids.size()});
    append("\n");
  }
  if (add_generation_prompt) {
    out.ids.push_back(sp.im_start);
    append("assistant\n");
  }
  return out;
}

std::vector<uint8_t> assistant_mask(const EncodedChat& chat) {
  std::vector<uint8_t> mask(chat.ids.size(), 0);  // (T)
  for (const Span& s : chat.assistant_tokens)
    for (size_t i = s.begin; i < s.end; i++) mask[i] = 1;
  return mask;
}

}  // namespace llm
