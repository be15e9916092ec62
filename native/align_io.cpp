#include "native/align_io.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "core/util/safetensors.h"
#include "core/util/strict_json.h"
#include "native/checkpoint_dir.h"
#include "native/fs.h"

namespace llm::cli {

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

std::string save_checkpoint_files(const std::string& ckdir, int64_t step,
                                  const std::vector<std::pair<std::string, std::string>>& files, bool is_best,
                                  int keep_last) {
  char name[32];
  std::snprintf(name, sizeof name, "step_%08lld", (long long)step);
  const std::string final_dir = ckdir + "/" + name, tmp = ckdir + "/.tmp-" + name;
  remove_tree(tmp);
  fs::make_dirs(tmp);
  json manifest = {{"format", "llm-checkpoint"}, {"version", 1}, {"step", step}, {"files", json::object()}};
  for (auto& f : files) {
    fs::write_file_atomic(tmp + "/" + f.first, f.second);
    manifest["files"][f.first] = {{"size", f.second.size()}, {"fnv1a64", std::to_string(fnv1a64(f.second))}};
  }
  fs::write_file_atomic(tmp + "/manifest.json", manifest.dump(2));  // last: its presence means complete
  remove_tree(final_dir);
  if (rename(tmp.c_str(), final_dir.c_str()) != 0) throw std::runtime_error("cannot rename " + tmp + " to " + final_dir);
  fs::write_file_atomic(ckdir + "/latest", std::string(name) + "\n");
  if (is_best) fs::write_file_atomic(ckdir + "/best", std::string(name) + "\n");
  const std::string best = read_pointer(ckdir + "/best");
  std::vector<std::string> steps;
  for (auto& n : list_dir(ckdir))
    if (n.rfind("step_", 0) == 0) steps.push_back(n);
  for (size_t i = 0; i + size_t(keep_last) < steps.size(); i++)
    if (steps[i] != best) remove_tree(ckdir + "/" + steps[i]);
  return final_dir;
}

void save_lora_dir(const std::string& dir, const LoraAdapters<float>& a, const std::string& base_model) {
  fs::make_dirs(dir);
  fs::write_file_atomic(dir + "/adapter_model.safetensors", save_lora(a));
  fs::write_file_atomic(dir + "/adapter_config.json", lora_adapter_config_json(a.options(), base_model));
}

bool has_lora_adapter(const std::string& dir) { return fs::exists(dir + "/adapter_config.json"); }

std::unique_ptr<LoraAdapters<float>> load_lora_dir(const std::string& dir, const Transformer<float>& model) {
  const std::string cfg = dir + "/adapter_config.json", w = dir + "/adapter_model.safetensors";
  if (!fs::exists(cfg)) throw std::runtime_error(dir + ": no adapter_config.json (not a LoRA adapter folder)");
  const std::string bytes = fs::read_file(w);
  return load_lora(model, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), fs::read_file(cfg), w);
}

std::string merge_lora_dir(Transformer<float>& model, const std::string& adapter_path) {
  // a run folder (runs/sft-lora) or its checkpoints/ folder names its best/latest step
  const std::string adapter_dir = has_lora_adapter(adapter_path) ? adapter_path : resolve_checkpoint(adapter_path);
  auto a = load_lora_dir(adapter_dir, model);
  a->merge_into(model);
  std::string t;
  for (auto& s : a->options().targets) t += (t.empty() ? "" : ",") + s;
  return "merged LoRA adapter " + adapter_dir + " (r=" + std::to_string(a->options().rank) + ", alpha=" +
         std::to_string(a->options().alpha) + ", " + std::to_string(a->layers().size()) + " layers: " + t + ")";
}

std::string save_reward_head(const RewardHead<float>& h) {
  SafeTensorsWriter w;
  auto& self = const_cast<RewardHead<float>&>(h);  // ParamStore::get is non-const; nothing is written
  TensorT<float> s = self.weight();
  w.add_f32("score.weight", {s.shape[0], s.shape[1]}, s.data);
  w.set_metadata("format", "pt");
  const std::vector<uint8_t> b = w.finish();
  return std::string(b.begin(), b.end());
}

RewardModel load_reward_model(const std::string& path) {
  const std::string dir = resolve_checkpoint(path);
  const std::string sp = dir + "/score.safetensors";
  if (!fs::exists(sp)) throw std::runtime_error(dir + ": no score.safetensors (not a reward model; train one with `llm rm`)");
  RewardModel rm{load_model_dir(dir), RewardHead<float>(0)};
  rm.head = RewardHead<float>(rm.model.cfg.dim);
  const std::string b = fs::read_file(sp);
  SafeTensorsReader r(reinterpret_cast<const uint8_t*>(b.data()), b.size(), sp);
  const std::vector<float> v = r.floats("score.weight", {1, rm.model.cfg.dim});
  std::copy(v.begin(), v.end(), rm.head.weight().data);
  return rm;
}

}  // namespace llm::cli
