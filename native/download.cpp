#include "native/download.h"

#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT  // the Debian build of libcpp-httplib has it; the ABI needs it
#endif
#include <httplib.h>
#include <openssl/evp.h>

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <thread>

namespace llm {
namespace {

int64_t file_size(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return -1;
  return (int64_t)st.st_size;
}

std::string to_lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
  return s;
}

std::string hex(const unsigned char* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s.push_back(d[p[i] >> 4]);
    s.push_back(d[p[i] & 15]);
  }
  return s;
}

struct Sha256 {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Sha256() {
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1) throw std::runtime_error("sha256: OpenSSL init failed");
  }
  ~Sha256() { EVP_MD_CTX_free(ctx); }
  void update(const void* p, size_t n) { EVP_DigestUpdate(ctx, p, n); }
  std::string final_hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx, md, &len);
    return hex(md, len);
  }
};

std::string human_bytes(double b) {
  char buf[32];
  if (b >= 1e9) std::snprintf(buf, sizeof buf, "%.2f GB", b / 1e9);
  else if (b >= 1e6) std::snprintf(buf, sizeof buf, "%.1f MB", b / 1e6);
  else if (b >= 1e3) std::snprintf(buf, sizeof buf, "%.1f kB", b / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f B", b);
  return buf;
}

// One-line progress bar on stderr: percent, bar, bytes, MB/s, ETA. Redrawn at
// most 10 times a second; speed counts only bytes received in this process.
class ProgressBar {
 public:
  ProgressBar(bool on, std::string label) : on_(on), label_(std::move(label)) {}
  void update(int64_t done, int64_t total, int64_t session_bytes, bool force = false) {
    if (!on_) return;
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double rate = secs > 0 ? session_bytes / secs : 0;
    char line[256];
    if (total > 0) {
      const double frac = std::min(1.0, (double)done / total);
      const int width = 28, fill = (int)(frac * width);
      std::string bar(fill, '=');
      if (fill < width) bar += '>' + std::string(width - fill - 1, ' ');
      const double eta = rate > 0 ? (total - done) / rate : 0;
      std::snprintf(line, sizeof line, "\r%s %5.1f%% [%s] %s / %s  %.2f MB/s  ETA %d:%02d:%02d ", label_.c_str(),
                    100 * frac, bar.c_str(), human_bytes((double)done).c_str(), human_bytes((double)total).c_str(),
                    rate / 1e6, (int)(eta / 3600), (int)eta / 60 % 60, (int)eta % 60);
    } else {
      std::snprintf(line, sizeof line, "\r%s %s  %.2f MB/s ", label_.c_str(), human_bytes((double)done).c_str(),
                    rate / 1e6);
    }
    std::fputs(line, stderr);
    std::fflush(stderr);
    drawn_ = true;
  }
  void finish() {
    if (on_ && drawn_) std::fputc('\n', stderr);
    drawn_ = false;
  }

 private:
  bool on_;
  std::string label_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_{};
};

// "bytes 100-199/1000" -> start 100, total 1000 ("*" total -> -1). False if malformed.
bool parse_content_range(const std::string& v, int64_t* start, int64_t* total) {
  long long a = 0, b = 0;
  char tot[32] = {0};
  if (std::sscanf(v.c_str(), "bytes %lld-%lld/%31s", &a, &b, tot) == 3) {
    *start = a;
    *total = tot[0] == '*' ? -1 : std::atoll(tot);
    return true;
  }
  if (std::sscanf(v.c_str(), "bytes */%31s", tot) == 1) {  // 416 form
    *start = -1;
    *total = std::atoll(tot);
    return true;
  }
  return false;
}

bool is_connect_error(httplib::Error e) {
  return e == httplib::Error::Connection || e == httplib::Error::ConnectionTimeout ||
         e == httplib::Error::BindIPAddress || e == httplib::Error::SSLConnection;
}

}  // namespace

std::string Url::origin() const { return scheme + "://" + host + ":" + std::to_string(port); }

Url parse_url(const std::string& url) {
  Url u;
  const size_t p = url.find("://");
  if (p == std::string::npos) throw std::runtime_error("bad URL '" + url + "': expected http(s)://host/path");
  u.scheme = to_lower(url.substr(0, p));
  if (u.scheme != "http" && u.scheme != "https")
    throw std::runtime_error("bad URL '" + url + "': only http and https are supported");
  const size_t host_start = p + 3;
  const size_t slash = url.find('/', host_start);
  std::string hostport = url.substr(host_start, slash == std::string::npos ? std::string::npos : slash - host_start);
  u.path = slash == std::string::npos ? "/" : url.substr(slash);
  u.port = u.scheme == "https" ? 443 : 80;
  const size_t colon = hostport.rfind(':');
  if (colon != std::string::npos && hostport.find(']') == std::string::npos) {
    const std::string port = hostport.substr(colon + 1);
    if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5)
      throw std::runtime_error("bad URL '" + url + "': invalid port '" + port + "'");
    u.port = std::stoi(port);
    hostport = hostport.substr(0, colon);
  }
  if (hostport.empty()) throw std::runtime_error("bad URL '" + url + "': no host");
  u.host = hostport;
  return u;
}

