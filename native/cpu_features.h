// CPU features the OS must grant before core/ can use them.
#pragma once

namespace llm::cli {

// AMX tiles for the bf16 linears (core/infer/gemm_bf16.h): when the CPU has AMX-TILE and
// AMX-BF16, the build compiled the AMX kernel and Linux grants the tile state
// (arch_prctl ARCH_REQ_XCOMP_PERM), switches it on and returns true. LLM_AMX=0 in the
// environment keeps it off (the portable loop, same results). Idempotent.
bool enable_amx();

}  // namespace llm::cli
