// The wasm thread pool (wasm/threads.cpp): also reachable from other binding files.
#pragma once

namespace llm::wasm {
int set_threads(int n);  // use n threads (clamped to [1, max_threads()]); returns the count in use
int max_threads();       // 1 in the single-thread module
}  // namespace llm::wasm
