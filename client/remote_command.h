// creditctl commands that talk to a running daemon through the C++ client
// (client.h): `ping`, and `check`, `match`, `stats`, `dups` with --connect.
#ifndef CREDITD_CLIENT_REMOTE_COMMAND_H_
#define CREDITD_CLIENT_REMOTE_COMMAND_H_

#include <cstdio>
#include <string>
#include <vector>

namespace creditd {

// True when `args` hold --connect (the command goes to a daemon).
bool HasConnectFlag(const std::vector<std::string>& args);

// Runs `command` (ping, check, match, stats, dups) against the daemon(s)
// named by --connect HOST:PORT (repeatable: failover in order). The token is
// read from --token-file FILE (first line). Prints the reply as JSON on `out`
// (dups: every page of findings merged into one reply).
// Exit status: 0 ok, 1 the daemon answered with an error, 2 usage or
// connection failure.
int RunRemoteCommand(const std::string& command,
                     const std::vector<std::string>& args, FILE* out,
                     FILE* err);

}  // namespace creditd

#endif  // CREDITD_CLIENT_REMOTE_COMMAND_H_
