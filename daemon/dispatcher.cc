#include "daemon/dispatcher.h"

#include "daemon/protocol/creditd.pb.h"

#include "absl/strings/str_format.h"
#include "spdlog/spdlog.h"

#include <chrono>

namespace creditd {

Dispatcher::Dispatcher(DaemonState* state) : state_(state) {}

std::string Dispatcher::ErrorBody(WireError code, std::string_view message) {
  proto::ErrorReply e;
  e.set_code(static_cast<uint32_t>(code));
  const std::string_view name = WireErrorName(code);
  e.set_name(std::string(name));
  e.set_message(std::string(message));
  return e.SerializeAsString();
}

DispatchResult Dispatcher::Reject(CommandCounters* c, WireError code,
                                  std::string message) {
  if (c != nullptr) c->rejected.fetch_add(1, std::memory_order_relaxed);
  DispatchResult r;
  r.flags |= protocol::kFlagError;
  r.error = code;
  r.message = SafeMessage(message);
  r.body = ErrorBody(code, r.message);
  return r;
}

DispatchResult Dispatcher::Dispatch(const protocol::FrameHeader& header,
                                    std::string_view body,
                                    RequestContext& ctx) {
  size_t index = 0;
  const CommandRow* row = FindCommand(header.opcode, &index);
  if (row == nullptr) {
    state_->unknown_opcodes.fetch_add(1, std::memory_order_relaxed);
    return Reject(nullptr, WireError::kUnknownOpcode,
                  absl::StrFormat("opcode: unknown opcode %d", header.opcode));
  }
  CommandCounters* c = &state_->counters(index);
  c->calls.fetch_add(1, std::memory_order_relaxed);
  const std::string_view name = row->name;  // for logs and errors only

  if ((row->flags & kCmdPreAuth) == 0 && !ctx.session->authenticated) {
    spdlog::warn("event=denied reason=unauthenticated op={} peer={}", name,
                 ctx.peer);
    DispatchResult r = Reject(
        c, WireError::kUnauthenticated,
        absl::StrFormat("%s: authenticate first (only hello, auth and ping "
                        "are allowed before AUTH)",
                        name));
    r.close_after = true;
    return r;
  }
  if (row->role != 0 && (ctx.session->principal.roles & row->role) == 0) {
    const std::string_view role = RoleName(static_cast<Role>(row->role));
    spdlog::warn("event=denied reason=role op={} token={} peer={}", name,
                 ctx.session->principal.name, ctx.peer);
    return Reject(c, WireError::kPermissionDenied,
                  absl::StrFormat("%s: token '%s' lacks role '%s'", name,
                                  ctx.session->principal.name,
                                  absl::string_view(role.data(), role.size())));
  }
  if (ctx.session->authenticated) {
    if (absl::Status s = state_->auth().Admit(ctx.session->principal);
        !s.ok()) {
      return Reject(c, WireError::kRateLimited, std::string(s.message()));
    }
  }
  MessagePtr request = row->new_request();
  if (!request->ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return Reject(c, WireError::kBadBody,
                  absl::StrFormat("body: %d bytes are not a %s", body.size(),
                                  request->GetDescriptor()->name()));
  }
  if ((row->flags & kCmdBatch) != 0 && row->batch_size != nullptr) {
    const size_t n = row->batch_size(*request);
    const int64_t max_batch = state_->config()->max_batch;
    if (n > static_cast<size_t>(max_batch)) {
      return Reject(c, WireError::kBatchTooLarge,
                    absl::StrFormat("batch: %d entries exceeds max_batch %d", n,
                                    max_batch));
    }
  }

  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<MessagePtr> response = row->handle(*request, ctx);
  const uint64_t micros = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - start)
          .count());
  c->micros.fetch_add(micros, std::memory_order_relaxed);
  size_t bucket = 0;
  while (bucket < kLatencyBucketsMicros.size() &&
         micros > kLatencyBucketsMicros[bucket]) {
    ++bucket;
  }
  c->buckets[bucket].fetch_add(1, std::memory_order_relaxed);

  DispatchResult r;
  if (!response.ok()) {
    c->failed.fetch_add(1, std::memory_order_relaxed);
    r.flags |= protocol::kFlagError;
    r.error = WireErrorFromStatus(response.status());
    r.message = SafeMessage(std::string(response.status().message()));
    r.body = ErrorBody(r.error, r.message);
    if (r.error == WireError::kUnauthenticated) {
      spdlog::warn("event=denied reason=bad_token op={} peer={}", name,
                   ctx.peer);
    }
    return r;
  }
  r.body = (*response)->SerializeAsString();
  return r;
}

}  // namespace creditd
