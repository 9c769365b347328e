#include "config/daemon_config.h"

#include "gtest/gtest.h"

#include <functional>
#include <string>

namespace creditd {
namespace {

TEST(DaemonConfigTest, DefaultsAreValid) {
  EXPECT_TRUE(Validate(DaemonConfig{}).ok());
}

TEST(DaemonConfigTest, RolesRoundTrip) {
  EXPECT_EQ(*ParseRole("dups"), kRoleDups);
  EXPECT_EQ(RoleName(kRoleAdmin), "admin");
  EXPECT_EQ(RoleNames(kRoleCheck | kRoleWrite), "check,write");
  EXPECT_EQ(RoleNames(0), "");
  EXPECT_EQ(ParseRole("root").status().message(),
            "unknown role 'root' (allowed: check, match, dups, write, admin)");
}

struct BadField {
  const char* what;
  std::function<void(DaemonConfig&)> mutate;
  const char* message;
};

AuthToken GoodToken(const char* name) {
  AuthToken t;
  t.name = name;
  t.sha256_hex = std::string(64, 'a');
  t.roles = kRoleCheck;
  return t;
}

TEST(DaemonConfigTest, ValidateNamesKeyAndRange) {
  const BadField cases[] = {
      {"address", [](auto& c) { c.listen_address = "localhost"; },
       "server.address: 'localhost' is not an IPv4 or IPv6 address (e.g. "
       "127.0.0.1, 0.0.0.0, ::1)"},
      {"port high", [](auto& c) { c.listen_port = 65536; },
       "server.port: 65536 is out of range (allowed range 0..65535, 0 = any "
       "free port)"},
      {"port low", [](auto& c) { c.listen_port = -1; },
       "server.port: -1 is out of range (allowed range 0..65535, 0 = any free "
       "port)"},
      {"threads", [](auto& c) { c.io_threads = 257; },
       "server.io_threads: 257 is out of range (allowed range 0..256, 0 = one "
       "per core)"},
      {"zone", [](auto& c) { c.time_zone = "Mars/Olympus"; },
       "server.time_zone: unknown time zone 'Mars/Olympus' (want an IANA name "
       "such as Asia/Shanghai)"},
      {"data_dir", [](auto& c) { c.data_dir = ""; },
       "server.data_dir: must name a directory"},
      {"metrics port clash", [](auto& c) { c.metrics_port = c.listen_port; },
       "metrics.port: 7379 is also server.port (the metrics port must "
       "differ)"},
      {"rotate", [](auto& c) { c.audit_rotate_bytes = 1000; },
       "audit.rotate_bytes: 1000 is out of range (allowed range "
       "1048576..68719476736)"},
      {"fsync", [](auto& c) { c.audit_fsync_interval_ms = -5; },
       "audit.fsync_interval_ms: -5 is out of range (allowed range "
       "0..60000)"},
      {"tls cert", [](auto& c) { c.tls_enabled = true; },
       "tls.cert_file: must name a PEM certificate file when tls.enabled = "
       "true"},
      {"tls key",
       [](auto& c) {
         c.tls_enabled = true;
         c.tls_cert_file = "c.pem";
       },
       "tls.key_file: must name a PEM key file when tls.enabled = true"},
      {"frame low", [](auto& c) { c.max_frame_bytes = 1023; },
       "limits.max_frame_bytes: 1023 is out of range (allowed range "
       "1024..67108864)"},
      {"frame high", [](auto& c) { c.max_frame_bytes = 67108865; },
       "limits.max_frame_bytes: 67108865 is out of range (allowed range "
       "1024..67108864)"},
      {"preauth above frame",
       [](auto& c) {
         c.max_frame_bytes = 2048;
         c.max_preauth_frame_bytes = 4096;
       },
       "limits.max_preauth_frame_bytes: 4096 is out of range (allowed range "
       "256..2048, and at most limits.max_frame_bytes)"},
      {"batch", [](auto& c) { c.max_batch = 0; },
       "limits.max_batch: 0 is out of range (allowed range 1..10000)"},
      {"connections", [](auto& c) { c.max_connections = 70000; },
       "limits.max_connections: 70000 is out of range (allowed range "
       "1..65536)"},
      {"idle", [](auto& c) { c.idle_timeout_seconds = 0; },
       "limits.idle_timeout_seconds: 0 is out of range (allowed range "
       "1..86400)"},
      {"outbuf", [](auto& c) { c.max_output_buffer_bytes = 1; },
       "limits.max_output_buffer_bytes: 1 is out of range (allowed range "
       "65536..1073741824)"},
      {"topk", [](auto& c) { c.max_match_results = 1001; },
       "limits.max_match_results: 1001 is out of range (allowed range "
       "1..1000)"},
      {"token name",
       [](auto& c) { c.tokens.push_back(GoodToken("has space")); },
       "auth.tokens[1].name: 'has space' is not a valid token name (1..64 "
       "characters from A-Z a-z 0-9 _ - .)"},
      {"token dup",
       [](auto& c) {
         c.tokens.push_back(GoodToken("a"));
         c.tokens.push_back(GoodToken("a"));
       },
       "auth.tokens[2].name: 'a' is used by an earlier token (names must be "
       "unique)"},
      {"token sha",
       [](auto& c) {
         c.tokens.push_back(GoodToken("a"));
         c.tokens[0].sha256_hex = "abc";
       },
       "auth.tokens[1].sha256: 'abc' is not a SHA-256 digest (want 64 hex "
       "digits, as printed by `printf %s TOKEN | sha256sum`)"},
      {"token roles",
       [](auto& c) {
         c.tokens.push_back(GoodToken("a"));
         c.tokens[0].roles = 0;
       },
       "auth.tokens[1].roles: must name at least one role (allowed: check, "
       "match, dups, write, admin)"},
      {"token rate",
       [](auto& c) {
         c.tokens.push_back(GoodToken("a"));
         c.tokens[0].rate_limit_per_second = 0;
       },
       "auth.tokens[1].rate_limit_per_second: 0 is out of range (allowed "
       "range 1..1000000)"},
      {"dups zero", [](auto& c) { c.dup_rate_bar = 0; },
       "dups.rate_bar: 0 is out of range (allowed range 0 exclusive..1)"},
      {"dups high", [](auto& c) { c.dup_rate_bar = 1.5; },
       "dups.rate_bar: 1.5 is out of range (allowed range 0 exclusive..1)"},
  };
  for (const BadField& bad : cases) {
    SCOPED_TRACE(bad.what);
    DaemonConfig c;
    bad.mutate(c);
    absl::Status s = Validate(c);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(s.message(), bad.message);
  }
}

TEST(DaemonConfigTest, BoundariesAccepted) {
  DaemonConfig c;
  c.listen_port = 0;
  c.io_threads = limits::kMaxIoThreadsCeiling;
  c.max_frame_bytes = limits::kMinFrameBytes;
  c.max_preauth_frame_bytes = limits::kMinFrameBytes;  // == max_frame_bytes
  c.max_batch = limits::kMaxBatchCeiling;
  c.dup_rate_bar = 1.0;
  c.listen_address = "::";
  c.metrics_enabled = false;
  c.metrics_port = c.listen_port;  // a clash does not matter when disabled
  EXPECT_TRUE(Validate(c).ok()) << Validate(c);
}

}  // namespace
}  // namespace creditd
