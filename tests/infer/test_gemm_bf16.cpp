// bf16 linears on the portable loop (the wasm build's and any CPU without AMX): the kernel equals
// its reference chain bit for bit, and the bf16 model batches exactly like it decodes alone.
#include "tests/infer/bf16_checks.h"

using namespace llm;

namespace {
struct PortableBf16 {  // AMX off for the test, restored after
  bool was = bf16_amx_active();
  PortableBf16() { set_bf16_amx(false); }
  ~PortableBf16() { set_bf16_amx(was); }
};
}  // namespace

TEST(Bf16, PortableKernelEqualsTheReferenceChain) {
  PortableBf16 p;
  testutil::check_bf16_kernel(true);
}

TEST(Bf16, ModelNearFp32AndPagedBatchesEqualDecodingAlone) {
  PortableBf16 p;
  testutil::check_bf16_model(false);
  testutil::check_bf16_model(true);
}

TEST(Bf16, ExcludesInt8) {
  ModelConfig c = testutil::tiny_cfg();
  auto t = testutil::random_model(c, 1);
  InferOptions o;
  o.bf16 = o.quantize_int8 = true;
  EXPECT_THROW(InferModel(*t, o), std::invalid_argument);
}
