#include "pii/mask.h"

#include "re2/re2.h"

#include <cstddef>

namespace creditd::pii {
namespace {

// The date part is checked by the pattern: a run of 18 digits from a
// bank account or a code whose middle is not a date is left alone.
const RE2& IdPattern() {
  static const RE2* const re = new RE2(
      "([0-9]{6}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
      "[0-9]{3}[0-9Xx])");
  return *re;
}

bool IsAsciiAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z');
}

// Calls `f(pos)` for the start of every identity number in `text`, in order.
template <typename F>
void ForEachIdNumber(std::string_view text, F f) {
  constexpr size_t kLen = 18;
  // Every match starts with 17 digits in a row. Most texts (Chinese names,
  // authorities, document numbers) have no such run, and this scan is much
  // cheaper than starting the RE2 matcher: every shown text passes here.
  size_t run = 0;
  bool has_run = false;
  for (char c : text) {
    run = (c >= '0' && c <= '9') ? run + 1 : 0;
    if (run >= kLen - 1) {
      has_run = true;
      break;
    }
  }
  if (!has_run) return;
  const RE2& re = IdPattern();
  size_t from = 0;
  re2::StringPiece whole(text.data(), text.size());
  re2::StringPiece m;
  while (from + kLen <= text.size() &&
         re.Match(whole, from, text.size(), RE2::UNANCHORED, &m, 1)) {
    const size_t start = static_cast<size_t>(m.data() - text.data());
    const size_t end = start + kLen;
    const bool bounded = (start == 0 || !IsAsciiAlnum(text[start - 1])) &&
                         (end == text.size() || !IsAsciiAlnum(text[end]));
    if (bounded) {
      f(start);
      from = end;
    } else {
      from = start + 1;  // a match inside a longer run; look further on
    }
  }
}

}  // namespace

std::string MaskPersonName(std::string_view name) {
  while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  std::string out;
  bool first = true;
  for (size_t i = 0; i < name.size();) {
    const auto lead = static_cast<unsigned char>(name[i]);
    size_t n = 1;
    if (lead >= 0xF0 && lead <= 0xF4) {
      n = 4;
    } else if (lead >= 0xE0) {
      n = 3;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      n = 2;
    }
    // A truncated or invalid sequence counts as one byte per character.
    bool valid = i + n <= name.size();
    for (size_t k = 1; valid && k < n; ++k) {
      valid = (static_cast<unsigned char>(name[i + k]) & 0xC0) == 0x80;
    }
    if (!valid || (lead >= 0x80 && lead < 0xC2) || lead > 0xF4) n = 1;
    if (first) {
      out.append(name.substr(i, n));
      first = false;
    } else {
      out.push_back('*');
    }
    i += n;
  }
  return out;
}

std::string MaskIdNumbers(std::string_view text) {
  std::string out(text);
  ForEachIdNumber(text,
                  [&](size_t start) { out.replace(start + 6, 8, 8, '*'); });
  return out;
}

bool ContainsIdNumber(std::string_view text) {
  bool found = false;
  ForEachIdNumber(text, [&](size_t) { found = true; });
  return found;
}

}  // namespace creditd::pii
