// Bounded line reading for files and pipes: one physical line at a time, each
// cut at a maximum length so that a hostile or broken file (a 2 GiB line,
// binary data) cannot exhaust memory. The rest of an over-long line is skipped,
// and the caller is told its full length.
//
// Not thread-safe; one reader per stream.
#ifndef CREDITD_INDEX_LINE_READER_H_
#define CREDITD_INDEX_LINE_READER_H_

#include "absl/status/status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace creditd {

class LineReader {
 public:
  // Reads from `fd` (not owned, not closed). Lines longer than max_line_bytes
  // are truncated.
  LineReader(int fd, size_t max_line_bytes);

  // Reads the next line into *line without its terminator ("\n" or "\r\n"); a
  // UTF-8 byte order mark at the start of line 1 is removed (see had_bom()).
  // Returns false at end of input or on a read error (see status()). A last
  // line without a newline is still returned. `line` is an output parameter so
  // that the caller's buffer is reused for every line.
  bool Next(std::string* line);

  uint64_t line_number() const {
    return line_number_;
  }  // 1-based number of the last line
  bool truncated() const {
    return truncated_;
  }  // last line was cut at the limit
  uint64_t full_bytes() const {
    return full_bytes_;
  }  // last line's length before the cut
  bool had_bom() const { return had_bom_; }
  uint64_t bytes_read() const { return bytes_read_; }
  const absl::Status& status() const { return status_; }

 private:
  bool Fill();

  int fd_;
  size_t max_line_bytes_;
  std::vector<char> buf_;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  uint64_t line_number_ = 0;
  bool truncated_ = false;
  uint64_t full_bytes_ = 0;
  bool had_bom_ = false;
  uint64_t bytes_read_ = 0;
  absl::Status status_;
};

}  // namespace creditd

#endif  // CREDITD_INDEX_LINE_READER_H_
