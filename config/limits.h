// Compile-time hard ceilings (and floors) for every configurable limit.
//
// The defaults live in DaemonConfig (config/daemon_config.h); an operator may
// move a limit anywhere inside [kMin..., kMax...] below, and a value outside is
// refused at start with the key, the value and this range (never clamped).
// Code that sizes buffers from a limit may rely on these ceilings, e.g. to
// pick integer widths, because Validate() guarantees them.
//
// When adding a limit: add the field with its default to DaemonConfig, its
// range check to Validate() in config/daemon_config.cc, its key to the loader
// (config/config_loader.cc), config/creditd.example.toml and
// docs/configuration.md, and a bad-value row to
// tests/config/config_loader_test.cc.
#ifndef CREDITD_CONFIG_LIMITS_H_
#define CREDITD_CONFIG_LIMITS_H_

#include <cstdint>

namespace creditd::limits {

inline constexpr int64_t kKiB = 1024;
inline constexpr int64_t kMiB = 1024 * kKiB;
inline constexpr int64_t kGiB = 1024 * kMiB;

// One frame (header + body) after authentication. A batch check of
// kMaxBatchCeiling entries fits comfortably in the default 4 MiB.
inline constexpr int64_t kMinFrameBytes = 1 * kKiB;
inline constexpr int64_t kMaxFrameBytesCeiling = 64 * kMiB;

// Frames before AUTH succeeds: hello/auth only, so a few KiB is plenty and an
// anonymous peer cannot make the daemon allocate more than this (redis applies
// the same idea to unauthenticated clients).
inline constexpr int64_t kMinPreauthFrameBytes = 256;
inline constexpr int64_t kMaxPreauthFrameBytesCeiling = 64 * kKiB;

// Entries in one batch request (batch check, batch write).
inline constexpr int64_t kMaxBatchCeiling = 10'000;

// Simultaneous client connections (each costs a descriptor and buffers).
inline constexpr int64_t kMaxConnectionsCeiling = 65'536;

// Seconds a connection may stay silent (or half-way through a frame).
inline constexpr int64_t kMinIdleSeconds = 1;
inline constexpr int64_t kMaxIdleSecondsCeiling = 86'400;

// Bytes of replies queued for a client that does not read them; past this the
// connection is closed.
inline constexpr int64_t kMinOutputBufferBytes = 64 * kKiB;
inline constexpr int64_t kMaxOutputBufferBytesCeiling = 1 * kGiB;

// I/O threads (0 in the config means "one per core").
inline constexpr int64_t kMaxIoThreadsCeiling = 256;

// Candidates a name match may return.
inline constexpr int64_t kMaxMatchTopKCeiling = 1'000;

// Requests per second one token may make (token bucket refill rate).
inline constexpr int64_t kMaxRateLimitPerSecondCeiling = 1'000'000;

// Authentication tokens in one config file.
inline constexpr int64_t kMaxAuthTokens = 1'024;

// Audit log file size before rotation.
inline constexpr int64_t kMinAuditRotateBytes = 1 * kMiB;
inline constexpr int64_t kMaxAuditRotateBytesCeiling = 64 * kGiB;
// Audit disk flush interval, ms (0 = flush every entry before the reply);
// check/audit_log.h accepts intervals up to this.
inline constexpr int64_t kMaxAuditFsyncIntervalMsCeiling = 60000;

// Files read whole at start or reload: refuse anything larger before reading.
inline constexpr int64_t kMaxConfigFileBytes = 1 * kMiB;
inline constexpr int64_t kMaxMeasuresFileBytes = 4 * kMiB;

// Measures list: rows, operator-declared lists and scenarios, and the
// within_years condition.
inline constexpr int64_t kMaxMeasureRules = 10'000;
inline constexpr int64_t kMaxDeclaredNames = 1'000;
inline constexpr int64_t kMaxWithinYears = 100;

}  // namespace creditd::limits

#endif  // CREDITD_CONFIG_LIMITS_H_
