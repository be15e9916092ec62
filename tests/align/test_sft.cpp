// SFT data and loss: assistant-only shifted targets on a multi-turn chat, packing without
// cross-attention (a packed row scores exactly like its examples run alone), and a finite-
// difference check of the masked loss through a packed batch.
#include <gtest/gtest.h>

#include "core/align/sft.h"
#include "core/util/ignore_index.h"
#include "tests/align/align_test_util.h"

namespace llm {
namespace {

using aligntest::chat_tokenizer;

std::vector<ChatMessage> multi_turn() {
  return {{"system", "Be brief."},
          {"user", "hello there"},
          {"assistant", "I am fine."},
          {"user", "and the cat?"},
          {"assistant", "It sat on the mat."}};
}

TEST(SftData, ShiftTargetsPutsEachMaskedTokenOnThePreviousRow) {
  //               ids:  5  6  7  8  9
  //              mask:  0  0  1  1  0
  // targets (t -> t+1): -  7  8  -  -
  const std::vector<int32_t> y = shift_targets({5, 6, 7, 8, 9}, {0, 0, 1, 1, 0});
  EXPECT_EQ(y, (std::vector<int32_t>{kIgnoreIndex, 7, 8, kIgnoreIndex, kIgnoreIndex}));
  EXPECT_THROW(shift_targets({1, 2}, {0}), std::runtime_error);
}

TEST(SftData, MaskCoversExactlyTheAssistantRepliesOfAMultiTurnChat) {
  const BpeTokenizer& tok = chat_tokenizer();
  const auto msgs = multi_turn();
  const EncodedChat chat = encode_chat(tok, msgs, false);
  const SftSequence s = sft_sequence(tok, msgs, 1000);
  ASSERT_EQ(s.ids, chat.ids);
  ASSERT_EQ(s.targets.size(), s.ids.size());
  ASSERT_EQ(chat.assistant_tokens.size(), 2u);

  // the scored tokens, in order, are the two replies with their closing <|im_end|>, nothing else
  std::vector<int32_t> scored;
  for (size_t t = 0; t < s.targets.size(); t++)
    if (s.targets[t] != kIgnoreIndex) {
      EXPECT_EQ(s.targets[t], s.ids[t + 1]) << "row " << t << " must predict the NEXT token";
      scored.push_back(s.targets[t]);
    }
  EXPECT_EQ(tok.decode(scored), "I am fine.<|im_end|>It sat on the mat.<|im_end|>");

  // row t is scored iff token t+1 lies in an assistant span
  for (size_t t = 0; t + 1 < s.ids.size(); t++) {
    bool inside = false;
    for (const Span& sp : chat.assistant_tokens) inside |= t + 1 >= sp.begin && t + 1 < sp.end;
    EXPECT_EQ(s.targets[t] != kIgnoreIndex, inside) << "row " << t;
  }
  EXPECT_EQ(s.targets.back(), kIgnoreIndex);
  // the system and user turns and the "assistant\n" headers are never predicted
  const size_t first = chat.assistant_tokens[0].begin, second = chat.assistant_tokens[1].begin;
  EXPECT_EQ(tok.decode({s.ids[first - 1]}).back(), '\n');  // the header "assistant\n" ends right before
  EXPECT_EQ(s.targets[first - 1], s.ids[first]);    // the header's last token predicts "I"
  EXPECT_EQ(s.targets[second - 1], s.ids[second]);  // and "It"
  EXPECT_EQ(s.targets[first - 2], kIgnoreIndex);
}

TEST(SftData, TruncationKeepsThePrefixAndDropsTheCutTarget) {
  const BpeTokenizer& tok = chat_tokenizer();
  const SftSequence full = sft_sequence(tok, multi_turn(), 1000);
  const int cut = int(full.ids.size()) - 3;
  const SftSequence s = sft_sequence(tok, multi_turn(), cut);
  ASSERT_EQ(int(s.ids.size()), cut);
  for (int t = 0; t < cut - 1; t++) EXPECT_EQ(s.targets[t], full.targets[t]);
  EXPECT_EQ(s.targets[cut - 1], kIgnoreIndex);
}

SftSequence seq(std::vector<int32_t> ids, std::vector<uint8_t> mask) {
  SftSequence s;
  s.targets = shift_targets(ids, mask);
  s.ids = std::move(ids);
  return s;
}

std::vector<SftSequence> toy_data() {
  return {seq({1, 2, 3, 4}, {0, 0, 1, 1}), seq({5, 6, 7}, {0, 1, 1}), seq({8, 9, 10, 11, 12}, {0, 0, 0, 1, 1}),
          seq({2, 4, 6}, {0, 0, 1}), seq({3, 5}, {0, 1})};
}

TEST(SftPacking, RowsHoldWholeExamplesWithTheirOwnDocStart) {
  SftBatcher bt(toy_data(), 8, /*packing=*/true, /*pad=*/0, 7, /*shuffle=*/false);
  const TokenBatch b = bt.next(2);
  ASSERT_EQ(b.B, 2);
  ASSERT_EQ(b.T, 8);
  // in order: row 0 = [1 2 3 4 | 5 6 7 | pad], row 1 = [8 9 10 11 12 | 2 4 6]
  EXPECT_EQ(b.x, (std::vector<int32_t>{1, 2, 3, 4, 5, 6, 7, 0, 8, 9, 10, 11, 12, 2, 4, 6}));
  EXPECT_EQ(b.doc_start, (std::vector<int32_t>{0, 0, 0, 0, 4, 4, 4, 7, 0, 0, 0, 0, 0, 5, 5, 5}));
  const int I = kIgnoreIndex;
  EXPECT_EQ(b.y, (std::vector<int32_t>{I, 3, 4, I, 6, 7, I, I, I, I, 11, 12, I, I, 6, I}));
  // the next batch continues with the fifth example, then wraps to a new epoch
  const TokenBatch c = bt.next(1);
  EXPECT_EQ(c.x[0], 3);
  EXPECT_EQ(bt.epoch(), 1u);
}

TEST(SftPacking, WithoutPackingOneExamplePerRowAndTShrinks) {
  SftBatcher bt(toy_data(), 8, false, 0, 7, false);
  const TokenBatch b = bt.next(3);
  EXPECT_EQ(b.T, 5);  // the longest of the three
  EXPECT_EQ(b.x[0], 1);
  EXPECT_EQ(b.x[5], 5);
  EXPECT_EQ(b.x[10], 8);
  for (int32_t d : b.doc_start) EXPECT_LE(d, 4);
}

TEST(SftPacking, ShuffledEpochsVisitEveryExampleOnce) {
  SftBatcher bt(toy_data(), 8, false, 0, 3, true);
  std::vector<int> seen(13, 0);
  for (int i = 0; i < 5; i++) seen[size_t(bt.next(1).x[0])]++;
  for (int first : {1, 5, 8, 2, 3}) EXPECT_EQ(seen[size_t(first)], 1) << first;
  // set_state replays the same order
  SftBatcher a(toy_data(), 8, false, 0, 3, true), b2(toy_data(), 8, false, 0, 3, true);
  a.next(2);
  b2.set_state(a.epoch(), a.position());
  EXPECT_EQ(a.next(2).x, b2.next(2).x);
}

TEST(SftPacking, EvalBatchesCoverEveryExample) {
  const auto d = toy_data();
  int64_t want = 0;
  for (auto& s : d) want += s.n_targets();
  int64_t got = 0;
  for (const TokenBatch& b : sft_eval_batches(d, 2, 8, true, 0)) got += b.n_targets();
  EXPECT_EQ(got, want);
}

// A packed row's logits equal those of each example run alone: no attention across examples,
// and with absolute positions (learned, sinusoidal) each example's positions restart at 0.
TEST(SftPacking, PackedRowScoresExactlyLikeSeparateExamples) {
  for (const char* pos : {"rope", "alibi", "learned", "sinusoidal"}) {
  SCOPED_TRACE(pos);
  ModelConfig c = aligntest::tiny_cfg();
  c.pos = pos;
  Transformer<double> m(c);
  aligntest::randomize(m, 3);
  SftBatcher bt(toy_data(), 8, true, 0, 7, false);
  const TokenBatch b = bt.next(2);
  Graph<double> g;
  g.grad_enabled = false;
  const TensorT<double> packed = m.forward(g, b.x.data(), b.B, b.T, nullptr, b.doc_start.data());
  const int V = m.cfg.vocab_size;
  const auto data = toy_data();
  struct Place { int row, off; size_t ex; };
  for (const Place& p : {Place{0, 0, 0}, Place{0, 4, 1}, Place{1, 0, 2}, Place{1, 5, 3}}) {
    const SftSequence& s = data[p.ex];
    Graph<double> g1;
    g1.grad_enabled = false;
    const TensorT<double> alone = m.forward(g1, s.ids.data(), 1, int(s.ids.size()));
    for (size_t t = 0; t < s.ids.size(); t++)
      for (int v = 0; v < V; v++)
        EXPECT_NEAR(packed.data[(size_t(p.row) * b.T + p.off + t) * V + v], alone.data[t * V + v], 1e-12)
            << "example " << p.ex << " position " << t;
  }
  // without doc_start the second example of row 0 would see the first: the logits differ
  Graph<double> g2;
  g2.grad_enabled = false;
  const TensorT<double> leaky = m.forward(g2, b.x.data(), b.B, b.T);
  EXPECT_GT(std::abs(leaky.data[size_t(5) * V] - packed.data[size_t(5) * V]), 1e-6);
  }
}

TEST(SftLoss, MaskedPackedLossGradientMatchesFiniteDifferences) {
  for (const char* pos : {"rope", "learned"}) {  // learned: the restarted position rows get the gradient
  SCOPED_TRACE(pos);
  ModelConfig c = aligntest::tiny_cfg();
  c.pos = pos;
  Transformer<double> m(c);
  aligntest::randomize(m, 11);
  SftBatcher bt(toy_data(), 8, true, 0, 7, false);
  const TokenBatch b = bt.next(2);
  auto loss = [&](bool backward) {
    Graph<double> g;
    TensorT<double> l = cross_entropy(g, m.forward(g, b.x.data(), b.B, b.T, nullptr, b.doc_start.data()), b.y.data());
    if (backward) g.backward(l);
    return l.data[0];
  };
  aligntest::check_store(m.params, loss, "sft loss");
  // the loss is the mean over scored tokens only: changing an unscored target changes nothing
  TokenBatch b2 = b;
  const double l0 = loss(false);
  b2.x[7] = 5;  // the pad of row 0 (no target, own document)
  Graph<double> g;
  const double l1 = cross_entropy(g, m.forward(g, b2.x.data(), b2.B, b2.T, nullptr, b2.doc_start.data()), b2.y.data()).data[0];
  EXPECT_NEAR(l0, l1, 1e-14);
  }
}

}  // namespace
}  // namespace llm
