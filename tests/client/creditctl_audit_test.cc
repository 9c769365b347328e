// creditctl audit verify as an operator runs it: the real binary over a real
// audit log directory written by AuditLog, tampered with on disk.
#include "tests/testutil.h"

#include "absl/strings/str_format.h"
#include "check/audit_log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace creditd {
namespace {

using ::creditd::testing::Lines;
using ::creditd::testing::RunProcess;
using ::creditd::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::StartsWith;

testing::ProcessResult Audit(std::vector<std::string> args) {
  args.insert(args.begin(), {CREDITCTL_PATH, "audit"});
  return RunProcess(args);
}

// Writes `n` entries with rotation (a few per file); returns the receipts.
std::vector<std::string> WriteLog(const std::string& dir, int n) {
  AuditLogOptions o;
  o.fsync = FsyncPolicy::kNone;
  o.rotate_bytes = 1500;
  auto log = AuditLog::Open(dir, o);
  EXPECT_TRUE(log.ok()) << log.status();
  std::vector<std::string> receipts;
  for (int i = 0; i < n; ++i) {
    AuditEntry e;
    e.caller = "creditctl_audit_test";
    e.code = "91350100M000100Y43";
    e.name = "福州鑫盛达贸易有限公司";
    e.scenario = "bidding";
    e.verdict = "clear";
    auto w = (*log)->Append(e);
    EXPECT_TRUE(w.ok()) << w.status();
    receipts.push_back(w->receipt);
  }
  return receipts;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

TEST(CreditctlAuditTest, CleanLogExitsZeroAndPrintsTheHead) {
  TempDir dir;
  WriteLog(dir.path(), 10);
  auto r = Audit({"verify", "--dir", dir.path()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(Lines(r.out).size(), 1u) << r.out;
  EXPECT_THAT(r.out, StartsWith("ok: "));
  EXPECT_THAT(r.out, HasSubstr(" entries, head seq 10 sha256 "));
  auto report = VerifyAuditLog(dir.path());
  ASSERT_TRUE(report.ok());
  EXPECT_THAT(r.out, HasSubstr(absl::StrFormat("ok: %d files, 10 entries",
                                               report->files)));
  // The printed head, given back as the anchor, verifies.
  const std::string anchor = "10:" + report->head.sha256;
  EXPECT_THAT(r.out, HasSubstr(report->head.sha256));
  auto anchored = Audit({"verify", "--dir", dir.path(), "--anchor", anchor});
  EXPECT_EQ(anchored.exit_code, 0) << anchored.out << anchored.err;
}

TEST(CreditctlAuditTest, EditedEntryExitsOneNamingIt) {
  TempDir dir;
  const std::vector<std::string> receipts = WriteLog(dir.path(), 6);
  const std::string path = dir.path() + "/audit-00000001.jsonl";
  std::string text = ReadFile(path);
  const size_t at = text.find("\"verdict\":\"clear\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 17, "\"verdict\":\"block\"");
  WriteFile(path, text);
  auto r = Audit({"verify", "--dir", dir.path()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ASSERT_GE(Lines(r.out).size(), 1u);
  EXPECT_EQ(Lines(r.out)[0],
            "broken: audit-00000001.jsonl:1: receipt " + receipts[0] +
                ": edited: its SHA-256 does not match the prev recorded by the "
                "next entry (audit-00000001.jsonl:2, seq 2)");
}

TEST(CreditctlAuditTest, CutEndIsFoundWithTheAnchor) {
  TempDir dir;
  WriteLog(dir.path(), 4);
  auto before = VerifyAuditLog(dir.path());
  ASSERT_TRUE(before.ok());
  const std::string anchor = "4:" + before->head.sha256;
  // Drop the last line of the newest file.
  std::string newest;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    if (e.path().string() > newest) newest = e.path().string();
  }
  std::vector<std::string> lines = Lines(ReadFile(newest));
  ASSERT_FALSE(lines.empty());
  lines.pop_back();
  std::string text;
  for (const std::string& l : lines) text += l + "\n";
  WriteFile(newest, text);
  EXPECT_EQ(Audit({"verify", "--dir", dir.path()}).exit_code, 0);
  auto r = Audit({"verify", "--dir", dir.path(), "--anchor", anchor});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr(": truncated: the log ends at seq 3 but the "
                               "anchor names seq 4"));
}

TEST(CreditctlAuditTest, UsageAndIoErrorsExitTwo) {
  TempDir dir;
  EXPECT_EQ(Audit({}).exit_code, 2);
  EXPECT_EQ(Audit({"check"}).exit_code, 2);
  EXPECT_EQ(Audit({"verify"}).exit_code, 2);
  EXPECT_EQ(Audit({"verify", "--dir"}).exit_code, 2);
  EXPECT_EQ(Audit({"verify", "--dir", dir.path(), "--bogus"}).exit_code, 2);
  auto bad_anchor =
      Audit({"verify", "--dir", dir.path(), "--anchor", "12:nothex"});
  EXPECT_EQ(bad_anchor.exit_code, 2);
  EXPECT_THAT(bad_anchor.err, HasSubstr("--anchor: '12:nothex' is not"));
  auto missing = Audit({"verify", "--dir", dir.path() + "/absent"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("not a directory"));
  EXPECT_EQ(Audit({"verify", "--help"}).exit_code, 0);
}

}  // namespace
}  // namespace creditd
