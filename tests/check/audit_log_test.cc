#include "check/audit_log.h"

#include "index/uscc.h"
#include "tests/testutil.h"

#include "check/check_engine.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

namespace creditd {
namespace {

AuditLogOptions Quiet() {
  AuditLogOptions o;
  o.fsync = FsyncPolicy::kNone;
  return o;
}

AuditEntry Entry(std::string code, std::string verdict = "clear") {
  AuditEntry e;
  e.caller = "tester";
  e.code = std::move(code);
  e.scenario = "bidding";
  e.date = "2024-04-01";
  e.verdict = std::move(verdict);
  e.identity = "found";
  e.rule = "none";
  e.subject_ids = {"s1"};
  e.records = {{"r1", "serious_dishonesty", "counted", "block"}};
  e.data_version = 7;
  e.measures_version = "t1";
  return e;
}

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string File(const testing::TempDir& dir, int n) {
  char name[32];
  std::snprintf(name, sizeof name, "/audit-%08d.jsonl", n);
  return dir.path() + name;
}

TEST(AuditLogTest, AppendVerifyAndRoundTrip) {
  testing::TempDir dir;
  auto log = AuditLog::Open(dir.path(), Quiet());
  ASSERT_TRUE(log.ok()) << log.status();
  std::set<std::string> receipts;
  for (int i = 0; i < 5; ++i) {
    auto e = (*log)->Append(Entry("code" + std::to_string(i)));
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->seq, static_cast<uint64_t>(i + 1));
    EXPECT_EQ(e->receipt.size(), 34u);
    receipts.insert(e->receipt);
  }
  EXPECT_EQ(receipts.size(), 5u);
  auto report = VerifyAuditLog(dir.path());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->entries, 5u);
  EXPECT_EQ(report->files, 1u);
  EXPECT_EQ(report->head.seq, 5u);
  EXPECT_EQ(report->head.sha256, (*log)->Head().sha256);

  const std::string id = *std::next(receipts.begin(), 2);
  auto found = (*log)->LookupReceipt(id);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->entry.receipt, id);
  EXPECT_EQ(found->entry.caller, "tester");
  EXPECT_EQ(found->entry.scenario, "bidding");
  EXPECT_EQ(found->entry.data_version, 7u);
  ASSERT_EQ(found->entry.records.size(), 1u);
  EXPECT_EQ(found->entry.records[0].action, "block");
  EXPECT_EQ(found->file, "audit-00000001.jsonl");
}

TEST(AuditLogTest, LookupErrors) {
  testing::TempDir dir;
  auto log = AuditLog::Open(dir.path(), Quiet());
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->Append(Entry("x")).ok());
  EXPECT_EQ((*log)->LookupReceipt("nope").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*log)
                ->LookupReceipt("20240101-00000000000000ff-deadbeef")
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

// The receipt of the first entry of `path`.
std::string FirstReceipt(const std::string& path) {
  const std::string text = Read(path);
  const size_t at = text.find("\"receipt\":\"");
  return at == std::string::npos ? "" : text.substr(at + 11, 34);
}

// A log of `n` entries, exactly three per file (file k holds seq 3k-2..3k);
// returns the receipts in order.
std::vector<std::string> WriteRotatedLog(const testing::TempDir& dir, int n) {
  // Rotation happens once a file holds rotate_bytes: measure one entry and
  // rotate at two and a half, so that the third entry closes each file.
  size_t entry_bytes = 0;
  {
    testing::TempDir scratch;
    auto one = AuditLog::Open(scratch.path(), Quiet());
    EXPECT_TRUE(one.ok());
    EXPECT_TRUE((*one)->Append(Entry("c0")).ok());
    entry_bytes = Read(File(scratch, 1)).size();
  }
  AuditLogOptions options = Quiet();
  options.rotate_bytes = static_cast<int64_t>(entry_bytes * 5 / 2);
  auto log = AuditLog::Open(dir.path(), options);
  EXPECT_TRUE(log.ok()) << log.status();
  std::vector<std::string> receipts;
  for (int i = 0; i < n; ++i) {
    auto e = (*log)->Append(Entry("c" + std::to_string(i)));
    EXPECT_TRUE(e.ok()) << e.status();
    receipts.push_back(e->receipt);
  }
  return receipts;
}

void WriteLines(const std::string& path, const std::vector<std::string>& v) {
  std::string text;
  for (const std::string& l : v) text += l + "\n";
  Write(path, text);
}

