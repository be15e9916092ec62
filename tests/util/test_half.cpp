// fp16 <-> fp32 (core/util/half.h), the storage of the fp16 KV cache: every finite fp16 value
// survives the round trip, ties round to even, overflow goes to infinity, subnormals are kept,
// and the F16C row conversion (native) stores the same bits as the scalar one (wasm).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/util/half.h"
#include "tests/infer/infer_test_util.h"

namespace llm {
namespace {

float bits_f(uint32_t x) {
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}
uint32_t f_bits(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  return x;
}

TEST(Half, KnownValues) {
  EXPECT_EQ(f16_to_f32(0x3c00), 1.0f);
  EXPECT_EQ(f16_to_f32(0xc000), -2.0f);
  EXPECT_EQ(f16_to_f32(0x7bff), 65504.0f);
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(f16_to_f32(0x0400), std::ldexp(1.0f, -14));  // smallest normal
  EXPECT_EQ(f16_to_f32(0x3555), 0.333251953125f);
  EXPECT_TRUE(std::isinf(f16_to_f32(0x7c00)));
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7e00)));
  EXPECT_EQ(f32_to_f16(1.0f), 0x3c00);
  EXPECT_EQ(f32_to_f16(-0.0f), 0x8000);
  EXPECT_EQ(f32_to_f16(1.0f / 3.0f), 0x3555);
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7bff);
  EXPECT_EQ(f32_to_f16(65519.99f), 0x7bff);  // below the midpoint to the next (65536): stays finite
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7c00);   // the midpoint rounds to even = infinity
  EXPECT_EQ(f32_to_f16(1e30f), 0x7c00);
  EXPECT_EQ(f32_to_f16(-std::numeric_limits<float>::infinity()), 0xfc00);
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -26)), 0x0000);  // a quarter of the smallest subnormal
  EXPECT_EQ(f32_to_f16(std::ldexp(1.5f, -24)), 0x0002);  // tie between 1 and 2 subnormal ulps: even
  EXPECT_EQ(f32_to_f16(std::ldexp(2.5f, -24)), 0x0002);
  EXPECT_EQ(f32_to_f16(std::ldexp(1023.5f, -24)), 0x0400);  // rounds up into the first normal
  EXPECT_EQ(f32_to_f16(std::numeric_limits<float>::quiet_NaN()) & 0x7e00, 0x7e00);
}

TEST(Half, EveryFiniteValueRoundTripsAndMidpointsTieToEven) {
  for (uint32_t h = 0; h < 0x10000; h++) {
    if ((h & 0x7c00) == 0x7c00) continue;  // inf / NaN
    const float f = f16_to_f32(uint16_t(h));
    ASSERT_EQ(f32_to_f16(f), h) << std::hex << h;
    if ((h & 0x7fff) == 0x7bff) continue;  // the next one up is infinity
    // halfway to the next fp16 away from zero (exact in fp32): the even one of the two wins;
    // one fp32 ulp off the midpoint goes to the nearer one
    const float g = f16_to_f32(uint16_t(h + 1));
    const float mid = (f + g) / 2;
    const uint16_t even = (h & 1) ? uint16_t(h + 1) : uint16_t(h);
    ASSERT_EQ(f32_to_f16(mid), even) << std::hex << h;
    const uint32_t mb = f_bits(mid);
    ASSERT_EQ(f32_to_f16(bits_f(mb - 1)), h) << std::hex << h;
    ASSERT_EQ(f32_to_f16(bits_f(mb + 1)), h + 1) << std::hex << h;
  }
}

TEST(Half, RowConversionStoresTheScalarBits) {
  // random values over many magnitudes, plus the edges, in blocks of 8 (the F16C path) and a tail
  std::vector<float> x = testutil::randn(1003, 11);
  for (size_t i = 0; i < x.size(); i++) x[i] = std::ldexp(x[i], int(i % 48) - 30);
  const float edge[] = {0.f, -0.f, 65504.f, 65519.99f, 65520.f, 1e30f, -1e30f, std::ldexp(1.5f, -24),
                        std::ldexp(1.0f, -14), std::ldexp(1.0f, -25), std::numeric_limits<float>::infinity()};
  for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) x[i * 7] = edge[i];
  std::vector<uint16_t> row(x.size());
  f32_to_f16_row(x.data(), row.data(), int64_t(x.size()));
  for (size_t i = 0; i < x.size(); i++) ASSERT_EQ(row[i], f32_to_f16(x[i])) << "element " << i << " = " << x[i];
}

}  // namespace
}  // namespace llm
