// Embind binding of the paged continuous-batching engine (core/infer/engine.h) for the Paged KV
// lab (docs/paged_attention.md). The page adds requests, steps the scheduler one forward at a
// time and draws the pool after each step:
//
//   const e = new M.PagedEngine(optsJson)   {block_size, num_blocks, max_num_seqs, max_batched_tokens,
//                                            prefix_sharing, model: "current" | "random"}
//   e.addRequest(prompt, n, temperature, maxTokens, seed) -> request id
//   e.step() -> {"tokens": [{request, index, token, text, finished, reason}],
//                "events": [{kind: alloc|share|cow|release|free, block, request, index, logical, from}]}
//   e.snapshotJson() -> the pool grid: per block ref count, filled slots, owners; every sequence's
//                       block table and text; occupancy, waste and sharing counters
//
// The engine itself reports state, not changes: the events are found by comparing the snapshot
// before and after each step (which table slot points at a new block, which block's count fell).
#include <emscripten/bind.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/infer/chat_template.h"
#include "core/infer/engine.h"
#include "core/util/rng.h"
#include "wasm/js_util.h"
#include "wasm/session.h"

using namespace emscripten;
using nlohmann::json;

namespace llm::web {
namespace {

using SeqKey = std::pair<int64_t, int>;  // (request id, sample index)

// Without a current model the lab still works: an untrained random model over bytes (the text
// is gibberish but the memory management is exactly the same).
std::shared_ptr<const InferModel> random_byte_model() {
  ModelConfig c;
  c.dim = 32;
  c.n_layers = 2;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.vocab_size = 256;
  c.max_seq_len = 256;
  Transformer<float> m(c);
  m.init(7);
  // larger weights than GPT-2 init so sampled bytes vary instead of repeating one
  Rng r(11);
  for (size_t i = 0; i < m.params.size(); i++) m.params.values()[i] += float(0.2 * r.normal());
  return std::make_shared<const InferModel>(m);
}

class JsPagedEngine {
 public:
  explicit JsPagedEngine(const std::string& opts) {
    guarded([&] {
      json o = opts.empty() ? json::object() : json::parse(opts);
      EngineConfig ec;
      std::string which = "current";
      for (auto& [k, v] : o.items()) {
        if (k == "block_size") ec.block_size = v.get<int>();
        else if (k == "num_blocks") ec.num_blocks = v.get<int>();
        else if (k == "max_num_seqs") ec.max_num_seqs = v.get<int>();
        else if (k == "max_batched_tokens") ec.max_batched_tokens = v.get<int>();
        else if (k == "prefix_sharing") ec.prefix_sharing = v.get<bool>();
        else if (k == "kv_dtype") ec.kv_dtype = parse_kv_dtype(v.get<std::string>());
        else if (k == "model") which = v.get<std::string>();
        else throw std::runtime_error("engine options: unknown key \"" + k + "\"");
      }
      if (ec.block_size < 1 || ec.block_size > 256 || ec.num_blocks < 1 || ec.num_blocks > 4096)
        throw std::runtime_error("engine options: need 1 <= block_size <= 256 and 1 <= num_blocks <= 4096");
      if (which == "current") {
        tok_ = tokenizer_ptr();
        model_ = infer_model();
        try {
          stops_ = chat_specials(*tok_).stop_ids();
        } catch (const std::exception&) {
          // a tokenizer without chat tokens: generations end on length only
        }
      } else if (which == "random") {
        model_ = random_byte_model();
      } else {
        throw std::runtime_error("engine options: model must be \"current\" or \"random\", got \"" + which + "\"");
      }
      engine_ = std::make_unique<Engine>(model_, ec);
      prev_ = engine_->snapshot();
    });
  }

  double addRequest(const std::string& prompt, int n, double temperature, int max_tokens, double seed) {
    return guarded([&] {
      std::vector<int32_t> ids = encode(prompt);
      SamplingParams sp;
      sp.temperature = float(temperature);
      sp.max_tokens = max_tokens;
      sp.seed = uint64_t(seed);
      sp.stop_token_ids = stops_;
      const int64_t id = engine_->add_request(ids, sp, n);
      for (int i = 0; i < n; i++) text_[{id, i}] = "";
      prompt_[id] = prompt;
      prompt_len_[id] = int(ids.size());
      prev_ = engine_->snapshot();
      return double(id);
    });
  }

