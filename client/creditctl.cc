// creditctl: the command-line tool for operators and data teams. One subcommand
// per job; each lives in its own client/*_command.cc and returns the process
// exit status.
#include "client/audit_command.h"
#include "client/dups_command.h"
#include "client/load_command.h"
#include "client/match_command.h"
#include "client/remote_command.h"
#include "client/validate_command.h"

#include <cstdio>
#include <string>
#include <vector>

namespace {

constexpr char kUsage[] =
    "usage: creditctl <command> [options]\n"
    "commands:\n"
    "  validate   validate Unified Social Credit Codes (arguments, --file, or "
    "stdin)\n"
    "  load       load subjects and records (JSONL/CSV) into a data directory\n"
    "  stats      counts of a data directory by kind, status, province, list "
    "and code fault\n"
    "  match      find subjects by a (fuzzy) company name\n"
    "  dups       duplicate and erroneous codes (重错码) of a data directory\n"
    "             (or of a daemon's registry with --connect)\n"
    "  ping       round trip to a daemon (--connect HOST:PORT)\n"
    "  check      check a code against a daemon (--connect HOST:PORT)\n"
    "  audit      verify the hash chain of an audit log directory (audit "
    "verify --dir DIR)\n"
    "  help       this text\n"
    "check, match, stats and dups with --connect HOST:PORT ask a running "
    "daemon "
    "(creditctl ping --help).\n"
    "Run 'creditctl <command> --help' for a command's options.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  // With --connect the command goes to a running daemon (client/client.h).
  if (command == "ping" || command == "check" ||
      ((command == "match" || command == "stats" || command == "dups") &&
       creditd::HasConnectFlag(args))) {
    return creditd::RunRemoteCommand(command, args, stdout, stderr);
  }
  if (command == "validate") {
    return creditd::RunValidateCommand(args, stdout, stderr);
  }
  if (command == "load") return creditd::RunLoadCommand(args, stdout, stderr);
  if (command == "stats") return creditd::RunStatsCommand(args, stdout, stderr);
  if (command == "dups") return creditd::RunDupsCommand(args, stdout, stderr);
  if (command == "match") return creditd::RunMatchCommand(args, stdout, stderr);
  if (command == "audit") return creditd::RunAuditCommand(args, stdout, stderr);
  if (command == "help" || command == "--help" || command == "-h") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::fprintf(stderr, "creditctl: unknown command '%.64s'\n%s",
               command.c_str(), kUsage);
  return 2;
}