AuditBreak BreakOf(const testing::TempDir& dir,
                   const AuditVerifyOptions& options = {}) {
  auto r = VerifyAuditDir(dir.path(), options);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok() || !r->broken) {
    ADD_FAILURE() << "the chain verified; expected a break";
    return {};
  }
  return *r->broken;
}

TEST(AuditVerifyTest, CleanRotatedLogVerifies) {
  testing::TempDir dir;
  const std::vector<std::string> receipts = WriteRotatedLog(dir, 12);
  auto r = VerifyAuditDir(dir.path());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->broken.has_value()) << r->broken->ToString();
  EXPECT_EQ(r->report.entries, 12u);
  EXPECT_EQ(r->report.files, 4u);
  EXPECT_EQ(r->report.head.seq, 12u);
  EXPECT_EQ(r->report.head.sha256,
            Sha256Hex(testing::Lines(Read(File(dir, r->report.files))).back()));
  // The head as an anchor verifies too.
  AuditVerifyOptions anchored;
  anchored.anchor = r->report.head;
  auto again = VerifyAuditDir(dir.path(), anchored);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->broken.has_value());
  ASSERT_TRUE(VerifyAuditLog(dir.path()).ok());
}

TEST(AuditVerifyTest, EditedEntryIsNamed) {
  testing::TempDir dir;
  const std::vector<std::string> receipts = WriteRotatedLog(dir, 4);
  // One file holds entries 1..3 (rotation after the third).
  const std::string path = File(dir, 1);
  std::string text = Read(path);
  // Turn the second entry's verdict from clear into block.
  size_t second = text.find('\n') + 1;
  size_t at = text.find("\"verdict\":\"clear\"", second);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 17, "\"verdict\":\"block\"");
  Write(path, text);
  const AuditBreak b = BreakOf(dir);
  EXPECT_EQ(b.kind, AuditBreakKind::kEdited);
  EXPECT_EQ(b.file, "audit-00000001.jsonl");
  EXPECT_EQ(b.line, 2u);
  EXPECT_EQ(b.receipt, receipts[1]);
  EXPECT_EQ(b.ToString(),
            "audit-00000001.jsonl:2: receipt " + receipts[1] +
                ": edited: its SHA-256 does not match the prev recorded by the "
                "next entry (audit-00000001.jsonl:3, seq 3)");
  auto status = VerifyAuditLog(dir.path());
  EXPECT_EQ(status.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(status.status().message(), b.ToString());
}

TEST(AuditVerifyTest, EditedLastEntryOfAFileIsNamedAcrossTheRotation) {
  testing::TempDir dir;
  const std::vector<std::string> receipts = WriteRotatedLog(dir, 6);
  std::vector<std::string> lines = testing::Lines(Read(File(dir, 1)));
  ASSERT_EQ(lines.size(), 3u);
  const size_t at = lines[2].find("\"caller\":\"tester\"");
  ASSERT_NE(at, std::string::npos);
  lines[2].replace(at, 17, "\"caller\":\"mallet\"");
  WriteLines(File(dir, 1), lines);
  const AuditBreak b = BreakOf(dir);
  EXPECT_EQ(b.kind, AuditBreakKind::kEdited);
  EXPECT_EQ(b.file, "audit-00000001.jsonl");
  EXPECT_EQ(b.line, 3u);
  EXPECT_EQ(b.receipt, receipts[2]);
}

TEST(AuditVerifyTest, GarbledLineIsEdited) {
  testing::TempDir dir;
  WriteRotatedLog(dir, 3);
  std::vector<std::string> lines = testing::Lines(Read(File(dir, 1)));
  lines[1] = "not json";
  WriteLines(File(dir, 1), lines);
  const AuditBreak b = BreakOf(dir);
  EXPECT_EQ(b.kind, AuditBreakKind::kEdited);
  EXPECT_EQ(b.line, 2u);
  EXPECT_EQ(b.receipt, "");
  EXPECT_EQ(b.ToString(),
            "audit-00000001.jsonl:2: receipt (none): edited: not a valid "
            "entry: not a JSON object");
}