  void abort(double id) {
    guarded([&] {
      engine_->abort(int64_t(id));
      prev_ = engine_->snapshot();
    });
  }

  bool hasWork() const { return engine_->has_work(); }

  std::string step() {
    return guarded([&] {
      json toks = json::array();
      std::vector<GenerationEvent> evs = engine_->step();
      std::map<SeqKey, std::vector<int32_t>> fresh;
      for (const GenerationEvent& ev : evs) {
        const SeqKey k{ev.request_id, ev.index};
        std::string piece;
        if (ev.token >= 0) {
          out_ids_[k].push_back(ev.token);
          piece = decode({ev.token});
          text_[k] = decode(out_ids_[k]);
        }
        if (ev.finished) finished_[k] = ev.finish_reason;
        toks.push_back({{"request", ev.request_id}, {"index", ev.index}, {"token", ev.token}, {"text", piece},
                        {"finished", ev.finished}, {"reason", ev.finish_reason}});
      }
      EngineSnapshot now = engine_->snapshot();
      json events = diff(prev_, now);
      prev_ = std::move(now);
      return json({{"tokens", toks}, {"events", events}}).dump(-1, ' ', false, json::error_handler_t::replace);
    });
  }

  std::string snapshotJson() const {
    return guarded([&] {
      const EngineSnapshot& s = prev_;
      json owners = json::array();  // (num_blocks) list of "request.index" holding the block
      std::vector<json> own(size_t(s.num_blocks), json::array());
      json seqs = json::array();
      int64_t table_blocks = 0;
      std::set<SeqKey> live;
      for (const auto& q : s.seqs) {
        const SeqKey k{q.request_id, q.index};
        live.insert(k);
        for (size_t j = 0; j < q.block_table.size(); j++) own[size_t(q.block_table[j])].push_back({q.request_id, q.index});
        table_blocks += int64_t(q.block_table.size());
        seqs.push_back(seq_json(k, q.state, q.length, q.block_table));
      }
      for (auto& [k, reason] : finished_)  // finished sequences stay listed with their text, no blocks
        if (!live.count(k)) seqs.push_back(seq_json(k, "finished", 0, {}, reason));
      for (auto& o : own) owners.push_back(o);
      int used = 0, filled = 0, shared = 0;
      for (int b = 0; b < s.num_blocks; b++) {
        if (s.ref_count[size_t(b)] > 0) {
          used++;
          filled += s.block_tokens[size_t(b)];
          shared += s.ref_count[size_t(b)] > 1;
        }
      }
      const int slots = used * s.block_size;
      return json({{"num_blocks", s.num_blocks}, {"block_size", s.block_size}, {"free_blocks", s.free_blocks},
                   {"ref_count", s.ref_count}, {"block_tokens", s.block_tokens}, {"cached", s.cached},
                   {"owners", owners}, {"seqs", seqs}, {"waiting", s.waiting}, {"running", s.running},
                   {"used_blocks", used}, {"shared_blocks", shared}, {"filled_slots", filled}, {"slots", slots},
                   // internal fragmentation: slots of held blocks that hold no token yet
                   {"waste_slots", slots - filled},
                   {"occupancy", s.num_blocks ? double(used) / s.num_blocks : 0.0},
                   // blocks that sharing saves: table entries minus distinct blocks behind them
                   {"saved_blocks", table_blocks - used},
                   {"preemptions", s.preemptions}, {"prefix_hits", s.prefix_hits}, {"cow_copies", s.cow_copies},
                   {"tokens_generated", s.tokens_generated}, {"prompt_tokens", s.prompt_tokens},
                   {"requests_added", s.requests_added}, {"requests_finished", s.requests_finished},
                   {"steps", s.steps}, {"last_batch_tokens", s.last_batch_tokens},
                   {"last_batch_seqs", s.last_batch_seqs}, {"kv_bytes", s.kv_bytes},
                   {"byte_model", tok_ == nullptr}})
          .dump(-1, ' ', false, json::error_handler_t::replace);
    });
  }

  // throws (a JS Error) when a block's ref count differs from the tables holding it, etc.
  void check() const {
    guarded([&] { engine_->check(); });
  }

