// Internal to config/: the toml11 helpers shared by config_loader.cc and
// measures.cc, the only files that parse TOML. Every function here catches
// toml11's exceptions and returns absl::Status values; callers must not call
// toml11's throwing accessors (toml::get, toml::find) on unchecked values.
#ifndef CREDITD_CONFIG_TOML_INTERNAL_H_
#define CREDITD_CONFIG_TOML_INTERNAL_H_

#include "absl/status/statusor.h"
#include <toml.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace creditd::config_internal {

// Reads a whole file of at most `max_bytes` bytes.
//   NotFound / PermissionDenied / FailedPrecondition: "path: cannot read (...)"
//   InvalidArgument: "path: file is N bytes (allowed at most M)"
absl::StatusOr<std::string> ReadSmallFile(const std::string& path,
                                          int64_t max_bytes);

// Parses TOML text. A syntax error becomes InvalidArgument
// "name:line: syntax error: reason".
absl::StatusOr<toml::value> ParseToml(std::string_view text,
                                      std::string_view name);

// Line of a value in its file (1-based; tables: their [header] line).
int LineOf(const toml::value& v);

// "an integer", "a string", "a table", ...
std::string_view TypeName(const toml::value& v);

// The entries of a table sorted by line (then key), so that errors come in
// file order whatever the hash map's order.
// REQUIRES: table.is_table().
std::vector<std::pair<std::string, const toml::value*>> SortedEntries(
    const toml::value& table);

// The directory part of `path` ("" for a bare file name), and `path` resolved
// against it when relative.
std::string DirName(const std::string& path);
std::string ResolvePath(const std::string& dir, const std::string& path);

}  // namespace creditd::config_internal

#endif  // CREDITD_CONFIG_TOML_INTERNAL_H_
