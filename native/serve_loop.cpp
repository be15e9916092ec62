#include "native/serve_loop.h"

#include <chrono>
#include <stdexcept>

#include "native/threads.h"

namespace llm::cli {

std::deque<GenerationEvent> RequestStream::wait(int timeout_ms) {
  std::unique_lock<std::mutex> lk(mu);
  cv.wait_for(lk, std::chrono::milliseconds(timeout_ms), [&] { return !events.empty(); });
  std::deque<GenerationEvent> out;
  out.swap(events);
  return out;
}

EngineLoop::EngineLoop(std::shared_ptr<const InferModel> model, EngineConfig cfg, int step_delay_ms)
    : engine_(std::move(model), cfg), step_delay_ms_(step_delay_ms) {
  // OpenMP's thread count is per thread: the loop thread would otherwise use the global default
  // (all cores), not the --threads the constructing thread set
  const int omp_threads = get_threads();
  thread_ = std::thread([this, omp_threads] {
    set_threads(omp_threads);
    run();
  });
}

EngineLoop::~EngineLoop() { stop(); }

void EngineLoop::post(Cmd c) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (stop_) throw std::runtime_error("the server is shutting down");
    queue_.push_back(std::move(c));
  }
  cv_.notify_one();
}

std::shared_ptr<RequestStream> EngineLoop::submit(const std::vector<int32_t>& prompt, const SamplingParams& sp, int n) {
  Cmd c;
  c.kind = Cmd::Add;
  c.prompt = prompt;
  c.sp = sp;
  c.n = n;
  c.stream = std::make_shared<RequestStream>();
  c.stream->n = n;
  c.added = std::make_shared<std::promise<int64_t>>();
  std::future<int64_t> id = c.added->get_future();
  std::shared_ptr<RequestStream> stream = c.stream;
  post(std::move(c));
  stream->id = id.get();  // rethrows the engine's std::invalid_argument
  return stream;
}

void EngineLoop::abort(int64_t id) {
  Cmd c;
  c.kind = Cmd::Abort;
  c.id = id;
  try {
    post(std::move(c));
  } catch (const std::runtime_error&) {
    // stopping: stop() aborts everything anyway
  }
}

void EngineLoop::abort_all() {
  Cmd c;
  c.kind = Cmd::AbortAll;
  try {
    post(std::move(c));
  } catch (const std::runtime_error&) {
  }
}

LoopStats EngineLoop::stats() {
  Cmd c;
  c.kind = Cmd::Stats;
  c.stats = std::make_shared<std::promise<LoopStats>>();
  std::future<LoopStats> f = c.stats->get_future();
  try {
    post(std::move(c));
  } catch (const std::runtime_error&) {
    return LoopStats{};
  }
  return f.get();
}

bool EngineLoop::wait_idle(int timeout_ms) {
  std::unique_lock<std::mutex> lk(mu_);
  return idle_cv_.wait_for(lk, std::chrono::milliseconds(timeout_ms), [&] { return in_flight_ == 0; });
}

void EngineLoop::stop() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

// Pushes a finish event for every unfinished sample of request id and forgets it.
void EngineLoop::finish_all_of(int64_t id, const std::string& reason, const std::string& error) {
  auto it = live_.find(id);
  if (it == live_.end()) return;
  Live& L = it->second;
  {
    std::lock_guard<std::mutex> lk(L.stream->mu);
    if (!error.empty()) L.stream->error = error;
    for (int i = 0; i < int(L.finished.size()); i++) {
      if (L.finished[i]) continue;
      GenerationEvent e;
      e.request_id = id;
      e.index = i;
      e.finished = true;
      e.finish_reason = reason;
      L.stream->events.push_back(e);
    }
  }
  L.stream->cv.notify_all();
  live_.erase(it);
  std::lock_guard<std::mutex> lk(mu_);
  in_flight_--;
  if (in_flight_ == 0) idle_cv_.notify_all();
}

void EngineLoop::handle(Cmd& c) {
  switch (c.kind) {
    case Cmd::Add:
      try {
        const int64_t id = engine_.add_request(c.prompt, c.sp, c.n);
        Live L;
        L.stream = c.stream;
        L.finished.assign(size_t(c.n), 0);
        L.remaining = c.n;
        live_.emplace(id, std::move(L));
        {
          std::lock_guard<std::mutex> lk(mu_);
          in_flight_++;
        }
        c.added->set_value(id);
      } catch (...) {
        c.added->set_exception(std::current_exception());
      }
      break;
    case Cmd::Abort:
      if (live_.count(c.id)) {
        engine_.abort(c.id);
        finish_all_of(c.id, "abort", "");
      }
      break;
    case Cmd::AbortAll:
      while (!live_.empty()) {
        const int64_t id = live_.begin()->first;
        engine_.abort(id);
        finish_all_of(id, "abort", "");
      }
      break;
    case Cmd::Stats: {
      LoopStats s;
      s.engine = engine_.snapshot();
      for (size_t b = 0; b < s.engine.block_tokens.size(); b++) s.kv_tokens += s.engine.block_tokens[b];
      s.engine.ref_count.clear();
      s.engine.block_tokens.clear();
      s.engine.seqs.clear();
      s.steps = steps_;
      s.in_flight = int(live_.size());
      c.stats->set_value(std::move(s));
      break;
    }
  }
}

void EngineLoop::deliver(const std::vector<GenerationEvent>& events) {
  // group by request so each mailbox is locked and woken once per step
  std::unordered_map<int64_t, std::vector<const GenerationEvent*>> by_id;
  for (const GenerationEvent& e : events) by_id[e.request_id].push_back(&e);
  for (auto& [id, evs] : by_id) {
    auto it = live_.find(id);
    if (it == live_.end()) continue;  // aborted in this very step
    Live& L = it->second;
    {
      std::lock_guard<std::mutex> lk(L.stream->mu);
      for (const GenerationEvent* e : evs) {
        if (e->index < 0 || e->index >= int(L.finished.size()) || L.finished[e->index]) continue;
        L.stream->events.push_back(*e);
        if (e->finished) L.finished[e->index] = 1, L.remaining--;
      }
    }
    L.stream->cv.notify_all();
    if (L.remaining == 0) {
      live_.erase(it);
      std::lock_guard<std::mutex> lk(mu_);
      in_flight_--;
      if (in_flight_ == 0) idle_cv_.notify_all();
    }
  }
}

void EngineLoop::run() {
  bool work = false;
  for (;;) {
    std::deque<Cmd> cmds;
    bool stopping;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return stop_ || !queue_.empty() || work; });
      cmds.swap(queue_);
      stopping = stop_;
    }
    for (Cmd& c : cmds) {
      if (stopping && c.kind == Cmd::Add) {
        c.added->set_exception(std::make_exception_ptr(std::runtime_error("the server is shutting down")));
        continue;
      }
      handle(c);
    }
    if (stopping) {
      Cmd all;
      all.kind = Cmd::AbortAll;
      handle(all);
      return;
    }
    if (engine_.has_work()) {
      std::vector<GenerationEvent> events;
      try {
        events = engine_.step();
        steps_++;
      } catch (const std::exception& e) {
        // never take the server down: fail the requests in flight, keep serving new ones
        const std::string msg = std::string("engine step failed: ") + e.what();
        while (!live_.empty()) {
          const int64_t id = live_.begin()->first;
          try {
            engine_.abort(id);
          } catch (...) {
          }
          finish_all_of(id, "error", msg);
        }
      }
      deliver(events);
      if (step_delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(step_delay_ms_));
    }
    work = engine_.has_work();
  }
}

}  // namespace llm::cli
