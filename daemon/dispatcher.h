// The dispatcher: one request frame in, one response frame body out.
//
// Rejects in a fixed, cheapest-first order (STYLE 11):
//   exists (unknown_opcode) -> authenticated (unauthenticated; the session
//   then closes) -> role (permission_denied) -> rate limit (rate_limited)
//   -> body parses (bad_body) -> batch size (batch_too_large) -> handler.
// Each row counts calls, rejected (any refusal before the handler), failed
// (handler error) and handler time, and a latency histogram.
// Knows no sockets: tests call Dispatch() directly.
//
// Thread safety: Dispatch may be called from any number of threads at once.
#ifndef CREDITD_DAEMON_DISPATCHER_H_
#define CREDITD_DAEMON_DISPATCHER_H_

#include "daemon/command_table.h"
#include "daemon/error_codes.h"
#include "daemon/protocol/frame.h"
#include "daemon/state.h"

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

namespace creditd {

struct DispatchResult {
  uint8_t flags = protocol::kFlagResponse;  // | kFlagError on error
  std::string body;                         // response or ErrorReply
  WireError error = WireError::kOk;
  std::string message;       // the error message (already safe), for logs
  bool close_after = false;  // the session closes after sending this
};

class Dispatcher {
 public:
  explicit Dispatcher(DaemonState* state);

  DispatchResult Dispatch(const protocol::FrameHeader& header,
                          std::string_view body, RequestContext& ctx);
  // The same, but the response body (or the ErrorReply) is appended to
  // `*out` (the session's output queue: no copy of the body) and the
  // result's `body` stays empty.
  DispatchResult DispatchInto(const protocol::FrameHeader& header,
                              std::string_view body, RequestContext& ctx,
                              std::string* out);

  // An ErrorReply body.
  static std::string ErrorBody(WireError code, std::string_view message);
  static void AppendErrorBody(WireError code, std::string_view message,
                              std::string* out);

 private:
  DispatchResult Reject(CommandCounters* c, WireError code, std::string message,
                        std::string* out);

  DaemonState* state_;
};

}  // namespace creditd

#endif  // CREDITD_DAEMON_DISPATCHER_H_
