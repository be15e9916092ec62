// fp32 GEMV kernels (core/infer/gemv.h): the SIMD/threaded path against the plain reference on
// shapes that hit every tail (rows not a multiple of the tile, columns not a multiple of the
// vector width), and the determinism the paged engine relies on: a row's result does not depend
// on how many activation rows are batched with it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "core/infer/gemv.h"
#include "tests/infer/infer_test_util.h"

namespace llm {
namespace {

using testutil::randn;

struct Shape {
  int out, in;
};
// 16-, 8-, 4- and 1-wide column tails; row counts that leave 0, 1 and 2 rows after the 3-row
// tiles of batches; batches that use every tile (1 and 3 weight rows x 8, 4, 2 and 1 activation
// rows); a matrix big enough to be split across threads (out * in >= 32K)
const Shape kShapes[] = {{1, 1}, {3, 5}, {8, 8}, {9, 16}, {13, 37}, {16, 288}, {33, 100}, {300, 288}, {7, 770}, {10, 17}, {301, 288}, {302, 40}};

TEST(Gemv, MatchesPlainReference) {
  for (const Shape& s : kShapes)
    for (int N : {1, 2, 3, 5, 8, 16}) {
      const std::vector<float> w = randn(size_t(s.out) * s.in, 7 + s.out * 131 + s.in);
      const std::vector<float> x = randn(size_t(N) * s.in, 3 + N);
      std::vector<float> y(size_t(N) * s.out, -1.f), ref(y.size());
      gemv_f32(w.data(), s.out, s.in, x.data(), N, y.data());
      gemv_f32_ref(w.data(), s.out, s.in, x.data(), N, ref.data());
      for (int n = 0; n < N; n++)
        for (int r = 0; r < s.out; r++) {
          // summation order differs: bound the error by the size of the terms (a dropped or
          // doubled term, of order 1, is far outside it)
          double mag = 0;
          for (int c = 0; c < s.in; c++) mag += std::fabs(double(w[size_t(r) * s.in + c]) * x[size_t(n) * s.in + c]);
          const size_t i = size_t(n) * s.out + r;
          ASSERT_NEAR(y[i], ref[i], 1e-6 * mag * std::sqrt(double(s.in)) + 1e-6)
              << "out " << s.out << " in " << s.in << " N " << N << " row " << r << " input " << n;
        }
    }
}

TEST(Gemv, RowResultIndependentOfBatch) {
  for (const Shape& s : kShapes)
    for (const int N : {2, 3, 4, 5, 7, 15, 16}) {  // 8+4+2+1 at N = 15: every tile shape; N = 1 vs N >= 4: 1 vs 3 weight rows
      const std::vector<float> w = randn(size_t(s.out) * s.in, 11 + s.in);
      const std::vector<float> x = randn(size_t(N) * s.in, 19 + s.out);
      std::vector<float> all(size_t(N) * s.out);
      gemv_f32(w.data(), s.out, s.in, x.data(), N, all.data());
      for (int n = 0; n < N; n++) {
        std::vector<float> one(size_t(s.out));
        gemv_f32(w.data(), s.out, s.in, x.data() + size_t(n) * s.in, 1, one.data());
        // bitwise: a sequence decoded alone and inside a batch must pick the same tokens
        ASSERT_EQ(0, std::memcmp(one.data(), all.data() + size_t(n) * s.out, one.size() * sizeof(float)))
            << "out " << s.out << " in " << s.in << " N " << N << " input " << n;
      }
    }
}

// Panels (the layout InferModel keeps its fp32 linears in): packing round-trips, and the kernel is
// the plain multiply-add chain of matmul_panels_ref bit for bit for every N (so also independent
// of N, of the tiles and of the threads), with rows past a multiple of the panel width and a
// matrix large enough to be split over threads.
TEST(Panels, PackAndRowRoundTrip) {
  for (const Shape& s : kShapes) {
    const std::vector<float> w = randn(size_t(s.out) * s.in, 5 + s.out);
    std::vector<float> p(panel_floats(s.out, s.in), -1.f), row(size_t(s.in));
    pack_panels(w.data(), s.out, s.in, p.data());
    for (int r = 0; r < s.out; r++) {
      panel_row(p.data(), s.in, r, row.data());
      ASSERT_EQ(0, std::memcmp(row.data(), w.data() + size_t(r) * s.in, row.size() * sizeof(float))) << "row " << r;
    }
    // the padding rows of the last panel are zero (they feed outputs that are never stored)
    const int64_t P = panel_width(), np = (s.out + P - 1) / P;
    for (int64_t c = 0; c < s.in; c++)
      for (int64_t k = s.out - (np - 1) * P; k < P; k++) ASSERT_EQ(p[size_t(((np - 1) * s.in + c) * P + k)], 0.f);
  }
}

TEST(Panels, MatchPlainChainBitForBit) {
  for (const Shape& s : kShapes)
    for (int N : {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33}) {
      const std::vector<float> w = randn(size_t(s.out) * s.in, 7 + s.out * 131 + s.in);
      const std::vector<float> x = randn(size_t(N) * s.in, 3 + N);
      std::vector<float> p(panel_floats(s.out, s.in));
      pack_panels(w.data(), s.out, s.in, p.data());
      std::vector<float> y(size_t(N) * s.out, -1.f), ref(y.size()), dot(y.size());
      matmul_panels_f32(p.data(), s.out, s.in, x.data(), N, y.data());
      matmul_panels_ref(w.data(), s.out, s.in, x.data(), N, ref.data());
      ASSERT_EQ(0, std::memcmp(y.data(), ref.data(), y.size() * sizeof(float))) << "out " << s.out << " in " << s.in << " N " << N;
      gemv_f32_ref(w.data(), s.out, s.in, x.data(), N, dot.data());  // and the chain is a matmul
      for (size_t i = 0; i < y.size(); i++) ASSERT_NEAR(ref[i], dot[i], 1e-4 * std::sqrt(double(s.in)) + 1e-6);
      for (int n = 0; n < N; n++) {  // a row batched with others = the row alone
        std::vector<float> one(size_t(s.out));
        matmul_panels_f32(p.data(), s.out, s.in, x.data() + size_t(n) * s.in, 1, one.data());
        ASSERT_EQ(0, std::memcmp(one.data(), y.data() + size_t(n) * s.out, one.size() * sizeof(float)));
      }
    }
}

TEST(Gemv, EmptyShapesWriteNothing) {
  std::vector<float> y(4, 5.f);
  const float w[4] = {1, 2, 3, 4}, x[2] = {1, 1};
  gemv_f32(w, 0, 2, x, 1, y.data());
  gemv_f32(w, 2, 2, x, 0, y.data());
  std::vector<float> p(panel_floats(2, 2));
  pack_panels(w, 2, 2, p.data());
  matmul_panels_f32(p.data(), 2, 2, x, 0, y.data());
  for (float v : y) EXPECT_EQ(v, 5.f);
}

}  // namespace
}  // namespace llm
