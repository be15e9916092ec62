// The resumable downloader against a local httplib::Server on 127.0.0.1: a
// transfer that the server cuts mid-body is resumed with a Range request, a
// partial file from an earlier run is continued, redirects are followed, and
// size/checksum problems are errors. Native only (sockets, threads).
#include <gtest/gtest.h>

#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "native/download.h"

namespace {

std::string fixture() {  // 300 kB of deterministic, non-repeating bytes
  std::string s(300 * 1000, '\0');
  uint32_t x = 12345;
  for (char& c : s) {
    x = x * 1664525u + 1013904223u;
    c = (char)(x >> 24);
  }
  return s;
}

std::string read_file(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class LocalServer {
 public:
  LocalServer() : data(fixture()) {
    // /file: serves the fixture; httplib answers Range requests with 206.
    svr.Get("/file", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_content(data, "application/octet-stream");
    });
    // /flaky: the first request sends half the body, then drops the connection.
    svr.Get("/flaky", [this](const httplib::Request& req, httplib::Response& res) {
      const int n = record(req);
      if (n == 1) {
        res.set_content_provider(data.size(), "application/octet-stream",
                                 [this](size_t offset, size_t, httplib::DataSink& sink) {
                                   const size_t half = data.size() / 2;
                                   if (offset >= half) return false;  // abort: connection closed
                                   sink.write(data.data() + offset, std::min<size_t>(half - offset, 32768));
                                   return true;
                                 });
      } else {
        res.set_content(data, "application/octet-stream");
      }
    });
    // /always-cut: never finishes.
    svr.Get("/always-cut", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_content_provider(data.size(), "application/octet-stream",
                               [this](size_t offset, size_t, httplib::DataSink& sink) {
                                 if (offset >= 1000) return false;
                                 sink.write(data.data() + offset, 1000 - offset);
                                 return true;
                               });
    });
    svr.Get("/redirect", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_redirect("/file", 302);
    });
    svr.Get("/redirect-abs", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_redirect("http://127.0.0.1:" + std::to_string(port) + "/flaky", 307);
    });
    port = svr.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { svr.listen_after_bind(); });
    for (int i = 0; i < 200 && !svr.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~LocalServer() {
    svr.stop();
    thread.join();
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port) + path; }
  int record(const httplib::Request& req) {
    std::lock_guard<std::mutex> lock(mu);
    ranges.push_back(req.get_header_value("Range"));
    return (int)ranges.size();
  }
  std::vector<std::string> seen_ranges() {
    std::lock_guard<std::mutex> lock(mu);
    return ranges;
  }

  const std::string data;
  httplib::Server svr;
  int port = 0;
  std::thread thread;
  std::mutex mu;
  std::vector<std::string> ranges;  // Range header of every request, "" if none
};

std::string temp_dir() {
  const auto d = std::filesystem::temp_directory_path() /
                 ("llm_dl_test_" + std::to_string(::getpid()) + "_" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d.string();
}

llm::DownloadOptions opts(const std::string& url, const std::string& out) {
  llm::DownloadOptions o;
  o.url = url;
  o.out_path = out;
  o.progress = false;
  o.connect_timeout_s = 2;
  o.read_timeout_s = 5;
  return o;
}

}  // namespace

TEST(Download, PlainTransferWithChecksum) {
  LocalServer s;
  const std::string dir = temp_dir(), out = dir + "/sub/file.bin";
  auto o = opts(s.url("/file"), out);
  o.expected_sha256 = llm::sha256_hex(s.data);
  o.expected_size = (int64_t)s.data.size();
  const llm::DownloadResult r = llm::download_file(o);
  EXPECT_EQ(read_file(out), s.data);
  EXPECT_EQ(r.bytes, (int64_t)s.data.size());
  EXPECT_EQ(r.sha256, llm::sha256_hex(s.data));
  EXPECT_FALSE(std::filesystem::exists(out + ".part"));
  // A second call finds the file and downloads nothing.
  const size_t before = s.seen_ranges().size();
  const llm::DownloadResult again = llm::download_file(o);
  EXPECT_TRUE(again.already_present);
  EXPECT_EQ(s.seen_ranges().size(), before);
  std::filesystem::remove_all(dir);
}

TEST(Download, ResumesAnInterruptedTransferWithRange) {
  LocalServer s;
  const std::string dir = temp_dir(), out = dir + "/flaky.bin";
  const llm::DownloadResult r = llm::download_file(opts(s.url("/flaky"), out));
  EXPECT_EQ(read_file(out), s.data);  // every byte, in order, once
  const auto ranges = s.seen_ranges();
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0], "");
  EXPECT_EQ(ranges[1], "bytes=" + std::to_string(s.data.size() / 2) + "-");
  EXPECT_EQ(r.resumes, 1);
  EXPECT_EQ(r.bytes_transferred, (int64_t)s.data.size());
  std::filesystem::remove_all(dir);
}

