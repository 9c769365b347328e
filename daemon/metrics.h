// The observability port: /metrics (Prometheus text format 0.0.4), /healthz
// (the process is up) and /readyz (the registry is loaded and the client
// port listens). Boost.Beast, one coroutine per HTTP connection, GET only,
// requests over 8 KiB refused.
#ifndef CREDITD_DAEMON_METRICS_H_
#define CREDITD_DAEMON_METRICS_H_

#include "daemon/state.h"

#include <string>

namespace creditd {

// The /metrics body. Pure apart from reading the atomics of `state`.
std::string RenderMetrics(DaemonState& state);

}  // namespace creditd

#endif  // CREDITD_DAEMON_METRICS_H_
