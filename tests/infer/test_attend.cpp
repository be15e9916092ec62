// Decode attention inner loops (core/infer/attend.h): the SIMD paths against the plain loops for
// head sizes that are and are not a multiple of the vector width (and one too wide for the
// register path), key counts that hit every tail of the 4-key loop, rows `stride` apart; and the
// property the paged engine relies on: splitting the keys into blocks changes no bit.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/infer/attend.h"
#include "core/util/half.h"
#include "tests/infer/infer_test_util.h"

namespace llm {
namespace {

using testutil::randn;

TEST(Attend, MatchesThePlainLoops) {
  for (int hd : {4, 8, 12, 16, 24, 32, 40, 48, 64, 80, 96, 128, 136}) {  // every compiled size + fallbacks
    for (int n : {0, 1, 3, 4, 5, 16, 37}) {
      SCOPED_TRACE(testing::Message() << "hd " << hd << " n " << n);
      const int64_t stride = 3 * hd + 8;  // several KV heads per row, as in the cache
      const std::vector<float> q = randn(size_t(hd), 1 + hd), K = randn(size_t(stride) * 40, 2 + n),
                               p = randn(size_t(n) + 1, 3 + n);
      std::vector<float> s(size_t(n) + 1, 7.f), sr(size_t(n) + 1, 7.f);
      attn_scores(q.data(), K.data() + hd, stride, n, hd, 0.125f, s.data());
      attn_scores_ref(q.data(), K.data() + hd, stride, n, hd, 0.125f, sr.data());
      for (int j = 0; j <= n; j++) EXPECT_NEAR(s[size_t(j)], sr[size_t(j)], 1e-5 * (1 + std::fabs(sr[size_t(j)])));
      EXPECT_EQ(s[size_t(n)], 7.f) << "wrote past n";
      std::vector<float> o = randn(size_t(hd), 9), orf = o;
      attn_accum(p.data(), K.data() + 2 * hd, stride, n, hd, o.data());
      attn_accum_ref(p.data(), K.data() + 2 * hd, stride, n, hd, orf.data());
      for (int i = 0; i < hd; i++) EXPECT_NEAR(o[size_t(i)], orf[size_t(i)], 1e-4 * (1 + std::fabs(orf[size_t(i)])));
    }
  }
}

// fp16 K/V (the fp16 KV cache): the kernels give exactly what the fp32 kernels give on the
// converted rows, and stay close to the plain fp16 loops
TEST(Attend, Fp16RowsGiveTheFp32KernelsResultOnTheConvertedRows) {
  for (int hd : {4, 8, 12, 16, 24, 32, 40, 48, 64, 80, 96, 128, 136}) {
    for (int n : {0, 1, 3, 4, 5, 16, 37}) {
      SCOPED_TRACE(testing::Message() << "hd " << hd << " n " << n);
      const int64_t stride = 3 * hd + 8;
      const std::vector<float> q = randn(size_t(hd), 1 + hd), K = randn(size_t(stride) * 40, 2 + n),
                               p = randn(size_t(n) + 1, 3 + n);
      std::vector<uint16_t> K16(K.size());
      f32_to_f16_row(K.data(), K16.data(), int64_t(K.size()));
      std::vector<float> Kc(K.size());
      for (size_t i = 0; i < K.size(); i++) Kc[i] = f16_to_f32(K16[i]);
      std::vector<float> s16(size_t(n) + 1, 7.f), sc(size_t(n) + 1, 7.f), sr(size_t(n) + 1, 7.f);
      attn_scores(q.data(), K16.data() + hd, stride, n, hd, 0.125f, s16.data());
      attn_scores(q.data(), Kc.data() + hd, stride, n, hd, 0.125f, sc.data());
      attn_scores_ref(q.data(), K16.data() + hd, stride, n, hd, 0.125f, sr.data());
      EXPECT_EQ(s16, sc);
      for (int j = 0; j < n; j++) EXPECT_NEAR(s16[size_t(j)], sr[size_t(j)], 1e-5 * (1 + std::fabs(sr[size_t(j)])));
      std::vector<float> o16 = randn(size_t(hd), 9), oc = o16, orf = o16;
      attn_accum(p.data(), K16.data() + 2 * hd, stride, n, hd, o16.data());
      attn_accum(p.data(), Kc.data() + 2 * hd, stride, n, hd, oc.data());
      attn_accum_ref(p.data(), K16.data() + 2 * hd, stride, n, hd, orf.data());
      EXPECT_EQ(o16, oc);
      for (int i = 0; i < hd; i++) EXPECT_NEAR(o16[size_t(i)], orf[size_t(i)], 1e-4 * (1 + std::fabs(orf[size_t(i)])));
    }
  }
}

TEST(Attend, BlockSplitsChangeNoBit) {
  const int hd = 48, n = 45;
  const int64_t stride = 2 * hd;
  const std::vector<float> q = randn(hd, 4), K = randn(size_t(stride) * n, 5), p = randn(n, 6);
  std::vector<float> s1(n), o1(hd, 0.f);
  attn_scores(q.data(), K.data(), stride, n, hd, 0.3f, s1.data());
  attn_accum(p.data(), K.data(), stride, n, hd, o1.data());
  for (int bs : {1, 3, 4, 7, 16, 32}) {  // AVX-512 scores 16 keys per tile: splits inside and across tiles
    SCOPED_TRACE(bs);
    std::vector<float> s2(n), o2(hd, 0.f);
    for (int j0 = 0; j0 < n; j0 += bs) {
      const int jn = std::min(bs, n - j0);
      attn_scores(q.data(), K.data() + j0 * stride, stride, jn, hd, 0.3f, s2.data() + j0);
      attn_accum(p.data() + j0, K.data() + j0 * stride, stride, jn, hd, o2.data());
    }
    EXPECT_EQ(s1, s2);
    EXPECT_EQ(o1, o2);
  }
}

}  // namespace
}  // namespace llm
