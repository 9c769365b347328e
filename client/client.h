// The C++ client of creditd: connect, authenticate, every operation,
// pipelining by request id, timeouts, and failover across endpoints.
//
//   ClientOptions o;
//   o.endpoints = {"10.0.0.1:7379", "10.0.0.2:7379"};
//   o.token = secret;
//   auto client = Client::Connect(o);            // first endpoint that answers
//   auto r = (*client)->Check(request);          // StatusOr<CheckResponse>
//
// TLS (options.tls): OpenSSL, TLS 1.2 at least, the server certificate
// verified against the system CAs or only options.tls_ca_file, and against
// the endpoint's host (DNS name or IP address in subjectAltName). A failed
// handshake or verification is Unavailable "HOST:PORT: TLS handshake failed:
// <reason>" (and the next endpoint is tried).
//
// Errors: a reply with kFlagError becomes an absl::Status (InvalidArgument,
// NotFound, PermissionDenied, Unauthenticated, ResourceExhausted,
// Unavailable, ...) whose message is "<wire name>: <daemon's message>" and
// whose payload kWireErrorPayload holds the wire code (WireErrorOf). I/O
// failures and timeouts are Unavailable / DeadlineExceeded; after one, the
// client reconnects to the next endpoint (round robin) on the next call, and
// read-only calls are retried once there. Writes are never retried (the
// first attempt may have been applied).
//
// Thread safety: a Client is not thread-safe; use one per thread (they are
// cheap) or guard it.
#ifndef CREDITD_CLIENT_CLIENT_H_
#define CREDITD_CLIENT_CLIENT_H_

#include "daemon/protocol/creditd.pb.h"
#include "daemon/protocol/frame.h"

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// OpenSSL types, kept out of this header.
struct ssl_st;
struct ssl_ctx_st;

namespace creditd {

inline constexpr char kWireErrorPayload[] = "creditd.wire_error";

struct ClientOptions {
  std::vector<std::string> endpoints;  // "host:port" (IPv6: "[::1]:7379")
  std::string token;                   // empty: do not authenticate
  std::string client_name = "creditd-cpp/0.1";
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds request_timeout{10000};
  uint64_t max_response_bytes = 64ull << 20;  // larger replies are refused
  bool tls = false;                           // speak TLS to every endpoint
  std::string tls_ca_file;  // PEM CA bundle to trust; empty = system CAs
};

// The wire error code carried by a status from the client, or 0.
uint32_t WireErrorOf(const absl::Status& status);

class Client {
 public:
  // Connects to the first endpoint that accepts, then HELLO and (with a
  // token) AUTH. Unavailable naming every endpoint tried when none answers;
  // the AUTH error when the token is refused.
  static absl::StatusOr<std::unique_ptr<Client>> Connect(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const std::string& endpoint() const { return endpoint_; }
  const proto::HelloResponse& hello() const { return hello_; }

  // Typed operations (one round trip each).
  absl::StatusOr<proto::PingResponse> Ping(std::string payload = "");
  absl::StatusOr<proto::ValidateResponse> Validate(
      const std::vector<std::string>& codes);
  absl::StatusOr<proto::CheckResponse> Check(const proto::CheckRequest& r);
  absl::StatusOr<proto::BatchCheckResponse> BatchCheck(
      const proto::BatchCheckRequest& r);
  absl::StatusOr<proto::ExtractResponse> Extract(
      const proto::ExtractRequest& r);
  absl::StatusOr<proto::ReceiptLookupResponse> ReceiptLookup(
      std::string receipt);
  absl::StatusOr<proto::MatchResponse> Match(const proto::MatchRequest& r);
  absl::StatusOr<proto::CompareNamesResponse> CompareNames(
      const proto::CompareNamesRequest& r);
  absl::StatusOr<proto::SubjectLookupResponse> SubjectLookup(
      const proto::SubjectLookupRequest& r);
  absl::StatusOr<proto::DuplicateReportResponse> DuplicateReport(
      const proto::DuplicateReportRequest& r);
  absl::StatusOr<proto::WriteResponse> UpsertSubjects(
      const proto::UpsertSubjectsRequest& r);
  absl::StatusOr<proto::WriteResponse> DeleteSubjects(
      const proto::DeleteSubjectsRequest& r);
  absl::StatusOr<proto::WriteResponse> PutRecords(
      const proto::PutRecordsRequest& r);
  absl::StatusOr<proto::WriteResponse> RepairRecord(
      const proto::RepairRecordRequest& r);
  absl::StatusOr<proto::StatsResponse> Stats();

  // Pipelining: Send queues a request and returns its id without waiting;
  // Receive waits for the reply to `id` (replies to other ids that arrive
  // first are kept for their own Receive).
  absl::StatusOr<uint64_t> Send(protocol::Opcode opcode,
                                const google::protobuf::Message& request);
  absl::Status Receive(uint64_t id, google::protobuf::Message* response);

  // One request and its reply (no retry).
  absl::Status Call(protocol::Opcode opcode,
                    const google::protobuf::Message& request,
                    google::protobuf::Message* response);

 private:
  explicit Client(ClientOptions options);
  absl::Status ConnectAny();
  absl::Status ConnectTo(const std::string& endpoint);
  absl::Status Handshake();
  // TLS on the connected fd_: handshake and verification of `host`.
  absl::Status StartTls(const std::string& host);
  // Waits until fd_ is readable/writable, up to deadline_.
  absl::Status WaitFd(short events, const char* what);
  void Disconnect();
  absl::Status WriteAll(std::string_view bytes);
  absl::Status ReadExact(char* out, size_t n);
  // Reads one frame; fills id/flags/body.
  absl::Status ReadFrame(uint64_t* id, uint8_t* flags, std::string* body);
  template <class Resp>
  absl::StatusOr<Resp> Do(protocol::Opcode op,
                          const google::protobuf::Message& req, bool retry);

  ClientOptions options_;
  int fd_ = -1;
  ::ssl_ctx_st* ssl_ctx_ = nullptr;  // created at the first TLS connect
  ::ssl_st* ssl_ = nullptr;          // the TLS session on fd_, or null
  size_t next_endpoint_ = 0;
  std::string endpoint_;
  uint64_t next_id_ = 1;
  proto::HelloResponse hello_;
  struct Pending {
    uint8_t flags;
    std::string body;
  };
  absl::flat_hash_map<uint64_t, Pending> arrived_;
  std::chrono::steady_clock::time_point deadline_;
};

}  // namespace creditd

#endif  // CREDITD_CLIENT_CLIENT_H_
