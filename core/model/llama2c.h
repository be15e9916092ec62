// llama2.c interop (docs/interop.md): Karpathy's run.c checkpoint format and its tokenizer.bin,
// as bytes in and bytes out (the CLI in native/llama2c_cmd.cpp does the files).
//
// model.bin, legacy "v0" (what run.c reads), all little-endian:
//   int32 dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len
//          (vocab_size < 0: the classifier is NOT shared with the embedding and comes last)
//   fp32   tok_embeddings (V, C) | rms_att (L, C) | wq (L, C, C) | wk (L, KVH*hd, C) | wv (L, KVH*hd, C)
//          | wo (L, C, C) | rms_ffn (L, C) | w1 (L, F, C) | w2 (L, C, F) | w3 (L, F, C) | rms_final (C)
//          | freq_cis_real (seq_len, hd/2) | freq_cis_imag (seq_len, hd/2) | [wcls (V, C)]
// model.bin "v1" (export.py version1_export): a 256-byte header (uint32 magic "ak42" = 0x616b3432,
//   int32 version = 1, the 7 int32 above with a positive vocab_size, uint8 shared_classifier, zero
//   padding), then rms_att | rms_ffn | rms_final | tok_embeddings | wq | wk | wv | wo | w1 | w2 | w3
//   | [wcls], no freq_cis. Read only (run.c cannot run it).
// w1 = our gate_proj, w3 = up_proj, w2 = down_proj; all matrices are (out, in) like ours.
//
// RoPE: run.c rotates interleaved pairs (2i, 2i+1) of each head, we rotate (i, i + hd/2) (the
// Hugging Face rotate_half convention, core/tensor/ops_attention.cpp). Both use the angle
// pos * theta^(-2i/hd) for pair i, so permuting the rows of wq and wk inside every head maps one
// model exactly onto the other (q.k is unchanged because q and k get the same permutation).
//
// tokenizer.bin: uint32 max_token_length, then per token: float32 score, int32 len, len raw bytes.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/transformer.h"

namespace llm {
class BpeTokenizer;
}

