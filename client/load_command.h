// `creditctl load` and `creditctl stats`: offline bulk load into, and
// statistics of, a data directory (the Xapian database under --data DIR).
#ifndef CREDITD_CLIENT_LOAD_COMMAND_H_
#define CREDITD_CLIENT_LOAD_COMMAND_H_

#include <cstdio>
#include <string>
#include <vector>

namespace creditd {

// Exit status: 0 all lines loaded, 1 some lines rejected (the rest loaded), 2
// usage or fatal.
int RunLoadCommand(const std::vector<std::string>& args, FILE* out, FILE* err);
// Exit status: 0, or 2 on usage or when the database cannot be read.
int RunStatsCommand(const std::vector<std::string>& args, FILE* out, FILE* err);

}  // namespace creditd

#endif  // CREDITD_CLIENT_LOAD_COMMAND_H_
