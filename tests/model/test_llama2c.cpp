// llama2.c interop: model.bin round trips (v0 and v1), a run.c-style forward over the exported
// bytes equals our forward (which checks the RoPE row permutation independently of our importer),
// vocab re-layout, tokenizer.bin both ways, run.c's encoder, and clear errors on bad files.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>

#include "core/model/llama2c.h"
#include "core/tokenizer/bpe.h"
#include "core/util/rng.h"

using namespace llm;
namespace l2c = llm::llama2c;

static ModelConfig cfg_small(bool tied, int kv_heads = 2) {
  ModelConfig c;
  c.dim = 16, c.n_layers = 2, c.n_heads = 4, c.n_kv_heads = kv_heads, c.vocab_size = 29, c.max_seq_len = 12;
  c.ffn_hidden = 24, c.tie_embeddings = tied;
  return c;
}

// every parameter random (norm weights too), so a tensor written in the wrong place shows
static Transformer<float> random_model(const ModelConfig& c, uint64_t seed) {
  Transformer<float> m(c);
  Rng r(seed);
  for (size_t i = 0; i < m.params.size(); i++) m.params.values()[i] = float(r.normal() * 0.3);
  return m;
}

static std::vector<float> logits_of(Transformer<float>& m, const std::vector<int32_t>& tok) {
  Graph<float> g;
  g.grad_enabled = false;
  TensorT<float> l = m.forward(g, tok.data(), 1, int(tok.size()));
  return std::vector<float>(l.data, l.data + l.numel());
}

