// hello, auth, ping, stats.
#include "daemon/command_table.h"
#include "daemon/handlers/handlers.h"
#include "daemon/protocol/frame.h"

#include "spdlog/spdlog.h"

namespace creditd::handlers {

absl::StatusOr<pb::HelloResponse> Hello(const pb::HelloRequest&,
                                        const RequestContext& ctx) {
  const auto cfg = ctx.state->config();
  pb::HelloResponse r;
  r.set_server("creditd/0.1.0");
  r.set_protocol_version(protocol::kProtocolVersion);
  r.set_max_frame_bytes(static_cast<uint64_t>(cfg->max_frame_bytes));
  r.set_max_preauth_frame_bytes(
      static_cast<uint64_t>(cfg->max_preauth_frame_bytes));
  r.set_max_batch(static_cast<uint32_t>(cfg->max_batch));
  return r;
}

absl::StatusOr<pb::AuthResponse> Auth(const pb::AuthRequest& req,
                                      const RequestContext& ctx) {
  absl::StatusOr<Principal> p = ctx.state->auth().Authenticate(req.token());
  if (!p.ok()) return p.status();
  ctx.session->authenticated = true;
  ctx.session->principal = *p;
  spdlog::info("event=auth token={} roles={} peer={}", p->name,
               RoleNames(p->roles), ctx.peer);
  pb::AuthResponse r;
  r.set_name(p->name);
  for (uint8_t bit = 1; bit != 0 && bit <= kRoleAdmin; bit <<= 1) {
    if (p->roles & bit) {
      r.add_roles(std::string(RoleName(static_cast<Role>(bit))));
    }
  }
  return r;
}

absl::StatusOr<pb::PingResponse> Ping(const pb::PingRequest& req,
                                      const RequestContext&) {
  pb::PingResponse r;
  r.set_payload(req.payload());
  return r;
}

}  // namespace creditd::handlers

namespace creditd::handlers {

absl::StatusOr<pb::StatsResponse> Stats(const pb::StatsRequest&,
                                        const RequestContext& ctx) {
  DaemonState& st = *ctx.state;
  const auto snap = st.snapshot();
  pb::StatsResponse r;
  r.set_subjects(snap->subject_count());
  r.set_records(snap->record_count());
  r.set_data_version(snap->version());
  r.set_connections(static_cast<uint64_t>(st.connections.load()));
  r.set_uptime_seconds(
      static_cast<uint64_t>(absl::ToInt64Seconds(absl::Now() - st.started)));
  r.set_measures_version(st.measures()->version());
  if (const auto names = st.names()) {
    r.set_name_index_version(names->registry_version);
  }
  r.set_write_flags(st.write_flags());
  const auto table = CommandTable();
  for (size_t i = 0; i < table.size(); ++i) {
    const CommandCounters& c = st.counters(i);
    pb::OpcodeStats* o = r.add_opcodes();
    o->set_name(std::string(table[i].name));
    o->set_calls(c.calls.load(std::memory_order_relaxed));
    o->set_rejected(c.rejected.load(std::memory_order_relaxed));
    o->set_failed(c.failed.load(std::memory_order_relaxed));
    o->set_micros(c.micros.load(std::memory_order_relaxed));
  }
  return r;
}

}  // namespace creditd::handlers