TEST(AuditVerifyTest, DeletedEntryIsNamed) {
  testing::TempDir dir;
  const std::vector<std::string> receipts = WriteRotatedLog(dir, 4);
  std::vector<std::string> lines = testing::Lines(Read(File(dir, 1)));
  lines.erase(lines.begin() + 1);  // seq 2
  WriteLines(File(dir, 1), lines);
  const AuditBreak b = BreakOf(dir);
  EXPECT_EQ(b.kind, AuditBreakKind::kDeleted);
  EXPECT_EQ(b.line, 2u);
  EXPECT_EQ(b.receipt, receipts[2]);
  EXPECT_EQ(b.ToString(), "audit-00000001.jsonl:2: receipt " + receipts[2] +
                              ": deleted: seq 2 is missing before this entry "
                              "(seq 3 follows 1)");
}

TEST(AuditVerifyTest, DeletedFirstEntryOfTheLog) {
  testing::TempDir dir;
  const std::vector<std::string> receipts = WriteRotatedLog(dir, 3);
  std::vector<std::string> lines = testing::Lines(Read(File(dir, 1)));
  lines.erase(lines.begin(), lines.begin() + 2);
  WriteLines(File(dir, 1), lines);
  const AuditBreak b = BreakOf(dir);
  EXPECT_EQ(b.kind, AuditBreakKind::kDeleted);
  EXPECT_EQ(b.line, 1u);
  EXPECT_EQ(b.reason,
            "seqs 1..2 are missing before this entry (seq 3 "
            "follows 0)");
}

TEST(AuditVerifyTest, ReorderedEntriesAreNamed) {
  testing::TempDir dir;
  const std::vector<std::string> receipts = WriteRotatedLog(dir, 3);
  std::vector<std::string> lines = testing::Lines(Read(File(dir, 1)));
  std::swap(lines[1], lines[2]);  // seqs 1, 3, 2
  WriteLines(File(dir, 1), lines);
  const AuditBreak b = BreakOf(dir);
  EXPECT_EQ(b.kind, AuditBreakKind::kReordered);
  EXPECT_EQ(b.line, 2u);
  EXPECT_EQ(b.receipt, receipts[2]);
  EXPECT_EQ(b.reason,
            "seq 3 comes before seq 2, which appears later in the log");
}

TEST(AuditVerifyTest, CopiedEntryIsReordered) {
  testing::TempDir dir;
  const std::vector<std::string> receipts = WriteRotatedLog(dir, 3);
  std::vector<std::string> lines = testing::Lines(Read(File(dir, 1)));
  lines.push_back(lines[0]);  // seq 1 again at the end
  WriteLines(File(dir, 1), lines);
  const AuditBreak b = BreakOf(dir);
  EXPECT_EQ(b.kind, AuditBreakKind::kReordered);
  EXPECT_EQ(b.line, 4u);
  EXPECT_EQ(b.receipt, receipts[0]);
  EXPECT_EQ(b.reason, "seq 1 comes after seq 3 (an entry was moved or copied)");
}

TEST(AuditVerifyTest, TruncatedMidEntry) {
  testing::TempDir dir;
  WriteRotatedLog(dir, 5);  // files 1 (seq 1..3) and 2 (seq 4..5)
  std::string text = Read(File(dir, 2));
  text.resize(text.size() - 40);
  Write(File(dir, 2), text);
  const AuditBreak b = BreakOf(dir);
  EXPECT_EQ(b.kind, AuditBreakKind::kTruncated);
  EXPECT_EQ(b.file, "audit-00000002.jsonl");
  EXPECT_EQ(b.line, 2u);
  EXPECT_EQ(b.reason.rfind("the newest file ends in a partial entry", 0), 0u)
      << b.reason;
}

TEST(AuditVerifyTest, TruncatedAtTheEndNeedsTheAnchor) {
  testing::TempDir dir;
  WriteRotatedLog(dir, 5);
  auto before = VerifyAuditDir(dir.path());
  ASSERT_TRUE(before.ok());
  AuditVerifyOptions anchored;
  anchored.anchor = before->report.head;  // seq 5
  std::vector<std::string> lines = testing::Lines(Read(File(dir, 2)));
  lines.pop_back();  // seq 5 cut at a line boundary
  WriteLines(File(dir, 2), lines);
  // Without the anchor the shorter chain is sound: that is the limit of a
  // hash chain, and why the head is shipped elsewhere.
  auto plain = VerifyAuditDir(dir.path());
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->broken.has_value());
  const AuditBreak b = BreakOf(dir, anchored);
  EXPECT_EQ(b.kind, AuditBreakKind::kTruncated);
  EXPECT_EQ(b.reason,
            "the log ends at seq 4 but the anchor names seq 5: the last 1 "
            "entries were cut from the end");
  // An anchor whose hash differs names the entry as edited.
  anchored.anchor->seq = 4;
  const AuditBreak e = BreakOf(dir, anchored);
  EXPECT_EQ(e.kind, AuditBreakKind::kEdited);
  EXPECT_EQ(e.file, "audit-00000002.jsonl");
  EXPECT_EQ(e.line, 1u);
}

