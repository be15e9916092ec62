// The bf16 linears on AMX tiles (native/cpu_features.cpp grants them): the same checks as the
// portable loop (tests/infer/test_gemm_bf16.cpp): AMX within 1e-6 of the reference chain (not bit
// for bit: it sums a 32-column step in its own order), and batches equal rows decoded alone.
#include "native/cpu_features.h"
#include "tests/infer/bf16_checks.h"

using namespace llm;

TEST(Amx, Bf16KernelAndModelOnTiles) {
  if (!cli::enable_amx())
    GTEST_SKIP() << (bf16_amx_compiled() ? "this CPU or kernel grants no AMX tiles (or LLM_AMX=0)"
                                         : "the build has no AMX kernel (-march without AMX-BF16)");
  ASSERT_TRUE(bf16_amx_active());
  testutil::check_bf16_kernel(false);
  testutil::check_bf16_model(false);
  testutil::check_bf16_model(true);
}
