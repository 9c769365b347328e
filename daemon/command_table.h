// The command table: one row per opcode, with the role it needs, its flags,
// and its handler; and the counters each row keeps (they feed /metrics and
// STATS). Rows live in command_table.cc.
//
// Thread safety: the table is immutable; counters are atomics.
#ifndef CREDITD_DAEMON_COMMAND_TABLE_H_
#define CREDITD_DAEMON_COMMAND_TABLE_H_

#include "daemon/protocol/frame.h"
#include "daemon/state.h"

#include "absl/status/statusor.h"
#include <google/protobuf/message.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace creditd {

enum CommandFlag : uint32_t {
  kCmdPreAuth = 1 << 0,  // allowed before AUTH (hello, auth, ping)
  kCmdRead = 1 << 1,     // reads the registry
  kCmdWrite = 1 << 2,    // writes the registry (durable before the reply)
  kCmdBatch = 1 << 3,    // carries a batch: batch_size is checked
};

using MessagePtr = std::unique_ptr<google::protobuf::Message>;

struct CommandRow {
  protocol::Opcode opcode;
  std::string_view name;
  uint8_t role;  // the Role bit required; 0 = none beyond the flags
  uint32_t flags;
  MessagePtr (*new_request)();
  // Entries in the request, for kCmdBatch rows.
  size_t (*batch_size)(const google::protobuf::Message&);
  // Runs the request and appends the serialized response to `out`; on error
  // appends nothing. Rows on the hot path (check, batch_check) fill a
  // response message kept per thread and cleared between requests, so its
  // strings and sub-messages are reused instead of allocated per request.
  absl::Status (*handle)(const google::protobuf::Message&,
                         const RequestContext&, std::string* out);
  // Whether the dispatcher may parse this row's requests into a message kept
  // per thread (cleared by the parse) instead of a new one per request.
  bool reuse_request = false;
};

// Every row, in opcode order.
std::span<const CommandRow> CommandTable();
// The row of `opcode` and its index, or nullptr.
const CommandRow* FindCommand(uint16_t opcode, size_t* index);

}  // namespace creditd

#endif  // CREDITD_DAEMON_COMMAND_TABLE_H_
