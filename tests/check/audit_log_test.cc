#include "check/audit_log.h"

#include "index/uscc.h"
#include "tests/testutil.h"

#include "check/check_engine.h"
#include "gtest/gtest.h"

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

TEST(AuditLogTest, EditedLineIsDetected) {
  testing::TempDir dir;
  {
    auto log = AuditLog::Open(dir.path(), Quiet());
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 4; ++i) ASSERT_TRUE((*log)->Append(Entry("c")).ok());
  }
  const std::string path = File(dir, 1);
  std::string text = Read(path);
  // Turn the second entry's verdict from clear into block.
  size_t second = text.find('\n') + 1;
  size_t at = text.find("\"verdict\":\"clear\"", second);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 17, "\"verdict\":\"block\"");
  Write(path, text);
  auto report = VerifyAuditLog(dir.path());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(report.status().message(),
            "audit-00000001.jsonl:3: prev does not match the SHA-256 of the "
            "previous line (a line was edited or deleted)");
}

TEST(AuditLogTest, DeletedLineIsDetected) {
  testing::TempDir dir;
  {
    auto log = AuditLog::Open(dir.path(), Quiet());
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 4; ++i) ASSERT_TRUE((*log)->Append(Entry("c")).ok());
  }
  const std::string path = File(dir, 1);
  std::vector<std::string> lines = testing::Lines(Read(path));
  std::string text;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i != 1) text += lines[i] + "\n";
  }
  Write(path, text);
  auto report = VerifyAuditLog(dir.path());
  EXPECT_EQ(report.status().message(),
            "audit-00000001.jsonl:2: seq 3 follows 1 (an entry is missing)");
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
            "audit-00000003.jsonl: file 2 is missing");
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
