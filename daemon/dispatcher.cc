#include "daemon/dispatcher.h"

#include "daemon/protocol/creditd.pb.h"

#include "absl/strings/str_format.h"
#include "spdlog/spdlog.h"

#include <array>
#include <chrono>

namespace creditd {

Dispatcher::Dispatcher(DaemonState* state) : state_(state) {}

std::string Dispatcher::ErrorBody(WireError code, std::string_view message) {
  std::string out;
  AppendErrorBody(code, message, &out);
  return out;
}

void Dispatcher::AppendErrorBody(WireError code, std::string_view message,
                                 std::string* out) {
  proto::ErrorReply e;
  e.set_code(static_cast<uint32_t>(code));
  const std::string_view name = WireErrorName(code);
  e.set_name(std::string(name));
  e.set_message(std::string(message));
  e.AppendToString(out);
}

DispatchResult Dispatcher::Reject(CommandCounters* c, WireError code,
                                  std::string message, std::string* out) {
  if (c != nullptr) c->rejected.fetch_add(1, std::memory_order_relaxed);
  DispatchResult r;
  r.flags |= protocol::kFlagError;
  r.error = code;
  r.message = SafeMessage(message);
  AppendErrorBody(code, r.message, out);
  return r;
}

DispatchResult Dispatcher::Dispatch(const protocol::FrameHeader& header,
                                    std::string_view body,
                                    RequestContext& ctx) {
  std::string out;
  DispatchResult r = DispatchInto(header, body, ctx, &out);
  r.body = std::move(out);
  return r;
}

namespace {

// Requests bigger than this are parsed into a fresh message, so that one big
// request does not pin its memory in a thread's reused message.
constexpr size_t kMaxReusedRequestBytes = 64 * 1024;

// The reused request message of row `index` on this thread (created on
// first use).
google::protobuf::Message* ReusedRequest(const CommandRow& row, size_t index) {
  thread_local std::array<MessagePtr, kMaxCommands> requests;
  MessagePtr& m = requests[index];
  if (m == nullptr) m = row.new_request();
  return m.get();
}

}  // namespace

DispatchResult Dispatcher::DispatchInto(const protocol::FrameHeader& header,
                                        std::string_view body,
                                        RequestContext& ctx, std::string* out) {
  size_t index = 0;
  const CommandRow* row = FindCommand(header.opcode, &index);
  if (row == nullptr) {
    state_->unknown_opcodes.fetch_add(1, std::memory_order_relaxed);
    return Reject(nullptr, WireError::kUnknownOpcode,
                  absl::StrFormat("opcode: unknown opcode %d", header.opcode),
                  out);
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
                        name),
        out);
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
                                  absl::string_view(role.data(), role.size())),
                  out);
  }
  if (ctx.session->authenticated) {
    if (absl::Status s = state_->auth().Admit(ctx.session->principal);
        !s.ok()) {
      return Reject(c, WireError::kRateLimited, std::string(s.message()), out);
    }
  }
  MessagePtr fresh;
  google::protobuf::Message* request;
  if (row->reuse_request && body.size() <= kMaxReusedRequestBytes) {
    request = ReusedRequest(*row, index);
  } else {
    fresh = row->new_request();
    request = fresh.get();
  }
  // ParseFromArray clears the message first (a reused one included).
  if (!request->ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return Reject(c, WireError::kBadBody,
                  absl::StrFormat("body: %d bytes are not a %s", body.size(),
                                  request->GetDescriptor()->name()),
                  out);
  }
  if ((row->flags & kCmdBatch) != 0 && row->batch_size != nullptr) {
    const size_t n = row->batch_size(*request);
    const int64_t max_batch = state_->config()->max_batch;
    if (n > static_cast<size_t>(max_batch)) {
      return Reject(c, WireError::kBatchTooLarge,
                    absl::StrFormat("batch: %d entries exceeds max_batch %d", n,
                                    max_batch),
                    out);
    }
  }

  const auto start = std::chrono::steady_clock::now();
  const size_t out_start = out->size();
  absl::Status status = row->handle(*request, ctx, out);
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
  if (!status.ok()) {
    out->resize(out_start);  // handlers append nothing on error; be sure
    c->failed.fetch_add(1, std::memory_order_relaxed);
    r.flags |= protocol::kFlagError;
    r.error = WireErrorFromStatus(status);
    r.message = SafeMessage(std::string(status.message()));
    AppendErrorBody(r.error, r.message, out);
    if (r.error == WireError::kUnauthenticated) {
      spdlog::warn("event=denied reason=bad_token op={} peer={}", name,
                   ctx.peer);
    }
  }
  return r;
}

}  // namespace creditd
