// `creditctl validate`: validates codes given as arguments, in a file, or on
// standard input.
#ifndef CREDITD_CLIENT_VALIDATE_COMMAND_H_
#define CREDITD_CLIENT_VALIDATE_COMMAND_H_

#include <cstdio>
#include <string>
#include <vector>

namespace creditd {

// Runs the command with `args` (the words after "validate"). Writes results to
// `out` and diagnostics to `err`. Returns the exit status: 0 all valid, 1 any
// invalid, 2 usage error.
int RunValidateCommand(const std::vector<std::string>& args, FILE* out,
                       FILE* err);

}  // namespace creditd

#endif  // CREDITD_CLIENT_VALIDATE_COMMAND_H_