TEST(AuditVerifyTest, ChainBreakAtRotation) {
  testing::TempDir dir;
  const std::vector<std::string> receipts = WriteRotatedLog(dir, 9);
  // The tail of file 2 (seq 6) is cut at a line boundary: the chain does not
  // continue into file 3.
  std::vector<std::string> lines = testing::Lines(Read(File(dir, 2)));
  lines.pop_back();
  WriteLines(File(dir, 2), lines);
  const AuditBreak b = BreakOf(dir);
  EXPECT_EQ(b.kind, AuditBreakKind::kRotationBreak);
  EXPECT_EQ(b.file, "audit-00000003.jsonl");
  EXPECT_EQ(b.line, 1u);
  EXPECT_EQ(b.receipt, receipts[6]);
  EXPECT_EQ(b.ToString(),
            "audit-00000003.jsonl:1: receipt " + receipts[6] +
                ": chain break at rotation: seq 6 is missing between the end "
                "of audit-00000002.jsonl (seq 5) and the start of "
                "audit-00000003.jsonl (seq 7): the tail of one or the head of "
                "the other was cut");
}

TEST(AuditVerifyTest, MissingMiddleFileIsARotationBreak) {
  testing::TempDir dir;
  const std::vector<std::string> receipts = WriteRotatedLog(dir, 9);
  std::filesystem::remove(File(dir, 2));
  const AuditBreak b = BreakOf(dir);
  EXPECT_EQ(b.kind, AuditBreakKind::kRotationBreak);
  EXPECT_EQ(b.reason,
            "file audit-00000002.jsonl is missing (the chain goes from "
            "audit-00000001.jsonl to audit-00000003.jsonl)");
}

TEST(AuditVerifyTest, RetentionRemovedOldestFiles) {
  testing::TempDir dir;
  WriteRotatedLog(dir, 9);
  std::filesystem::remove(File(dir, 1));
  auto r = VerifyAuditDir(dir.path());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->broken.has_value()) << r->broken->ToString();
  EXPECT_EQ(r->report.first_file, "audit-00000002.jsonl");
  EXPECT_EQ(r->report.first_seq, 4u);
  EXPECT_EQ(r->report.entries, 6u);
}

TEST(AuditVerifyTest, NotADirectoryIsAnError) {
  testing::TempDir dir;
  auto r = VerifyAuditDir(dir.path() + "/absent");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  // An empty directory is an empty, sound log.
  auto empty = VerifyAuditDir(dir.path());
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->broken.has_value());
  EXPECT_EQ(empty->report.entries, 0u);
}

TEST(AuditLogTest, ReopenContinuesTheChainAndCutsATornTail) {
  testing::TempDir dir;
  std::string last_receipt;
  {
    auto log = AuditLog::Open(dir.path(), Quiet());
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE((*log)->Append(Entry("c")).ok());
  }
  // A crash in the middle of a write leaves a line without its newline.
  {
    std::ofstream out(File(dir, 1), std::ios::binary | std::ios::app);
    out << "{\"seq\":4,\"rece";
  }
  EXPECT_EQ(VerifyAuditLog(dir.path()).status().code(),
            absl::StatusCode::kDataLoss);
  auto log = AuditLog::Open(dir.path(), Quiet());
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ((*log)->torn_bytes(), 14u);
  EXPECT_EQ((*log)->Head().seq, 3u);
  auto e = (*log)->Append(Entry("after restart"));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->seq, 4u);
  auto report = VerifyAuditLog(dir.path());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->entries, 4u);
}

