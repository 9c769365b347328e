#include "config/toml_internal.h"

#include "absl/strings/str_format.h"
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace creditd::config_internal {
namespace {

// toml11's what() is a multi-line, pretty-printed report:
//   [error] toml::parse_key_value_pair: missing value after ... '='
//    --> x.toml
//      |
//    2 | b =
//      |     ^--- expected value, but got nothing
// Keep the first line without the "[error] toml::function:" prefix, plus the
// last "^---" hint, so the message fits one log line.
std::string OneLineReason(const std::string& what) {
  std::string first = what.substr(0, what.find('\n'));
  constexpr std::string_view kError = "[error] ";
  if (first.compare(0, kError.size(), kError) == 0) {
    first.erase(0, kError.size());
  }
  if (first.compare(0, 6, "toml::") == 0 ||
      first.compare(0, 6, "parse_") == 0) {
    size_t colon = first.find(": ");
    if (colon != std::string::npos) first.erase(0, colon + 2);
  }
  size_t hint = what.rfind("^--- ");
  if (hint != std::string::npos) {
    std::string h = what.substr(hint + 5);
    h = h.substr(0, h.find('\n'));
    if (!h.empty() && h != "here") first += absl::StrFormat(" (%s)", h);
  }
  if (first.empty()) first = "malformed TOML";
  return first;
}

}  // namespace

absl::StatusOr<std::string> ReadSmallFile(const std::string& path,
                                          int64_t max_bytes) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    std::string reason = std::strerror(err);
    std::string msg = absl::StrFormat("%s: cannot read (%s)", path, reason);
    if (err == ENOENT) return absl::NotFoundError(msg);
    if (err == EACCES) return absl::PermissionDeniedError(msg);
    return absl::FailedPreconditionError(msg);
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s: cannot read (not a regular file)", path));
  }
  // Checked before reading, so a huge file is never loaded.
  if (st.st_size > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: file is %d bytes (allowed at most %d)", path,
                        static_cast<int64_t>(st.st_size), max_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "%s: cannot read (%s)", path, std::string(std::strerror(errno))));
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  std::string text = buf.str();
  if (static_cast<int64_t>(text.size()) > max_bytes) {  // grew meanwhile
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: file is %d bytes (allowed at most %d)", path,
                        text.size(), max_bytes));
  }
  return text;
}

absl::StatusOr<toml::value> ParseToml(std::string_view text,
                                      std::string_view name) {
  // A UTF-8 BOM is common in files saved by Windows editors; TOML forbids it
  // but it carries no meaning, so drop it.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  try {
    std::istringstream in{std::string(text)};
    return toml::parse(in, std::string(name));
  } catch (const toml::exception& e) {
    return absl::InvalidArgumentError(absl::StrFormat("%s:%d: syntax error: %s",
                                                      name, e.location().line(),
                                                      OneLineReason(e.what())));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s:1: syntax error: %s", name, OneLineReason(e.what())));
  }
}

int LineOf(const toml::value& v) {
  return static_cast<int>(v.location().line());
}

std::string_view TypeName(const toml::value& v) {
  switch (v.type()) {
    case toml::value_t::boolean:
      return "a boolean";
    case toml::value_t::integer:
      return "an integer";
    case toml::value_t::floating:
      return "a float";
    case toml::value_t::string:
      return "a string";
    case toml::value_t::offset_datetime:
    case toml::value_t::local_datetime:
    case toml::value_t::local_date:
    case toml::value_t::local_time:
      return "a date/time";
    case toml::value_t::array:
      return "an array";
    case toml::value_t::table:
      return "a table";
    case toml::value_t::empty:
      break;
  }
  return "nothing";
}

std::vector<std::pair<std::string, const toml::value*>> SortedEntries(
    const toml::value& table) {
  std::vector<std::pair<std::string, const toml::value*>> out;
  for (const auto& [key, value] : table.as_table()) {
    out.emplace_back(key, &value);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    int la = LineOf(*a.second), lb = LineOf(*b.second);
    return la != lb ? la < lb : a.first < b.first;
  });
  return out;
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string ResolvePath(const std::string& dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || dir.empty()) return path;
  if (dir == "/") return "/" + path;
  return dir + "/" + path;
}

}  // namespace creditd::config_internal
