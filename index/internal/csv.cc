#include "index/internal/csv.h"

#include "absl/strings/str_cat.h"

namespace creditd::internal {

absl::Status SplitCsvLine(std::string_view line,
                          std::vector<std::string>* fields) {
  fields->clear();
  size_t i = 0;
  const size_t n = line.size();
  while (true) {
    std::string field;
    const size_t column = fields->size() + 1;
    if (i < n && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < n) {
        if (line[i] == '"') {
          if (i + 1 < n && line[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        field.push_back(line[i++]);
      }
      if (!closed) {
        return absl::InvalidArgumentError(
            absl::StrCat("column ", column, ": unterminated quoted field"));
      }
      if (i < n && line[i] != ',') {
        return absl::InvalidArgumentError(
            absl::StrCat("column ", column, ": text after closing quote"));
      }
    } else {
      const size_t end = line.find(',', i);
      const size_t stop = end == std::string_view::npos ? n : end;
      field.assign(line.substr(i, stop - i));
      i = stop;
    }
    fields->push_back(std::move(field));
    if (i >= n) break;
    ++i;  // the comma
    if (i == n) {
      fields->emplace_back();  // trailing comma: one more empty field
      break;
    }
  }
  return absl::OkStatus();
}

}  // namespace creditd::internal
