// `creditctl dups`: the duplicate and erroneous code report (issue 6) of a
// data directory, offline (--data DIR). With --connect HOST:PORT creditctl
// asks a daemon instead (client/remote_command.h).
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
