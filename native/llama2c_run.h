// Running Karpathy's llama2.c `run` binary next to our own decoder: writing an export folder,
// invoking run.c (greedy, -t 0) and parsing what it prints, and our greedy decode printed the
// way run.c prints it, so `llm export llama2c --verify` and `llm bench decode --llama2c` can put
// the two side by side (docs/interop.md).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/infer/infer_model.h"
#include "core/model/llama2c.h"

namespace llm::cli {

// model.bin (v0) + tokenizer.bin into dir (created)
void write_llama2c_dir(const std::string& dir, const Transformer<float>& m, const llama2c::Vocab& v,
                       const std::vector<int32_t>& order, int version = 0);

// A tokenizer.bin for a model that has no tokenizer (random init for benchmarks): run.c's
// specials at 0..2, the 256 bytes at 3..258, then "[id]" pieces that never merge, so printed
// text names every generated id.
llama2c::Vocab placeholder_vocab(int vocab_size);

struct RunCOutput {
  std::string text;       // stdout: prompt and continuation as run.c prints them, then "\n"
  std::string log;        // stderr
  double tok_per_s = -1;  // run.c's "achieved tok/s" (timed from its second token on)
};
// runs `run_bin dir/model.bin -z dir/tokenizer.bin -t 0 -n steps -i prompt` with OMP_NUM_THREADS
// = threads (0: inherit); throws with run.c's stderr when it fails
RunCOutput run_llama2c(const std::string& run_bin, const std::string& dir, const std::string& prompt, int steps,
                       int threads);

// run.c's generate loop on our InferModel: prompt ids from run.c's encoder, greedy argmax (first
// maximum in llama2.c id order), stop at BOS, each piece printed like run.c. `order` maps a
// llama2.c id to our id. Returns stdout as run.c would print it.
std::string greedy_as_runc(const InferModel& m, const llama2c::Vocab& v, const std::vector<int32_t>& order,
                           const std::string& prompt, int steps, int* generated = nullptr);

}  // namespace llm::cli
