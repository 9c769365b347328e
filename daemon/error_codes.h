// The wire error codes: one table (name, meaning) for the daemon, the clients
// and docs/protocol.md, and the mapping from absl::Status to a wire error.
//
// When adding a code: add it to the enum and to kErrorTable in
// error_codes.cc, a row to docs/protocol.md (Error codes), and a case to
// tests/daemon/dispatcher_test.cc. Never renumber: clients match on numbers.
#ifndef CREDITD_DAEMON_ERROR_CODES_H_
#define CREDITD_DAEMON_ERROR_CODES_H_

#include "absl/status/status.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace creditd {

enum class WireError : uint32_t {
  kOk = 0,
  // Framing errors: the connection is closed after this error frame.
  kProtocolError = 1,       // bad magic, version, flags
  kFrameTooLarge = 2,       // body length over the limit in force
  kIdleTimeout = 3,         // silent (or stalled mid-frame) too long
  kTooManyConnections = 4,  // max_connections reached
  kShuttingDown = 5,        // the daemon is stopping
  // Request errors: the connection stays open.
  kUnknownOpcode = 10,
  kBadBody = 11,  // body is not the opcode's message
  kInvalidArgument = 12,
  kNotFound = 13,
  kUnauthenticated = 14,   // request before AUTH (connection then closes)
  kPermissionDenied = 15,  // the token lacks the role
  kBatchTooLarge = 16,
  kRateLimited = 17,
  kUnavailable = 18,  // the operation is not available in this build/state
  kFailedPrecondition = 19,
  kInternal = 20,
  kAlreadyExists = 21,
  kDataLoss = 22,
  kStorageFull = 23,  // the data directory is (nearly) full; nothing written
};

struct ErrorInfo {
  WireError code;
  std::string_view name;     // "frame_too_large"
  std::string_view meaning;  // one sentence for docs and clients
  bool closes_connection;
};

// Every code, in numeric order.
std::span<const ErrorInfo> ErrorTable();
// The row for `code`; the kInternal row for unknown values.
const ErrorInfo& GetErrorInfo(uint32_t code);
std::string_view WireErrorName(WireError code);

// Maps a Status from a handler or domain call to its wire code. Specific
// request errors (unknown opcode, bad body, batch too large, ...) are set by
// the dispatcher directly.
WireError WireErrorFromStatus(const absl::Status& status);

// Longest message carried in an ErrorReply (bytes, after escaping).
inline constexpr size_t kMaxErrorMessageBytes = 512;
// Makes `message` safe to send and log: non-printables escaped
// (EscapeForDisplay), at most kMaxErrorMessageBytes of input shown.
std::string SafeMessage(std::string_view message);

}  // namespace creditd

#endif  // CREDITD_DAEMON_ERROR_CODES_H_
