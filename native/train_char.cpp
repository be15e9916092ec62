// `llm train-char`: the walking skeleton's main job. Trains a character-level model on a text
// (default: the embedded story generator), shows progress, saves a checkpoint, samples text.
#include <chrono>
#include <cstdio>
#include <iostream>

#include "core/data/gen_stories.h"
#include "core/model/checkpoint.h"
#include "core/train/char_trainer.h"
#include "core/util/strict_json.h"
#include "native/args.h"
#include "native/commands.h"
#include "native/fs.h"
#include "native/threads.h"

namespace llm::cli {

int cmd_train_char(int argc, char** argv) {
  Args a(argc, argv, {"text", "steps", "out", "options", "seed", "threads", "stories", "sample-every"});
  set_threads(int(a.integer("threads", 2)));
  std::string text;
  if (a.has("text")) {
    text = fs::read_file(a.str("text"));
  } else {
    GenOptions o;
    o.seed = uint64_t(a.integer("seed", 1));
    text = stories_to_text(generate_stories(size_t(a.integer("stories", 2000)), o));
  }
  const int steps = int(a.integer("steps", 300));
  json opts = parse_json(a.str("options", "{}"), "--options");
  if (!opts.contains("max_steps")) opts["max_steps"] = steps;
  CharTrainer tr(text, opts.dump(), uint64_t(a.integer("seed", 1)));
  std::printf("model: %s\n", tr.model().describe().c_str());
  std::printf("text: %zu bytes, %d distinct characters; training %d steps of %lld tokens\n", text.size(),
              tr.vocab_size(), steps, (long long)tr.tokens_per_step());
  const float first_eval = tr.eval_loss(8);
  const auto t0 = std::chrono::steady_clock::now();
  const int every = int(a.integer("sample-every", 0));
  float loss = 0;
  for (int s = 1; s <= steps; s++) {
    loss = tr.step();
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double tps = double(s) * tr.tokens_per_step() / el;
    const double eta = el / s * (steps - s);
    std::fprintf(stderr, "\rstep %5d/%d  loss %.4f  lr %.2e  |g| %.3f  %8.0f tok/s  ETA %5.1fs ", s, steps, loss,
                 tr.last_lr(), tr.last_grad_norm(), tps, eta);
    if (every > 0 && s % every == 0)
      std::fprintf(stderr, "\n  sample: %s\n", tr.sample("Once upon a time", 80, 0.8f, 1).c_str());
  }
  std::fprintf(stderr, "\n");
  const float val = tr.eval_loss(8);
  std::printf("validation loss: %.4f at start -> %.4f after %d steps (uniform baseline %.4f)\n", first_eval, val,
              steps, std::log(double(tr.vocab_size())));
  std::printf("sample: %s\n", tr.sample("Once upon a time", 200, 0.8f, 7).c_str());
  if (a.has("out")) {
    const std::string dir = a.str("out");
    fs::make_dirs(dir);
    fs::write_file_atomic(dir + "/model.safetensors", save_weights(tr.model()));
    fs::write_file_atomic(dir + "/config.json", hf_config_json(tr.model().cfg));
    std::printf("saved %s/model.safetensors and config.json\n", dir.c_str());
  }
  return 0;
}

}  // namespace llm::cli