// run.c's forward, one token at a time with a KV cache, reading the v0 bytes the way run.c maps
// them: interleaved RoPE pairs (2i, 2i+1), w1 = gate, w3 = up, wcls after the RoPE tables.
static std::vector<float> runc_style_logits(const std::vector<uint8_t>& bin, const std::vector<int32_t>& toks) {
  int32_t h[7];
  std::memcpy(h, bin.data(), 28);
  const int C = h[0], F = h[1], L = h[2], H = h[3], KVH = h[4], V = std::abs(h[5]), S = h[6];
  const int hd = C / H, KV = KVH * hd;
  std::vector<float> w((bin.size() - 28) / 4);
  std::memcpy(w.data(), bin.data() + 28, w.size() * 4);
  const float* p = w.data();
  auto take = [&](size_t n) { const float* q = p; p += n; return q; };
  const float *emb = take(size_t(V) * C), *rms_att = take(size_t(L) * C), *wq = take(size_t(L) * C * C),
              *wk = take(size_t(L) * KV * C), *wv = take(size_t(L) * KV * C), *wo = take(size_t(L) * C * C),
              *rms_ffn = take(size_t(L) * C), *w1 = take(size_t(L) * F * C), *w2 = take(size_t(L) * C * F),
              *w3 = take(size_t(L) * F * C), *rms_f = take(C);
  take(size_t(S) * hd);  // freq_cis real + imag
  const float* cls = h[5] > 0 ? emb : take(size_t(V) * C);
  auto rms = [&](std::vector<float>& o, const std::vector<float>& x, const float* g) {
    float ss = 0;
    for (float v : x) ss += v * v;
    ss = 1.0f / std::sqrt(ss / C + 1e-5f);
    for (int i = 0; i < C; i++) o[i] = g[i] * ss * x[i];
  };
  auto mv = [](std::vector<float>& o, const std::vector<float>& x, const float* W, int out, int in) {
    for (int i = 0; i < out; i++) {
      float s = 0;
      for (int j = 0; j < in; j++) s += W[size_t(i) * in + j] * x[j];
      o[i] = s;
    }
  };
  std::vector<float> kc(size_t(L) * S * KV), vc(size_t(L) * S * KV), out;
  for (int pos = 0; pos < int(toks.size()); pos++) {
    std::vector<float> x(emb + size_t(toks[pos]) * C, emb + size_t(toks[pos] + 1) * C), xb(C), q(C), k(KV), v(KV),
        att(C), o(C), hb(F), hb2(F);
    for (int l = 0; l < L; l++) {
      rms(xb, x, rms_att + size_t(l) * C);
      mv(q, xb, wq + size_t(l) * C * C, C, C);
      mv(k, xb, wk + size_t(l) * KV * C, KV, C);
      mv(v, xb, wv + size_t(l) * KV * C, KV, C);
      for (int i = 0; i < C; i += 2) {
        const float a = pos * (1.0f / std::pow(10000.0f, float(i % hd) / hd));
        const float c = std::cos(a), s = std::sin(a);
        for (int which = 0; which < (i < KV ? 2 : 1); which++) {
          std::vector<float>& vec = which == 0 ? q : k;
          const float v0 = vec[i], v1 = vec[i + 1];
          vec[i] = v0 * c - v1 * s, vec[i + 1] = v0 * s + v1 * c;
        }
      }
      std::copy(k.begin(), k.end(), kc.begin() + (size_t(l) * S + pos) * KV);
      std::copy(v.begin(), v.end(), vc.begin() + (size_t(l) * S + pos) * KV);
      for (int hh = 0; hh < H; hh++) {
        const int g = hh / (H / KVH);
        std::vector<float> sc(pos + 1);
        float mx = -1e30f, sum = 0;
        for (int t = 0; t <= pos; t++) {
          float s = 0;
          for (int i = 0; i < hd; i++) s += q[hh * hd + i] * kc[(size_t(l) * S + t) * KV + g * hd + i];
          sc[t] = s / std::sqrt(float(hd));
          mx = std::max(mx, sc[t]);
        }
        for (float& s : sc) sum += (s = std::exp(s - mx));
        for (int i = 0; i < hd; i++) {
          float a = 0;
          for (int t = 0; t <= pos; t++) a += sc[t] / sum * vc[(size_t(l) * S + t) * KV + g * hd + i];
          att[hh * hd + i] = a;
        }
      }
      mv(o, att, wo + size_t(l) * C * C, C, C);
      for (int i = 0; i < C; i++) x[i] += o[i];
      rms(xb, x, rms_ffn + size_t(l) * C);
      mv(hb, xb, w1 + size_t(l) * F * C, F, C);
      mv(hb2, xb, w3 + size_t(l) * F * C, F, C);
      for (int i = 0; i < F; i++) hb[i] = hb[i] / (1.0f + std::exp(-hb[i])) * hb2[i];
      mv(o, hb, w2 + size_t(l) * C * F, C, F);
      for (int i = 0; i < C; i++) x[i] += o[i];
    }
    rms(xb, x, rms_f);
    std::vector<float> logits(V);
    mv(logits, xb, cls, V, C);
    out.insert(out.end(), logits.begin(), logits.end());
  }
  return out;
}

static void expect_close(const std::vector<float>& a, const std::vector<float>& b, float tol) {
  ASSERT_EQ(a.size(), b.size());
  float worst = 0;
  for (size_t i = 0; i < a.size(); i++) worst = std::max(worst, std::fabs(a[i] - b[i]));
  EXPECT_LT(worst, tol);
}

static std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Llama2c, V0HeaderAndLayout) {
  for (bool tied : {true, false}) {
    Transformer<float> m = random_model(cfg_small(tied), 1);
    std::vector<uint8_t> bin = l2c::write_model(m);
    int32_t h[7];
    std::memcpy(h, bin.data(), 28);
    EXPECT_EQ(h[0], 16);
    EXPECT_EQ(h[1], 24);
    EXPECT_EQ(h[2], 2);
    EXPECT_EQ(h[3], 4);
    EXPECT_EQ(h[4], 2);
    EXPECT_EQ(h[5], tied ? 29 : -29);  // the sign says whether the classifier is shared
    EXPECT_EQ(h[6], 12);
    l2c::Header hd = l2c::read_header(bin.data(), bin.size(), "model.bin");
    EXPECT_EQ(uint64_t(bin.size()), l2c::expected_size(hd));
    // the embedding comes right after the header, unpermuted
    float e0;
    std::memcpy(&e0, bin.data() + 28 + 4 * 5, 4);
    EXPECT_EQ(e0, m.params.get("model.embed_tokens.weight").data[5]);
  }
}

