// Supervised fine-tuning data: chats -> token ids + shifted, assistant-only targets -> packed
// (B, T) batches whose examples cannot attend to each other (docs/sft.md).
//
//   ids      <|im_start|> user\n  2+2?  <|im_end|> \n <|im_start|> assistant\n  4  <|im_end|> \n
//   mask         0        0       0       0      0       0            0       1     1      0
//   targets  ids[t+1] where mask[t+1] = 1, else -100: the logits at t predict token t+1, so the
//            row BEFORE each assistant token carries it (the header "assistant\n" predicts "4",
//            "4" predicts <|im_end|>); nothing else is scored.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <map>

#include "core/data/records.h"
#include "core/infer/chat_template.h"
#include "core/infer/infer_model.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/rng.h"

namespace llm {

// One tokenized conversation. ids (L) and targets (L), L <= max_len.
struct SftSequence {
  std::vector<int32_t> ids;
  std::vector<int32_t> targets;  // kIgnoreIndex or the next token
  int64_t n_targets() const;
};

// targets[t] = ids[t+1] when mask[t+1], else kIgnoreIndex; the last position never has a target.
std::vector<int32_t> shift_targets(const std::vector<int32_t>& ids, const std::vector<uint8_t>& mask);

std::vector<ChatMessage> to_chat_messages(const std::vector<Message>& msgs);

// encode_chat + assistant_mask + shift_targets, cut to max_len tokens (a cut example keeps its
// first max_len tokens; one whose assistant tokens all fall beyond the cut has no targets).
SftSequence sft_sequence(const Tokenizer& tok, const std::vector<ChatMessage>& msgs, int max_len);

// A (B, T) token batch: row b, position t at index b*T + t.
struct TokenBatch {
  int B = 0, T = 0;
  std::vector<int32_t> x;          // (B*T) input ids (pad_id where empty)
  std::vector<int32_t> y;          // (B*T) targets, kIgnoreIndex where not scored
  std::vector<int32_t> doc_start;  // (B*T) first position of the example each token belongs to
  int64_t n_targets() const;
};

// Walks a dataset in a seeded shuffled order (reshuffled every epoch) and fills batches.
// packing: each row takes whole examples in order while they fit in T (doc_start keeps them
// apart; RoPE is relative, so an example at offset o scores exactly as at offset 0);
// otherwise one example per row and T shrinks to the longest example of the batch.
class SftBatcher {
 public:
  SftBatcher(std::vector<SftSequence> data, int T, bool packing, int32_t pad_id, uint64_t seed, bool shuffle = true);
  TokenBatch next(int B);
  // (epoch, position) to continue a run exactly where it stopped
  uint64_t epoch() const { return epoch_; }
  size_t position() const { return pos_; }
  void set_state(uint64_t epoch, size_t position);
  const std::vector<SftSequence>& data() const { return data_; }

 private:
  std::vector<SftSequence> data_;
  std::vector<size_t> order_;
  int T_;
  bool packing_, shuffle_;
  int32_t pad_;
  uint64_t seed_, epoch_ = 0;
  size_t pos_ = 0;
  void reorder();
  const SftSequence& take();
  const SftSequence* peek();
};

// Every example once, in order, packed or not: the evaluation batches of a held-out set.
std::vector<TokenBatch> sft_eval_batches(const std::vector<SftSequence>& data, int B, int T, bool packing, int32_t pad_id);

// ---- held-out instruction following (greedy generation) ----

// Greedy reply to `prompt` (rendered with the generation prompt), stopping at <|im_end|> or
// <|endoftext|>, after max_new tokens, or at the context end. "" when the prompt fills the context.
std::string greedy_chat_reply(const InferModel& m, KVCache& cache, const Tokenizer& tok,
                              const std::vector<ChatMessage>& prompt, int max_new);

// true when `answer` occurs in `reply` as a whole word: the characters around it are not letters
// or digits ("23" is in "the answer is 23." but not in "123"; "Lily" not in "Lilyanne").
bool contains_answer(const std::string& reply, const std::string& answer);

struct SftGenEval {
  int n = 0;
  double reply_exact = 0;   // share of replies equal to the reference reply
  double answer_match = 0;  // share of replies containing the reference answer (contains_answer)
  std::map<std::string, std::pair<int, int>> by_family;  // "arithmetic" -> (answer matches, count)
  std::vector<std::string> replies;                       // in example order
};
// Every example's conversation minus its final assistant turn is the prompt; the final turn is
// the reference reply and ex.answer the reference answer.
SftGenEval evaluate_sft_generation(const InferModel& m, const Tokenizer& tok, const std::vector<SftExample>& examples,
                                   int max_new);

}  // namespace llm
