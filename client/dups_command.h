// `creditctl dups`: the duplicate and erroneous code report (issue 6) of a
// data directory, offline (--data DIR). Later also over the socket.
#ifndef CREDITD_CLIENT_DUPS_COMMAND_H_
#define CREDITD_CLIENT_DUPS_COMMAND_H_

#include <cstdio>
#include <string>
#include <vector>

namespace creditd {

// Exit status: 0 no rate over the bar (in the filtered view), 1 some rate
// over the bar (the report is still written), 2 usage or fatal.
int RunDupsCommand(const std::vector<std::string>& args, FILE* out, FILE* err);

}  // namespace creditd

#endif  // CREDITD_CLIENT_DUPS_COMMAND_H_