TEST(AuditLogTest, RotatesAndChainsAcrossFiles) {
  testing::TempDir dir;
  AuditLogOptions options = Quiet();
  options.rotate_bytes = 1500;  // an entry is ~500 bytes
  std::vector<std::string> receipts;
  {
    auto log = AuditLog::Open(dir.path(), options);
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 20; ++i) {
      auto e = (*log)->Append(Entry("c" + std::to_string(i)));
      ASSERT_TRUE(e.ok());
      receipts.push_back(e->receipt);
    }
  }
  auto report = VerifyAuditLog(dir.path());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->entries, 20u);
  EXPECT_GE(report->files, 4u);

  // Reopen continues in the newest file; every receipt is found again.
  auto log = AuditLog::Open(dir.path(), options);
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->Append(Entry("more")).ok());
  EXPECT_EQ((*log)->Head().seq, 21u);
  for (const std::string& id : receipts) {
    auto found = (*log)->LookupReceipt(id);
    ASSERT_TRUE(found.ok()) << id << " " << found.status();
    EXPECT_EQ(found->entry.receipt, id);
  }
  ASSERT_TRUE(VerifyAuditLog(dir.path()).ok());

  // A missing file in the middle is detected.
  std::filesystem::remove(File(dir, 2));
  EXPECT_EQ(VerifyAuditLog(dir.path()).status().message(),
            "audit-00000003.jsonl:1: receipt " + FirstReceipt(File(dir, 3)) +
                ": chain break at rotation: file audit-00000002.jsonl is "
                "missing (the chain goes from audit-00000001.jsonl to "
                "audit-00000003.jsonl)");
}

TEST(AuditLogTest, ConcurrentAppendsKeepTheChain) {
  testing::TempDir dir;
  AuditLogOptions options;
  options.fsync = FsyncPolicy::kInterval;
  options.fsync_interval_ms = 5;
  auto log = AuditLog::Open(dir.path(), options);
  ASSERT_TRUE(log.ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) ASSERT_TRUE((*log)->Append(Entry("c")).ok());
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE((*log)->Sync().ok());
  auto report = VerifyAuditLog(dir.path());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->entries, 200u);
}

// Group commit: appends queue lines in memory; WriteThrough writes every
// queued line in one go, in chain order; a reader of the file sees an entry
// only once it was written through.
TEST(AuditLogTest, GroupCommitWritesOnWriteThrough) {
  testing::TempDir dir;
  AuditLogOptions options;
  options.group_commit = true;  // kEveryEntry: WriteThrough also flushes
  auto log = AuditLog::Open(dir.path(), options);
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ((*log)->appended_seq(), 0u);
  auto a = (*log)->Append(Entry("a"));
  auto b = (*log)->AppendBatch({Entry("b"), Entry("c")});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*log)->appended_seq(), 3u);
  EXPECT_EQ((*log)->Head().seq, 3u);
  // Nothing has reached the file yet.
  EXPECT_EQ(Read(File(dir, 1)), "");
  EXPECT_EQ((*log)->LookupReceipt(a->receipt).status().code(),
            absl::StatusCode::kNotFound);
  // Writing through the first entry writes all three (one write).
  ASSERT_TRUE((*log)->WriteThrough(a->seq).ok());
  auto report = VerifyAuditLog(dir.path());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->entries, 3u);
  EXPECT_EQ(report->head.sha256, (*log)->Head().sha256);
  auto found = (*log)->LookupReceipt(b->back().receipt);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->entry.code, "c");
  // Already written: no-op.
  ASSERT_TRUE((*log)->WriteThrough(3).ok());
  // Lines queued at close are written by the destructor.
  ASSERT_TRUE((*log)->Append(Entry("d")).ok());
  log->reset();
  report = VerifyAuditLog(dir.path());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->entries, 4u);
}

