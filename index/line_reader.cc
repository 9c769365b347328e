#include "index/line_reader.h"

#include "absl/strings/str_cat.h"
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace creditd {

LineReader::LineReader(int fd, size_t max_line_bytes)
    : fd_(fd), max_line_bytes_(max_line_bytes), buf_(1 << 16) {}

bool LineReader::Fill() {
  if (eof_) return false;
  while (true) {
    const ssize_t n = ::read(fd_, buf_.data(), buf_.size());
    if (n > 0) {
      pos_ = 0;
      end_ = static_cast<size_t>(n);
      bytes_read_ += static_cast<uint64_t>(n);
      return true;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      status_ =
          absl::InternalError(absl::StrCat("read: ", std::strerror(errno)));
    eof_ = true;
    return false;
  }
}

bool LineReader::Next(std::string* line) {
  line->clear();
  truncated_ = false;
  full_bytes_ = 0;
  bool any = false;
  while (true) {
    if (pos_ == end_ && !Fill()) break;
    any = true;
    const char* start = buf_.data() + pos_;
    const char* nl =
        static_cast<const char*>(std::memchr(start, '\n', end_ - pos_));
    const size_t take =
        nl != nullptr ? static_cast<size_t>(nl - start) : end_ - pos_;
    full_bytes_ += take;
    if (line->size() < max_line_bytes_) {
      line->append(start, std::min(take, max_line_bytes_ - line->size()));
    }
    pos_ += take;
    if (nl != nullptr) {
      ++pos_;  // the newline
      break;
    }
  }
  if (!any) return false;
  ++line_number_;
  truncated_ = full_bytes_ > max_line_bytes_;
  if (!truncated_ && !line->empty() && line->back() == '\r') {
    line->pop_back();
    --full_bytes_;
  }
  if (line_number_ == 1 && line->size() >= 3 &&
      line->compare(0, 3, "\xEF\xBB\xBF") == 0) {
    line->erase(0, 3);
    full_bytes_ -= 3;
    had_bom_ = true;
  }
  return true;
}

}  // namespace creditd
