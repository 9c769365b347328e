// `creditctl match`: finds registered subjects by a company name typed by hand
// (issue 5 item 7), offline against a data directory: the registry under
// --data DIR is read, a NameIndex is built in process (matcher/name_matcher.h)
// and each name is matched. Over the socket once the daemon exists.
#ifndef CREDITD_CLIENT_MATCH_COMMAND_H_
#define CREDITD_CLIENT_MATCH_COMMAND_H_

#include <cstdio>
#include <string>
#include <vector>

namespace creditd {

// Output: `--format table` (default) prints, per query, a header line and one
// row per candidate (rank, score, likely, code, registered name, explanation);
// `--format jsonl` prints one JSON object per query:
//   {"query":..., "candidates":[{"rank","id","code","name","matched_name",
//    "via_former_name","score","same_subject_likely","explanation",
//    "parts":[{"part","verdict","a","b","detail","factor"}]}]}
// or {"query":..., "error":...} for a query the matcher refuses.
// Exit status: 0 every query was matched (an empty candidate list counts as
// matched), 1 some queries were refused (empty, too long, invalid UTF-8), 2
// usage or fatal (data directory unreadable, --file unreadable).
int RunMatchCommand(const std::vector<std::string>& args, FILE* out, FILE* err);

}  // namespace creditd

#endif  // CREDITD_CLIENT_MATCH_COMMAND_H_
