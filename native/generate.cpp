// `llm generate`: one prompt, one streamed answer, tokens/s on stderr.
#include "native/generate.h"

#include <chrono>
#include <cstdio>
#include <random>
#include <stdexcept>

#include "core/infer/chat_template.h"
#include "core/infer/gemm_bf16.h"
#include "core/infer/text_stream.h"
#include "native/align_io.h"
#include "native/checkpoint_dir.h"
#include "native/fs.h"
#include "native/threads.h"

namespace llm::cli {

InferOptions infer_options_from_args(const Args& a) {
  InferOptions io;
  io.int8_activations = a.flag("int8-activations");
  io.quantize_int8 = a.flag("quantize") || io.int8_activations;
  io.bf16 = a.flag("bf16");
  if (io.bf16 && io.quantize_int8) throw std::runtime_error("--bf16 and --quantize/--int8-activations exclude each other: pick one");
  return io;
}

const char* precision_name(const InferOptions& io) {
  return io.bf16 ? "bf16" : !io.quantize_int8 ? "fp32" : io.int8_activations ? "int8x8" : "int8";
}

LoadedModel load_for_inference(const std::string& checkpoint, const InferOptions& io, const std::string& adapter) {
  if (checkpoint.empty()) throw std::runtime_error("--checkpoint is required (a run dir or a checkpoint folder)");
  LoadedModel L;
  L.dir = resolve_checkpoint(checkpoint);
  const std::string tok_path = L.dir + "/tokenizer.json";
  if (!fs::exists(tok_path))
    throw std::runtime_error(tok_path + ": missing (the checkpoint folder must hold the tokenizer it was trained with)");
  L.tok = std::shared_ptr<const Tokenizer>(load_tokenizer_json(fs::read_file(tok_path)).release());
  Transformer<float> m = load_model_dir(L.dir);
  if (!adapter.empty()) std::fprintf(stderr, "%s\n", merge_lora_dir(m, adapter).c_str());
  if (L.tok->vocab_size() > m.cfg.vocab_size)
    throw std::runtime_error(tok_path + ": " + std::to_string(L.tok->vocab_size()) + " ids but the model in " + L.dir +
                             " has " + std::to_string(m.cfg.vocab_size) + " embedding rows");
  L.model = std::make_shared<const InferModel>(m, io);
  if (io.quantize_int8)
    std::fprintf(stderr, "%s: int8 weights (group %d) x %s activations, %.1f MB of weights\n", precision_name(io),
                 io.quant_group, io.int8_activations ? "int8" : "fp32", double(L.model->weight_bytes()) / 1e6);
  if (io.bf16)
    std::fprintf(stderr, "bf16: linear weights and inputs in bf16, fp32 sums, %s, %.1f MB of weights\n",
                 bf16_amx_active() ? "AMX tiles" : "portable loop (no AMX here)", double(L.model->weight_bytes()) / 1e6);
  return L;
}

SamplingParams sampling_from_args(const Args& a) {
  SamplingParams sp;
  sp.max_tokens = int(a.integer("max-tokens", 256));
  sp.temperature = float(a.number("temperature", 0.8));
  sp.top_k = int(a.integer("top-k", 0));
  sp.top_p = float(a.number("top-p", 0.95));
  sp.min_p = float(a.number("min-p", 0.0));
  sp.repetition_penalty = float(a.number("repetition-penalty", 1.0));
  sp.frequency_penalty = float(a.number("frequency-penalty", 0.0));
  sp.presence_penalty = float(a.number("presence-penalty", 0.0));
  sp.seed = a.has("seed") ? uint64_t(a.integer("seed", 0)) : (uint64_t(std::random_device{}()) << 32) ^ std::random_device{}();
  if (a.has("stop")) sp.stop.push_back(a.str("stop"));
  try {
    sp.validate();
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("sampling options: ") + e.what());
  }
  return sp;
}

KVDtype kv_dtype_from_args(const Args& a) {
  try {
    return parse_kv_dtype(a.str("kv-dtype", "f32"));
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("--kv-dtype: ") + e.what());
  }
}