namespace llm::llama2c {

// ---------------------------------------------------------------- model.bin

struct Header {
  int32_t dim = 0, hidden_dim = 0, n_layers = 0, n_heads = 0, n_kv_heads = 0;
  int32_t vocab_size = 0;  // always positive here; v0 stores it negated when !shared_classifier
  int32_t seq_len = 0;
  bool shared_classifier = true;
  int version = 0;  // 0 = legacy run.c file, 1 = "ak42" fp32
};

// The switches of c that run.c cannot run (its forward is hard-wired to rmsnorm eps 1e-5, RoPE
// theta 10000, SwiGLU, no biases), each as "key = value (run.c needs ...)". Empty: exportable.
std::vector<std::string> unsupported_switches(const ModelConfig& c);
Header header_of(const ModelConfig& c);
ModelConfig config_of(const Header& h);  // the ModelConfig run.c's forward computes

// Parses and checks the header (positive sizes, dim % n_heads, n_heads % n_kv_heads, even head
// size). `what` names the file in errors.
Header read_header(const uint8_t* data, size_t size, const std::string& what);
// Total file size the header implies.
uint64_t expected_size(const Header& h);

// Transformer -> model.bin bytes. version 0 (run.c) or 1. vocab_order (V) maps a llama2.c id to
// one of our ids (embedding and classifier rows are written in that order); empty = identity.
// Throws naming every unsupported switch when the model is not Llama-style.
std::vector<uint8_t> write_model(const Transformer<float>& m, const std::vector<int32_t>& vocab_order = {},
                                 int version = 0);
// model.bin bytes (v0 or v1) -> Transformer with config_of(header). Truncated, oversized or
// malformed input throws naming `what`, the tensor and the byte offset.
Transformer<float> read_model(const uint8_t* data, size_t size, const std::string& what, Header* header = nullptr);

// RoPE row permutations of a q/k weight (n_heads * hd, cols), out-of-place.
// half -> interleaved: out row h*hd + 2i = in row h*hd + i, out row h*hd + 2i + 1 = in row h*hd + hd/2 + i
void rope_rows_half_to_interleaved(const float* in, float* out, int n_heads, int hd, int64_t cols);
void rope_rows_interleaved_to_half(const float* in, float* out, int n_heads, int hd, int64_t cols);

// ---------------------------------------------------------------- tokenizer.bin

// Scores this code writes for tokens run.c's encoder must never merge into (both are below
// run.c's starting best score of -1e10): specials and padding, and regular tokens that no merge
// rule produces. Import reads kSpecialScore back as "special".
constexpr float kSpecialScore = -1e30f;
constexpr float kNoMergeScore = -1e20f;

struct Vocab {
  uint32_t max_token_length = 0;
  std::vector<std::string> pieces;  // (V,) raw bytes as run.c prints them (" the", "<0x0A>", "\n<s>\n")
  std::vector<float> scores;        // (V,) run.c merges the adjacent pair whose concatenation scores highest
};

std::vector<uint8_t> write_tokenizer(const Vocab& v);
// vocab_size comes from model.bin (run.c does the same: the file does not store it).
Vocab read_tokenizer(const uint8_t* data, size_t size, int vocab_size, const std::string& what);

// Our byte-level BPE -> the llama2.c vocabulary of a model with model_vocab rows.
struct ExportedVocab {
  Vocab vocab;                  // (model_vocab,) pieces; rows past the tokenizer are "<|unused_ID|>" specials
  std::vector<int32_t> order;   // (model_vocab,) llama2.c id -> our id (pass to write_model)
  int32_t bos = -1, eos = -1;   // our ids placed at llama2.c ids 1 and 2, or -1
  std::vector<std::string> notes;  // consequences worth telling the user
};
// Unless keep_ids, ids are re-laid out the way run.c hard-codes them: 1 = BOS (<|endoftext|>:
// our documents are separated by it, and run.c stops when the model emits id 1), 2 = EOS
// (<|im_end|>), 0 = <|pad|>, 3 + b = the token of single byte b (run.c's byte fallback), then the
// remaining tokens in our id order. Scores: -k for the k-th token the merge list produces (-rank
// for tokenizers we train), 0 for single bytes.
ExportedVocab export_vocab(const BpeTokenizer& tok, int model_vocab, bool keep_ids);

// A llama2.c / SentencePiece tokenizer.bin -> Hugging Face tokenizer.json (byte-level BPE) that
// BpeTokenizer::from_hf_json loads, with the SAME ids (the model's rows). Pieces keep their bytes;
// "<0xNN>" byte tokens become the byte (or a special when a piece already has that byte);
// "<unk>", "\n<s>\n", "\n</s>\n" and kSpecialScore tokens become specials <unk>, <s>, </s>, ...;
// merges are every split of a piece into two pieces, ranked by the piece's score (SentencePiece
// BPE merges the best-scoring pair first), with two-byte characters first when the vocabulary has
// "<0xNN>" pieces (SentencePiece starts from characters, byte-level BPE from bytes), and ignore_merges (a pre-token that is a whole piece maps to it). What
// cannot be matched is appended to *notes (see docs/interop.md).
std::string vocab_to_tokenizer_json(const Vocab& v, std::vector<std::string>* notes);

// run.c's own tokenizer, re-implemented so we know which ids run.c feeds for a prompt:
// BOS (1), a dummy " " prefix when text is not empty, then each UTF-8 character's token (or its
// bytes + 3), then repeatedly the best-scoring adjacent merge (leftmost on ties), EOS (2).
std::vector<int32_t> runc_encode(const Vocab& v, std::string_view text, bool bos, bool eos);
// The text run.c prints for token tok after prev: strips a leading space after BOS (1), turns
// "<0xNN>" into the byte, prints nothing for a lone unprintable byte, stops at a NUL byte.
std::string runc_piece(const Vocab& v, int32_t prev, int32_t tok);

}  // namespace llm::llama2c