TEST(Llama2c, RoundTripGivesIdenticalWeightsAndLogits) {
  for (int version : {0, 1})
    for (bool tied : {true, false}) {
      Transformer<float> a = random_model(cfg_small(tied), 2);
      std::vector<uint8_t> bin = l2c::write_model(a, {}, version);
      l2c::Header h;
      Transformer<float> b = l2c::read_model(bin.data(), bin.size(), "model.bin", &h);
      EXPECT_EQ(h.version, version);
      EXPECT_EQ(h.shared_classifier, tied);
      EXPECT_EQ(b.cfg.to_json(), a.cfg.to_json());
      ASSERT_EQ(a.params.size(), b.params.size());
      EXPECT_EQ(0, std::memcmp(a.params.values(), b.params.values(), a.params.size() * 4));
      const std::vector<int32_t> tok{3, 1, 4, 1, 5, 9, 2, 6};
      EXPECT_EQ(logits_of(a, tok), logits_of(b, tok));
    }
}

// run.c's interleaved RoPE over the exported bytes gives our logits: the wq/wk row permutation
// is right (a wrong one would round-trip fine but compute something else under run.c)
TEST(Llama2c, RunCStyleForwardMatchesOurs) {
  for (int kv : {4, 2, 1})
    for (bool tied : {true, false}) {
      Transformer<float> m = random_model(cfg_small(tied, kv), 3);
      const std::vector<int32_t> tok{7, 0, 28, 13, 13, 2, 19, 11, 5, 1};
      expect_close(runc_style_logits(l2c::write_model(m), tok), logits_of(m, tok), 2e-4f);
    }
  // and without the permutation the logits differ: the check has teeth
  Transformer<float> m = random_model(cfg_small(true), 4);
  std::vector<uint8_t> bin = l2c::write_model(m);
  l2c::Header h = l2c::read_header(bin.data(), bin.size(), "x");
  const size_t wq_at = 28 + size_t(h.vocab_size + 2) * h.dim * 4;  // after embeddings and rms_att
  std::vector<float> wq(size_t(h.dim) * h.dim), half(wq.size());
  std::memcpy(wq.data(), bin.data() + wq_at, wq.size() * 4);
  l2c::rope_rows_interleaved_to_half(wq.data(), half.data(), h.n_heads, h.dim / h.n_heads, h.dim);
  std::memcpy(bin.data() + wq_at, half.data(), half.size() * 4);
  const std::vector<int32_t> tok{7, 0, 28, 13};
  std::vector<float> a = runc_style_logits(bin, tok), b = logits_of(m, tok);
  float worst = 0;
  for (size_t i = 0; i < a.size(); i++) worst = std::max(worst, std::fabs(a[i] - b[i]));
  EXPECT_GT(worst, 1e-3f);
}

TEST(Llama2c, RopePermutationsAreInverse) {
  const int H = 3, hd = 8, cols = 5;
  std::vector<float> w(H * hd * cols), a(w.size()), b(w.size());
  for (size_t i = 0; i < w.size(); i++) w[i] = float(i);
  l2c::rope_rows_half_to_interleaved(w.data(), a.data(), H, hd, cols);
  // head 1, pair 2: our rows 8+2 and 8+2+4 become rows 8+4 and 8+5
  EXPECT_EQ(a[(8 + 4) * cols], w[(8 + 2) * cols]);
  EXPECT_EQ(a[(8 + 5) * cols], w[(8 + 6) * cols]);
  l2c::rope_rows_interleaved_to_half(a.data(), b.data(), H, hd, cols);
  EXPECT_EQ(b, w);
}