TEST(AuditLogTest, GroupCommitRotatesAndKeepsTheChainUnderConcurrency) {
  testing::TempDir dir;
  AuditLogOptions options = Quiet();
  options.group_commit = true;
  options.rotate_bytes = 4096;
  auto log = AuditLog::Open(dir.path(), options);
  ASSERT_TRUE(log.ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        auto e = (*log)->Append(Entry("c"));
        ASSERT_TRUE(e.ok());
        // As a session does: write through its own entry before "replying";
        // then the entry is in a file.
        ASSERT_TRUE((*log)->WriteThrough(e->seq).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  auto report = VerifyAuditLog(dir.path());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->entries, 400u);
  EXPECT_GT(report->files, 1u);
}

TEST(AuditLogTest, GroupCommitWriteErrorKeepsTheLinesQueued) {
  testing::TempDir dir;
  AuditLogOptions options = Quiet();
  options.group_commit = true;
  auto log = AuditLog::Open(dir.path(), options);
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->WriteThrough((*log)->Append(Entry("a"))->seq).ok());
  auto b = (*log)->Append(Entry("b"));
  ASSERT_TRUE(b.ok());
  // /dev/full fails every write with ENOSPC: swap it in under the log's fd.
  const int full = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
  ASSERT_GE(full, 0);
  // Find the log's descriptor: the one open on audit-00000001.jsonl.
  int fd = -1;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const auto target = std::filesystem::read_symlink(e.path(), ec);
    if (!ec && target == File(dir, 1)) {
      fd = std::stoi(e.path().filename().string());
    }
  }
  ASSERT_GE(fd, 0);
  const int original = ::dup(fd);
  ASSERT_EQ(::dup2(full, fd), fd);
  absl::Status s = (*log)->WriteThrough(b->seq);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_NE(s.message().find("audit-00000001.jsonl: cannot append"),
            std::string::npos)
      << s;
  // Back on the real file, the retry writes the queued line: no gap, no
  // half line.
  ASSERT_EQ(::dup2(original, fd), fd);
  ::close(original);
  ::close(full);
  ASSERT_TRUE((*log)->WriteThrough(b->seq).ok());
  auto report = VerifyAuditLog(dir.path());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->entries, 2u);
}

// The line format is what nlohmann::ordered_json writes for the entry: parse
// and dump give the same bytes back, for plain and awkward inputs alike.
TEST(AuditLogTest, LinesAreCanonicalJson) {
  testing::TempDir dir;
  auto log = AuditLog::Open(dir.path(), Quiet());
  ASSERT_TRUE(log.ok());
  AuditEntry odd = Entry("91350100MA2XYZ1234 \"quoted\" \\ back");
  odd.name = "福州\t鑫盛达\n\x01\x7f 110101199003071234 \xff\xfe";
  odd.caller = "ca\"ller";
  odd.rule = "";
  odd.subject_ids = {};
  odd.records = {{"r\"1", "l", "counted", ""}, {"r2", "l2", "no_rule", "warn"}};
  // 16:15 UTC is the next day in Asia/Shanghai (the receipt's date).
  odd.time = absl::FromCivil(absl::CivilSecond(2024, 6, 30, 16, 15, 2),
                             absl::UTCTimeZone()) +
             absl::Microseconds(123456);
  auto written = (*log)->Append(odd);
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(written->receipt.substr(0, 26), "20240701-0000000000000001-");
  AuditEntry batch = Entry("x");
  std::vector<AuditEntry> entries = {batch, batch};
  entries[0].kind = entries[1].kind = "batch_check";
  entries[0].batch_size = entries[1].batch_size = 2;
  entries[1].batch_index = 1;
  entries[1].admin_view = true;
  ASSERT_TRUE((*log)->AppendBatch(entries).ok());
  std::istringstream lines(Read(File(dir, 1)));
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    ++n;
    const auto j = nlohmann::ordered_json::parse(line);
    EXPECT_EQ(j.dump(-1, ' ', false,
                     nlohmann::ordered_json::error_handler_t::replace),
              line);
  }
  EXPECT_EQ(n, 3);
  EXPECT_NE(Read(File(dir, 1)).find("\"time\":\"2024-06-30T16:15:02.123456Z\""),
            std::string::npos);
}

// The time text and the receipt's day are cached per second (audit_log.cc):
// entries of one second in two zones, appended alternately on one thread,
// still get their own zone's day and their own microseconds.
TEST(AuditLogTest, TimeAndReceiptDayWithinOneSecondAndTwoZones) {
  testing::TempDir utc_dir;
  testing::TempDir cn_dir;
  AuditLogOptions utc_options = Quiet();
  utc_options.time_zone = "UTC";
  auto utc = AuditLog::Open(utc_dir.path(), utc_options);
  auto cn = AuditLog::Open(cn_dir.path(), Quiet());  // Asia/Shanghai
  ASSERT_TRUE(utc.ok());
  ASSERT_TRUE(cn.ok());
  const absl::Time second = absl::FromCivil(
      absl::CivilSecond(2024, 6, 30, 16, 15, 2), absl::UTCTimeZone());
  for (int i = 0; i < 2; ++i) {
    AuditEntry e = Entry("x");
    e.time = second + absl::Microseconds(i == 0 ? 100000 : 900001);
    auto a = (*utc)->Append(e);
    auto b = (*cn)->Append(e);
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(a->receipt.substr(0, 9), "20240630-");
    EXPECT_EQ(b->receipt.substr(0, 9), "20240701-");
  }
  for (const std::string& text :
       {Read(File(utc_dir, 1)), Read(File(cn_dir, 1))}) {
    EXPECT_NE(text.find("\"time\":\"2024-06-30T16:15:02.100000Z\""),
              std::string::npos);
    EXPECT_NE(text.find("\"time\":\"2024-06-30T16:15:02.900001Z\""),
              std::string::npos);
  }
}

