// A small RFC 4180 field splitter shared by the region table and the CSV
// ingest. Internal to index/: other folders use index/ingest.h.
#ifndef CREDITD_INDEX_INTERNAL_CSV_H_
#define CREDITD_INDEX_INTERNAL_CSV_H_

#include "absl/status/status.h"

#include <string>
#include <string_view>
#include <vector>

namespace creditd::internal {

// Splits one CSV record (without its line terminator) into fields. Quoted
// fields may contain commas and doubled quotes (""). Embedded newlines are not
// supported: each physical line is one record, so a broken quote cannot swallow
// the rest of a file. Returns InvalidArgument naming the column (1-based) for
// an unterminated quote or for text after a closing quote. `fields` is an
// output parameter so that a loader reuses one vector for every line.
absl::Status SplitCsvLine(std::string_view line,
                          std::vector<std::string>* fields);

}  // namespace creditd::internal

#endif  // CREDITD_INDEX_INTERNAL_CSV_H_
