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

// How a conversation becomes a prompt for GENERATION (llm chat, llm serve's chat endpoint).
// ChatML when the tokenizer has its three specials. Otherwise (a base model, e.g. one imported
// from llama2.c with Llama's <s>/</s> vocabulary) a plain-text template the model can at least
// continue as prose (docs/server.md, "Chat on models without ChatML"):
//
//   [BOS]System: Be brief.\n\nUser: Hi\n\nAssistant: Hello!\n\nUser: And you?\n\nAssistant:
//
// BOS is <s> (llama2.c models start every text with it) or else <|endoftext|> when the tokenizer
// has one. A reply ends on an end-of-text special (</s>, <s>, <|endoftext|>, <|im_end|>: whichever
// exist) or when the model starts the next turn itself (stop string "\nUser:").
struct ChatFormat {
  bool chatml = true;
  ChatSpecials specials;                  // chatml only
  int32_t bos = -1;                       // plain only: prepended, -1 when none
  std::vector<int32_t> stop_ids;          // a sampled one ends the reply
  std::vector<std::string> stop_strings;  // plain only
  int32_t doc_start = -1;                 // token of an empty document (<|endoftext|> or <s>), -1 none
};
ChatFormat chat_format(const Tokenizer& tok);
// The plain template as text (no BOS); add_generation_prompt ends it with "Assistant:".
std::string render_plain_chat(const std::vector<ChatMessage>& msgs, bool add_generation_prompt);
// Prompt ids in the tokenizer's format: encode_chat(..).ids for ChatML, else
// [bos] + encode(render_plain_chat) with specials typed in messages kept as plain text.
std::vector<int32_t> encode_chat_prompt(const Tokenizer& tok, const ChatFormat& f, const std::vector<ChatMessage>& msgs,
                                        bool add_generation_prompt = true);

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
