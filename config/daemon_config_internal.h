// Internal to config/: the field-level result of validation, so that the
// loader can put the line of the offending key in front of the message.
// Other folders use Validate() (config/daemon_config.h).
#ifndef CREDITD_CONFIG_DAEMON_CONFIG_INTERNAL_H_
#define CREDITD_CONFIG_DAEMON_CONFIG_INTERNAL_H_

#include "config/daemon_config.h"

#include <optional>
#include <string>
#include <string_view>

namespace creditd::config_internal {

struct FieldError {
  std::string key;     // as written in the file: "limits.max_batch",
                       // "auth.tokens[2].roles" (1-based)
  std::string reason;  // "0 is out of range (allowed range 1..10000)"
};

// The first invalid field in declaration order, or nullopt when the config is
// valid. Validate() is "key: reason" of this.
std::optional<FieldError> FirstInvalidField(const DaemonConfig& config);

// The key of token `index` (0-based) and field: "auth.tokens[3].name".
std::string TokenKey(size_t index, std::string_view field);

// A value from a file made safe to echo in one line: at most 64 bytes (then
// "..."), non-printable ASCII bytes as \xNN, wrapped in single quotes. UTF-8
// above ASCII is kept so Chinese names stay readable.
std::string Quote(std::string_view value);

}  // namespace creditd::config_internal

#endif  // CREDITD_CONFIG_DAEMON_CONFIG_INTERNAL_H_