 private:
  std::shared_ptr<const Tokenizer> tok_;  // null: byte ids (the random model)
  std::shared_ptr<const InferModel> model_;
  std::unique_ptr<Engine> engine_;
  std::vector<int32_t> stops_;
  EngineSnapshot prev_;
  std::map<SeqKey, std::vector<int32_t>> out_ids_;
  std::map<SeqKey, std::string> text_, finished_;
  std::map<int64_t, std::string> prompt_;
  std::map<int64_t, int> prompt_len_;

  std::vector<int32_t> encode(const std::string& s) const {
    if (tok_) return tok_->encode(s, false);
    std::vector<int32_t> ids;  // the random model reads bytes 0..255
    for (unsigned char c : s) ids.push_back(int32_t(c));
    return ids;
  }
  std::string decode(const std::vector<int32_t>& ids) const {
    if (tok_) return tok_->decode(ids);
    std::string s;
    for (int32_t t : ids) s.push_back(char(t >= 32 && t < 127 ? t : '.'));  // random bytes: show printable ASCII only
    return s;
  }

  json seq_json(const SeqKey& k, const std::string& state, int length, const std::vector<int>& table,
                const std::string& reason = "") const {
    auto p = prompt_.find(k.first);
    auto l = prompt_len_.find(k.first);
    auto t = text_.find(k);
    return {{"request", k.first}, {"index", k.second}, {"state", state}, {"length", length},
            {"block_table", table}, {"prompt", p == prompt_.end() ? "" : p->second},
            {"prompt_tokens", l == prompt_len_.end() ? 0 : l->second}, {"text", t == text_.end() ? "" : t->second},
            {"reason", reason}};
  }

  // what happened to the pool between two snapshots, in the engine's vocabulary
  static json diff(const EngineSnapshot& a, const EngineSnapshot& b) {
    json ev = json::array();
    std::map<SeqKey, const EngineSnapshot::Seq*> before;
    for (const auto& q : a.seqs) before[{q.request_id, q.index}] = &q;
    std::vector<int> taken(size_t(b.num_blocks), 0);  // new holders this step, per block
    for (const auto& q : b.seqs) {
      const SeqKey k{q.request_id, q.index};
      auto it = before.find(k);
      const std::vector<int>* old = it == before.end() ? nullptr : &it->second->block_table;
      for (size_t j = 0; j < q.block_table.size(); j++) {
        const int blk = q.block_table[j];
        if (old && j < old->size() && (*old)[j] == blk) continue;
        json e = {{"block", blk}, {"request", k.first}, {"index", k.second}, {"logical", j}};
        if (old && j < old->size()) {
          e["kind"] = "cow";  // the slot now points at a private copy of the shared block
          e["from"] = (*old)[j];
        } else if (a.ref_count[size_t(blk)] > 0 || taken[size_t(blk)] > 0) {
          e["kind"] = "share";  // another table already holds it (prefix hit or forked sample)
        } else if (a.cached[size_t(blk)] && b.prefix_hits > a.prefix_hits) {
          e["kind"] = "share";  // a freed block revived from the prefix cache
          e["revived"] = true;
        } else {
          e["kind"] = "alloc";
        }
        taken[size_t(blk)]++;
        ev.push_back(e);
      }
    }
    for (int blk = 0; blk < a.num_blocks; blk++) {
      const int ra = a.ref_count[size_t(blk)], rb = b.ref_count[size_t(blk)];
      if (ra > 0 && rb == 0) ev.push_back({{"kind", "free"}, {"block", blk}});
      else if (rb < ra) ev.push_back({{"kind", "release"}, {"block", blk}, {"ref", rb}});
    }
    return ev;
  }
};

}  // namespace
}  // namespace llm::web

EMSCRIPTEN_BINDINGS(llm_engine) {
  using namespace llm::web;
  class_<JsPagedEngine>("PagedEngine")
      .constructor<std::string>()
      .function("addRequest", &JsPagedEngine::addRequest)
      .function("abort", &JsPagedEngine::abort)
      .function("hasWork", &JsPagedEngine::hasWork)
      .function("step", &JsPagedEngine::step)
      .function("snapshotJson", &JsPagedEngine::snapshotJson)
      .function("check", &JsPagedEngine::check);
}
