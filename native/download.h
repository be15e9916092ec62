// Resumable HTTPS/HTTP file download (cpp-httplib + OpenSSL).
//
// Bytes go to `<out>.part`; a dropped connection is resumed with an HTTP Range
// request from the current .part size, a restarted process resumes the same way.
// When the byte count matches the server's size (Content-Length, or the total in
// Content-Range) and the optional SHA-256 matches, the .part file is renamed to
// <out>. Redirects (Hugging Face sends 302 to its CDN) are followed by hand so a
// Range header survives them. A host that cannot be reached fails fast (short
// connect timeout, no retries) with a hint naming the offline alternative.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace llm {

struct DownloadOptions {
  std::string url;                  // http:// or https://
  std::string out_path;             // final file; data lands in out_path + ".part" first
  std::string expected_sha256;      // lowercase/uppercase hex; empty = not checked
  int64_t expected_size = -1;       // bytes; -1 = whatever the server announces
  int connect_timeout_s = 5;        // small: an offline machine must fail fast
  int read_timeout_s = 30;
  int max_attempts = 5;             // connection drops resumed per file
  bool progress = true;             // progress bar on stderr
  bool force = false;               // download again even if out_path exists
  std::string label;                // name shown in the progress bar (default: file name)
  // Appended to "cannot reach host" errors.
  std::string offline_hint =
      "No network? The offline default needs none: `llm data generate stories` "
      "(the embedded story generator).";
};

struct DownloadResult {
  int64_t bytes = 0;            // final file size
  int64_t bytes_transferred = 0;  // bytes received in this call
  int requests = 0;             // HTTP requests made (redirects and resumes included)
  int resumes = 0;              // Range requests that continued a partial file
  bool already_present = false; // out_path existed and matched; nothing downloaded
  std::string sha256;           // hex digest of the final file
};

// Throws std::runtime_error with a message naming the URL and what went wrong.
DownloadResult download_file(const DownloadOptions& opt);

std::string sha256_hex(std::string_view data);
std::string sha256_file_hex(const std::string& path);  // throws if unreadable

struct Url {
  std::string scheme, host, path;  // path includes the query, starts with '/'
  int port = 0;
  std::string origin() const;      // "https://host:port"
};
Url parse_url(const std::string& url);  // throws on anything but http(s)://host[:port][/path]
// Resolves a Location header against the URL it came from (absolute or "/path").
std::string resolve_location(const Url& base, const std::string& location);

}  // namespace llm
