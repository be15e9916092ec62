// `llm eval math|mcq|pref|all` (native/eval_tasks.cpp): file and CLI side of core/eval.
#pragma once
#include <string>

namespace llm::cli {

// Root of the shared evaluation data: $LLM_SHARED_DATA when set, else the first existing of
// <repo>/../shared/data and ./../shared/data; "" when none exists.
std::string shared_data_root();

int cmd_eval_tasks(int argc, char** argv);  // argv[0] = "math" | "mcq" | "pref" | "all"

}  // namespace llm::cli