TEST(Llama2c, VocabOrderPermutesRows) {
  ModelConfig c = cfg_small(false);
  Transformer<float> a = random_model(c, 5);
  std::vector<int32_t> order(c.vocab_size);  // llama2.c id -> our id
  for (int i = 0; i < c.vocab_size; i++) order[i] = (i * 7 + 3) % c.vocab_size;
  std::vector<uint8_t> bin = l2c::write_model(a, order);
  Transformer<float> b = l2c::read_model(bin.data(), bin.size(), "model.bin");
  // feeding llama2.c ids to b equals feeding our ids to a, with logits permuted the same way
  const std::vector<int32_t> theirs{0, 5, 17, 28, 3};
  std::vector<int32_t> ours;
  for (int32_t t : theirs) ours.push_back(order[t]);
  std::vector<float> la = logits_of(a, ours), lb = logits_of(b, theirs);
  for (size_t t = 0; t < theirs.size(); t++)
    for (int i = 0; i < c.vocab_size; i++)  // equal up to the matmul's summation order
      EXPECT_NEAR(lb[t * c.vocab_size + i], la[t * c.vocab_size + order[i]], 1e-5f);
  std::vector<int32_t> bad = order;
  bad[1] = bad[0];
  EXPECT_NE(error_of([&] { l2c::write_model(a, bad); }).find("not a permutation"), std::string::npos);
}

TEST(Llama2c, UnsupportedSwitchesAreNamed) {
  ModelConfig c = cfg_small(true);
  c.norm = "layernorm", c.pos = "alibi", c.bias = true;
  Transformer<float> m(c);
  const std::string e = error_of([&] { l2c::write_model(m); });
  EXPECT_NE(e.find("norm = \"layernorm\""), std::string::npos) << e;
  EXPECT_NE(e.find("pos = \"alibi\""), std::string::npos) << e;
  EXPECT_NE(e.find("bias = true"), std::string::npos) << e;
  ModelConfig d = cfg_small(true);
  d.rope_theta = 500000, d.norm_eps = 1e-6, d.ffn = "gelu_mlp";
  const std::vector<std::string> bad = l2c::unsupported_switches(d);
  ASSERT_EQ(bad.size(), 3u);
  EXPECT_TRUE(l2c::unsupported_switches(cfg_small(false)).empty());
}

TEST(Llama2c, TruncatedAndCorruptedFilesGiveClearErrors) {
  Transformer<float> m = random_model(cfg_small(false), 6);
  const std::vector<uint8_t> bin = l2c::write_model(m);
  auto read = [&](const std::vector<uint8_t>& b) {
    return error_of([&] { l2c::read_model(b.data(), b.size(), "stories.bin"); });
  };
  // cut inside the header, inside wk of layer 1, and in the classifier
  std::string e = read(std::vector<uint8_t>(bin.begin(), bin.begin() + 10));
  EXPECT_NE(e.find("stories.bin: truncated header"), std::string::npos) << e;
  const size_t wk1 = 28 + size_t(29 * 16 + 2 * 16 + 2 * 16 * 16 + 8 * 16) * 4 + 100;
  e = read(std::vector<uint8_t>(bin.begin(), bin.begin() + long(wk1)));
  EXPECT_NE(e.find("stories.bin: truncated at byte offset " + std::to_string(wk1)), std::string::npos) << e;
  EXPECT_NE(e.find("wk of layer 1"), std::string::npos) << e;
  e = read(std::vector<uint8_t>(bin.begin(), bin.end() - 4));
  EXPECT_NE(e.find("wcls"), std::string::npos) << e;
  // trailing garbage, a zero dim, a head count that does not divide dim, a v2 file, a NaN
  std::vector<uint8_t> b = bin;
  b.resize(b.size() + 8);
  EXPECT_NE(read(b).find("8 unexpected bytes"), std::string::npos);
  b = bin;
  std::memset(b.data(), 0, 4);
  EXPECT_NE(read(b).find("dim = 0 at byte offset 0"), std::string::npos) << read(b);
  b = bin;
  const int32_t five = 5;
  std::memcpy(b.data() + 12, &five, 4);
  EXPECT_NE(read(b).find("not divisible by n_heads 5"), std::string::npos) << read(b);
  b = l2c::write_model(m, {}, 1);
  const int32_t two = 2;
  std::memcpy(b.data() + 4, &two, 4);
  EXPECT_NE(read(b).find("version 2"), std::string::npos) << read(b);
  b = bin;
  const float nan = std::nanf("");
  std::memcpy(b.data() + 28 + 4 * 3, &nan, 4);
  EXPECT_NE(read(b).find("non-finite value at byte offset 40"), std::string::npos) << read(b);
  EXPECT_NE(read({}).find("truncated header"), std::string::npos);
}

