#include "matcher/internal/utf8.h"

#include "absl/strings/str_format.h"

namespace creditd::matcher_internal {

absl::StatusOr<std::u32string> DecodeUtf8(std::string_view text,
                                          std::string_view field) {
  std::u32string out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    char32_t cp;
    size_t len;
    char32_t min;
    if (c < 0x80) {
      out.push_back(c);
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1F;
      len = 2;
      min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0F;
      len = 3;
      min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      cp = c & 0x07;
      len = 4;
      min = 0x10000;
    } else {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: invalid UTF-8 at byte %d", field, i));
    }
    if (i + len > n) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: invalid UTF-8 at byte %d (truncated sequence)", field, i));
    }
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) {
        return absl::InvalidArgumentError(
            absl::StrFormat("%s: invalid UTF-8 at byte %d", field, i));
      }
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: invalid UTF-8 at byte %d (overlong, surrogate or out of range)",
          field, i));
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string EncodeUtf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size() * 3);
  for (char32_t cp : text) AppendUtf8(cp, &out);
  return out;
}

std::string SafeEcho(std::string_view text, size_t max_bytes) {
  std::string out;
  size_t i = 0;
  while (i < text.size() && i < max_bytes) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    size_t len = c < 0x80             ? 1
                 : (c & 0xE0) == 0xC0 ? 2
                 : (c & 0xF0) == 0xE0 ? 3
                                      : 4;
    if (i + len > max_bytes || i + len > text.size()) break;
    if (c < 0x20 || c == 0x7F) {
      out.push_back('?');
    } else if ((c & 0xC0) == 0x80 || c >= 0xF8) {
      out.push_back('?');  // stray continuation or invalid lead byte
      len = 1;
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  if (i < text.size()) out.append("...");
  return out;
}

}  // namespace creditd::matcher_internal
