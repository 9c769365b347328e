// Helpers shared by the test suites: temporary directories and running real
// processes.
#ifndef CREDITD_TESTS_TESTUTIL_H_
#define CREDITD_TESTS_TESTUTIL_H_

#include <string>
#include <vector>

namespace creditd::testing {

struct ProcessResult {
  int exit_code = -1;  // exit status, or 128 + signal when killed
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] is a path) with `input` on its standard input and
// collects both output streams. Blocks until the process exits.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::string& input = "");

// Starts `argv` in the background with standard output and error sent to
// `log_path`; returns its pid (the caller waits for or kills it).
int StartProcess(const std::vector<std::string>& argv,
                 const std::string& log_path);
// Waits for `pid` and returns its exit status (128 + signal when killed).
int WaitProcess(int pid);

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on
// destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Writes `content` to path()/name and returns the full path.
  std::string WriteFile(const std::string& name,
                        const std::string& content) const;

 private:
  std::string path_;
};

// Splits text into lines (without terminators); a final newline does not add an
// empty line.
std::vector<std::string> Lines(const std::string& text);

}  // namespace creditd::testing

#endif  // CREDITD_TESTS_TESTUTIL_H_