// ---------------------------------------------------------------- tokenizer.bin

static const char* kText =
    "Once upon a time there was a little cat. The cat liked to play in the sun. One day the cat saw a bird. "
    "The bird was blue and small. The cat and the bird played all day. They were happy friends.\n"
    "Lily had a red ball. She liked to throw the ball to her dog. The dog ran fast and got the ball. ";

static BpeTokenizer small_bpe() {
  BpeTrainOptions o;
  o.vocab_size = 256 + 120 + 4;
  return BpeTokenizer::train(std::string(kText) + kText, o);
}

TEST(Llama2cTokenizer, ExportPlacesBosEosAndBytesWhereRunCExpectsThem) {
  BpeTokenizer tok = small_bpe();
  const int V = tok.vocab_size() + 6;  // a model may have more rows than tokens
  l2c::ExportedVocab e = l2c::export_vocab(tok, V, false);
  ASSERT_EQ(int(e.order.size()), V);
  EXPECT_EQ(e.order[1], tok.token_id("<|endoftext|>"));
  EXPECT_EQ(e.order[2], tok.token_id("<|im_end|>"));
  EXPECT_EQ(e.order[0], tok.token_id("<|pad|>"));
  for (int b = 0; b < 256; b++) {
    EXPECT_EQ(e.vocab.pieces[3 + b], std::string(1, char(b)));
    EXPECT_EQ(e.vocab.scores[3 + b], 0.0f);
  }
  std::vector<int32_t> sorted = e.order;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < V; i++) EXPECT_EQ(sorted[i], i);  // a permutation
  EXPECT_EQ(e.vocab.scores[1], l2c::kSpecialScore);
  EXPECT_EQ(e.vocab.pieces[V - 1], "<|unused_" + std::to_string(V - 1) + "|>");  // run.c cannot read ""
  for (const std::string& p : e.vocab.pieces) EXPECT_FALSE(p.empty());
  // merged tokens score -rank: the first merge is the best-scoring
  const BpeMerge& m0 = tok.merges()[0];
  for (int i = 0; i < V; i++)
    if (e.order[i] == m0.id) {
      EXPECT_EQ(e.vocab.scores[i], 0.0f);
    }
  // keep_ids: identity
  l2c::ExportedVocab k = l2c::export_vocab(tok, V, true);
  for (int i = 0; i < V; i++) EXPECT_EQ(k.order[i], i);
  EXPECT_THROW(l2c::export_vocab(tok, tok.vocab_size() - 1, false), std::runtime_error);
}

