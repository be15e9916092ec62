#include "native/checkpoint_dir.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "core/model/checkpoint.h"
#include "core/util/strict_json.h"
#include "native/fs.h"

namespace llm::cli {

uint64_t fnv1a64(const std::string& b) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a 64 offset basis
  for (unsigned char c : b) h = (h ^ c) * 1099511628211ull;
  return h;
}

static std::vector<std::string> list_dir(const std::string& d) {
  std::vector<std::string> out;
  DIR* dir = opendir(d.c_str());
  if (!dir) return out;
  while (dirent* e = readdir(dir)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  closedir(dir);
  std::sort(out.begin(), out.end());
  return out;
}

static void remove_tree(const std::string& p) {
  struct stat st;
  if (lstat(p.c_str(), &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    for (auto& n : list_dir(p)) remove_tree(p + "/" + n);
    rmdir(p.c_str());
  } else {
    unlink(p.c_str());
  }
}

static std::string read_pointer(const std::string& path) {
  if (!fs::exists(path)) return "";
  std::string s = fs::read_file(path);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string CheckpointDir::save(const std::string& ckdir, const Trainer& tr, const std::string& extra_json,
                                const std::string& tokenizer_json, bool is_best, int keep_last) {
  char name[32];
  std::snprintf(name, sizeof name, "step_%08lld", (long long)tr.step);
  const std::string final_dir = ckdir + "/" + name, tmp = ckdir + "/.tmp-" + name;
  remove_tree(tmp);
  fs::make_dirs(tmp);
  std::vector<std::pair<std::string, std::string>> files;
  const std::vector<uint8_t> w = save_weights(tr.model);
  files.push_back({"model.safetensors", std::string(w.begin(), w.end())});
  files.push_back({"config.json", hf_config_json(tr.model.cfg)});
  const std::vector<uint8_t> s = tr.save_state(extra_json);
  files.push_back({"trainer_state.safetensors", std::string(s.begin(), s.end())});
  files.push_back({"train_config.json", tr.cfg.to_json()});
  if (!tokenizer_json.empty()) files.push_back({"tokenizer.json", tokenizer_json});
  json manifest = {{"format", "llm-checkpoint"}, {"version", 1}, {"step", tr.step}, {"files", json::object()}};
  for (auto& f : files) {
    fs::write_file_atomic(tmp + "/" + f.first, f.second);
    manifest["files"][f.first] = {{"size", f.second.size()}, {"fnv1a64", std::to_string(fnv1a64(f.second))}};
  }
  fs::write_file_atomic(tmp + "/manifest.json", manifest.dump(2));
  remove_tree(final_dir);
  if (rename(tmp.c_str(), final_dir.c_str()) != 0) throw std::runtime_error("cannot rename " + tmp + " to " + final_dir);
  fs::write_file_atomic(ckdir + "/latest", std::string(name) + "\n");
  if (is_best) fs::write_file_atomic(ckdir + "/best", std::string(name) + "\n");
  // prune: keep the newest keep_last step folders and the best one
  const std::string best = read_pointer(ckdir + "/best");
  std::vector<std::string> steps;
  for (auto& n : list_dir(ckdir))
    if (n.rfind("step_", 0) == 0) steps.push_back(n);
  for (size_t i = 0; i + size_t(keep_last) < steps.size(); i++)
    if (steps[i] != best) remove_tree(ckdir + "/" + steps[i]);
  return final_dir;
}

void CheckpointDir::verify(const std::string& dir) {
  const std::string mp = dir + "/manifest.json";
  if (!fs::exists(mp)) throw std::runtime_error(dir + ": no manifest.json (incomplete checkpoint)");
  json m = parse_json(fs::read_file(mp), mp);
  if (m.value("format", "") != "llm-checkpoint" || m.value("version", 0) != 1)
    throw std::runtime_error(mp + ": not an llm checkpoint manifest (format/version mismatch)");
  for (auto it = m["files"].begin(); it != m["files"].end(); ++it) {
    const std::string p = dir + "/" + it.key();
    if (!fs::exists(p)) throw std::runtime_error(p + ": missing (checkpoint incomplete)");
    const std::string b = fs::read_file(p);
    if (b.size() != (*it)["size"].get<size_t>())
      throw std::runtime_error(p + ": size " + std::to_string(b.size()) + " differs from the manifest's " +
                               std::to_string((*it)["size"].get<size_t>()) + " (truncated?)");
    if (std::to_string(fnv1a64(b)) != (*it)["fnv1a64"].get<std::string>())
      throw std::runtime_error(p + ": checksum mismatch (corrupted)");
  }
}

CheckpointDir::Loaded CheckpointDir::load_latest(const std::string& ckdir, Trainer& tr) {
  std::vector<std::string> cands;
  const std::string latest = read_pointer(ckdir + "/latest");
  if (!latest.empty()) cands.push_back(latest);
  std::vector<std::string> all;
  for (auto& n : list_dir(ckdir))
    if (n.rfind("step_", 0) == 0) all.push_back(n);
  std::reverse(all.begin(), all.end());
  for (auto& n : all)
    if (n != latest) cands.push_back(n);
  std::string errors;
  for (auto& n : cands) {
    const std::string d = ckdir + "/" + n;
    try {
      verify(d);
      ModelConfig mc = config_from_hf_json(fs::read_file(d + "/config.json"));
      if (mc.to_json() != tr.model.cfg.to_json())
        throw std::runtime_error(d + ": model config differs from the train config's model");
      const std::string w = fs::read_file(d + "/model.safetensors");
      load_weights(tr.model, reinterpret_cast<const uint8_t*>(w.data()), w.size(), d + "/model.safetensors");
      const std::string s = fs::read_file(d + "/trainer_state.safetensors");
      Loaded l;
      l.extra = tr.load_state(reinterpret_cast<const uint8_t*>(s.data()), s.size(), d + "/trainer_state.safetensors");
      l.dir = d;
      if (!errors.empty()) std::fprintf(stderr, "warning: skipped bad checkpoints:%s\n", errors.c_str());
      return l;
    } catch (const std::exception& e) {
      errors += "\n  " + std::string(e.what());
    }
  }
  throw std::runtime_error("no usable checkpoint in " + ckdir + (errors.empty() ? " (none found)" : ":" + errors));
}

std::string resolve_checkpoint(const std::string& p) {
  if (fs::exists(p + "/config.json")) return p;
  for (const std::string& ck : {p, p + "/checkpoints"}) {
    for (const char* ptr : {"/best", "/latest"}) {
      const std::string n = read_pointer(ck + ptr);
      if (!n.empty() && fs::exists(ck + "/" + n + "/config.json")) return ck + "/" + n;
    }
  }
  throw std::runtime_error(p + ": not a model folder (no config.json) and no checkpoints/best or latest inside");
}

Transformer<float> load_model_dir(const std::string& path) {
  const std::string dir = resolve_checkpoint(path);
  if (fs::exists(dir + "/manifest.json")) CheckpointDir::verify(dir);
  ModelConfig mc = config_from_hf_json(fs::read_file(dir + "/config.json"));
  Transformer<float> m(mc);
  const std::string w = fs::read_file(dir + "/model.safetensors");
  load_weights(m, reinterpret_cast<const uint8_t*>(w.data()), w.size(), dir + "/model.safetensors");
  return m;
}

void truncate_metrics(const std::string& path, int64_t max_step) {
  if (!fs::exists(path)) return;
  std::istringstream in(fs::read_file(path));
  std::string line, out;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    try {
      if (json::parse(line).value("step", int64_t(0)) > max_step) continue;
    } catch (...) {
      continue;  // a torn last line from a crash
    }
    out += line + "\n";
  }
  fs::write_file_atomic(path, out);
}

}  // namespace llm::cli
