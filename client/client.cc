#include "client/client.h"

#include "daemon/protocol/frame_codec.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace creditd {
namespace {

using protocol::Opcode;

absl::StatusCode CodeOfWire(uint32_t wire) {
  switch (wire) {
    case 10:
    case 11:
    case 12:
    case 16:
      return absl::StatusCode::kInvalidArgument;
    case 13:
      return absl::StatusCode::kNotFound;
    case 14:
      return absl::StatusCode::kUnauthenticated;
    case 15:
      return absl::StatusCode::kPermissionDenied;
    case 17:
    case 2:
    case 4:
    case 23:  // storage_full
      return absl::StatusCode::kResourceExhausted;
    case 18:
    case 5:
      return absl::StatusCode::kUnavailable;
    case 19:
      return absl::StatusCode::kFailedPrecondition;
    case 3:
      return absl::StatusCode::kDeadlineExceeded;
    case 1:
      return absl::StatusCode::kAborted;
    case 21:
      return absl::StatusCode::kAlreadyExists;
    case 22:
      return absl::StatusCode::kDataLoss;
    default:
      return absl::StatusCode::kInternal;
  }
}

absl::Status ErrorFromReply(const std::string& body) {
  proto::ErrorReply e;
  if (!e.ParseFromString(body)) {
    return absl::InternalError("client: malformed error reply");
  }
  absl::Status s(CodeOfWire(e.code()),
                 absl::StrFormat("%s: %s", e.name(), e.message()));
  s.SetPayload(kWireErrorPayload, absl::Cord(absl::StrFormat("%d", e.code())));
  return s;
}

bool SplitEndpoint(const std::string& ep, std::string* host,
                   std::string* port) {
  const size_t colon = ep.rfind(':');
  if (colon == std::string::npos) return false;
  *host = ep.substr(0, colon);
  *port = ep.substr(colon + 1);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  return !host->empty() && !port->empty();
}

// OpenSSL's newest queued error (then the queue is cleared), or "" .
std::string OpenSslReason() {
  const unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  if (e == 0) return "";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

}  // namespace

uint32_t WireErrorOf(const absl::Status& status) {
  auto p = status.GetPayload(kWireErrorPayload);
  uint32_t code = 0;
  if (!p || !absl::SimpleAtoi(std::string(*p), &code)) return 0;
  return code;
}

Client::Client(ClientOptions options) : options_(std::move(options)) {}

Client::~Client() {
  Disconnect();
  if (ssl_ctx_ != nullptr) SSL_CTX_free(ssl_ctx_);
}

void Client::Disconnect() {
  if (ssl_ != nullptr) {
    // No close_notify: the connection is dropped either way, and a
    // SSL_shutdown on a broken connection could block.
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  arrived_.clear();
}

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(ClientOptions options) {
  if (options.endpoints.empty()) {
    return absl::InvalidArgumentError("client: no endpoints");
  }
  std::unique_ptr<Client> c(new Client(std::move(options)));
  if (absl::Status s = c->ConnectAny(); !s.ok()) return s;
  return c;
}

absl::Status Client::ConnectAny() {
  std::vector<std::string> errors;
  for (size_t attempt = 0; attempt < options_.endpoints.size(); ++attempt) {
    const std::string& ep =
        options_.endpoints[next_endpoint_ % options_.endpoints.size()];
    ++next_endpoint_;
    absl::Status s = ConnectTo(ep);
    if (s.ok()) s = Handshake();
    if (s.ok()) return s;
    Disconnect();
    // A refused token is not an endpoint failure: say so at once.
    if (s.code() == absl::StatusCode::kUnauthenticated) return s;
    errors.push_back(std::string(s.message()));
  }
  return absl::UnavailableError(absl::StrFormat(
      "client: no endpoint answered (%s)", absl::StrJoin(errors, "; ")));
}

absl::Status Client::ConnectTo(const std::string& ep) {
  std::string host, port;
  if (!SplitEndpoint(ep, &host, &port)) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: not host:port", ep));
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
      rc != 0) {
    return absl::UnavailableError(
        absl::StrFormat("%s: %s", ep, gai_strerror(rc)));
  }
  absl::Status last = absl::UnavailableError(ep + ": no address");
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    // Non-blocking connect bounded by connect_timeout.
    const int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc < 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = ::poll(&p, 1, static_cast<int>(options_.connect_timeout.count()));
      if (rc == 1) {
        int err = 0;
        socklen_t len = sizeof(err);
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        rc = err == 0 ? 0 : -1;
        errno = err;
      } else {
        rc = -1;
        errno = rc == 0 ? ETIMEDOUT : errno;
        if (errno == 0) errno = ETIMEDOUT;
      }
    }
    if (rc == 0) {
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      fd_ = fd;
      endpoint_ = ep;
      ::freeaddrinfo(res);
      if (options_.tls) return StartTls(host);
      return absl::OkStatus();
    }
    last = absl::UnavailableError(
        absl::StrFormat("%s: %s", ep, std::strerror(errno)));
    ::close(fd);
  }
  ::freeaddrinfo(res);
  return last;
}