EngineConfig single_stream_engine_config(const ModelConfig& cfg, KVDtype kv_dtype) {
  EngineConfig ec;
  ec.kv_dtype = kv_dtype;
  ec.block_size = 16;
  ec.num_blocks = (cfg.max_seq_len + ec.block_size - 1) / ec.block_size + 1;  // one full context
  ec.max_num_seqs = 1;
  ec.max_batched_tokens = std::max(512, cfg.max_seq_len);  // the whole prompt in one prefill
  return ec;
}

GenerateResult generate_once(Engine& engine, const Tokenizer& tok, const std::vector<int32_t>& prompt,
                             const SamplingParams& sp, const std::function<void(const std::string&)>& on_text) {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  GenerateResult r;
  TextStream ts(tok, sp.stop);
  const int64_t id = engine.add_request(prompt, sp, 1);
  bool done = false;
  while (!done && engine.has_work()) {
    for (const GenerationEvent& e : engine.step()) {
      if (e.request_id != id || done) continue;
      std::string piece;
      if (e.token >= 0) {
        r.tokens++;
        bool is_stop = e.token >= tok.vocab_size();  // padded model rows have no text
        for (int32_t s : sp.stop_token_ids) is_stop |= s == e.token;
        if (!is_stop) piece = ts.push(e.token);
        if (ts.stopped()) {  // a stop string: end the request in the engine now
          engine.abort(id);
          r.finish_reason = "stop";
          done = true;
        }
      }
      if (e.finished && !done) {
        piece += ts.flush();
        r.finish_reason = e.finish_reason;
        done = true;
      }
      if (!piece.empty()) {
        r.text += piece;
        if (on_text) on_text(piece);
      }
    }
  }
  r.seconds = std::chrono::duration<double>(clock::now() - t0).count();
  return r;
}

int cmd_generate(int argc, char** argv) {
  std::set<std::string> known = kSamplingFlags;
  known.insert({"checkpoint", "adapter", "prompt", "threads", "kv-dtype"});
  Args a(argc, argv, known, kInferFlags);
  set_threads(int(a.integer("threads", 2)));
  if (!a.has("prompt")) throw std::runtime_error("--prompt is required");
  const LoadedModel L = load_for_inference(a.str("checkpoint"), infer_options_from_args(a), a.str("adapter"));
  SamplingParams sp = sampling_from_args(a);
  const ChatFormat cf = chat_format(*L.tok);
  // the document ends at <|endoftext|> (or a ChatML turn end when prompted with ChatML by hand;
  // </s> or the next <s> on a llama2.c-style vocabulary)
  sp.stop_token_ids = cf.stop_ids;
  // specials typed in the prompt count (a hand-written ChatML prompt works)
  std::vector<int32_t> prompt = L.tok->encode(a.str("prompt"), /*allow_special=*/true);
  if (prompt.empty()) {
    if (cf.doc_start < 0) throw std::runtime_error("--prompt is empty and the tokenizer has no start-of-document token");
    prompt.push_back(cf.doc_start);
  }
  const int room = L.model->cfg().max_seq_len - int(prompt.size());
  if (room < 1)
    throw std::runtime_error("the prompt is " + std::to_string(prompt.size()) + " tokens; the context is " +
                             std::to_string(L.model->cfg().max_seq_len));
  if (sp.max_tokens > room) sp.max_tokens = room;  // the context bounds a one-shot answer
  Engine engine(L.model, single_stream_engine_config(L.model->cfg(), kv_dtype_from_args(a)));
  const GenerateResult r = generate_once(engine, *L.tok, prompt, sp, [](const std::string& s) {
    std::fwrite(s.data(), 1, s.size(), stdout);
    std::fflush(stdout);
  });
  std::printf("\n");
  std::fprintf(stderr, "[%d tokens in %.2f s, %.1f tokens/s, finish: %s]\n", r.tokens, r.seconds, r.tokens_per_s(),
               r.finish_reason.c_str());
  return 0;
}

}  // namespace llm::cli
