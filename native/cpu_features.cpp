#include "native/cpu_features.h"

#include <cstdlib>
#include <cstring>

#include "core/infer/gemm_bf16.h"

#if defined(__x86_64__) && defined(__linux__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace llm::cli {

bool enable_amx() {
  static const bool on = [] {
    const char* env = std::getenv("LLM_AMX");
    if (env && std::strcmp(env, "0") == 0) return false;
    if (!bf16_amx_compiled()) return false;
#if defined(__x86_64__) && defined(__linux__)
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    const bool amx_bf16 = d & (1u << 22), amx_tile = d & (1u << 24);
    if (!amx_bf16 || !amx_tile) return false;
    constexpr long kReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;  // <asm/prctl.h>, Linux >= 5.16
    if (syscall(SYS_arch_prctl, kReqXcompPerm, kXfeatureXtiledata) != 0) return false;
    set_bf16_amx(true);
    return true;
#else
    return false;
#endif
  }();
  return on;
}

}  // namespace llm::cli
