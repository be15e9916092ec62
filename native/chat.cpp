// `llm chat`: a multi-turn REPL over the ChatML template (core/infer/chat_template.h), or the
// plain-text "User: / Assistant:" template on a base model whose tokenizer has no ChatML specials.
// Each turn re-renders the whole conversation and runs it through the Engine as one request;
// the answer streams to stdout, tokens/s goes to stderr. Reads stdin line by line, so it also
// works with piped input (tests/native/chat_cli_test.sh); the "> " prompt shows only on a tty.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>

#include "core/infer/chat_template.h"
#include "native/generate.h"
#include "native/threads.h"

namespace llm::cli {

int cmd_chat(int argc, char** argv) {
  std::set<std::string> known = kSamplingFlags;
  known.insert({"checkpoint", "adapter", "system", "threads", "kv-dtype"});
  Args a(argc, argv, known, kInferFlags);
  set_threads(int(a.integer("threads", 2)));
  const LoadedModel L = load_for_inference(a.str("checkpoint"), infer_options_from_args(a), a.str("adapter"));
  SamplingParams sp = sampling_from_args(a);
  const ChatFormat fmt = chat_format(*L.tok);
  sp.stop_token_ids = fmt.stop_ids;
  sp.stop.insert(sp.stop.end(), fmt.stop_strings.begin(), fmt.stop_strings.end());
  const bool fixed_max = a.has("max-tokens");
  const int ctx = L.model->cfg().max_seq_len;
  // room an answer needs at least before old turns are dropped
  const int min_room = fixed_max ? sp.max_tokens : std::max(1, std::min(64, ctx / 4));
  Engine engine(L.model, single_stream_engine_config(L.model->cfg(), kv_dtype_from_args(a)));

  std::vector<ChatMessage> base;
  if (a.has("system")) base.push_back({"system", a.str("system")});
  std::vector<ChatMessage> history = base;
  const bool tty = isatty(0);
  if (tty)
    std::fprintf(stderr, "chat with %s (context %d tokens, %s%s). /clear resets, /quit exits.\n", L.dir.c_str(), ctx,
                 precision_name(L.model->options()), fmt.chatml ? "" : ", plain-text template");
  std::string line;
  for (int turn = 0;;) {
    if (tty) {
      std::printf("> ");
      std::fflush(stdout);
    }
    if (!std::getline(std::cin, line)) break;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (line == "/quit" || line == "/exit") break;
    if (line == "/clear") {
      history = base;
      std::fprintf(stderr, "[conversation cleared]\n");
      continue;
    }
    if (line[0] == '/') {
      std::fprintf(stderr, "[unknown command %s: /clear, /quit]\n", line.c_str());
      continue;
    }
    history.push_back({"user", line});
    // drop the oldest turns (the system message stays) until the answer has room
    std::vector<int32_t> prompt = encode_chat_prompt(*L.tok, fmt, history);
    while (ctx - int(prompt.size()) < min_room && history.size() > base.size() + 1) {
      history.erase(history.begin() + long(base.size()));
      prompt = encode_chat_prompt(*L.tok, fmt, history);
    }
    const int room = ctx - int(prompt.size());
    if (room < min_room) {
      std::fprintf(stderr, "[message too long: %zu prompt tokens, context %d]\n", prompt.size(), ctx);
      history.pop_back();
      continue;
    }
    SamplingParams turn_sp = sp;
    turn_sp.max_tokens = fixed_max ? std::min(sp.max_tokens, room) : room;
    turn_sp.seed = sp.seed + uint64_t(turn++);  // same --seed, same conversation; turns differ
    const GenerateResult r = generate_once(engine, *L.tok, prompt, turn_sp, [](const std::string& s) {
      std::fwrite(s.data(), 1, s.size(), stdout);
      std::fflush(stdout);
    });
    std::printf("\n");
    std::fflush(stdout);
    std::fprintf(stderr, "[%d tokens, %.1f tokens/s]\n", r.tokens, r.tokens_per_s());
    history.push_back({"assistant", r.text});
  }
  return 0;
}

}  // namespace llm::cli
