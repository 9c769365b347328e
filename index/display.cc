#include "index/display.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include <unicode/utf8.h>

namespace creditd {

std::string EscapeForDisplay(std::string_view bytes, size_t max_bytes) {
  const std::string_view shown = bytes.substr(0, max_bytes);
  std::string out;
  out.reserve(shown.size() + 8);
  const int32_t n = static_cast<int32_t>(shown.size());
  int32_t i = 0;
  while (i < n) {
    const unsigned char b = static_cast<unsigned char>(shown[i]);
    if (b < 0x80) {
      switch (b) {
        case '\t':
          out.append("\\t");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\\':
          out.append("\\\\");
          break;
        default:
          if (b < 0x20 || b == 0x7F) {
            absl::StrAppendFormat(&out, "\\x%02X", b);
          } else {
            out.push_back(static_cast<char>(b));
          }
      }
      ++i;
      continue;
    }
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(shown.data(), i, n, c);
    if (c < 0 || (c >= 0x80 && c < 0xA0) || c == 0x2028 || c == 0x2029) {
      for (int32_t k = start; k < i; ++k) {
        absl::StrAppendFormat(&out, "\\x%02X",
                              static_cast<unsigned char>(shown[k]));
      }
    } else {
      out.append(shown.substr(start, i - start));
    }
  }
  if (bytes.size() > max_bytes)
    absl::StrAppend(&out, "...(", bytes.size(), " bytes)");
  return out;
}

}  // namespace creditd
