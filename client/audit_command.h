// `creditctl audit verify --dir DIR [--anchor SEQ:SHA256]`: checks the hash
// chain of an audit log directory (check/audit_log.h) across rotations.
#ifndef CREDITD_CLIENT_AUDIT_COMMAND_H_
#define CREDITD_CLIENT_AUDIT_COMMAND_H_

#include <cstdio>
#include <string>
#include <vector>

namespace creditd {

// Runs the command with `args` (the words after "audit"). On a sound chain
// prints one line to `out` ("ok: 3 files, 120 entries, head seq 120 sha256
// <64 hex> (audit-00000003.jsonl)") and returns 0. On the first break prints
// "broken: <file>:<line>: receipt <id>: <kind>: <reason>" to `out` and returns
// 1. Usage errors, a missing directory and I/O errors go to `err` and return
// 2.
int RunAuditCommand(const std::vector<std::string>& args, FILE* out, FILE* err);

}  // namespace creditd

#endif  // CREDITD_CLIENT_AUDIT_COMMAND_H_
