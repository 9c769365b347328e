#include "config/daemon_config.h"

#include "config/daemon_config_internal.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include <arpa/inet.h>

#include <array>
#include <cmath>

namespace creditd {
namespace {

using config_internal::FieldError;
using config_internal::Quote;
using config_internal::TokenKey;

constexpr std::array<std::pair<Role, std::string_view>, 5> kRoles = {{
    {kRoleCheck, "check"},
    {kRoleMatch, "match"},
    {kRoleDups, "dups"},
    {kRoleWrite, "write"},
    {kRoleAdmin, "admin"},
}};
constexpr uint8_t kAllRoles =
    kRoleCheck | kRoleMatch | kRoleDups | kRoleWrite | kRoleAdmin;

std::optional<FieldError> CheckRange(std::string_view key, int64_t value,
                                     int64_t min, int64_t max,
                                     std::string_view note = "") {
  if (min <= value && value <= max) return std::nullopt;
  return FieldError{
      std::string(key),
      absl::StrFormat("%d is out of range (allowed range %d..%d%s)", value, min,
                      max, note)};
}

// Addresses must be literals: resolving a host name at start would make the
// listening address depend on DNS at boot time.
std::optional<FieldError> CheckAddress(std::string_view key,
                                       const std::string& address) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, address.c_str(), buf) == 1 ||
      inet_pton(AF_INET6, address.c_str(), buf) == 1) {
    return std::nullopt;
  }
  return FieldError{
      std::string(key),
      absl::StrFormat("%s is not an IPv4 or IPv6 address (e.g. 127.0.0.1, "
                      "0.0.0.0, ::1)",
                      Quote(address))};
}

std::optional<FieldError> CheckNonEmpty(std::string_view key,
                                        const std::string& value,
                                        std::string_view what) {
  if (!value.empty()) return std::nullopt;
  return FieldError{std::string(key), absl::StrFormat("must name %s", what)};
}

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Token names appear in logs, metrics labels and audit entries: keep them to
// characters that need no escaping anywhere.
bool IsSafeName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::optional<FieldError> CheckToken(const DaemonConfig& config, size_t i,
                                     absl::flat_hash_set<std::string>& seen) {
  const AuthToken& t = config.tokens[i];
  if (!IsSafeName(t.name)) {
    return FieldError{TokenKey(i, "name"),
                      absl::StrFormat("%s is not a valid token name (1..64 "
                                      "characters from A-Z a-z 0-9 _ - .)",
                                      Quote(t.name))};
  }
  if (!seen.insert(t.name).second) {
    return FieldError{TokenKey(i, "name"),
                      absl::StrFormat("%s is used by an earlier token (names "
                                      "must be unique)",
                                      Quote(t.name))};
  }
  if (t.sha256_hex.size() != 64 || !IsLowerHex(t.sha256_hex)) {
    return FieldError{
        TokenKey(i, "sha256"),
        absl::StrFormat("%s is not a SHA-256 digest (want 64 hex digits, as "
                        "printed by `printf %%s TOKEN | sha256sum`)",
                        Quote(t.sha256_hex))};
  }
  if (t.roles == 0 || (t.roles & ~kAllRoles) != 0) {
    return FieldError{TokenKey(i, "roles"),
                      "must name at least one role (allowed: check, match, "
                      "dups, write, admin)"};
  }
  return CheckRange(TokenKey(i, "rate_limit_per_second"),
                    t.rate_limit_per_second, 1,
                    limits::kMaxRateLimitPerSecondCeiling);
}

}  // namespace

std::string_view RoleName(Role role) {
  for (const auto& [r, name] : kRoles) {
    if (r == role) return name;
  }
  return "unknown";
}

absl::StatusOr<Role> ParseRole(std::string_view name) {
  for (const auto& [r, n] : kRoles) {
    if (n == name) return r;
  }
  return absl::InvalidArgumentError(absl::StrFormat(
      "unknown role %s (allowed: check, match, dups, write, admin)",
      config_internal::Quote(name)));
}

std::string RoleNames(uint8_t roles) {
  std::string out;
  for (const auto& [r, name] : kRoles) {
    if ((roles & r) == 0) continue;
    if (!out.empty()) out += ',';
    out.append(name.data(), name.size());
  }
  return out;
}

