// creditctl validate as a user runs it: the real binary, real pipes and files.
#include "tests/testutil.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

#include <string>

namespace creditd {
namespace {

using ::creditd::testing::Lines;
using ::creditd::testing::RunProcess;
using ::creditd::testing::TempDir;
using ::testing::HasSubstr;

testing::ProcessResult Validate(std::vector<std::string> args,
                                const std::string& input = "") {
  args.insert(args.begin(), {CREDITCTL_PATH, "validate"});
  return RunProcess(args, input);
}

std::vector<std::string> Fields(const std::string& line) {
  std::vector<std::string> f;
  size_t start = 0;
  while (true) {
    size_t tab = line.find('\t', start);
    f.push_back(line.substr(start, tab - start));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  return f;
}

TEST(CreditctlValidateTest, ArgumentsTsvAndExitStatus) {
  auto all_valid = Validate({"91350100M000100Y43", "914403001922038216"});
  EXPECT_EQ(all_valid.exit_code, 0) << all_valid.err;
  ASSERT_EQ(Lines(all_valid.out).size(), 2u);
  auto f = Fields(Lines(all_valid.out)[0]);
  ASSERT_EQ(f.size(), 8u);
  EXPECT_EQ(f[0], "91350100M000100Y43");
  EXPECT_EQ(f[1], "valid");
  EXPECT_EQ(f[2], "");
  EXPECT_EQ(f[3], "91350100M000100Y43");
  EXPECT_EQ(f[6], "福建省 福州市");

  auto mixed = Validate({"91350100M000100Y43", "91350100M000100Y44"});
  EXPECT_EQ(mixed.exit_code, 1);
  auto bad = Fields(Lines(mixed.out)[1]);
  EXPECT_EQ(bad[1], "invalid");
  EXPECT_EQ(bad[2], "check_character");
  EXPECT_EQ(
      bad[7],
      "check character mismatch at position 18 (expected '3', found '4')");
}

TEST(CreditctlValidateTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Validate({"--format", "xml"}).exit_code, 2);
  EXPECT_EQ(Validate({"--bogus"}).exit_code, 2);
  EXPECT_EQ(Validate({"--file"}).exit_code, 2);
  auto missing = Validate({"--file", "/nonexistent/codes.txt"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("No such file"));
  EXPECT_EQ(RunProcess({CREDITCTL_PATH}).exit_code, 2);
  EXPECT_EQ(RunProcess({CREDITCTL_PATH, "frobnicate"}).exit_code, 2);
}

TEST(CreditctlValidateTest, FoldsAreReported) {
  auto r = Validate({" 91350100m000100y43 "});
  EXPECT_EQ(r.exit_code, 0);
  auto f = Fields(Lines(r.out)[0]);
  EXPECT_EQ(f[3], "91350100M000100Y43");
  EXPECT_EQ(f[4], "trimmed,lowercase");
}

// The bad-input catalogue of issue 2: exactly one output line per input line,
// never a crash.
TEST(CreditctlValidateTest, BadInputGivesOneLinePerInputLine) {
  std::string input;
  input += "91350100M000100Y43\n";           // 1 valid
  input += "\n";                             // 2 empty
  input += std::string(100000, 'A') + "\n";  // 3 very long
  input += "\xff\xfe\xfd\n";                 // 4 invalid UTF-8
  input +=
      std::string("\x00\x01\x02\x7f", 4) + "\n";  // 5 binary garbage with NUL
  input += "9135\t0100\rM000100Y43\n";  // 6 tab and CR inside: folded as
                                        // spaces, valid
  input += "31310000XXXXXXXX\r\n";      // 7 placeholder, CRLF
  input += "916201055811843000";        // 8 Excel truncation, no final newline
  TempDir dir;
  const std::string path = dir.WriteFile("codes.txt", input);
  for (const std::vector<std::string>& how :
       {std::vector<std::string>{"--file", path}, std::vector<std::string>{}}) {
    auto r = Validate(how, how.empty() ? input : "");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const auto lines = Lines(r.out);
    ASSERT_EQ(lines.size(), 8u) << r.out;
    const char* expected_fault[] = {
        "", "empty",       "wrong_length",   "not_utf8", "illegal_character",
        "", "placeholder", "excel_truncated"};
    for (size_t i = 0; i < lines.size(); ++i) {
      auto f = Fields(lines[i]);
      ASSERT_EQ(f.size(), 8u) << lines[i];
      EXPECT_EQ(f[2], expected_fault[i])
          << "line " << i + 1 << ": " << lines[i];
      if (i > 0 && i != 5) {
        EXPECT_EQ(f[1], "invalid");
      }
    }
    EXPECT_THAT(lines[2], HasSubstr("line of 100000 bytes"));
    EXPECT_THAT(lines[3], HasSubstr("\\xFF\\xFE\\xFD"));
    EXPECT_THAT(lines[4], HasSubstr("\\x00\\x01\\x02\\x7F"));
    EXPECT_THAT(lines[5],
                HasSubstr("\tvalid\t\t91350100M000100Y43\tinner_space\t"));
  }
}

TEST(CreditctlValidateTest, JsonLines) {
  auto r = Validate({"--format", "jsonl", "91120222MA05JK1Q9P",
                     "91350211M0000XUF46", "\xff"});
  EXPECT_EQ(r.exit_code, 1);
  const auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 3u);
  auto retired = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(retired["status"], "valid");
  EXPECT_EQ(retired["warnings"], nlohmann::json::array({"region_not_current"}));
  EXPECT_EQ(retired["region"]["status"], "not_current");
  EXPECT_THAT(retired["detail"].get<std::string>(), HasSubstr("天津市"));
  EXPECT_EQ(retired["authority"], "工商");
  auto legacy = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(legacy["fault"], "check_character");
  EXPECT_EQ(legacy["known_legacy_exception"], true);
  auto garbage = nlohmann::json::parse(lines[2]);
  EXPECT_EQ(garbage["fault"], "not_utf8");
  EXPECT_EQ(garbage["input"], "\\xFF");
}

}  // namespace
}  // namespace creditd