std::string resolve_location(const Url& base, const std::string& loc) {
  if (loc.find("://") != std::string::npos) return loc;
  if (loc.rfind("//", 0) == 0) return base.scheme + ":" + loc;
  if (!loc.empty() && loc[0] == '/') return base.origin() + loc;
  // Relative to the current directory of the path.
  const std::string path = base.path.substr(0, base.path.find('?'));
  return base.origin() + path.substr(0, path.rfind('/') + 1) + loc;
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data.data(), data.size());
  return h.final_hex();
}

std::string sha256_file_hex(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("sha256: cannot open " + path);
  Sha256 h;
  std::vector<char> buf(1 << 20);
  while (f) {
    f.read(buf.data(), buf.size());
    if (f.gcount() > 0) h.update(buf.data(), (size_t)f.gcount());
  }
  return h.final_hex();
}

DownloadResult download_file(const DownloadOptions& opt) {
  DownloadResult res;
  const std::string part = opt.out_path + ".part";
  const std::string want_sha = to_lower(opt.expected_sha256);
  if (!want_sha.empty() && (want_sha.size() != 64 || want_sha.find_first_not_of("0123456789abcdef") != std::string::npos))
    throw std::runtime_error("download: expected sha256 '" + opt.expected_sha256 + "' is not 64 hex digits");
  std::string label = opt.label;
  if (label.empty()) label = opt.out_path.substr(opt.out_path.find_last_of('/') + 1);

  // Already downloaded: verify what we can and stop.
  if (!opt.force && file_size(opt.out_path) >= 0) {
    const int64_t have = file_size(opt.out_path);
    if (opt.expected_size >= 0 && have != opt.expected_size)
      throw std::runtime_error(opt.out_path + " exists with " + std::to_string(have) + " bytes, expected " +
                               std::to_string(opt.expected_size) + "; delete it or pass --force");
    res.sha256 = want_sha.empty() ? "" : sha256_file_hex(opt.out_path);
    if (!want_sha.empty() && res.sha256 != want_sha)
      throw std::runtime_error(opt.out_path + " exists but its sha256 is " + res.sha256 + ", expected " + want_sha +
                               "; delete it or pass --force");
    res.bytes = have;
    res.already_present = true;
    return res;
  }
  if (opt.force) std::remove(opt.out_path.c_str());
  {
    const std::filesystem::path parent = std::filesystem::path(opt.out_path).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) throw std::runtime_error("download: cannot create directory " + parent.string() + ": " + ec.message());
  }

  std::string url = opt.url;
  int64_t total = -1;      // full size per the server; -1 until known
  int attempts = 0, redirects = 0;
  ProgressBar bar(opt.progress, label);
  for (;;) {
    int64_t offset = std::max<int64_t>(file_size(part), 0);
    if (total >= 0 && offset == total) break;
    const Url u = parse_url(url);
    httplib::Client cli(u.scheme + "://" + u.host + ":" + std::to_string(u.port));
    cli.set_connection_timeout(opt.connect_timeout_s, 0);
    cli.set_read_timeout(opt.read_timeout_s, 0);
    cli.set_follow_location(false);
    httplib::Headers headers = {{"User-Agent", "llm-from-scratch/1.0"},
                                {"Accept-Encoding", "identity"}};  // byte ranges of the raw file
    if (offset > 0) headers.emplace("Range", "bytes=" + std::to_string(offset) + "-");

    std::unique_ptr<std::ofstream> out;
    int status = 0;
    std::string location, http_error;
    bool complete_by_416 = false;
    int64_t session_start = res.bytes_transferred;
    auto on_response = [&](const httplib::Response& r) -> bool {
      status = r.status;
      if (status >= 300 && status < 400) {
        location = r.get_header_value("Location");
        return false;
      }
      bool append = false;
      if (status == 200) {
        // Full body: the server ignored (or we did not send) a Range.
        total = r.has_header("Content-Length") ? std::atoll(r.get_header_value("Content-Length").c_str()) : -1;
        offset = 0;
      } else if (status == 206) {
        int64_t start = 0, tot = -1;
        if (!parse_content_range(r.get_header_value("Content-Range"), &start, &tot) || start != offset) {
          http_error = "bad Content-Range '" + r.get_header_value("Content-Range") + "' for a request from byte " +
                       std::to_string(offset);
          return false;
        }
        total = tot;
        append = true;
        ++res.resumes;
      } else if (status == 416) {
        int64_t start = 0, tot = -1;
        if (parse_content_range(r.get_header_value("Content-Range"), &start, &tot) && tot == offset) {
          total = tot;
          complete_by_416 = true;  // the .part already holds the whole file
        } else {
          http_error = "server rejected the resume range (HTTP 416); delete " + part + " and retry";
        }
        return false;
      } else {
        http_error = "HTTP " + std::to_string(status);
        return false;
      }
      if (opt.expected_size >= 0 && total >= 0 && total != opt.expected_size) {
        http_error = "server announces " + std::to_string(total) + " bytes, expected " +
                     std::to_string(opt.expected_size);
        return false;
      }
      out = std::make_unique<std::ofstream>(part, append ? std::ios::binary | std::ios::app
                                                         : std::ios::binary | std::ios::trunc);
      if (!*out) {
        http_error = "cannot write " + part;
        return false;
      }
      return true;
    };
    int64_t written = 0;
    auto on_data = [&](const char* data, size_t n) -> bool {
      out->write(data, (std::streamsize)n);
      if (!*out) return false;
      written += (int64_t)n;
      res.bytes_transferred += (int64_t)n;
      bar.update(offset + written, total, res.bytes_transferred);
      return true;
    };
    ++res.requests;
    auto r = cli.Get(u.path, headers, on_response, on_data);
    if (out) out->close();
    const httplib::Error err = r.error();

    if (!location.empty()) {
      if (++redirects > 10) throw std::runtime_error("download " + opt.url + ": more than 10 redirects");
      url = resolve_location(u, location);
      continue;
    }
    if (complete_by_416) break;
    if (!http_error.empty()) {
      bar.finish();
      throw std::runtime_error("download " + url + ": " + http_error);
    }
    if (err != httplib::Error::Success) {
      // Nothing reached us from this host in this process: treat as offline, fail fast.
      if (is_connect_error(err) && res.bytes_transferred == 0 && res.requests == 1 + redirects) {
        bar.finish();
        throw std::runtime_error("download " + url + ": cannot reach " + u.host + " (" + httplib::to_string(err) +
                                 "). " + opt.offline_hint);
      }
      if (++attempts >= opt.max_attempts) {
        bar.finish();
        throw std::runtime_error("download " + url + ": " + httplib::to_string(err) + " after " +
                                 std::to_string(attempts) + " attempts (" + std::to_string(std::max<int64_t>(file_size(part), 0)) +
                                 " bytes kept in " + part + "; run again to resume)");
      }
      bar.finish();
      std::fprintf(stderr, "%s: connection lost after %s (%s), resuming (attempt %d of %d)\n", label.c_str(),
                   human_bytes((double)std::max<int64_t>(file_size(part), 0)).c_str(),
                   httplib::to_string(err).c_str(), attempts + 1, opt.max_attempts);
      // Back off a little; a progress-making attempt resets nothing but costs no wait.
      if (res.bytes_transferred == session_start)
        std::this_thread::sleep_for(std::chrono::milliseconds(200 * attempts));
      continue;
    }
    // A complete response. Without a size from the server, what we got is the file.
    if (total < 0) total = std::max<int64_t>(file_size(part), 0);
    if (file_size(part) != total) {
      bar.finish();
      throw std::runtime_error("download " + url + ": received " + std::to_string(file_size(part)) +
                               " bytes but the server announced " + std::to_string(total));
    }
  }
  bar.update(total, total, res.bytes_transferred, true);
  bar.finish();

  const int64_t have = file_size(part);
  if (total >= 0 && have != total)
    throw std::runtime_error("download " + opt.url + ": size mismatch, " + part + " has " + std::to_string(have) +
                             " bytes, server announced " + std::to_string(total));
  if (opt.expected_size >= 0 && have != opt.expected_size)
    throw std::runtime_error("download " + opt.url + ": size mismatch, got " + std::to_string(have) +
                             " bytes, expected " + std::to_string(opt.expected_size));
  res.sha256 = sha256_file_hex(part);
  if (!want_sha.empty() && res.sha256 != want_sha) {
    std::remove(part.c_str());  // corrupt: resuming from it would never fix it
    throw std::runtime_error("download " + opt.url + ": sha256 mismatch, got " + res.sha256 + ", expected " +
                             want_sha + " (the partial file was deleted; run again to re-download)");
  }
  if (std::rename(part.c_str(), opt.out_path.c_str()) != 0)
    throw std::runtime_error("download: cannot rename " + part + " to " + opt.out_path);
  res.bytes = have;
  return res;
}

}  // namespace llm
