// UTF-8 <-> UTF-32 helpers for the matcher. Internal: other folders do not
// include this header.
#ifndef CREDITD_MATCHER_INTERNAL_UTF8_H_
#define CREDITD_MATCHER_INTERNAL_UTF8_H_

#include "absl/status/statusor.h"

#include <string>
#include <string_view>

namespace creditd::matcher_internal {

// Strict decoding: overlong forms, surrogates, code points above U+10FFFF and
// truncated sequences are rejected with InvalidArgument "<field>: invalid
// UTF-8 at byte N". Never reads past `text`.
absl::StatusOr<std::u32string> DecodeUtf8(std::string_view text,
                                          std::string_view field = "name");

// Appends the UTF-8 form of `cp` (REQUIRES: a valid scalar value).
void AppendUtf8(char32_t cp, std::string* out);
std::string EncodeUtf8(std::u32string_view text);

// `text` truncated to at most `max_bytes` bytes on a character boundary, with
// control characters replaced by '?', for error messages that echo input.
std::string SafeEcho(std::string_view text, size_t max_bytes = 48);

}  // namespace creditd::matcher_internal

#endif  // CREDITD_MATCHER_INTERNAL_UTF8_H_