namespace config_internal {

std::string TokenKey(size_t index, std::string_view field) {
  return absl::StrFormat("auth.tokens[%d].%s", index + 1, field);
}

std::string Quote(std::string_view value) {
  constexpr size_t kMax = 64;
  std::string out = "'";
  for (size_t i = 0; i < value.size() && i < kMax; ++i) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    if (c < 0x20 || c == 0x7f || c == '\'' || c == '\\') {
      out += absl::StrFormat("\\x%02x", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (value.size() > kMax) out += "...";
  out += '\'';
  return out;
}

std::optional<FieldError> FirstInvalidField(const DaemonConfig& c) {
  namespace l = limits;
  // Each line is one key, in the order of the fields in DaemonConfig.
  std::optional<FieldError> e;
  if ((e = CheckAddress("server.address", c.listen_address))) return e;
  if ((e = CheckRange("server.port", c.listen_port, 0, 65535,
                      ", 0 = any free port")))
    return e;
  if ((e = CheckRange("server.io_threads", c.io_threads, 0,
                      l::kMaxIoThreadsCeiling, ", 0 = one per core")))
    return e;
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(c.time_zone, &tz)) {
    return FieldError{"server.time_zone",
                      absl::StrFormat("unknown time zone %s (want an IANA name "
                                      "such as Asia/Shanghai)",
                                      Quote(c.time_zone))};
  }
  if ((e = CheckNonEmpty("server.data_dir", c.data_dir, "a directory")))
    return e;
  // Checked even when disabled: a bad value is a mistake either way.
  if ((e = CheckAddress("metrics.address", c.metrics_address))) return e;
  if ((e = CheckRange("metrics.port", c.metrics_port, 0, 65535,
                      ", 0 = any free port")))
    return e;
  if (c.metrics_enabled) {
    if (c.metrics_port != 0 && c.metrics_port == c.listen_port &&
        c.metrics_address == c.listen_address) {
      return FieldError{"metrics.port",
                        absl::StrFormat("%d is also server.port (the metrics "
                                        "port must differ)",
                                        c.metrics_port)};
    }
  }
  if ((e = CheckNonEmpty("audit.dir", c.audit_dir, "a directory"))) return e;
  if ((e = CheckRange("audit.rotate_bytes", c.audit_rotate_bytes,
                      l::kMinAuditRotateBytes, l::kMaxAuditRotateBytesCeiling)))
    return e;
  if ((e = CheckRange("audit.fsync_interval_ms", c.audit_fsync_interval_ms, 0,
                      l::kMaxAuditFsyncIntervalMsCeiling)))
    return e;
  if (c.tls_enabled) {
    if ((e = CheckNonEmpty("tls.cert_file", c.tls_cert_file,
                           "a PEM certificate file when tls.enabled = true")))
      return e;
    if ((e = CheckNonEmpty("tls.key_file", c.tls_key_file,
                           "a PEM key file when tls.enabled = true")))
      return e;
  }
  if ((e = CheckRange("limits.max_frame_bytes", c.max_frame_bytes,
                      l::kMinFrameBytes, l::kMaxFrameBytesCeiling)))
    return e;
  // The pre-auth limit may not exceed the frame limit it tightens.
  if ((e = CheckRange(
           "limits.max_preauth_frame_bytes", c.max_preauth_frame_bytes,
           l::kMinPreauthFrameBytes,
           std::min(l::kMaxPreauthFrameBytesCeiling, c.max_frame_bytes),
           ", and at most limits.max_frame_bytes")))
    return e;
  if ((e = CheckRange("limits.max_batch", c.max_batch, 1, l::kMaxBatchCeiling)))
    return e;
  if ((e = CheckRange("limits.max_connections", c.max_connections, 1,
                      l::kMaxConnectionsCeiling)))
    return e;
  if ((e = CheckRange("limits.idle_timeout_seconds", c.idle_timeout_seconds,
                      l::kMinIdleSeconds, l::kMaxIdleSecondsCeiling)))
    return e;
  if ((e = CheckRange("limits.max_output_buffer_bytes",
                      c.max_output_buffer_bytes, l::kMinOutputBufferBytes,
                      l::kMaxOutputBufferBytesCeiling)))
    return e;
  if ((e = CheckRange("limits.max_match_results", c.max_match_results, 1,
                      l::kMaxMatchTopKCeiling)))
    return e;
  if (static_cast<int64_t>(c.tokens.size()) > l::kMaxAuthTokens) {
    return FieldError{
        "auth.tokens",
        absl::StrFormat("%d tokens is out of range (allowed range 0..%d)",
                        c.tokens.size(), l::kMaxAuthTokens)};
  }
  absl::flat_hash_set<std::string> seen;
  for (size_t i = 0; i < c.tokens.size(); ++i) {
    if ((e = CheckToken(c, i, seen))) return e;
  }
  // Written so that NaN fails too.
  if (!(c.dup_rate_bar > 0.0 && c.dup_rate_bar <= 1.0)) {
    return FieldError{
        "dups.rate_bar",
        absl::StrFormat("%g is out of range (allowed range 0 exclusive..1)",
                        c.dup_rate_bar)};
  }
  return std::nullopt;
}

}  // namespace config_internal

absl::Status Validate(const DaemonConfig& config) {
  auto error = config_internal::FirstInvalidField(config);
  if (!error) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrFormat("%s: %s", error->key, error->reason));
}

}  // namespace creditd
