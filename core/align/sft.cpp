#include "core/align/sft.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "core/data/gen_common.h"
#include "core/util/ignore_index.h"

namespace llm {

int64_t SftSequence::n_targets() const {
  int64_t n = 0;
  for (int32_t t : targets) n += t != kIgnoreIndex;
  return n;
}

int64_t TokenBatch::n_targets() const {
  int64_t n = 0;
  for (int32_t t : y) n += t != kIgnoreIndex;
  return n;
}

std::vector<int32_t> shift_targets(const std::vector<int32_t>& ids, const std::vector<uint8_t>& mask) {
  if (ids.size() != mask.size())
    throw std::runtime_error("shift_targets: " + std::to_string(ids.size()) + " ids but " +
                             std::to_string(mask.size()) + " mask entries");
  std::vector<int32_t> y(ids.size(), kIgnoreIndex);  // (L)
  for (size_t t = 0; t + 1 < ids.size(); t++)
    if (mask[t + 1]) y[t] = ids[t + 1];
  return y;
}

std::vector<ChatMessage> to_chat_messages(const std::vector<Message>& msgs) {
  std::vector<ChatMessage> out;
  out.reserve(msgs.size());
  for (const Message& m : msgs) out.push_back({m.role, m.content});
  return out;
}

SftSequence sft_sequence(const Tokenizer& tok, const std::vector<ChatMessage>& msgs, int max_len) {
  if (max_len < 2) throw std::runtime_error("sft_sequence: max_len must be >= 2, got " + std::to_string(max_len));
  EncodedChat chat = encode_chat(tok, msgs, /*add_generation_prompt=*/false);
  SftSequence s;
  s.targets = shift_targets(chat.ids, assistant_mask(chat));
  s.ids = std::move(chat.ids);
  if (s.ids.size() > size_t(max_len)) {
    s.ids.resize(size_t(max_len));
    s.targets.resize(size_t(max_len));
    s.targets.back() = kIgnoreIndex;  // its next token was cut off
  }
  return s;
}

SftBatcher::SftBatcher(std::vector<SftSequence> data, int T, bool packing, int32_t pad_id, uint64_t seed, bool shuffle)
    : T_(T), packing_(packing), shuffle_(shuffle), pad_(pad_id), seed_(seed) {
  if (T <= 1) throw std::runtime_error("SftBatcher: T must be > 1");
  // examples with nothing to learn (all assistant tokens cut) only cost compute
  for (SftSequence& s : data) {
    if (s.ids.size() > size_t(T))
      throw std::runtime_error("SftBatcher: an example has " + std::to_string(s.ids.size()) +
                               " tokens, more than T = " + std::to_string(T) + " (tokenize with max_len = T)");
    if (s.n_targets() > 0) data_.push_back(std::move(s));
  }
  if (data_.empty()) throw std::runtime_error("SftBatcher: no example has an assistant token within T");
  reorder();
}

void SftBatcher::reorder() {
  order_.resize(data_.size());
  for (size_t i = 0; i < order_.size(); i++) order_[i] = i;
  if (shuffle_) {
    Rng r = seeded_rng(seed_, 1000 + epoch_);
    shuffle_in_place(r, order_);
  }
}

void SftBatcher::set_state(uint64_t epoch, size_t position) {
  epoch_ = epoch;
  reorder();
  pos_ = std::min(position, data_.size());
}

const SftSequence* SftBatcher::peek() {
  if (pos_ >= order_.size()) {
    epoch_++;
    pos_ = 0;
    reorder();
  }
  return &data_[order_[pos_]];
}

const SftSequence& SftBatcher::take() {
  const SftSequence* s = peek();
  pos_++;
  return *s;
}

// rows: the examples of each row; T: row length
static TokenBatch fill_batch(const std::vector<std::vector<const SftSequence*>>& rows, int T, int32_t pad) {
  TokenBatch b;
  b.B = int(rows.size());
  b.T = T;
  const size_t n = size_t(b.B) * size_t(T);
  b.x.assign(n, pad);
  b.y.assign(n, kIgnoreIndex);
  b.doc_start.assign(n, 0);
  for (int r = 0; r < b.B; r++) {
    int off = 0;
    for (const SftSequence* s : rows[r]) {
      for (size_t i = 0; i < s->ids.size(); i++) {
        const size_t k = size_t(r) * T + off + i;
        b.x[k] = s->ids[i];
        b.y[k] = s->targets[i];
        b.doc_start[k] = off;
      }
      off += int(s->ids.size());
    }
    for (int t = off; t < T; t++) b.doc_start[size_t(r) * T + t] = off;  // padding: its own document
  }
  return b;
}

TokenBatch SftBatcher::next(int B) {
  std::vector<std::vector<const SftSequence*>> rows(static_cast<size_t>(B));
  int longest = 1;
  for (int r = 0; r < B; r++) {
    int used = 0;
    do {
      const SftSequence& s = take();
      rows[r].push_back(&s);
      used += int(s.ids.size());
    } while (packing_ && used + int(peek()->ids.size()) <= T_);
    longest = std::max(longest, used);
  }
  return fill_batch(rows, packing_ ? T_ : longest, pad_);
}

std::vector<TokenBatch> sft_eval_batches(const std::vector<SftSequence>& data, int B, int T, bool packing, int32_t pad_id) {
  std::vector<TokenBatch> out;
  std::vector<std::vector<const SftSequence*>> rows;
  int used = 0, longest = 1;
  auto flush = [&] {
    if (rows.empty()) return;
    out.push_back(fill_batch(rows, packing ? T : longest, pad_id));
    rows.clear();
    longest = 1;
  };
  for (const SftSequence& s : data) {
    if (s.ids.size() > size_t(T)) throw std::runtime_error("sft_eval_batches: example longer than T");
    if (s.n_targets() == 0) continue;
    const int L = int(s.ids.size());
    if (!rows.empty() && packing && used + L <= T) {
      rows.back().push_back(&s);
      used += L;
    } else {
      if (int(rows.size()) == B) flush();
      rows.push_back({&s});
      used = L;
    }
    longest = std::max(longest, used);
  }
  flush();
  return out;
}

std::string greedy_chat_reply(const InferModel& m, KVCache& cache, const Tokenizer& tok,
                              const std::vector<ChatMessage>& prompt, int max_new) {
  const ChatSpecials sp = chat_specials(tok);
  const std::vector<int32_t> ids = encode_chat(tok, prompt, /*add_generation_prompt=*/true).ids;
  // the model may have more embedding rows than the tokenizer has ids: never emit those
  const int ctx = m.cfg().max_seq_len, V = std::min(m.cfg().vocab_size, tok.vocab_size());
  if (int(ids.size()) >= ctx) return "";
  max_new = std::min(max_new, ctx - int(ids.size()));
  cache.clear();
  std::vector<int32_t> out;
  const float* lg = cache.forward_last(m, ids.data(), int(ids.size()));  // (V)
  for (int i = 0; i < max_new; i++) {
    int32_t best = 0;
    for (int j = 1; j < V; j++)
      if (lg[j] > lg[best]) best = j;
    if (best == sp.im_end || best == sp.endoftext) break;
    out.push_back(best);
    if (i + 1 < max_new) lg = cache.forward_last(m, &out.back(), 1);
  }
  return tok.decode(out);
}

static bool is_word_char(unsigned char c) { return std::isalnum(c) || c >= 0x80; }

bool contains_answer(const std::string& reply, const std::string& answer) {
  if (answer.empty()) return false;
  for (size_t p = reply.find(answer); p != std::string::npos; p = reply.find(answer, p + 1)) {
    const bool left = p == 0 || !is_word_char((unsigned char)reply[p - 1]) || !is_word_char((unsigned char)answer.front());
    const size_t e = p + answer.size();
    const bool right = e == reply.size() || !is_word_char((unsigned char)reply[e]) || !is_word_char((unsigned char)answer.back());
    if (left && right) return true;
  }
  return false;
}

SftGenEval evaluate_sft_generation(const InferModel& m, const Tokenizer& tok, const std::vector<SftExample>& examples,
                                   int max_new) {
  SftGenEval r;
  KVCache cache(m.cfg());
  int exact = 0, match = 0;
  for (const SftExample& ex : examples) {
    const std::vector<Message>& msgs = ex.chat.messages;
    if (msgs.empty() || msgs.back().role != "assistant") continue;
    std::vector<ChatMessage> prompt = to_chat_messages(std::vector<Message>(msgs.begin(), msgs.end() - 1));
    const std::string reply = greedy_chat_reply(m, cache, tok, prompt, max_new);
    const bool ok = contains_answer(reply, ex.answer);
    exact += reply == msgs.back().content;
    match += ok;
    const std::string fam = ex.task.substr(0, ex.task.find('.'));
    r.by_family[fam].first += ok;
    r.by_family[fam].second += 1;
    r.replies.push_back(reply);
    r.n++;
  }
  if (r.n) r.reply_exact = double(exact) / r.n, r.answer_match = double(match) / r.n;
  return r;
}

}  // namespace llm