absl::Status Client::WaitFd(short events, const char* what) {
  const auto left = deadline_ - std::chrono::steady_clock::now();
  const int ms = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(left).count());
  pollfd p{fd_, events, 0};
  if (ms <= 0 || ::poll(&p, 1, ms) <= 0) {
    return absl::DeadlineExceededError(
        absl::StrFormat("client: %s timed out", what));
  }
  return absl::OkStatus();
}

absl::Status Client::StartTls(const std::string& host) {
  ERR_clear_error();
  if (ssl_ctx_ == nullptr) {
    ssl_ctx_ = SSL_CTX_new(TLS_client_method());
    if (ssl_ctx_ == nullptr) {
      return absl::InternalError("client: TLS: " + OpenSslReason());
    }
    SSL_CTX_set_min_proto_version(ssl_ctx_, TLS1_2_VERSION);
    SSL_CTX_set_verify(ssl_ctx_, SSL_VERIFY_PEER, nullptr);
    const int loaded =
        options_.tls_ca_file.empty()
            ? SSL_CTX_set_default_verify_paths(ssl_ctx_)
            : SSL_CTX_load_verify_locations(
                  ssl_ctx_, options_.tls_ca_file.c_str(), nullptr);
    if (loaded != 1) {
      const std::string reason = OpenSslReason();
      SSL_CTX_free(ssl_ctx_);
      ssl_ctx_ = nullptr;
      return absl::InvalidArgumentError(
          absl::StrFormat("client: tls_ca_file: cannot load '%s': %s",
                          options_.tls_ca_file, reason));
    }
  }
  ssl_ = SSL_new(ssl_ctx_);
  if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) {
    return absl::InternalError("client: TLS: " + OpenSslReason());
  }
  // Verify the name we connected to: an IP address against the
  // certificate's IP SANs, a host name against its DNS names (and send it
  // as SNI).
  in6_addr addr;
  const bool is_ip = ::inet_pton(AF_INET, host.c_str(), &addr) == 1 ||
                     ::inet_pton(AF_INET6, host.c_str(), &addr) == 1;
  if (is_ip) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl_, host.c_str());
    SSL_set1_host(ssl_, host.c_str());
  }
  deadline_ = std::chrono::steady_clock::now() + options_.connect_timeout;
  while (true) {
    const int r = SSL_connect(ssl_);
    if (r == 1) return absl::OkStatus();
    const int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (absl::Status s = WaitFd(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
                                  "TLS handshake");
          !s.ok()) {
        return s;
      }
      continue;
    }
    std::string reason;
    const long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) {
      reason = absl::StrFormat("certificate verification failed: %s",
                               X509_verify_cert_error_string(verify));
      ERR_clear_error();
    } else {
      reason = OpenSslReason();
      if (reason.empty()) {
        reason = e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN
                     ? "connection closed by the server"
                     : absl::StrFormat("SSL error %d", e);
      }
    }
    return absl::UnavailableError(
        absl::StrFormat("%s: TLS handshake failed: %s", endpoint_, reason));
  }
}

absl::Status Client::Handshake() {
  proto::HelloRequest hello;
  hello.set_client(options_.client_name);
  if (absl::Status s = Call(Opcode::kHello, hello, &hello_); !s.ok()) return s;
  if (options_.token.empty()) return absl::OkStatus();
  proto::AuthRequest auth;
  auth.set_token(options_.token);
  proto::AuthResponse r;
  return Call(Opcode::kAuth, auth, &r);
}

