// Decode attention inner loops over one KV block (docs/kv_cache.md, "Decode speed").
//
// For one (token, head) of the paged forward (core/infer/infer_model.cpp), the keys and values of
// a block are n rows of hd floats, `stride` floats apart (stride = hd: the KV pool is head-major,
// infer_model.h KVLayout, so one head's rows of a block are one contiguous run):
//   attn_scores: s[j] = scale * (q . K_j)            j < n      (one dot product per key)
//   attn_accum:  o  += sum_j p[j] V_j  (in key order)           (one axpy per value row)
// With dozens of streams each attending to ~100+ positions in every layer, these two loops are a
// large part of a batched decode step; Eigen's per-row Map + dot costs more in setup than the
// 48-wide product itself. Three paths picked at compile time like gemv.cpp: AVX2+FMA, wasm
// SIMD128, scalar; the AVX2 path is compiled per head size (8 to 128, multiples of 8; others take
// the plain loop). attn_scores_ref / attn_accum_ref are the plain loops the tests hold them to.
//
// Determinism: s[j] depends only on q and K_j, and o is accumulated key by key in order, so a
// sequence gives the same numbers whatever its block size (paged == contiguous) or batch.
#pragma once
#include <cstdint>

namespace llm {

void attn_scores(const float* q, const float* K, int64_t stride, int n, int hd, float scale, float* s);
void attn_accum(const float* p, const float* V, int64_t stride, int n, int hd, float* o);

void attn_scores_ref(const float* q, const float* K, int64_t stride, int n, int hd, float scale, float* s);
void attn_accum_ref(const float* p, const float* V, int64_t stride, int n, int hd, float* o);

// The same over an fp16 KV cache (IEEE binary16, core/util/half.h): each K/V element is converted
// to fp32 exactly and then goes through the same arithmetic, so the result equals the fp32
// kernel run on the converted rows, bit for bit (tests/infer/test_attend.cpp).
void attn_scores(const float* q, const uint16_t* K, int64_t stride, int n, int hd, float scale, float* s);
void attn_accum(const float* p, const uint16_t* V, int64_t stride, int n, int hd, float* o);
void attn_scores_ref(const float* q, const uint16_t* K, int64_t stride, int n, int hd, float scale, float* s);
void attn_accum_ref(const float* p, const uint16_t* V, int64_t stride, int n, int hd, float* o);

}  // namespace llm
