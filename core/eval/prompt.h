// How a task item becomes tokens: one place, so math, multiple choice and preference scoring
// present questions identically.
//
//   chat   the ChatML template of core/infer/chat_template.h (the format SFT trains on):
//            prompt  = [im_start]user\n{question}[im_end]\n[im_start]assistant\n
//            answer  = {answer}[im_end]                 generation stops on <|im_end|> / <|endoftext|>
//   plain  for pretrained-only models (lm-evaluation-harness style):
//            prompt  = [endoftext]Question: {question}\nAnswer:
//            answer  = " {answer}"                       generation stops on <|endoftext|> or "\n\n"
//          The leading <|endoftext|> is the document boundary the packer puts before every
//          pretraining document, so the model sees the question as the start of a document.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/data/records.h"
#include "core/tokenizer/tokenizer.h"

namespace llm {

enum class PromptFormat { chat, plain };

// "chat" | "plain"; "auto" picks chat when the tokenizer has the chat specials, else plain.
PromptFormat parse_prompt_format(std::string_view s, const Tokenizer& tok);
const char* prompt_format_name(PromptFormat f);

struct PromptStyle {
  PromptFormat format = PromptFormat::chat;
  std::string system;  // chat: optional system message before the user turn
};

// A single-question prompt (math, mcq). (P) ids.
std::vector<int32_t> question_prompt(const Tokenizer& tok, const std::string& question, const PromptStyle& st);
// A conversation prompt (preference pairs: prompt may hold system/user/assistant turns); plain
// joins the message contents with blank lines into one question.
std::vector<int32_t> conversation_prompt(const Tokenizer& tok, const std::vector<Message>& prompt,
                                         const PromptStyle& st);
// The tokens of an answer that follows either prompt; scored by multiple choice and preference.
std::vector<int32_t> answer_tokens(const Tokenizer& tok, const std::string& answer, const PromptStyle& st);
// Token ids that end a generation in this format.
std::vector<int32_t> stop_token_ids(const Tokenizer& tok, const PromptStyle& st);
// Text that ends a generation (cut from the completion after decoding): plain only.
std::vector<std::string> stop_strings(const PromptStyle& st);

}  // namespace llm