TEST(AuditLogTest, EveryEntryPolicyAndBadOptions) {
  testing::TempDir dir;
  auto log = AuditLog::Open(dir.path());  // kEveryEntry
  ASSERT_TRUE(log.ok());
  auto batch = (*log)->AppendBatch({Entry("a"), Entry("b"), Entry("c")});
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->back().seq, 3u);
  AuditLogOptions bad;
  bad.fsync = FsyncPolicy::kInterval;
  bad.fsync_interval_ms = 0;
  EXPECT_EQ(AuditLog::Open(dir.path(), bad).status().message(),
            "fsync_interval_ms: 0 is out of range (allowed range 1..60000)");
}

TEST(AuditLogTest, InvalidUtf8InputIsLoggedSafely) {
  testing::TempDir dir;
  auto log = AuditLog::Open(dir.path(), Quiet());
  ASSERT_TRUE(log.ok());
  AuditEntry e = Entry("\xff\xfe bad");
  e.name = std::string(1000, 'n');
  auto written = (*log)->Append(e);
  ASSERT_TRUE(written.ok());
  auto found = (*log)->LookupReceipt(written->receipt);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->entry.name.size(), 256u);
  ASSERT_TRUE(VerifyAuditLog(dir.path()).ok());
}

// The engine writes one entry per answered check, and the receipt finds it.
TEST(AuditLogTest, EngineReceipts) {
  testing::TempDir dir;
  auto log = AuditLog::Open(dir.path(), Quiet());
  ASSERT_TRUE(log.ok());
  std::string code = "91350100M0001001";
  code += OrgCodeCheckCharacter("M0001001");
  code += UsccCheckCharacter(code);
  RegistryBuilder b;
  Subject s;
  s.id = "a";
  s.code = code;
  s.name = "福州鑫盛达科技有限公司";
  ASSERT_TRUE(b.AddSubject(s).ok());
  Record r;
  r.id = "r1";
  r.code = code;
  r.list = "serious_dishonesty";
  ASSERT_TRUE(b.AddRecord(r).ok());
  auto reg = b.Finish(9);
  auto measures = MeasuresList::BuiltinDefault();
  ASSERT_TRUE(measures.ok());
  CheckEngineOptions options;
  options.audit_log = log->get();
  CheckEngine engine(std::make_shared<const MeasuresList>(*std::move(measures)),
                     options);

  CheckRequest req;
  req.code = code;
  req.scenario = "bidding";
  req.caller = "bidding-system";
  auto result = engine.Check(*reg, req);
  ASSERT_TRUE(result.ok());
  ASSERT_FALSE(result->receipt.empty());
  auto found = (*log)->LookupReceipt(result->receipt);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->entry.caller, "bidding-system");
  EXPECT_EQ(found->entry.verdict, "block");
  EXPECT_EQ(found->entry.identity, "found");
  EXPECT_EQ(found->entry.data_version, 9u);
  EXPECT_EQ(found->entry.subject_ids, std::vector<std::string>{"a"});
  EXPECT_EQ(found->entry.records.at(0).id, "r1");

  CheckRequest bad = req;
  bad.scenario = "nope";
  auto batch = engine.CheckBatch(*reg, {req, bad, req}, "batcher");
  ASSERT_TRUE(batch.ok());
  ASSERT_TRUE((*batch)[2].ok());
  auto second = (*log)->LookupReceipt((*batch)[2]->receipt);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->entry.kind, "batch_check");
  EXPECT_EQ(second->entry.batch_index, 1);
  EXPECT_EQ(second->entry.batch_size, 2);
  EXPECT_EQ((*log)->Head().seq, 3u);
  ASSERT_TRUE(VerifyAuditLog(dir.path()).ok());
}

}  // namespace
}  // namespace creditd
