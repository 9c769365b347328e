// Making untrusted bytes safe to echo in a reply, a log line, TSV output or an
// error message.
#ifndef CREDITD_INDEX_DISPLAY_H_
#define CREDITD_INDEX_DISPLAY_H_

#include <string>
#include <string_view>

namespace creditd {

// Returns `bytes` with every byte that is not printable text escaped: control
// characters and the backslash as \t \n \r \\ \xNN, bytes that are not valid
// UTF-8 as \xNN. Valid non-ASCII UTF-8 (Chinese names) is kept. At most
// `max_bytes` of input are shown; longer input ends in
// "...(N bytes)".
std::string EscapeForDisplay(std::string_view bytes, size_t max_bytes = 128);

}  // namespace creditd

#endif  // CREDITD_INDEX_DISPLAY_H_
