// DaemonConfig: every setting of the creditd daemon, one commented field per
// key of the TOML file (config/creditd.example.toml, docs/configuration.md).
//
// A default-constructed DaemonConfig is valid and is what an empty config file
// yields. Fields are plain values: the struct is copied on reload and read
// without locks afterwards. Integer fields are int64_t so that a value from
// the file reaches Validate() unchanged and is refused with its range instead
// of being narrowed.
//
// When adding a key: add the field here (unit + default), its check to
// Validate() in daemon_config.cc, its read to config_loader.cc, a commented
// line to creditd.example.toml, a row to docs/configuration.md, and a bad
// value row to tests/config/config_loader_test.cc.
#ifndef CREDITD_CONFIG_DAEMON_CONFIG_H_
#define CREDITD_CONFIG_DAEMON_CONFIG_H_

#include "config/limits.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace creditd {

// Roles a token can carry (DESIGN.md §3). A bit set in AuthToken::roles.
enum Role : uint8_t {
  kRoleCheck = 1 << 0,  // check, batch check, validate, extract, receipts
  kRoleMatch = 1 << 1,  // name match, compare names, subject lookup
  kRoleDups = 1 << 2,   // duplicate reports
  kRoleWrite = 1 << 3,  // upsert/delete subjects, put/repair records
  kRoleAdmin = 1 << 4,  // stats, admin views (repaired/expired records)
};
// "check", "match", "dups", "write", "admin".
std::string_view RoleName(Role role);
// InvalidArgument "unknown role 'x' (allowed: check, match, dups, write,
// admin)".
absl::StatusOr<Role> ParseRole(std::string_view name);
// "check,match"; empty for 0.
std::string RoleNames(uint8_t roles);

// [[auth.tokens]]: one client credential. Only the SHA-256 of the secret is
// stored, so the config file is not itself a credential.
struct AuthToken {
  std::string name;        // name: shown in logs and audit entries; unique
  std::string sha256_hex;  // sha256: 64 lowercase hex digits of the token
  uint8_t roles = 0;       // roles: non-empty subset of Role
  int64_t rate_limit_per_second = 1000;  // rate_limit_per_second: requests/s,
                                         // 1..kMaxRateLimitPerSecondCeiling
};

struct DaemonConfig {
  // [server]
  std::string listen_address = "127.0.0.1";  // address: IPv4 or IPv6 literal
  int64_t listen_port = 7379;  // port: 0..65535, 0 = any free port (tests)
  int64_t io_threads = 0;      // io_threads: 0 = one per core, else
                               // 1..kMaxIoThreadsCeiling
  std::string time_zone = "Asia/Shanghai";    // time_zone: IANA name; "today"
                                              // for checks without a date
  std::string data_dir = "/var/lib/creditd";  // data_dir: Xapian store and
                                              // snapshots
  std::string measures_file;  // measures_file: 联合奖惩措施清单 TOML; empty =
                              // the built-in national default

  // [metrics] HTTP port for /metrics, /healthz, /readyz
  bool metrics_enabled = true;                // enabled
  std::string metrics_address = "127.0.0.1";  // address: IPv4 or IPv6 literal
  int64_t metrics_port = 9379;                // port: 0..65535

  // [audit] append-only receipts of every check
  std::string audit_dir = "/var/lib/creditd/audit";  // dir
  int64_t audit_rotate_bytes = 256 * limits::kMiB;   // rotate_bytes: bytes,
                                                     // 1 MiB..64 GiB
  // fsync_interval_ms: ms, 0..60000. 0 = fdatasync every entry before the
  // check is answered (no acknowledged receipt lost on power failure; check
  // throughput bounded by the disk's flush rate); N = a background flush
  // every N ms (a power loss can lose the last N ms of entries; a crash of
  // the process loses none). Applies at start (not on SIGHUP).
  int64_t audit_fsync_interval_ms = 100;

  // [tls] TLS on the client port (Asio SSL / OpenSSL)
  bool tls_enabled = false;   // enabled
  std::string tls_cert_file;  // cert_file: PEM chain; required when enabled
  std::string tls_key_file;   // key_file: PEM private key; required when
                              // enabled
  // Where cert_file and key_file were set ("creditd.toml:41"), for start-up
  // errors; filled by the loader, empty for a config built in code. Not keys.
  std::string tls_cert_file_origin;
  std::string tls_key_file_origin;

  // [limits] every limit finite by default, ceilings in config/limits.h
  int64_t max_frame_bytes = 4 * limits::kMiB;           // bytes, 1 KiB..64 MiB
  int64_t max_preauth_frame_bytes = 4 * limits::kKiB;   // bytes, 256..64 KiB,
                                                        // <= max_frame_bytes
  int64_t max_batch = 500;                              // entries, 1..10000
  int64_t max_connections = 1024;                       // connections, 1..65536
  int64_t idle_timeout_seconds = 300;                   // seconds, 1..86400
  int64_t max_output_buffer_bytes = 16 * limits::kMiB;  // bytes, 64 KiB..1 GiB
  int64_t max_match_results = 20;  // candidates per match, 1..1000

  // [auth]
  std::vector<AuthToken> tokens;  // [[auth.tokens]]: at most kMaxAuthTokens

  // [dups]
  double dup_rate_bar = 0.0001;  // rate_bar: duplicate-rate bar per region
                                 // and authority (1/10,000), 0 < x <= 1
};

// Checks every field against its allowed range and the cross-field rules
// (preauth frame <= frame, TLS files when enabled, unique token names, known
// time zone). Returns OK, or InvalidArgument for the first bad field in the
// order of the fields above, as "key: reason (allowed range a..b)", e.g.
//   "limits.max_batch: 0 is out of range (allowed range 1..10000)".
// Keys are written as in the file ("auth.tokens[2].roles", 1-based).
// Pure apart from reading the time zone database; thread-safe.
absl::Status Validate(const DaemonConfig& config);

}  // namespace creditd

#endif  // CREDITD_CONFIG_DAEMON_CONFIG_H_
