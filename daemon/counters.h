// Per-opcode counters, kept in DaemonState and exported by STATS and
// /metrics. Lock-free (relaxed atomics): readers may see a slightly stale mix.
#ifndef CREDITD_DAEMON_COUNTERS_H_
#define CREDITD_DAEMON_COUNTERS_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace creditd {

// Latency histogram bucket upper bounds, in microseconds (+Inf implied).
inline constexpr std::array<uint64_t, 12> kLatencyBucketsMicros = {
    50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 100000, 500000, 2000000};

struct CommandCounters {
  std::atomic<uint64_t> calls{0};     // every request to this opcode
  std::atomic<uint64_t> rejected{0};  // refused before the handler
  std::atomic<uint64_t> failed{0};    // the handler returned an error
  std::atomic<uint64_t> micros{0};    // time in the handler
  std::array<std::atomic<uint64_t>, kLatencyBucketsMicros.size() + 1> buckets{};
};

// Upper bound on rows of the command table (static_assert in
// command_table.cc).
inline constexpr size_t kMaxCommands = 64;

}  // namespace creditd

#endif  // CREDITD_DAEMON_COUNTERS_H_
