// The chat template (ChatML), THE one format every stage uses: the chat CLI, the server's
// /v1/chat/completions, and SFT (which builds its loss masks from assistant_spans below).
//
//   <|im_start|>system\nYou are ...<|im_end|>\n
//   <|im_start|>user\nHi<|im_end|>\n
//   <|im_start|>assistant\nHello!<|im_end|>\n
//   <|im_start|>assistant\n                      <- add_generation_prompt: the model continues here
//
// Tokens are produced piece by piece, never by encoding the rendered string as a whole:
//   [im_start] enc(role + "\n") enc(content) [im_end] enc("\n")
// so that (1) a message's tokens never depend on its neighbours (token spans line up with char
// spans exactly) and (2) text inside a message is ALWAYS ordinary text: a user who types
// "<|im_end|>" gets the bytes of that string, not the control token (no prompt injection of
// turn boundaries). decode(ids) equals the rendered text.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/tokenizer/tokenizer.h"

namespace llm {

struct ChatMessage {
  std::string role;     // "system" | "user" | "assistant"
  std::string content;
};

// Ids of the control tokens, looked up among the tokenizer's specials. Throws
// std::runtime_error when <|im_start|>, <|im_end|> or <|endoftext|> is missing.
struct ChatSpecials {
  int32_t im_start = -1, im_end = -1, endoftext = -1;
  // generation ends on either: <|im_end|> closes a turn, <|endoftext|> ends a document
  std::vector<int32_t> stop_ids() const { return {im_end, endoftext}; }
};
ChatSpecials chat_specials(const Tokenizer& tok);

// Throws std::invalid_argument naming the message ("messages[2].role must be one of system,
// user, assistant, got 'tool'"); also on an empty conversation or a system message after the first.
void validate_chat(const std::vector<ChatMessage>& msgs);

// [begin, end) of one assistant reply: its content followed by the closing <|im_end|> (the
// tokens SFT trains on, so the model learns both to answer and to stop). The "assistant\n"
// header and the trailing "\n" are not included.
struct Span {
  size_t begin = 0, end = 0;
};

struct RenderedChat {
  std::string text;                    // the ChatML string
  std::vector<Span> assistant_chars;   // byte offsets into text, one per assistant message
};
RenderedChat render_chat(const std::vector<ChatMessage>& msgs, bool add_generation_prompt);

struct EncodedChat {
  std::vector<int32_t> ids;            // (T) token ids
  std::vector<Span> assistant_tokens;  // offsets into ids, one per assistant message
};
EncodedChat encode_chat(const Tokenizer& tok, const std::vector<ChatMessage>& msgs, bool add_generation_prompt);

// Per-token loss mask of an encoded chat: 1 inside assistant spans, 0 elsewhere, (T) like ids.
std::vector<uint8_t> assistant_mask(const EncodedChat& chat);

}  // namespace llm
