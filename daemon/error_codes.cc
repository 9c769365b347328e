#include "daemon/error_codes.h"

#include "index/display.h"

#include <array>

namespace creditd {
namespace {

constexpr ErrorInfo kErrorTable[] = {
    {WireError::kOk, "ok", "no error", false},
    {WireError::kProtocolError, "protocol_error",
     "bad magic, unknown version or unknown flags; the connection closes",
     true},
    {WireError::kFrameTooLarge, "frame_too_large",
     "the frame is longer than max_frame_bytes (max_preauth_frame_bytes "
     "before AUTH); the connection closes",
     true},
    {WireError::kIdleTimeout, "idle_timeout",
     "no complete frame within idle_timeout_seconds; the connection closes",
     true},
    {WireError::kTooManyConnections, "too_many_connections",
     "max_connections are open; the connection closes", true},
    {WireError::kShuttingDown, "shutting_down",
     "the daemon is stopping; the connection closes", true},
    {WireError::kUnknownOpcode, "unknown_opcode",
     "the opcode is not one the daemon serves", false},
    {WireError::kBadBody, "bad_body",
     "the body does not parse as the opcode's request message", false},
    {WireError::kInvalidArgument, "invalid_argument",
     "a field is missing or malformed; the message names it", false},
    {WireError::kNotFound, "not_found", "the thing asked for does not exist",
     false},
    {WireError::kUnauthenticated, "unauthenticated",
     "request before a successful AUTH, or a wrong token; a request other "
     "than HELLO/AUTH/PING before AUTH also closes the connection",
     false},
    {WireError::kPermissionDenied, "permission_denied",
     "the token lacks the role the opcode requires", false},
    {WireError::kBatchTooLarge, "batch_too_large",
     "more entries than max_batch", false},
    {WireError::kRateLimited, "rate_limited",
     "the token's rate_limit_per_second is exhausted; retry later", false},
    {WireError::kUnavailable, "unavailable",
     "the operation is not available in this build or state", false},
    {WireError::kFailedPrecondition, "failed_precondition",
     "the daemon is not in a state to serve this request", false},
    {WireError::kInternal, "internal", "a bug or an unexpected failure", false},
    {WireError::kAlreadyExists, "already_exists", "the thing already exists",
     false},
    {WireError::kDataLoss, "data_loss", "stored data is damaged", false},
    {WireError::kStorageFull, "storage_full",
     "the data directory is (nearly) full; nothing was written; reads go on, "
     "retry the write after freeing space",
     false},
};

}  // namespace

std::span<const ErrorInfo> ErrorTable() { return kErrorTable; }

const ErrorInfo& GetErrorInfo(uint32_t code) {
  for (const ErrorInfo& e : kErrorTable) {
    if (static_cast<uint32_t>(e.code) == code) return e;
  }
  return GetErrorInfo(static_cast<uint32_t>(WireError::kInternal));
}

std::string_view WireErrorName(WireError code) {
  return GetErrorInfo(static_cast<uint32_t>(code)).name;
}

WireError WireErrorFromStatus(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return WireError::kOk;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return WireError::kInvalidArgument;
    case absl::StatusCode::kNotFound:
      return WireError::kNotFound;
    case absl::StatusCode::kAlreadyExists:
      return WireError::kAlreadyExists;
    case absl::StatusCode::kPermissionDenied:
      return WireError::kPermissionDenied;
    case absl::StatusCode::kUnauthenticated:
      return WireError::kUnauthenticated;
    case absl::StatusCode::kResourceExhausted:
      // The rate limiter answers kRateLimited itself (dispatcher.cc); a
      // ResourceExhausted from below is the store refusing a write for lack
      // of disk (index/xapian_store.cc).
      return WireError::kStorageFull;
    case absl::StatusCode::kFailedPrecondition:
      return WireError::kFailedPrecondition;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kUnimplemented:
      return WireError::kUnavailable;
    case absl::StatusCode::kDataLoss:
      return WireError::kDataLoss;
    default:
      return WireError::kInternal;
  }
}

std::string SafeMessage(std::string_view message) {
  return EscapeForDisplay(message, kMaxErrorMessageBytes);
}

}  // namespace creditd
