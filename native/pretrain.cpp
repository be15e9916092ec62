// `llm pretrain --config configs/pretrain/<name>.json`: drives core's Trainer over memory-mapped
// packed shards, with evaluation, JSONL telemetry, a live progress line, atomic checkpoints
// (latest + best) and exact resume. Under `mpirun -np N` the global batch is split across ranks
// and gradients are all-reduced; only rank 0 writes files.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cmath>
#include <cstdio>
#include <dirent.h>
#include <fstream>
#include <iostream>

#include "core/model/checkpoint.h"
#include "core/train/trainer.h"
#include "core/util/strict_json.h"
#include "native/args.h"
#include "native/checkpoint_dir.h"
#include "native/commands.h"
#include "native/configs.h"
#include "native/dist.h"
#include "native/fs.h"
#include "native/shard_loader.h"
#include "native/threads.h"

namespace llm::cli {

static std::string read_model_json(const std::string& name) { return fs::read_file(find_config(name, "model")); }

TrainConfig load_train_config(const std::string& name_or_path) {
  const std::string path = find_config(name_or_path, "pretrain");
  try {
    return TrainConfig::from_json(fs::read_file(path), read_model_json);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

// data parallel: every rank draws the same global batch (same seeded sampler) and keeps its
// share, windows [r*B/world, (r+1)*B/world): N ranks together train on exactly the 1-rank batch
static WindowBatch slice(const WindowBatch& g, int rank, int world) {
  WindowBatch b;
  b.B = g.B / world;
  b.T = g.T;
  const size_t n = size_t(b.B) * size_t(b.T), off = size_t(rank) * n;
  b.x.assign(g.x.begin() + long(off), g.x.begin() + long(off + n));
  b.y.assign(g.y.begin() + long(off), g.y.begin() + long(off + n));
  if (!g.doc_start.empty()) b.doc_start.assign(g.doc_start.begin() + long(off), g.doc_start.begin() + long(off + n));
  return b;
}

int cmd_pretrain(int argc, char** argv) {
  Args a(argc, argv, {"config", "threads", "max-steps", "out", "data", "exit-after-step", "seed"}, {"resume", "overwrite"});
  dist::init(&argc, &argv);
  const int rank = dist::rank(), world = dist::world();
  set_threads(int(a.integer("threads", 2)));
  TrainConfig cfg = load_train_config(a.str("config", "tiny"));
  if (a.has("max-steps")) cfg.max_steps = a.integer("max-steps", cfg.max_steps);
  if (a.has("out")) cfg.out_dir = a.str("out");
  if (a.has("data")) cfg.data_dir = a.str("data");
  if (a.has("seed")) cfg.seed = uint64_t(a.integer("seed", 1));
  cfg.validate();
  if (cfg.data_dir.empty()) throw std::runtime_error("train config: data_dir is empty (set it or pass --data DIR)");
  if (cfg.out_dir.empty()) throw std::runtime_error("train config: out_dir is empty (set it or pass --out DIR)");
  if (cfg.batch_size % world)
    throw std::runtime_error("batch_size " + std::to_string(cfg.batch_size) + " is not divisible by the " +
                             std::to_string(world) + " MPI ranks");
  const bool lead = rank == 0;

  Trainer tr(cfg);
  tr.world = world;
  tr.rank = rank;
  tr.allreduce = [](float* p, size_t n) { dist::allreduce_sum(p, n); };
  if (lead) {
    std::printf("train config:\n%s\n", cfg.to_json().c_str());
    std::printf("model: %s\n", tr.model.describe().c_str());
    if (world > 1) std::printf("data parallel: %d MPI ranks, %d sequences per rank per micro-batch\n", world, cfg.batch_size / world);
  }

  SamplerOptions so;
  so.T = cfg.seq_len;
  so.seed = cfg.seed;
  so.doc_boundaries = cfg.doc_boundaries;
  // shards may use fewer ids than the model has rows (a tokenizer that stopped short of the
  // configured vocab); more would index past the embedding table
  ShardExpect expect;
  ShardLoader train(ShardLoader::list_shards(cfg.data_dir, "train"), so, expect);
  expect.vocab_size = train.shards().at(0).header.vocab_size;
  if (expect.vocab_size > uint32_t(cfg.model.vocab_size))
    throw std::runtime_error(train.shards()[0].source + ": packed with a vocabulary of " +
                             std::to_string(expect.vocab_size) + " tokens but the model has only " +
                             std::to_string(cfg.model.vocab_size) + " embedding rows; raise model.vocab_size");
  for (const ShardView& v : train.shards())
    if (v.header.vocab_size != expect.vocab_size)
      throw std::runtime_error(v.source + ": shards in " + cfg.data_dir + " were packed with different tokenizers");
  if (lead && expect.vocab_size < uint32_t(cfg.model.vocab_size))
    std::printf("note: the data uses %u of the model's %d vocabulary rows\n", expect.vocab_size, cfg.model.vocab_size);
  SamplerOptions vo = so;
  vo.shuffle = false;
  std::vector<WindowBatch> val_batches;
  if (cfg.eval_every > 0 && cfg.eval_batches > 0) {
    ShardLoader val(ShardLoader::list_shards(cfg.data_dir, "val"), vo, expect);
    for (int i = 0; i < cfg.eval_batches; i++) {
      WindowBatch g;
      val.next_batch(cfg.batch_size, g);
      val_batches.push_back(slice(g, rank, world));
    }
  }

  const std::string ckdir = cfg.out_dir + "/checkpoints";
  const std::string metrics_path = cfg.out_dir + "/metrics.jsonl";
  float best_val = INFINITY;
  int evals_without_gain = 0;
  if (lead) fs::make_dirs(ckdir);
  if (a.flag("resume")) {
    CheckpointDir::Loaded l = CheckpointDir::load_latest(ckdir, tr);  // falls back past corrupt ones
    json extra = json::parse(l.extra);
    train.set_state({extra.at("sampler_epoch").get<uint64_t>(), extra.at("sampler_index").get<uint64_t>()});
    best_val = extra["best_val"].is_number() ? extra["best_val"].get<float>() : INFINITY;  // null: no eval yet
    evals_without_gain = extra.value("evals_without_gain", 0);
    if (lead) {
      std::printf("resumed from %s at step %lld\n", l.dir.c_str(), (long long)tr.step);
      truncate_metrics(metrics_path, tr.step);  // drop lines a crashed run wrote after this checkpoint
    }
  } else if (lead) {
    if (fs::exists(ckdir + "/latest") && !a.flag("overwrite"))
      throw std::runtime_error(cfg.out_dir + " already holds a run (checkpoints/latest exists): pass --resume to continue it, "
                               "--overwrite to start over in the same folder, or --out for a new folder");
    if (a.flag("overwrite")) {
      for (const char* f : {"/latest", "/best"}) std::remove((ckdir + f).c_str());
      std::system(("rm -rf '" + ckdir + "'/step_* '" + ckdir + "'/.tmp-*").c_str());
    }
    fs::write_file_atomic(metrics_path, std::string());
  }
  std::ofstream metrics;
  if (lead) metrics.open(metrics_path, std::ios::app);

  auto save = [&](bool is_best) {
    json extra = {{"sampler_epoch", train.state().epoch},
                  {"sampler_index", train.state().index},
                  {"best_val", std::isfinite(best_val) ? json(best_val) : json(nullptr)},
                  {"evals_without_gain", evals_without_gain}};
    if (lead) {
      metrics.flush();
      const std::string tok = cfg.data_dir + "/tokenizer.json";
      CheckpointDir::save(ckdir, tr, extra.dump(), fs::exists(tok) ? fs::read_file(tok) : "", is_best);
    }
  };

  const int64_t tokens_per_step = int64_t(cfg.batch_size) * cfg.seq_len * cfg.grad_accum;
  const auto t_start = std::chrono::steady_clock::now();
  const int64_t first_step = tr.step;
  const int64_t exit_after = a.integer("exit-after-step", -1);
  WindowBatch global;
  while (tr.step < cfg.max_steps) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<WindowBatch> micro;
    for (int k = 0; k < cfg.grad_accum; k++) {
      train.next_batch(cfg.batch_size, global);
      micro.push_back(slice(global, rank, world));
    }
    const bool tele = cfg.telemetry_every > 0 && (tr.step % cfg.telemetry_every == 0);
    StepStats st = tr.train_step(micro, tele);
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    const double tps = double(tr.step - first_step) * double(tokens_per_step) / el;
    if (lead) {
      if (tr.step % cfg.log_every == 0 || tr.step == cfg.max_steps) {
        json j = {{"type", "step"},       {"step", st.step},        {"loss", st.loss},
                  {"lr", st.lr},          {"grad_norm", st.grad_norm}, {"tokens_per_s", double(tokens_per_step) / dt},
                  {"step_ms", dt * 1e3},  {"mem_mb", peak_rss_mb()}, {"skipped", st.skipped}};
        metrics << j.dump() << "\n";
      }
      if (tele) {
        json layers = json::array();
        for (const LayerStats& l : tr.telemetry())
          layers.push_back({{"layer", l.layer}, {"act_rms", l.act_rms}, {"act_max", l.act_max}, {"grad_norm", l.grad_norm}});
        metrics << json({{"type", "telemetry"}, {"step", st.step}, {"layers", layers}}).dump() << "\n";
      }
      const double eta = (el / double(tr.step - first_step)) * double(cfg.max_steps - tr.step);
      std::fprintf(stderr, "\rstep %6lld/%lld  loss %.4f  lr %.2e  |g| %6.3f  %8.0f tok/s  ETA %6.0fs%s ",
                   (long long)st.step, (long long)cfg.max_steps, st.loss, st.lr, st.grad_norm, tps, eta,
                   st.skipped ? "  (spike: skipped)" : "");
    }
    bool stop = false;
    bool is_best = false;
    if (cfg.eval_every > 0 && !val_batches.empty() && (tr.step % cfg.eval_every == 0 || tr.step == cfg.max_steps)) {
      const float v = tr.eval_loss(val_batches);
      is_best = v < best_val;
      if (is_best) best_val = v, evals_without_gain = 0;
      else evals_without_gain++;
      if (lead) {
        metrics << json({{"type", "eval"}, {"step", tr.step}, {"val_loss", v}, {"val_ppl", std::exp(double(v))}}).dump() << "\n";
        std::fprintf(stderr, "\n[eval] step %lld  val loss %.4f  ppl %.2f%s\n", (long long)tr.step, v, std::exp(double(v)),
                     is_best ? "  (best)" : "");
      }
      if (cfg.early_stop_patience > 0 && evals_without_gain >= cfg.early_stop_patience) stop = true;
    }
    if ((cfg.checkpoint_every > 0 && tr.step % cfg.checkpoint_every == 0) || tr.step == cfg.max_steps || stop || is_best)
      save(is_best);
    if (tr.step == exit_after) {
      // simulated crash for the resume test: no cleanup, no final checkpoint
      if (lead) metrics.flush();
      std::fflush(nullptr);
      _exit(137);
    }
    if (stop) {
      if (lead) std::printf("\nearly stop: no validation improvement in %d evaluations\n", evals_without_gain);
      break;
    }
  }
  if (lead) {
    std::fprintf(stderr, "\n");
    std::printf("done: %lld steps, best val loss %.4f (ppl %.2f), %lld skipped; run folder %s\n", (long long)tr.step,
                best_val, std::exp(double(best_val)), (long long)tr.skipped_steps, cfg.out_dir.c_str());
  }
  dist::finalize();
  return 0;
}

}  // namespace llm::cli
