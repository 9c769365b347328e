// Loading the daemon's TOML configuration (config/creditd.example.toml).
//
// Every error is one line, "file:line: key: reason", with the allowed range or
// values when there are any, so that the daemon can print it and refuse to
// start (redis: "FATAL CONFIG FILE ERROR ... at line N"):
//   "creditd.toml:12: limits.max_batch: 0 is out of range (allowed range
//    1..10000)"
//   "creditd.toml:3: server.adress: unknown key (allowed: address, port, ...)"
//   "creditd.toml:7: syntax error: missing value after key-value separator"
// Unknown keys and wrong types are refused; no value is clamped or coerced
// (except that an integer is accepted where a float is wanted). Keys missing
// from the file keep the defaults of DaemonConfig. Nothing is read from the
// environment. toml11 is used only in config_loader.cc and measures.cc and no
// toml exception leaves them.
//
// Thread-safe: no shared state.
#ifndef CREDITD_CONFIG_CONFIG_LOADER_H_
#define CREDITD_CONFIG_CONFIG_LOADER_H_

#include "config/daemon_config.h"

#include "absl/status/statusor.h"

#include <string>
#include <string_view>

namespace creditd {

// Reads and parses the file at `path`, then validates it (Validate()).
// Relative paths in the file (server.data_dir, server.measures_file,
// audit.dir, tls.cert_file, tls.key_file) are resolved against the directory
// of `path`, so a config and its measures list can travel together.
// Returns the config, or:
//   NotFound / PermissionDenied / FailedPrecondition: "path: cannot read (...)"
//   InvalidArgument: "path:line: key: reason" (syntax, unknown key, type,
//     range), or "path: file is N bytes (allowed at most M)".
absl::StatusOr<DaemonConfig> LoadDaemonConfig(const std::string& path);

// Parses TOML `text` (no file access; relative paths are kept as written).
// `name_for_errors` is the file name put in front of every message. Same
// InvalidArgument errors as LoadDaemonConfig.
absl::StatusOr<DaemonConfig> ParseDaemonConfig(
    std::string_view text, std::string_view name_for_errors);

}  // namespace creditd

#endif  // CREDITD_CONFIG_CONFIG_LOADER_H_