TEST(Llama2cTokenizer, FileRoundTripAndErrors) {
  l2c::Vocab v;
  v.pieces = {"<unk>", "\n<s>\n", "\n</s>\n", "a", " b", ""};
  v.scores = {0, 0, 0, -1.5f, -2, l2c::kSpecialScore};
  v.max_token_length = 5;
  std::vector<uint8_t> bin = l2c::write_tokenizer(v);
  EXPECT_EQ(bin.size(), 4 + 6 * 8 + 5 + 5 + 6 + 1 + 2 + 0u);
  l2c::Vocab r = l2c::read_tokenizer(bin.data(), bin.size(), 6, "tokenizer.bin");
  EXPECT_EQ(r.pieces, v.pieces);
  EXPECT_EQ(r.scores, v.scores);
  EXPECT_EQ(r.max_token_length, 5u);
  std::string e = error_of([&] { l2c::read_tokenizer(bin.data(), bin.size() - 3, 6, "tok.bin"); });
  EXPECT_NE(e.find("tok.bin: truncated at byte offset"), std::string::npos) << e;
  EXPECT_NE(e.find("token 5's score and length"), std::string::npos) << e;
  e = error_of([&] { l2c::read_tokenizer(bin.data(), bin.size(), 5, "tok.bin"); });
  EXPECT_NE(e.find("more tokens than the model's vocab_size 5"), std::string::npos) << e;
  std::vector<uint8_t> b = bin;
  const int32_t neg = -7;
  std::memcpy(b.data() + 8, &neg, 4);
  e = error_of([&] { l2c::read_tokenizer(b.data(), b.size(), 6, "tok.bin"); });
  EXPECT_NE(e.find("token 0 has length -7 at byte offset 8"), std::string::npos) << e;
}

// run.c's greedy score-ordered merging over our exported scores reproduces our BPE ids
// (given the leading space run.c adds) on plain text
TEST(Llama2cTokenizer, RunCEncoderAgreesWithOurBpeOnExport) {
  BpeTokenizer tok = small_bpe();
  l2c::ExportedVocab e = l2c::export_vocab(tok, tok.vocab_size(), false);
  for (const char* s : {"Once upon a time there was a little cat.", "The dog ran fast and got the ball.",
                        "Lily saw a blue bird!", "zebra quartz"}) {
    std::vector<int32_t> theirs = l2c::runc_encode(e.vocab, s, true, false), mapped;
    ASSERT_EQ(theirs[0], 1);
    for (size_t i = 1; i < theirs.size(); i++) mapped.push_back(e.order[theirs[i]]);
    EXPECT_EQ(mapped, tok.encode(std::string(" ") + s)) << s;
  }
  // a character outside the vocab falls back to byte + 3, which is its byte token after re-layout
  std::vector<int32_t> t = l2c::runc_encode(e.vocab, "\xC3\xA9", false, true);
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[1], 3 + 0xC3);
  EXPECT_EQ(t[2], 3 + 0xA9);
  EXPECT_EQ(t[3], 2);
}

TEST(Llama2cTokenizer, RunCPiecePrinting) {
  l2c::Vocab v;
  v.pieces = {"<unk>", "\n<s>\n", "\n</s>\n", " Once", "<0x0A>", std::string(1, '\x07'), "x\0y"};
  v.pieces[6] = std::string("x\0y", 3);
  v.scores.assign(v.pieces.size(), 0);
  EXPECT_EQ(l2c::runc_piece(v, 1, 3), "Once");   // leading space dropped after BOS
  EXPECT_EQ(l2c::runc_piece(v, 4, 3), " Once");
  EXPECT_EQ(l2c::runc_piece(v, 3, 4), "\n");     // byte token
  EXPECT_EQ(l2c::runc_piece(v, 3, 5), "");       // unprintable single byte
  EXPECT_EQ(l2c::runc_piece(v, 3, 6), "x");      // C string
}