TEST(Download, ContinuesAPartialFileFromAnEarlierRun) {
  LocalServer s;
  const std::string dir = temp_dir(), out = dir + "/file.bin";
  std::ofstream(out + ".part", std::ios::binary) << s.data.substr(0, 1234);
  const llm::DownloadResult r = llm::download_file(opts(s.url("/file"), out));
  EXPECT_EQ(read_file(out), s.data);
  EXPECT_EQ(s.seen_ranges().at(0), "bytes=1234-");
  EXPECT_EQ(r.bytes_transferred, (int64_t)s.data.size() - 1234);
  std::filesystem::remove_all(dir);
}

TEST(Download, FollowsRelativeAndAbsoluteRedirects) {
  LocalServer s;
  const std::string dir = temp_dir();
  llm::download_file(opts(s.url("/redirect"), dir + "/a.bin"));
  EXPECT_EQ(read_file(dir + "/a.bin"), s.data);
  // Absolute redirect to the flaky endpoint: the resume goes to the new location.
  llm::download_file(opts(s.url("/redirect-abs"), dir + "/b.bin"));
  EXPECT_EQ(read_file(dir + "/b.bin"), s.data);
  std::filesystem::remove_all(dir);
}

TEST(Download, ChecksumMismatchIsAnError) {
  LocalServer s;
  const std::string dir = temp_dir(), out = dir + "/file.bin";
  auto o = opts(s.url("/file"), out);
  o.expected_sha256 = std::string(64, '0');
  try {
    llm::download_file(o);
    FAIL() << "expected a sha256 mismatch error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("sha256 mismatch"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists(out + ".part"));
  // A malformed digest is rejected before any request.
  const size_t before = s.seen_ranges().size();
  o.expected_sha256 = "abc";
  EXPECT_THROW(llm::download_file(o), std::runtime_error);
  EXPECT_EQ(s.seen_ranges().size(), before);
  // A wrong expected size is caught before the body is even read.
  o.expected_sha256.clear();
  o.expected_size = 5;
  EXPECT_THROW(llm::download_file(o), std::runtime_error);
  std::filesystem::remove_all(dir);
}

TEST(Download, GivesUpAfterMaxAttemptsAndKeepsThePartial) {
  LocalServer s;
  const std::string dir = temp_dir(), out = dir + "/cut.bin";
  auto o = opts(s.url("/always-cut"), out);
  o.max_attempts = 2;
  try {
    llm::download_file(o);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("after 2 attempts"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_EQ(std::filesystem::file_size(out + ".part"), 1000u);  // kept for the next run
  std::filesystem::remove_all(dir);
}

TEST(Download, HttpErrorsAndOfflineFailFast) {
  LocalServer s;
  const std::string dir = temp_dir();
  try {
    llm::download_file(opts(s.url("/missing"), dir + "/x"));
    FAIL() << "expected an HTTP error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("HTTP 404"), std::string::npos) << e.what();
  }
  // A port nobody listens on: an immediate, explained failure naming the
  // offline default, with no retries.
  int dead_port = 0;
  {
    // Ask the kernel for a free port, then close the socket: nobody listens there.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    ASSERT_EQ(::bind(fd, (sockaddr*)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    ASSERT_EQ(::getsockname(fd, (sockaddr*)&a, &len), 0);
    dead_port = ntohs(a.sin_port);
    ::close(fd);
  }
  const auto t0 = std::chrono::steady_clock::now();
  try {
    llm::download_file(opts("http://127.0.0.1:" + std::to_string(dead_port) + "/f", dir + "/y"));
    FAIL() << "expected a connection error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot reach"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("llm data generate stories"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 3.0);
  std::filesystem::remove_all(dir);
}

TEST(Download, UrlParsing) {
  const llm::Url u = llm::parse_url("https://huggingface.co/datasets/x/resolve/main/a.txt?download=true");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "huggingface.co");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.path, "/datasets/x/resolve/main/a.txt?download=true");
  const llm::Url v = llm::parse_url("http://127.0.0.1:8080");
  EXPECT_EQ(v.port, 8080);
  EXPECT_EQ(v.path, "/");
  EXPECT_EQ(llm::resolve_location(u, "/cdn/b.txt"), "https://huggingface.co:443/cdn/b.txt");
  EXPECT_EQ(llm::resolve_location(u, "https://cdn.example/z"), "https://cdn.example/z");
  EXPECT_EQ(llm::resolve_location(u, "b.txt"), "https://huggingface.co:443/datasets/x/resolve/main/b.txt");
  EXPECT_THROW(llm::parse_url("ftp://x/y"), std::runtime_error);
  EXPECT_THROW(llm::parse_url("http://host:99x/"), std::runtime_error);
  EXPECT_EQ(llm::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
