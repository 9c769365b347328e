// Starts the real `creditd` process on 127.0.0.1:0 with a temporary data
// directory preloaded with a small fixture, and gives tests raw sockets and
// C++ clients to it. Header-only; used by tests/integration/*_test.cc.
#ifndef CREDITD_TESTS_INTEGRATION_DAEMON_HARNESS_H_
#define CREDITD_TESTS_INTEGRATION_DAEMON_HARNESS_H_

#include "client/client.h"
#include "daemon/auth.h"
#include "daemon/protocol/frame_codec.h"
#include "index/registry.h"
#include "index/uscc.h"
#include "tests/testutil.h"

#include "absl/strings/str_format.h"
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace creditd::testing {

// How much longer than normal the harness waits for the daemon: a sanitizer
// build runs it several times slower (a TSan creditd took 37 s to load the
// 3-subject fixture on the shared 2-vCPU VM at load average 10). These are
// deadlines for progress, not timing assertions: a healthy daemon meets them
// at once, a stuck one still fails the test.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
inline constexpr int kSanitizerSlowdown = 15;
#else
inline constexpr int kSanitizerSlowdown = 1;
#endif

inline constexpr char kAdminToken[] = "admin-secret-token";
inline constexpr char kCheckerToken[] = "checker-secret-token";
// Every read role but admin: sees natural persons' identifiers masked.
inline constexpr char kViewerToken[] = "viewer-secret-token";

// A valid USCC: "91350100" + 8-character org body + its check + USCC check.
inline std::string MakeCode(const std::string& org_body) {
  std::string code = "91350100" + org_body;
  code += OrgCodeCheckCharacter(org_body);
  code += UsccCheckCharacter(code);
  return code;
}

struct Limits {
  int max_batch = 10;
  int max_connections = 8;
  int idle_timeout_seconds = 2;
  int max_frame_bytes = 65536;
  int max_preauth_frame_bytes = 1024;
  int max_output_buffer_bytes = 65536;
  int audit_fsync_interval_ms = 100;
};

class DaemonProcess {
 public:
  explicit DaemonProcess(Limits limits = {}) : limits_(limits) {}
  ~DaemonProcess() { Kill(); }

  std::string Config() const {
    std::string c = absl::StrFormat(
        "[server]\naddress = \"127.0.0.1\"\nport = 0\nio_threads = 2\n"
        "data_dir = \"%s/data\"\n"
        "[metrics]\nport = 0\n"
        "[audit]\ndir = \"%s/audit\"\nfsync_interval_ms = %d\n"
        "[limits]\nmax_frame_bytes = %d\nmax_preauth_frame_bytes = %d\n"
        "max_batch = %d\nmax_connections = %d\nidle_timeout_seconds = %d\n"
        "max_output_buffer_bytes = %d\n",
        dir_.path(), dir_.path(), limits_.audit_fsync_interval_ms,
        limits_.max_frame_bytes, limits_.max_preauth_frame_bytes,
        limits_.max_batch, limits_.max_connections,
        limits_.idle_timeout_seconds, limits_.max_output_buffer_bytes);
    c += absl::StrFormat(
        "[[auth.tokens]]\nname = \"admin\"\nsha256 = \"%s\"\n"
        "roles = [\"check\", \"match\", \"dups\", \"write\", \"admin\"]\n"
        "rate_limit_per_second = 1000000\n",
        Authenticator::Sha256Hex(kAdminToken));
    c += absl::StrFormat(
        "[[auth.tokens]]\nname = \"checker\"\nsha256 = \"%s\"\n"
        "roles = [\"check\"]\n",
        Authenticator::Sha256Hex(kCheckerToken));
    c += extra_config_;
    c += absl::StrFormat(
        "[[auth.tokens]]\nname = \"viewer\"\nsha256 = \"%s\"\n"
        "roles = [\"check\", \"match\", \"dups\"]\n"
        "rate_limit_per_second = 1000000\n",
        Authenticator::Sha256Hex(kViewerToken));
    return c;
  }
  // TOML appended to Config() (e.g. a [tls] table).
  void set_extra_config(std::string toml) { extra_config_ = std::move(toml); }

  // Loads the fixture with RegistryHolder (the daemon is not running yet).
  void Preload() {
    auto holder = RegistryHolder::Open(dir_.path() + "/data");
    ASSERT_TRUE(holder.ok()) << holder.status();
    WriteBatch b;
    auto subject = [&](std::string id, std::string code, std::string name) {
      Subject s;
      s.id = std::move(id);
      s.code = std::move(code);
      s.name = std::move(name);
      s.region = "350100";
      b.upsert_subjects.push_back(s);
    };
    subject("s1", code1, "福州鑫盛达贸易有限公司");
    subject("s2", code2, "福州海峡科技有限公司");
    subject("s3", code3, "厦门明辉建筑工程有限公司");
    Record r;
    r.id = "r1";
    r.code = code1;
    r.list = "serious_dishonesty";
    r.name = "福州鑫盛达贸易有限公司";
    r.authority = "福州市市场监督管理局";
    r.valid_from = *ParseDate("2023-01-01");
    r.decided_on = *ParseDate("2023-01-01");
    b.put_records.push_back(r);
    auto applied = (*holder)->Apply(b);
    ASSERT_TRUE(applied.ok()) << applied.status();
  }

  // Writes the config, preloads, starts creditd and waits for its ports.
  void Start(bool preload = true) {
    if (preload) Preload();
    config_path_ = dir_.WriteFile("creditd.toml", Config());
    log_path_ = dir_.path() + "/creditd.log";
    // A restart on the same directory must not read the previous run's port
    // before the new process truncates the log.
    std::filesystem::remove(log_path_);
    pid_ = StartProcess({CREDITD_PATH, "--config", config_path_}, log_path_);
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::seconds(20 * kSanitizerSlowdown);
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string log = Log();
      const size_t at = log.find("listening 127.0.0.1:");
      const size_t m = log.find("metrics 127.0.0.1:");
      if (at != std::string::npos && m != std::string::npos) {
        port_ = std::stoi(log.substr(at + 20));
        metrics_port_ = std::stoi(log.substr(m + 18));
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL() << "creditd did not start:\n" << Log();
  }

  std::string Log() const {
    std::ifstream in(log_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  int Signal(int sig) const { return ::kill(pid_, sig); }
  // Sends SIGTERM and returns the exit status.
  int Stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    const int rc = WaitProcess(pid_);
    pid_ = -1;
    return rc;
  }
  void Kill() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      WaitProcess(pid_);
      pid_ = -1;
    }
  }
  bool Alive() const { return pid_ > 0 && ::kill(pid_, 0) == 0; }

  std::string endpoint() const {
    return absl::StrFormat("127.0.0.1:%d", port_);
  }
  int port() const { return port_; }
  int metrics_port() const { return metrics_port_; }
  const TempDir& dir() const { return dir_; }
  const std::string& config_path() const { return config_path_; }

  std::unique_ptr<Client> Connect(const std::string& token = kAdminToken) {
    ClientOptions o;
    o.endpoints = {endpoint()};
    o.token = token;
    o.connect_timeout *= kSanitizerSlowdown;
    o.request_timeout *= kSanitizerSlowdown;
    auto c = Client::Connect(o);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? std::move(*c) : nullptr;
  }

  // Connects with `o`, endpoints and token filled in when empty.
  absl::StatusOr<std::unique_ptr<Client>> ConnectWith(ClientOptions o) {
    if (o.endpoints.empty()) o.endpoints = {endpoint()};
    if (o.token.empty()) o.token = kAdminToken;
    return Client::Connect(std::move(o));
  }

  const std::string code1 = MakeCode("M0000001");
  const std::string code2 = MakeCode("M0000002");
  const std::string code3 = MakeCode("M0000003");

 private:
  Limits limits_;
  std::string extra_config_;
  TempDir dir_;
  std::string config_path_;
  std::string log_path_;
  int pid_ = -1;
  int port_ = 0;
  int metrics_port_ = 0;
};

// A raw TCP connection for the bad-input catalogue.
class RawConnection {
 public:
  explicit RawConnection(int port, int rcvbuf = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ =
        ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  bool SendFrame(protocol::Opcode op, uint64_t id,
                 const google::protobuf::Message& m) {
    return Send(protocol::EncodeFrame(static_cast<uint16_t>(op), id, 0,
                                      m.SerializeAsString()));
  }

  struct Reply {
    bool ok = false;  // a whole frame arrived
    protocol::FrameHeader header;
    std::string body;
    proto::ErrorReply error;  // when header.flags has kFlagError
  };
  // Reads one frame within `timeout`.
  Reply Read(std::chrono::milliseconds timeout =
                 std::chrono::seconds(5 * kSanitizerSlowdown)) {
    Reply r;
    std::string header(protocol::kHeaderSize, '\0');
    if (!ReadExact(header.data(), header.size(), timeout)) return r;
    auto d = protocol::DecodeFrameHeader(
        std::span<const std::byte>(
            reinterpret_cast<const std::byte*>(header.data()), header.size()),
        1 << 30, "max", true);
    if (d.state != protocol::DecodeResult::State::kComplete) return r;
    r.header = d.header;
    r.body.resize(d.header.body_length);
    if (!ReadExact(r.body.data(), r.body.size(), timeout)) return r;
    if (r.header.flags & protocol::kFlagError) r.error.ParseFromString(r.body);
    r.ok = true;
    return r;
  }
  // True when the peer closed (EOF or reset) within `timeout`.
  // Unread bytes are discarded on the way.
  bool Closed(std::chrono::milliseconds timeout =
                  std::chrono::seconds(5 * kSanitizerSlowdown)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      if (::recv(fd_, buf, sizeof(buf), 0) <= 0) return true;
    }
  }
  void Authenticate(const std::string& token = kAdminToken) {
    proto::AuthRequest a;
    a.set_token(token);
    ASSERT_TRUE(SendFrame(protocol::Opcode::kAuth, 1, a));
    Reply r = Read();
    ASSERT_TRUE(r.ok);
    ASSERT_EQ(r.header.flags & protocol::kFlagError, 0);
  }

 private:
  bool ReadExact(char* out, size_t n, std::chrono::milliseconds timeout) {
    size_t got = 0;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (got < n) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      const ssize_t r = ::recv(fd_, out + got, n - got, 0);
      if (r <= 0) return false;
      got += static_cast<size_t>(r);
    }
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
};

}  // namespace creditd::testing

#endif  // CREDITD_TESTS_INTEGRATION_DAEMON_HARNESS_H_