// a SentencePiece-style vocabulary (Llama 2 layout) becomes a byte-level BPE with the same ids
TEST(Llama2cTokenizer, SentencePieceVocabImports) {
  l2c::Vocab v;
  v.pieces = {"<unk>", "\n<s>\n", "\n</s>\n"};
  v.scores = {0, 0, 0};
  char hex[8];
  for (int b = 0; b < 256; b++) {
    std::snprintf(hex, sizeof hex, "<0x%02X>", b);
    v.pieces.push_back(hex);
    v.scores.push_back(0);
  }
  const std::vector<std::string> pieces = {" t", "he", " the", " c", "at", " cat", "e", "h", "t", " ", "a", "c",
                                           "\xC3\xA9", " caf", " caf\xC3\xA9", "f", "\xE2\x80\x99", " ca"};
  for (size_t i = 0; i < pieces.size(); i++) {
    v.pieces.push_back(pieces[i]);
    v.scores.push_back(-float(i));
  }
  const int32_t base = 259;
  std::vector<std::string> notes;
  BpeTokenizer tok = BpeTokenizer::from_hf_json(l2c::vocab_to_tokenizer_json(v, &notes));
  ASSERT_EQ(tok.vocab_size(), int(v.pieces.size()));
  EXPECT_EQ(tok.token_id("<s>"), 1);
  EXPECT_EQ(tok.token_id("</s>"), 2);
  EXPECT_TRUE(tok.is_special(3 + 'a'));  // "<0x61>" duplicates the piece "a"
  EXPECT_FALSE(tok.is_special(3 + '\n'));
  EXPECT_EQ(tok.decode({3 + '\n'}), "\n");  // byte tokens decode to their byte
  EXPECT_EQ(tok.encode(" the cat"), (std::vector<int32_t>{base + 2, base + 5}));
  EXPECT_EQ(tok.encode(" caf\xC3\xA9"), (std::vector<int32_t>{base + 14}));
  EXPECT_EQ(tok.encode("<s> the"), (std::vector<int32_t>{1, base + 2}));
  for (const char* s : {"the cat", "a cat\nthe caf\xC3\xA9", "hat"}) {
    std::vector<int32_t> theirs = l2c::runc_encode(v, s, false, false);
    EXPECT_EQ(tok.encode(std::string(" ") + s), theirs) << s;
    EXPECT_EQ(tok.decode(theirs), std::string(" ") + s);
  }
  // "’" is one character to SentencePiece but three bytes to us: only as a whole pre-token it
  // maps to its piece (ignore_merges); the notes say so
  EXPECT_EQ(tok.encode("\xE2\x80\x99"), (std::vector<int32_t>{base + 16}));
  bool noted = false;
  for (const std::string& n : notes) noted |= n.find("3 or more UTF-8 bytes") != std::string::npos;
  EXPECT_TRUE(noted);
}

// our export read back through the importer gives the same tokenizer (under the id re-layout)
TEST(Llama2cTokenizer, ExportThenImportKeepsEncoding) {
  BpeTokenizer ours = small_bpe();
  l2c::ExportedVocab e = l2c::export_vocab(ours, ours.vocab_size(), false);
  std::vector<uint8_t> bin = l2c::write_tokenizer(e.vocab);
  l2c::Vocab back = l2c::read_tokenizer(bin.data(), bin.size(), ours.vocab_size(), "tokenizer.bin");
  BpeTokenizer imported = BpeTokenizer::from_hf_json(l2c::vocab_to_tokenizer_json(back, nullptr));
  EXPECT_EQ(imported.token_id("<|endoftext|>"), 1);
  std::vector<int32_t> inv(e.order.size());
  for (size_t i = 0; i < e.order.size(); i++) inv[size_t(e.order[i])] = int32_t(i);
  const std::string text = std::string(kText) + "<|endoftext|>Lily ran.";
  std::vector<int32_t> a = ours.encode(text), b = imported.encode(text);
  for (int32_t& t : a) t = inv[size_t(t)];
  EXPECT_EQ(a, b);
  EXPECT_EQ(imported.decode(b), text);
}
