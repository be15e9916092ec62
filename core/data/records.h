// The record types every data path agrees on. Importers normalize foreign formats
// into these; generators produce them; the SFT/DPO/RL stages consume them.
// The JSONL schemas that carry them on disk are documented in datasets/README.md.
#pragma once
#include <string>
#include <vector>

namespace llm {

// One pretraining document: a story, a web page, a book chapter.
struct Document {
  std::string text;
};

// role is one of "system", "user", "assistant" (importers map other spellings,
// e.g. ShareGPT's "human"/"gpt", onto these).
struct Message {
  std::string role;
  std::string content;
};

struct Chat {
  std::vector<Message> messages;  // in conversation order; ends with an assistant turn
};

// A preference pair: the same conversation prefix continued two ways.
struct PreferencePair {
  std::vector<Message> prompt;  // system/user/assistant turns before the answer
  std::string chosen;           // the better assistant reply
  std::string rejected;         // the worse assistant reply
};

// ---- generated records: the above plus a reference that a program can check ----

// An SFT conversation whose final assistant turn contains `answer` verbatim.
struct SftExample {
  Chat chat;
  std::string answer;  // reference answer of the final assistant turn, e.g. "12", "Lily", "tac"
  std::string task;    // family and kind, e.g. "arithmetic.add", "story.who", "word.reverse"
};

struct PreferenceExample {
  PreferencePair pair;  // pair.prompt holds one user message (optionally a system one)
  std::string reason;   // why chosen is better, e.g. "wrong_answer", "shuffled_sentences"
  std::string task;
};

// A prompt for RL with a verifiable reward: reward = (extracted answer == answer).
struct RlPrompt {
  std::string prompt;
  std::string answer;  // canonical answer, a base-10 integer for every current task
  std::string task;
};

}  // namespace llm
