#include "daemon/metrics.h"

#include "daemon/command_table.h"

#include "absl/strings/str_format.h"

namespace creditd {

std::string RenderMetrics(DaemonState& state) {
  std::string out;
  const auto table = CommandTable();
  auto family = [&](const char* name, const char* type, const char* help) {
    absl::StrAppendFormat(&out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
                          name, type);
  };
  family("creditd_requests_total", "counter",
         "Requests received, by operation.");
  for (size_t i = 0; i < table.size(); ++i) {
    absl::StrAppendFormat(
        &out, "creditd_requests_total{op=\"%s\"} %d\n",
        absl::string_view(table[i].name.data(), table[i].name.size()),
        state.counters(i).calls.load());
  }
  family("creditd_request_errors_total", "counter",
         "Requests answered with an error, by operation and stage "
         "(rejected before the handler, or failed in it).");
  for (size_t i = 0; i < table.size(); ++i) {
    const absl::string_view op(table[i].name.data(), table[i].name.size());
    absl::StrAppendFormat(
        &out, "creditd_request_errors_total{op=\"%s\",stage=\"rejected\"} %d\n",
        op, state.counters(i).rejected.load());
    absl::StrAppendFormat(
        &out, "creditd_request_errors_total{op=\"%s\",stage=\"failed\"} %d\n",
        op, state.counters(i).failed.load());
  }
  family("creditd_request_duration_seconds", "histogram",
         "Time in the handler, by operation.");
  for (size_t i = 0; i < table.size(); ++i) {
    const absl::string_view op(table[i].name.data(), table[i].name.size());
    const CommandCounters& c = state.counters(i);
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= kLatencyBucketsMicros.size(); ++b) {
      cumulative += c.buckets[b].load();
      const std::string le =
          b < kLatencyBucketsMicros.size()
              ? absl::StrFormat("%g", kLatencyBucketsMicros[b] / 1e6)
              : std::string("+Inf");
      absl::StrAppendFormat(
          &out,
          "creditd_request_duration_seconds_bucket{op=\"%s\",le=\"%s\"} %d\n",
          op, le, cumulative);
    }
    absl::StrAppendFormat(
        &out, "creditd_request_duration_seconds_sum{op=\"%s\"} %g\n", op,
        c.micros.load() / 1e6);
    absl::StrAppendFormat(
        &out, "creditd_request_duration_seconds_count{op=\"%s\"} %d\n", op,
        cumulative);
  }
  family("creditd_unknown_opcodes_total", "counter",
         "Requests with an opcode the daemon does not serve.");
  absl::StrAppendFormat(&out, "creditd_unknown_opcodes_total %d\n",
                        state.unknown_opcodes.load());
  family("creditd_connections", "gauge", "Open client connections.");
  absl::StrAppendFormat(&out, "creditd_connections %d\n",
                        state.connections.load());
  family("creditd_connections_total", "counter", "Accepted connections.");
  absl::StrAppendFormat(&out, "creditd_connections_total %d\n",
                        state.connections_total.load());
  family("creditd_connections_refused_total", "counter",
         "Connections refused at max_connections.");
  absl::StrAppendFormat(&out, "creditd_connections_refused_total %d\n",
                        state.connections_refused.load());
  family("creditd_framing_errors_total", "counter",
         "Connections closed for a framing error.");
  absl::StrAppendFormat(&out, "creditd_framing_errors_total %d\n",
                        state.framing_errors.load());
  family("creditd_tls_handshake_failures_total", "counter",
         "Connections closed because the TLS handshake failed (e.g. a "
         "plain-TCP client on the TLS port).");
  absl::StrAppendFormat(&out, "creditd_tls_handshake_failures_total %d\n",
                        state.tls_handshake_failures.load());
  const auto snap = state.snapshot();
  family("creditd_registry_subjects", "gauge", "Subjects in the registry.");
  absl::StrAppendFormat(&out, "creditd_registry_subjects %d\n",
                        snap->subject_count());
  family("creditd_registry_records", "gauge", "Credit records.");
  absl::StrAppendFormat(&out, "creditd_registry_records %d\n",
                        snap->record_count());
  family("creditd_data_version", "gauge",
         "Data version of the published registry snapshot.");
  absl::StrAppendFormat(&out, "creditd_data_version %d\n", snap->version());
  family("creditd_name_index_version", "gauge",
         "Data version the name index was built from.");
  const auto names = state.names();
  absl::StrAppendFormat(&out, "creditd_name_index_version %d\n",
                        names ? names->registry_version : 0);
  family("creditd_uptime_seconds", "gauge", "Seconds since start.");
  absl::StrAppendFormat(&out, "creditd_uptime_seconds %d\n",
                        absl::ToInt64Seconds(absl::Now() - state.started));
  return out;
}

}  // namespace creditd
