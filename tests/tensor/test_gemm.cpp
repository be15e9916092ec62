// The packed GEMM (core/tensor/gemm_simd128.h) against a plain triple loop, for every transpose
// combination, ragged shapes (not multiples of the 4 x 8 tile or of the cache blocks), leading
// dimensions wider than the matrix, and accumulate on/off. Natively this checks the packing with
// the scalar microkernel; the wasm build of the same test checks the SIMD128 microkernel.
// Also: the parallel-for hook splits work into disjoint chunks and leaves the GEMM bit-identical.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "core/tensor/gemm_simd128.h"
#include "core/tensor/ops.h"
#include "core/tensor/parallel.h"
#include "core/util/rng.h"

namespace llm {
namespace {

std::vector<float> random_buf(size_t n, uint64_t seed) {
  Rng r(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = r.uniform() * 2.f - 1.f;
  return v;
}

struct Case {
  int64_t M, N, K;
};

// runs one case; pad widens every leading dimension (a view into a wider matrix)
void check(bool ta, bool tb, Case c, bool accumulate, int64_t pad) {
  const int64_t lda = (ta ? c.M : c.K) + pad, ldb = (tb ? c.K : c.N) + pad, ldc = c.N + pad;
  const std::vector<float> A = random_buf(size_t((ta ? c.K : c.M) * lda), 1 + c.M);  // op(A) (M, K) stored
  const std::vector<float> B = random_buf(size_t((tb ? c.N : c.K) * ldb), 2 + c.N);  // op(B) (K, N) stored
  std::vector<float> C = random_buf(size_t(c.M * ldc), 3 + c.K);                     // (M, N) + padding
  std::vector<float> R = C;
  gemm_f32(ta, tb, c.M, c.N, c.K, A.data(), lda, B.data(), ldb, C.data(), ldc, accumulate);
  gemm_f32_ref(ta, tb, c.M, c.N, c.K, A.data(), lda, B.data(), ldb, R.data(), ldc, accumulate);
  const float tol = 1e-5f * float(c.K + 4);  // fp32 sums of K products of values in [-1, 1]
  for (int64_t i = 0; i < c.M; i++) {
    for (int64_t j = 0; j < ldc; j++) {
      const float got = C[i * ldc + j], want = R[i * ldc + j];
      if (j >= c.N) {  // padding columns must be untouched
        ASSERT_EQ(got, want) << "wrote outside C at (" << i << ", " << j << ")";
        continue;
      }
      ASSERT_NEAR(got, want, tol) << "ta=" << ta << " tb=" << tb << " M=" << c.M << " N=" << c.N << " K=" << c.K
                                  << " acc=" << accumulate << " pad=" << pad << " at (" << i << ", " << j << ")";
    }
  }
}

TEST(Gemm, MatchesTripleLoopOnOddShapes) {
  // 1x1x1, tiles with 1..3 leftover rows and 1..7 leftover columns, K across the 256 block,
  // M across the 128 block, and a skinny K=1 outer product
  const Case cases[] = {{1, 1, 1}, {3, 5, 7}, {5, 9, 17}, {7, 15, 33}, {13, 31, 257},
                        {130, 11, 19}, {9, 70, 300}, {37, 23, 1}, {4, 8, 16}};
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (const Case& c : cases)
        for (bool acc : {false, true}) check(ta, tb, c, acc, c.M % 2 ? 3 : 0);
}

TEST(Gemm, EmptyKClearsOrKeepsC) {
  std::vector<float> C = {1, 2, 3, 4, 5, 6};  // (2, 3)
  const float dummy = 0.f;
  gemm_f32(false, false, 2, 3, 0, &dummy, 1, &dummy, 3, C.data(), 3, true);
  EXPECT_EQ(C, (std::vector<float>{1, 2, 3, 4, 5, 6}));
  gemm_f32(false, false, 2, 3, 0, &dummy, 1, &dummy, 3, C.data(), 3, false);
  EXPECT_EQ(C, (std::vector<float>(6, 0.f)));
}

TEST(Gemm, ReportsItsKernel) {
#if defined(__wasm_simd128__)
  EXPECT_STREQ(gemm_f32_kernel(), "simd128");
#else
  EXPECT_STREQ(gemm_f32_kernel(), "scalar");
#endif
}

// The matmul op in fp32 against the same op in double (always Eigen), forward and all input
// gradients, for every transpose flag. In wasm the fp32 op runs on gemm_f32, so this checks how
// ops_linalg.cpp maps each backward product onto it; natively it is Eigen against Eigen.
template <class T>
struct OpRun {
  std::vector<T> a, b, da, db, out;
};
template <class T>
OpRun<T> run_matmul(bool ta, bool tb, int64_t M, int64_t N, int64_t K) {
  OpRun<T> r;
  const std::vector<float> av = random_buf(size_t(M * K), 11), bv = random_buf(size_t(K * N), 12),
                           rv = random_buf(size_t(M * N), 13);  // rv: d loss / d out
  r.a.assign(av.begin(), av.end());
  r.b.assign(bv.begin(), bv.end());
  r.da.assign(r.a.size(), T(0));
  r.db.assign(r.b.size(), T(0));
  std::vector<T> rw(rv.begin(), rv.end());
  TensorT<T> A, B, R;
  A.shape = ta ? Shape{K, M} : Shape{M, K};
  B.shape = tb ? Shape{N, K} : Shape{K, N};
  R.shape = Shape{M * N, 1};
  A.data = r.a.data(), A.grad = r.da.data();
  B.data = r.b.data(), B.grad = r.db.data();
  R.data = rw.data();
  Graph<T> g;
  TensorT<T> out = matmul(g, A, B, ta, tb);  // (M, N)
  r.out.assign(out.data, out.data + M * N);
  g.backward(matmul(g, out.view({1, M * N}), R, false, false));  // loss = <out, R>
  return r;
}

TEST(Gemm, MatmulOpMatchesDoubleForwardAndBackward) {
  const int64_t M = 9, N = 13, K = 21;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      const OpRun<float> f = run_matmul<float>(ta, tb, M, N, K);
      const OpRun<double> d = run_matmul<double>(ta, tb, M, N, K);
      auto near = [&](const auto& x, const auto& y, const char* what) {
        ASSERT_EQ(x.size(), y.size());
        for (size_t i = 0; i < x.size(); i++)
          ASSERT_NEAR(x[i], y[i], 1e-4 * (1 + std::fabs(y[i]))) << what << " ta=" << ta << " tb=" << tb << " i=" << i;
      };
      near(f.out, d.out, "out");
      near(f.da, d.da, "da");
      near(f.db, d.db, "db");
    }
}

// Causal grouped-KV attention in fp32 against double, forward and q/k/v gradients: in wasm the
// fp32 op runs its per-head products on gemm_f32 with strided heads (ops_attention.cpp).
template <class T>
std::vector<std::vector<T>> run_attention(int B, int Tn, int H, int KVH, int hd) {
  const int64_t rows = int64_t(B) * Tn;
  std::vector<std::vector<T>> v(7);  // q k v, dq dk dv, out
  const int64_t widths[3] = {int64_t(H) * hd, int64_t(KVH) * hd, int64_t(KVH) * hd};
  TensorT<T> in[3];
  for (int i = 0; i < 3; i++) {
    const std::vector<float> r = random_buf(size_t(rows * widths[i]), 21 + i);
    v[i].assign(r.begin(), r.end());
    v[3 + i].assign(r.size(), T(0));
    in[i].shape = Shape{rows, widths[i]};
    in[i].data = v[i].data(), in[i].grad = v[3 + i].data();
  }
  const std::vector<float> rv = random_buf(size_t(rows * widths[0]), 31);
  std::vector<T> rw(rv.begin(), rv.end());
  TensorT<T> R;
  R.shape = Shape{rows * widths[0], 1};
  R.data = rw.data();
  Graph<T> g;
  TensorT<T> out = attention(g, in[0], in[1], in[2], B, Tn, H, KVH, static_cast<const T*>(nullptr), nullptr);
  v[6].assign(out.data, out.data + out.numel());
  g.backward(matmul(g, out.view({1, out.numel()}), R, false, false));
  return v;
}

TEST(Gemm, AttentionOpMatchesDoubleForwardAndBackward) {
  const auto f = run_attention<float>(2, 13, 4, 2, 6);
  const auto d = run_attention<double>(2, 13, 4, 2, 6);
  const char* names[] = {"q", "k", "v", "dq", "dk", "dv", "out"};
  for (int i = 3; i < 7; i++)
    for (size_t j = 0; j < f[i].size(); j++)
      ASSERT_NEAR(f[i][j], d[i][j], 1e-4 * (1 + std::fabs(d[i][j]))) << names[i] << " at " << j;
}

// A stand-in runner: runs the chunks serially in REVERSE order, counting them, so the test sees
// how the work was split and that chunk order cannot change a result.
int g_chunks = 0;
void reverse_runner(int64_t n, int parts, void* ctx, ParallelBody body) {
  for (int i = parts - 1; i >= 0; i--) {
    body(ctx, n * i / parts, n * (i + 1) / parts);
    g_chunks++;
  }
}
struct RunnerGuard {
  explicit RunnerGuard(int threads) { set_parallel_runner(reverse_runner, threads); }
  ~RunnerGuard() { set_parallel_runner(nullptr, 1); }
};

TEST(Parallel, SerialWithoutRunner) {
  EXPECT_EQ(parallel_threads(), 1);
  int calls = 0;
  parallel_for(100, 1, [&](int64_t b, int64_t e) {
    calls++;
    EXPECT_EQ(b, 0);
    EXPECT_EQ(e, 100);
  });
  EXPECT_EQ(calls, 1);
}

TEST(Parallel, ChunksCoverRangeOnceAndRespectGrain) {
  RunnerGuard guard(3);
  std::vector<int> hits(10, 0);
  g_chunks = 0;
  parallel_for(10, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) hits[size_t(i)]++;
  });
  EXPECT_EQ(g_chunks, 3);
  EXPECT_EQ(hits, std::vector<int>(10, 1));
  g_chunks = 0;
  parallel_for(10, 6, [&](int64_t, int64_t) {});  // only one chunk of >= 6 items fits
  EXPECT_EQ(g_chunks, 0);                           // ran inline, the runner was not asked
}

TEST(Parallel, GemmIsBitIdenticalWhenSplit) {
  for (const Case c : {Case{100, 61, 90}, Case{61, 100, 90}}) {  // split along N, then along M
    const std::vector<float> A = random_buf(size_t(c.M * c.K), 7), B = random_buf(size_t(c.N * c.K), 8);
    std::vector<float> serial(size_t(c.M * c.N)), split(size_t(c.M * c.N));
    gemm_f32(false, true, c.M, c.N, c.K, A.data(), c.K, B.data(), c.K, serial.data(), c.N, false);
    {
      RunnerGuard guard(2);
      g_chunks = 0;
      gemm_f32(false, true, c.M, c.N, c.K, A.data(), c.K, B.data(), c.K, split.data(), c.N, false);
      EXPECT_EQ(g_chunks, 2) << "M=" << c.M << " N=" << c.N;
    }
    EXPECT_EQ(serial, split) << "M=" << c.M << " N=" << c.N;
  }
}

}  // namespace
}  // namespace llm
