#include "config/config_loader.h"

#include "tests/testutil.h"

#include "gtest/gtest.h"

#include <fstream>
#include <sstream>
#include <string>

namespace creditd {
namespace {

std::string ReadSource(const std::string& rel) {
  std::ifstream in(std::string(CREDITD_SOURCE_DIR) + "/" + rel);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

struct BadConfig {
  const char* text;
  const char* message;  // exact, including "c.toml:line: key: "
};

// The catalogue of bad config files: each asserts the exact error text.
TEST(ConfigLoaderTest, BadInputCatalogue) {
  const BadConfig cases[] = {
      // Syntax.
      {"[server]\nport = \n",
       "c.toml:2: syntax error: missing value after key-value separator '=' "
       "(expected value, but got nothing)"},
      {"[server]\nport = 1\nport = 2\n",
       "c.toml:3: syntax error: value (\"port\") already exists. (value "
       "defined twice)"},
      // Unknown sections and keys.
      {"[sever]\nport = 1\n",
       "c.toml:1: sever: unknown section (allowed: server, metrics, audit, "
       "tls, limits, auth, dups)"},
      {"port = 1\n",
       "c.toml:1: port: unknown section (allowed: server, metrics, audit, tls, "
       "limits, auth, dups)"},
      {"[server]\nport = 1\nadress = \"::1\"\n",
       "c.toml:3: server.adress: unknown key (allowed: address, port, "
       "io_threads, time_zone, data_dir, measures_file)"},
      {"[limits]\nmax_batch = 5\nmax_frames = 5\n",
       "c.toml:3: limits.max_frames: unknown key (allowed: max_frame_bytes, "
       "max_preauth_frame_bytes, max_batch, max_connections, "
       "idle_timeout_seconds, max_output_buffer_bytes, max_match_results)"},
      {"[metrics]\nenable = true\n",
       "c.toml:2: metrics.enable: unknown key (allowed: enabled, address, "
       "port)"},
      {"[auth]\ntoken = 1\n",
       "c.toml:2: auth.token: unknown key (allowed: tokens)"},
      // Wrong types.
      {"server = 5\n", "c.toml:1: server: expected a table, got an integer"},
      {"[server]\nport = \"7379\"\n",
       "c.toml:2: server.port: expected an integer, got a string"},
      {"[server]\nport = 7379.0\n",
       "c.toml:2: server.port: expected an integer, got a float"},
      {"[tls]\nenabled = \"yes\"\n",
       "c.toml:2: tls.enabled: expected a boolean (true or false), got a "
       "string"},
      {"[server]\ndata_dir = 1979-05-27\n",
       "c.toml:2: server.data_dir: expected a string, got a date/time"},
      {"[dups]\nrate_bar = \"0.1\"\n",
       "c.toml:2: dups.rate_bar: expected a number, got a string"},
      {"[auth]\ntokens = 3\n",
       "c.toml:2: auth.tokens: expected an array of tables ([[auth.tokens]]), "
       "got an integer"},
      {"[[auth.tokens]]\nname = \"a\"\nsha256 = \"x\"\nroles = \"check\"\n",
       "c.toml:4: auth.tokens[1].roles: expected an array of role names, got "
       "a string"},
      {"[[auth.tokens]]\nname = \"a\"\nroles = [\"check\", 1]\n",
       "c.toml:3: auth.tokens[1].roles: expected role names (strings), got an "
       "integer"},
      // Out of range: the line of the key, the key, the range.
      {"[server]\n\nport = 70000\n",
       "c.toml:3: server.port: 70000 is out of range (allowed range 0..65535, "
       "0 = any free port)"},
      {"[server]\nio_threads = -1\n",
       "c.toml:2: server.io_threads: -1 is out of range (allowed range "
       "0..256, 0 = one per core)"},
      {"[server]\ntime_zone = \"Asia/Shanghia\"\n",
       "c.toml:2: server.time_zone: unknown time zone 'Asia/Shanghia' (want "
       "an IANA name such as Asia/Shanghai)"},
      {"[server]\naddress = \"example.com\"\n",
       "c.toml:2: server.address: 'example.com' is not an IPv4 or IPv6 "
       "address (e.g. 127.0.0.1, 0.0.0.0, ::1)"},
      {"[limits]\nmax_batch = 0\n",
       "c.toml:2: limits.max_batch: 0 is out of range (allowed range "
       "1..10000)"},
      {"[limits]\nmax_batch = 10001\n",
       "c.toml:2: limits.max_batch: 10001 is out of range (allowed range "
       "1..10000)"},
      {"[limits]\nmax_frame_bytes = 104857600\n",
       "c.toml:2: limits.max_frame_bytes: 104857600 is out of range (allowed "
       "range 1024..67108864)"},
      {"[limits]\nmax_frame_bytes = 2048\nmax_preauth_frame_bytes = 4096\n",
       "c.toml:3: limits.max_preauth_frame_bytes: 4096 is out of range "
       "(allowed range 256..2048, and at most limits.max_frame_bytes)"},
      {"[limits]\nmax_connections = 0\n",
       "c.toml:2: limits.max_connections: 0 is out of range (allowed range "
       "1..65536)"},
      {"[limits]\nidle_timeout_seconds = 86401\n",
       "c.toml:2: limits.idle_timeout_seconds: 86401 is out of range (allowed "
       "range 1..86400)"},
      {"[limits]\nmax_output_buffer_bytes = 0\n",
       "c.toml:2: limits.max_output_buffer_bytes: 0 is out of range (allowed "
       "range 65536..1073741824)"},
      {"[limits]\nmax_match_results = 0\n",
       "c.toml:2: limits.max_match_results: 0 is out of range (allowed range "
       "1..1000)"},
      {"[audit]\nrotate_bytes = 10\n",
       "c.toml:2: audit.rotate_bytes: 10 is out of range (allowed range "
       "1048576..68719476736)"},
      {"[audit]\nfsync_interval_ms = -1\n",
       "c.toml:2: audit.fsync_interval_ms: -1 is out of range (allowed range "
       "0..60000)"},
      {"[audit]\nfsync_interval_ms = 60001\n",
       "c.toml:2: audit.fsync_interval_ms: 60001 is out of range (allowed "
       "range 0..60000)"},
      {"[audit]\nfsync_interval_ms = \"100\"\n",
       "c.toml:2: audit.fsync_interval_ms: expected an integer, got a string"},
      {"[dups]\nrate_bar = 0\n",
       "c.toml:2: dups.rate_bar: 0 is out of range (allowed range 0 "
       "exclusive..1)"},
      {"[dups]\nrate_bar = -0.5\n",
       "c.toml:2: dups.rate_bar: -0.5 is out of range (allowed range 0 "
       "exclusive..1)"},
      // A missing key named by a rule is reported at its section's line.
      {"[server]\nport = 1\n\n[tls]\nenabled = true\n",
       "c.toml:4: tls.cert_file: must name a PEM certificate file when "
       "tls.enabled = true"},
      {"[metrics]\nport = 7379\n",
       "c.toml:2: metrics.port: 7379 is also server.port (the metrics port "
       "must differ)"},
  };
  for (const BadConfig& bad : cases) {
    SCOPED_TRACE(bad.text);
    auto config = ParseDaemonConfig(bad.text, "c.toml");
    ASSERT_FALSE(config.ok());
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(config.status().message()), bad.message);
  }
}

TEST(ConfigLoaderTest, BadTokens) {
  const std::string sha = std::string(64, 'a');
  const struct {
    std::string text;
    const char* message;
  } cases[] = {
      {"[[auth.tokens]]\nname = \"a\"\nsha256 = \"" + sha +
           "\"\nroles = [\"check\"]\nrate = 5\n",
       "c.toml:5: auth.tokens[1].rate: unknown key (allowed: name, sha256, "
       "roles, rate_limit_per_second)"},
      {"[[auth.tokens]]\nname = \"a\"\nsha256 = \"" + sha + "\"\n",
       "c.toml:1: auth.tokens[1].roles: missing (every token needs name, "
       "sha256 and roles)"},
      {"[[auth.tokens]]\nroles = [\"check\"]\n",
       "c.toml:1: auth.tokens[1].name: missing (every token needs name, "
       "sha256 and roles)"},
      {"[[auth.tokens]]\nname = \"a\"\nsha256 = \"" + sha +
           "\"\nroles = [\"check\", \"root\"]\n",
       "c.toml:4: auth.tokens[1].roles: unknown role 'root' (allowed: check, "
       "match, dups, write, admin)"},
      {"[[auth.tokens]]\nname = \"a\"\nsha256 = \"" + sha +
           "\"\nroles = [\"check\", \"check\"]\n",
       "c.toml:4: auth.tokens[1].roles: role 'check' listed twice"},
      {"[[auth.tokens]]\nname = \"a\"\nsha256 = \"" + sha + "\"\nroles = []\n",
       "c.toml:4: auth.tokens[1].roles: must name at least one role "
       "(allowed: check, match, dups, write, admin)"},
      {"[[auth.tokens]]\nname = \"a\"\nsha256 = \"abc\"\nroles = "
       "[\"check\"]\n",
       "c.toml:3: auth.tokens[1].sha256: 'abc' is not a SHA-256 digest (want "
       "64 hex digits, as printed by `printf %s TOKEN | sha256sum`)"},
      {"[[auth.tokens]]\nname = \"a\"\nsha256 = \"" + sha +
           "\"\nroles = [\"check\"]\n\n[[auth.tokens]]\nname = \"a\"\nsha256 "
           "= \"" +
           sha + "\"\nroles = [\"match\"]\n",
       "c.toml:7: auth.tokens[2].name: 'a' is used by an earlier token (names "
       "must be unique)"},
      {"[[auth.tokens]]\nname = \"a\"\nsha256 = \"" + sha +
           "\"\nroles = [\"check\"]\nrate_limit_per_second = 0\n",
       "c.toml:5: auth.tokens[1].rate_limit_per_second: 0 is out of range "
       "(allowed range 1..1000000)"},
      {"[[auth.tokens]]\nname = \"a b\\u0001\"\nsha256 = \"" + sha +
           "\"\nroles = [\"check\"]\n",
       "c.toml:2: auth.tokens[1].name: 'a b\\x01' is not a valid token name "
       "(1..64 characters from A-Z a-z 0-9 _ - .)"},
  };
  for (const auto& bad : cases) {
    SCOPED_TRACE(bad.text);
    auto config = ParseDaemonConfig(bad.text, "c.toml");
    ASSERT_FALSE(config.ok());
    EXPECT_EQ(std::string(config.status().message()), bad.message);
  }
}

TEST(ConfigLoaderTest, FirstErrorInFileOrder) {
  auto config = ParseDaemonConfig(
      "[limits]\nzzz = 1\naaa = 2\n[server]\nbogus = 3\n", "c.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message().substr(0, 20), "c.toml:2: limits.zzz");
}

TEST(ConfigLoaderTest, EmptyFileGivesDefaults) {
  auto config = ParseDaemonConfig("", "c.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen_port, DaemonConfig{}.listen_port);
  EXPECT_EQ(config->time_zone, "Asia/Shanghai");
  EXPECT_TRUE(config->tokens.empty());
}

TEST(ConfigLoaderTest, ReadsEveryKind) {
  const std::string sha = std::string(64, 'A');  // stored lower case
  auto config = ParseDaemonConfig(
      "[server]\naddress = \"0.0.0.0\"\nport = 0\nio_threads = 4\n"
      "measures_file = \"m.toml\"\n"
      "[metrics]\nenabled = false\n"
      "[tls]\nenabled = true\ncert_file = \"c.pem\"\nkey_file = \"k.pem\"\n"
      "[dups]\nrate_bar = 1\n"
      "[[auth.tokens]]\nname = \"bid\"\nsha256 = \"" +
          sha +
          "\"\nroles = [\"check\", \"admin\"]\nrate_limit_per_second = 7\n",
      "c.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen_address, "0.0.0.0");
  EXPECT_EQ(config->listen_port, 0);
  EXPECT_EQ(config->io_threads, 4);
  EXPECT_EQ(config->measures_file, "m.toml");  // Parse keeps paths as written
  EXPECT_FALSE(config->metrics_enabled);
  EXPECT_TRUE(config->tls_enabled);
  EXPECT_EQ(config->dup_rate_bar, 1.0);
  ASSERT_EQ(config->tokens.size(), 1u);
  EXPECT_EQ(config->tokens[0].name, "bid");
  EXPECT_EQ(config->tokens[0].sha256_hex, std::string(64, 'a'));
  EXPECT_EQ(config->tokens[0].roles, kRoleCheck | kRoleAdmin);
  EXPECT_EQ(config->tokens[0].rate_limit_per_second, 7);
}

// The example documents every key with its default: loading it must give
// exactly the defaults of DaemonConfig.
TEST(ConfigLoaderTest, ExampleLoadsAndMatchesDefaults) {
  const std::string path =
      std::string(CREDITD_SOURCE_DIR) + "/config/creditd.example.toml";
  auto config = LoadDaemonConfig(path);
  ASSERT_TRUE(config.ok()) << config.status();
  DaemonConfig d;
  EXPECT_EQ(config->listen_address, d.listen_address);
  EXPECT_EQ(config->listen_port, d.listen_port);
  EXPECT_EQ(config->io_threads, d.io_threads);
  EXPECT_EQ(config->time_zone, d.time_zone);
  EXPECT_EQ(config->data_dir, d.data_dir);
  EXPECT_EQ(config->measures_file, d.measures_file);
  EXPECT_EQ(config->metrics_enabled, d.metrics_enabled);
  EXPECT_EQ(config->metrics_address, d.metrics_address);
  EXPECT_EQ(config->metrics_port, d.metrics_port);
  EXPECT_EQ(config->audit_dir, d.audit_dir);
  EXPECT_EQ(config->audit_rotate_bytes, d.audit_rotate_bytes);
  EXPECT_EQ(config->audit_fsync_interval_ms, d.audit_fsync_interval_ms);
  EXPECT_EQ(config->tls_enabled, d.tls_enabled);
  EXPECT_EQ(config->tls_cert_file, d.tls_cert_file);
  EXPECT_EQ(config->tls_key_file, d.tls_key_file);
  EXPECT_EQ(config->max_frame_bytes, d.max_frame_bytes);
  EXPECT_EQ(config->max_preauth_frame_bytes, d.max_preauth_frame_bytes);
  EXPECT_EQ(config->max_batch, d.max_batch);
  EXPECT_EQ(config->max_connections, d.max_connections);
  EXPECT_EQ(config->idle_timeout_seconds, d.idle_timeout_seconds);
  EXPECT_EQ(config->max_output_buffer_bytes, d.max_output_buffer_bytes);
  EXPECT_EQ(config->max_match_results, d.max_match_results);
  EXPECT_EQ(config->dup_rate_bar, d.dup_rate_bar);
  EXPECT_TRUE(config->tokens.empty());
}

// Un-commenting the example token block gives a loadable token.
TEST(ConfigLoaderTest, ExampleTokenBlockIsValid) {
  std::string text = ReadSource("config/creditd.example.toml");
  size_t at = text.rfind("# [[auth.tokens]]");
  ASSERT_NE(at, std::string::npos);
  std::string block = text.substr(at);
  std::string uncommented;
  for (const std::string& line : testing::Lines(block)) {
    uncommented += line.substr(line.rfind("# ", 0) == 0 ? 2 : 0) + "\n";
  }
  auto config = ParseDaemonConfig(text.substr(0, at) + uncommented, "ex");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->tokens.size(), 1u);
  EXPECT_EQ(config->tokens[0].roles, kRoleCheck | kRoleMatch);
}

// Every key of the example is documented in docs/configuration.md.
TEST(ConfigLoaderTest, DocsNameEveryKey) {
  std::string docs = ReadSource("docs/configuration.md");
  for (const char* key : {"server.address",
                          "server.port",
                          "server.io_threads",
                          "server.time_zone",
                          "server.data_dir",
                          "server.measures_file",
                          "metrics.enabled",
                          "metrics.address",
                          "metrics.port",
                          "audit.dir",
                          "audit.rotate_bytes",
                          "audit.fsync_interval_ms",
                          "tls.enabled",
                          "tls.cert_file",
                          "tls.key_file",
                          "limits.max_frame_bytes",
                          "limits.max_preauth_frame_bytes",
                          "limits.max_batch",
                          "limits.max_connections",
                          "limits.idle_timeout_seconds",
                          "limits.max_output_buffer_bytes",
                          "limits.max_match_results",
                          "auth.tokens",
                          "dups.rate_bar"}) {
    EXPECT_NE(docs.find(std::string("`") + key + "`"), std::string::npos)
        << key;
  }
}

TEST(ConfigLoaderTest, LoadResolvesRelativePathsAndReportsFileErrors) {
  testing::TempDir dir;
  std::string path = dir.WriteFile(
      "c.toml",
      "[server]\ndata_dir = \"data\"\nmeasures_file = \"/etc/m.toml\"\n");
  auto config = LoadDaemonConfig(path);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->data_dir, dir.path() + "/data");
  EXPECT_EQ(config->measures_file, "/etc/m.toml");

  std::string bad = dir.WriteFile("bad.toml", "\n[limits]\nmax_batch = 0\n");
  EXPECT_EQ(LoadDaemonConfig(bad).status().message(),
            bad +
                ":3: limits.max_batch: 0 is out of range (allowed range "
                "1..10000)");

  auto missing = LoadDaemonConfig(dir.path() + "/nope.toml");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            dir.path() + "/nope.toml: cannot read (No such file or directory)");

  std::string big = dir.WriteFile("big.toml", std::string(2 << 20, '#'));
  EXPECT_EQ(LoadDaemonConfig(big).status().message(),
            big + ": file is 2097152 bytes (allowed at most 1048576)");
}

TEST(ConfigLoaderTest, NoExceptionEscapesOnGarbage) {
  for (const char* text :
       {"\xff\xfe\x00garbage", "[[[", "a = [1, \"x\"]\n", "= 1\n",
        "[server]\nport = 99999999999999999999999\n", "\"\n"}) {
    auto config = ParseDaemonConfig(std::string_view(text), "g.toml");
    EXPECT_FALSE(config.ok()) << text;
    EXPECT_EQ(config.status().message().substr(0, 7), "g.toml:") << text;
  }
}

}  // namespace
}  // namespace creditd