absl::Status Client::WriteAll(std::string_view bytes) {
  while (ssl_ != nullptr && !bytes.empty()) {
    const int n =
        SSL_write(ssl_, bytes.data(),
                  static_cast<int>(std::min<size_t>(bytes.size(), 1 << 30)));
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    const int e = SSL_get_error(ssl_, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (absl::Status s =
              WaitFd(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, "write");
          !s.ok()) {
        return s;
      }
      continue;
    }
    const std::string reason = OpenSslReason();
    return absl::UnavailableError(
        absl::StrFormat("%s: TLS send: %s", endpoint_,
                        reason.empty() ? "connection closed" : reason));
  }
  while (!bytes.empty()) {
    const auto left = deadline_ - std::chrono::steady_clock::now();
    const int ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(left).count());
    if (ms <= 0) return absl::DeadlineExceededError("client: write timed out");
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, ms) <= 0) {
      return absl::DeadlineExceededError("client: write timed out");
    }
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return absl::UnavailableError(
          absl::StrFormat("%s: send: %s", endpoint_, std::strerror(errno)));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status Client::ReadExact(char* out, size_t n) {
  size_t got = 0;
  while (ssl_ != nullptr && got < n) {
    // SSL_read first: it may hold decrypted bytes that poll() cannot see.
    const int r = SSL_read(
        ssl_, out + got, static_cast<int>(std::min<size_t>(n - got, 1 << 30)));
    if (r > 0) {
      got += static_cast<size_t>(r);
      continue;
    }
    const int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (absl::Status s =
              WaitFd(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, "reply");
          !s.ok()) {
        return absl::DeadlineExceededError("client: reply timed out");
      }
      continue;
    }
    const std::string reason = OpenSslReason();
    if (e == SSL_ERROR_ZERO_RETURN || reason.empty() ||
        reason.find("unexpected eof") != std::string::npos) {
      return absl::UnavailableError(endpoint_ + ": connection closed");
    }
    return absl::UnavailableError(
        absl::StrFormat("%s: TLS recv: %s", endpoint_, reason));
  }
  while (got < n) {
    const auto left = deadline_ - std::chrono::steady_clock::now();
    const int ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(left).count());
    if (ms <= 0) return absl::DeadlineExceededError("client: reply timed out");
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) {
      return absl::DeadlineExceededError("client: reply timed out");
    }
    const ssize_t r = ::recv(fd_, out + got, n - got, 0);
    if (r == 0) {
      return absl::UnavailableError(endpoint_ + ": connection closed");
    }
    if (r < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return absl::UnavailableError(
          absl::StrFormat("%s: recv: %s", endpoint_, std::strerror(errno)));
    }
    got += static_cast<size_t>(r);
  }
  return absl::OkStatus();
}

