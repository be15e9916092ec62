#include "native/llama2c_run.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "native/fs.h"

extern char** environ;

namespace llm::cli {

void write_llama2c_dir(const std::string& dir, const Transformer<float>& m, const llama2c::Vocab& v,
                       const std::vector<int32_t>& order, int version) {
  fs::make_dirs(dir);
  fs::write_file_atomic(dir + "/model.bin", llama2c::write_model(m, order, version));
  fs::write_file_atomic(dir + "/tokenizer.bin", llama2c::write_tokenizer(v));
}

llama2c::Vocab placeholder_vocab(int vocab_size) {
  llama2c::Vocab v;
  for (int i = 0; i < vocab_size; i++) {
    std::string p = i == 0 ? "<unk>" : i == 1 ? "\n<s>\n" : i == 2 ? "\n</s>\n" : "";
    if (i >= 3 && i < 259) p = std::string(1, char(i - 3));
    if (i >= 259) p = "[" + std::to_string(i) + "]";
    v.pieces.push_back(p);
    v.scores.push_back(i < 3 ? llama2c::kSpecialScore : i < 259 ? 0.0f : llama2c::kNoMergeScore);
    v.max_token_length = std::max(v.max_token_length, uint32_t(p.size()));
  }
  return v;
}

RunCOutput run_llama2c(const std::string& run_bin, const std::string& dir, const std::string& prompt, int steps,
                       int threads) {
  if (::access(run_bin.c_str(), X_OK) != 0)
    throw std::runtime_error("llama2.c run binary " + run_bin + " is not executable: " + std::strerror(errno));
  const std::string out_path = dir + "/.run_stdout", err_path = dir + "/.run_stderr";
  std::vector<std::string> args = {run_bin, dir + "/model.bin", "-z", dir + "/tokenizer.bin", "-t", "0",
                                   "-n", std::to_string(steps)};
  if (!prompt.empty()) args.insert(args.end(), {"-i", prompt});
  std::vector<char*> argv;
  for (std::string& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  // the environment with OMP_NUM_THREADS replaced
  std::vector<std::string> env_s;
  for (char** e = environ; *e; e++)
    if (threads <= 0 || std::strncmp(*e, "OMP_NUM_THREADS=", 16) != 0) env_s.push_back(*e);
  if (threads > 0) env_s.push_back("OMP_NUM_THREADS=" + std::to_string(threads));
  std::vector<char*> envp;
  for (std::string& s : env_s) envp.push_back(s.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid;
  const int rc = posix_spawn(&pid, run_bin.c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot start " + run_bin + ": " + std::strerror(rc));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  RunCOutput r;
  r.text = fs::read_file(out_path);
  r.log = fs::read_file(err_path);
  ::unlink(out_path.c_str());
  ::unlink(err_path.c_str());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error(run_bin + " failed (" +
                             (WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status))
                                                : "signal " + std::to_string(WTERMSIG(status))) +
                             "): " + r.log);
  const size_t at = r.log.find("achieved tok/s:");
  if (at != std::string::npos) r.tok_per_s = std::atof(r.log.c_str() + at + 15);
  return r;
}

std::string greedy_as_runc(const InferModel& m, const llama2c::Vocab& v, const std::vector<int32_t>& order,
                           const std::string& prompt, int steps, int* generated) {
  const ModelConfig& c = m.cfg();
  const int V = c.vocab_size;
  if (int(order.size()) != V || int(v.pieces.size()) != V)
    throw std::runtime_error("greedy_as_runc: vocabulary sizes differ from the model's " + std::to_string(V));
  if (steps <= 0 || steps > c.max_seq_len) steps = c.max_seq_len;  // run.c's own clamp
  const std::vector<int32_t> prompt_ids = llama2c::runc_encode(v, prompt, true, false);
  for (int32_t id : prompt_ids)
    if (id < 0 || id >= V)
      throw std::runtime_error("run.c would encode the prompt with an invalid id " + std::to_string(id) +
                               " (tokenizer.bin has no \" \" token?)");
  KVCache cache(c);
  std::string out;
  int32_t token = prompt_ids[0];
  int n_gen = 0;
  for (int pos = 0; pos < steps; pos++) {
    const int32_t ours = order[size_t(token)];
    const float* logits = cache.forward_last(m, &ours, 1);  // (V) in our id order
    int32_t next;
    if (pos + 1 < int(prompt_ids.size())) {
      next = prompt_ids[size_t(pos + 1)];
    } else {
      next = 0;  // argmax in llama2.c id order, first maximum wins (run.c's sample_argmax)
      float best = logits[order[0]];
      for (int i = 1; i < V; i++)
        if (logits[order[size_t(i)]] > best) best = logits[order[size_t(i)]], next = i;
      n_gen++;
    }
    if (next == 1) break;  // run.c: BOS delimits sequences
    out += llama2c::runc_piece(v, token, next);
    token = next;
  }
  if (generated) *generated = n_gen;
  return out + "\n";
}

}  // namespace llm::cli
