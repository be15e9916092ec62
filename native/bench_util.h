// Small helpers shared by the `llm bench` commands.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

namespace llm::cli {

inline double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU seconds used so far by the calling thread / by the whole process (all threads)
inline double cpu_clock_s(clockid_t id) {
  timespec t{};
  clock_gettime(id, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}
inline double thread_cpu_s() { return cpu_clock_s(CLOCK_THREAD_CPUTIME_ID); }
inline double process_cpu_s() { return cpu_clock_s(CLOCK_PROCESS_CPUTIME_ID); }

// The machine's CPU time so far, from the first line of /proc/stat (Linux; zeros elsewhere):
// all jiffies and the stolen ones (time the hypervisor gave this VM's vCPUs to someone else).
// A level's steal share tells a slow run on a shared host from a slow program.
struct CpuJiffies {
  double total = 0, steal = 0;
};
inline CpuJiffies cpu_jiffies() {
  CpuJiffies j;
  if (FILE* f = std::fopen("/proc/stat", "r")) {
    unsigned long long v[8] = {0};
    if (std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                    &v[7]) == 8) {
      for (unsigned long long x : v) j.total += double(x);
      j.steal = double(v[7]);
    }
    std::fclose(f);
  }
  return j;
}
// percent of the CPU time between a and b that was stolen (0 when unknown)
inline double steal_pct(const CpuJiffies& a, const CpuJiffies& b) {
  const double t = b.total - a.total;
  return t > 0 ? 100.0 * (b.steal - a.steal) / t : 0.0;
}

inline double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// "1,2,4" -> {1, 2, 4}
inline std::vector<int> parse_int_list(const std::string& s) {
  std::vector<int> v;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find(',', i);
    if (j == std::string::npos) j = s.size();
    v.push_back(std::stoi(s.substr(i, j - i)));
    i = j + 1;
  }
  return v;
}

}  // namespace llm::cli