absl::Status Client::ReadFrame(uint64_t* id, uint8_t* flags,
                               std::string* body) {
  char header[protocol::kHeaderSize];
  if (absl::Status s = ReadExact(header, sizeof(header)); !s.ok()) return s;
  auto d = protocol::DecodeFrameHeader(
      std::span<const std::byte>(reinterpret_cast<const std::byte*>(header),
                                 sizeof(header)),
      options_.max_response_bytes, "max_response_bytes",
      /*expect_response=*/true);
  if (d.state != protocol::DecodeResult::State::kComplete) {
    return absl::UnavailableError(absl::StrFormat(
        "%s: %s", endpoint_, d.reason.empty() ? "short header" : d.reason));
  }
  body->resize(d.header.body_length);
  if (absl::Status s = ReadExact(body->data(), body->size()); !s.ok()) {
    return s;
  }
  *id = d.header.request_id;
  *flags = d.header.flags;
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Client::Send(
    Opcode opcode, const google::protobuf::Message& request) {
  if (fd_ < 0) {
    if (absl::Status s = ConnectAny(); !s.ok()) return s;
  }
  deadline_ = std::chrono::steady_clock::now() + options_.request_timeout;
  const uint64_t id = next_id_++;
  const std::string frame = protocol::EncodeFrame(
      static_cast<uint16_t>(opcode), id, 0, request.SerializeAsString());
  if (absl::Status s = WriteAll(frame); !s.ok()) {
    Disconnect();
    return s;
  }
  return id;
}

absl::Status Client::Receive(uint64_t id, google::protobuf::Message* response) {
  deadline_ = std::chrono::steady_clock::now() + options_.request_timeout;
  Pending got;
  if (auto it = arrived_.find(id); it != arrived_.end()) {
    got = std::move(it->second);
    arrived_.erase(it);
  } else {
    while (true) {
      if (fd_ < 0) return absl::UnavailableError("client: not connected");
      uint64_t rid = 0;
      if (absl::Status s = ReadFrame(&rid, &got.flags, &got.body); !s.ok()) {
        Disconnect();
        return s;
      }
      // Id 0 is a connection-level error frame (idle timeout, shutdown,
      // max connections): it answers every outstanding request.
      if (rid == id || rid == 0) break;
      arrived_[rid] = std::move(got);
    }
  }
  if (got.flags & protocol::kFlagError) return ErrorFromReply(got.body);
  if (!response->ParseFromString(got.body)) {
    return absl::InternalError(absl::StrFormat(
        "client: reply is not a %s", response->GetDescriptor()->name()));
  }
  return absl::OkStatus();
}

absl::Status Client::Call(Opcode opcode,
                          const google::protobuf::Message& request,
                          google::protobuf::Message* response) {
  absl::StatusOr<uint64_t> id = Send(opcode, request);
  if (!id.ok()) return id.status();
  return Receive(*id, response);
}

template <class Resp>
absl::StatusOr<Resp> Client::Do(Opcode op, const google::protobuf::Message& req,
                                bool retry) {
  Resp resp;
  absl::Status s = Call(op, req, &resp);
  const bool io_failure = !s.ok() && WireErrorOf(s) == 0 &&
                          (s.code() == absl::StatusCode::kUnavailable ||
                           s.code() == absl::StatusCode::kDeadlineExceeded);
  if (io_failure) {
    Disconnect();
    if (retry && options_.endpoints.size() > 0) {
      resp.Clear();
      s = Call(op, req, &resp);
    }
  }
  if (!s.ok()) return s;
  return resp;
}

absl::StatusOr<proto::PingResponse> Client::Ping(std::string payload) {
  proto::PingRequest r;
  r.set_payload(std::move(payload));
  return Do<proto::PingResponse>(Opcode::kPing, r, true);
}
absl::StatusOr<proto::ValidateResponse> Client::Validate(
    const std::vector<std::string>& codes) {
  proto::ValidateRequest r;
  for (const auto& c : codes) r.add_codes(c);
  return Do<proto::ValidateResponse>(Opcode::kValidate, r, true);
}
absl::StatusOr<proto::CheckResponse> Client::Check(
    const proto::CheckRequest& r) {
  return Do<proto::CheckResponse>(Opcode::kCheck, r, true);
}
absl::StatusOr<proto::BatchCheckResponse> Client::BatchCheck(
    const proto::BatchCheckRequest& r) {
  return Do<proto::BatchCheckResponse>(Opcode::kBatchCheck, r, true);
}
absl::StatusOr<proto::ExtractResponse> Client::Extract(
    const proto::ExtractRequest& r) {
  return Do<proto::ExtractResponse>(Opcode::kExtract, r, true);
}
absl::StatusOr<proto::ReceiptLookupResponse> Client::ReceiptLookup(
    std::string receipt) {
  proto::ReceiptLookupRequest r;
  r.set_receipt(std::move(receipt));
  return Do<proto::ReceiptLookupResponse>(Opcode::kReceiptLookup, r, true);
}
absl::StatusOr<proto::MatchResponse> Client::Match(
    const proto::MatchRequest& r) {
  return Do<proto::MatchResponse>(Opcode::kMatch, r, true);
}
absl::StatusOr<proto::CompareNamesResponse> Client::CompareNames(
    const proto::CompareNamesRequest& r) {
  return Do<proto::CompareNamesResponse>(Opcode::kCompareNames, r, true);
}
absl::StatusOr<proto::SubjectLookupResponse> Client::SubjectLookup(
    const proto::SubjectLookupRequest& r) {
  return Do<proto::SubjectLookupResponse>(Opcode::kSubjectLookup, r, true);
}
absl::StatusOr<proto::DuplicateReportResponse> Client::DuplicateReport(
    const proto::DuplicateReportRequest& r) {
  return Do<proto::DuplicateReportResponse>(Opcode::kDuplicateReport, r, true);
}
absl::StatusOr<proto::WriteResponse> Client::UpsertSubjects(
    const proto::UpsertSubjectsRequest& r) {
  return Do<proto::WriteResponse>(Opcode::kUpsertSubjects, r, false);
}
absl::StatusOr<proto::WriteResponse> Client::DeleteSubjects(
    const proto::DeleteSubjectsRequest& r) {
  return Do<proto::WriteResponse>(Opcode::kDeleteSubjects, r, false);
}
absl::StatusOr<proto::WriteResponse> Client::PutRecords(
    const proto::PutRecordsRequest& r) {
  return Do<proto::WriteResponse>(Opcode::kPutRecords, r, false);
}
absl::StatusOr<proto::WriteResponse> Client::RepairRecord(
    const proto::RepairRecordRequest& r) {
  return Do<proto::WriteResponse>(Opcode::kRepairRecord, r, false);
}
absl::StatusOr<proto::StatsResponse> Client::Stats() {
  return Do<proto::StatsResponse>(Opcode::kStats, proto::StatsRequest(), true);
}

}  // namespace creditd
