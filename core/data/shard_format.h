// Packed token shards: the on-disk format written by `llm data pack` and read
// (memory-mapped) by the training loader. docs/packing.md explains the choices.
//
// Layout, all integers little-endian:
//   offset 0   char[8]  magic "LLMSHARD"
//          8   u32      version (kShardVersion)
//         12   u32      token_bytes: 2 (uint16 ids) or 4 (uint32 ids), chosen by vocab size
//         16   u64      n_tokens
//         24   u64      n_docs
//         32   u32      vocab_size of the tokenizer that produced the ids
//         36   i32      eot_id: the token that ends every document
//         40   u64      index_offset: byte offset of the document index
//         48   u64      file_bytes: total file size (catches truncation up front)
//         56   u64      FNV-1a 64 of bytes [0, 56) (catches a damaged header)
//   64                  tokens: n_tokens ids of token_bytes each      // (n_tokens,)
//   ...                 zero padding to a multiple of 8
//   index_offset        u64 doc_offsets[n_docs + 1]                   // (n_docs+1,)
// Document d is tokens [doc_offsets[d], doc_offsets[d+1]): its text's tokens
// followed by eot_id. doc_offsets[0] == 0, doc_offsets[n_docs] == n_tokens, and
// offsets strictly increase (every document holds at least its eot).
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace llm {

constexpr char kShardMagic[9] = "LLMSHARD";
constexpr uint32_t kShardVersion = 1;
constexpr size_t kShardHeaderBytes = 64;

struct ShardHeader {
  uint32_t version = kShardVersion;
  uint32_t token_bytes = 2;
  uint64_t n_tokens = 0;
  uint64_t n_docs = 0;
  uint32_t vocab_size = 0;
  int32_t eot_id = 0;
  uint64_t index_offset = 0;
  uint64_t file_bytes = 0;
};

// 2 when every id fits in uint16 (vocab_size <= 65536), else 4.
uint32_t token_bytes_for_vocab(uint32_t vocab_size);
// Where the index starts and how big the file is, for given counts.
uint64_t shard_index_offset(uint64_t n_tokens, uint32_t token_bytes);
uint64_t shard_file_bytes(uint64_t n_tokens, uint64_t n_docs, uint32_t token_bytes);

// The 64 header bytes, checksum included.
std::vector<uint8_t> encode_shard_header(const ShardHeader& h);

// What the reader expects; zero / negative fields are not checked.
struct ShardExpect {
  uint32_t vocab_size = 0;    // the tokenizer/model vocabulary training will use
  int32_t eot_id = -1;
  bool check_token_ids = false;  // scan every id < vocab_size (O(n_tokens); off by default)
};

// A validated shard over bytes someone else owns (an mmap, a vector). Reads go
// through memcpy so the base pointer needs no particular alignment.
struct ShardView {
  ShardHeader header;
  const uint8_t* base = nullptr;  // file bytes
  std::string source;             // file name for messages

  uint64_t n_tokens() const { return header.n_tokens; }
  uint64_t n_docs() const { return header.n_docs; }
  int32_t token(uint64_t i) const {
    if (header.token_bytes == 2) {
      uint16_t v;
      std::memcpy(&v, base + kShardHeaderBytes + 2 * i, 2);
      return int32_t(v);
    }
    uint32_t v;
    std::memcpy(&v, base + kShardHeaderBytes + 4 * i, 4);
    return int32_t(v);
  }
  // n ids starting at token i into out                                   // out: (n,)
  void read_tokens(uint64_t i, size_t n, int32_t* out) const;
  // start of document d (d == n_docs gives n_tokens)
  uint64_t doc_offset(uint64_t d) const {
    uint64_t v;
    std::memcpy(&v, base + header.index_offset + 8 * d, 8);
    return v;
  }
  // the document holding token i (binary search over the index)
  uint64_t doc_of(uint64_t i) const;
  // tokens of document d, eot included
  std::vector<int32_t> document(uint64_t d) const;
};

// Validates everything that can be checked without reading every token (header,
// sizes, the whole document index) and throws std::runtime_error naming `source`,
// the problem and the fix ("re-run `llm data pack`").
ShardView open_shard(const uint8_t* data, size_t size, std::string_view source, const ShardExpect& expect = {});

}  // namespace llm
