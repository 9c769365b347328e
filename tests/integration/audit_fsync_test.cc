// audit.fsync_interval_ms against the real daemon: 0 flushes every audit
// entry before the check is answered (FsyncPolicy::kEveryEntry), N flushes in
// the background every N ms. Both answer checks with receipts that survive a
// kill -9 (each entry is written before the reply; with group commit, one
// write for the checks of all connections answered together). Bad values are
// refused at start by the config loader (tests/config/config_loader_test.cc).
#include "tests/integration/daemon_harness.h"

#include "check/audit_log.h"
#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace creditd::testing {
namespace {

// Checks code1, looks the receipt up, kills the daemon with SIGKILL,
// restarts it and looks the receipt up again.
void CheckSurvivesKill(DaemonProcess& daemon) {
  auto client = daemon.Connect();
  ASSERT_NE(client, nullptr);
  proto::CheckRequest c;
  c.set_code(daemon.code1);
  c.set_scenario("government_procurement");
  c.set_date("2024-06-01");
  auto r = client->Check(c);
  if (!r.ok() && r.status().code() == absl::StatusCode::kUnavailable) {
    GTEST_SKIP() << "no check engine in this build: " << r.status();
  }
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_FALSE(r->receipt().empty());
  proto::BatchCheckRequest b;
  for (int i = 0; i < 5; ++i) b.add_checks()->CopyFrom(c);
  auto batch = client->BatchCheck(b);
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->entries_size(), 5);
  const std::string last = batch->entries(4).result().receipt();
  ASSERT_FALSE(last.empty());
  client.reset();
  daemon.Kill();
  daemon.Start(/*preload=*/false);
  client = daemon.Connect();
  ASSERT_NE(client, nullptr);
  for (const std::string& id : {r->receipt(), last}) {
    auto found = client->ReceiptLookup(id);
    ASSERT_TRUE(found.ok()) << id << ": " << found.status();
    EXPECT_NE(found->line().find(id), std::string::npos);
  }
}

TEST(AuditFsyncTest, ZeroFlushesEveryEntryBeforeTheReply) {
  Limits l;
  l.audit_fsync_interval_ms = 0;
  DaemonProcess daemon(l);
  daemon.Start();
  EXPECT_NE(daemon.Log().find("event=audit_opened dir=" + daemon.dir().path() +
                              "/audit fsync=every_entry fsync_interval_ms=0"),
            std::string::npos)
      << daemon.Log();
  CheckSurvivesKill(daemon);
}

TEST(AuditFsyncTest, IntervalFlushesInTheBackground) {
  Limits l;
  l.audit_fsync_interval_ms = 250;
  DaemonProcess daemon(l);
  daemon.Start();
  EXPECT_NE(daemon.Log().find("fsync=interval fsync_interval_ms=250"),
            std::string::npos)
      << daemon.Log();
  CheckSurvivesKill(daemon);
}

// Group commit across connections: checks pipelined on several connections
// at once are answered with receipts; after kill -9 every receipt answered
// is in the log and the chain verifies.
TEST(AuditFsyncTest, PipelinedChecksOnManyConnectionsSurviveKill) {
  DaemonProcess daemon;
  daemon.Start();
  std::vector<std::unique_ptr<RawConnection>> conns;
  for (int i = 0; i < 4; ++i) {
    conns.push_back(std::make_unique<RawConnection>(daemon.port()));
    conns.back()->Authenticate();
  }
  proto::CheckRequest c;
  c.set_scenario("government_procurement");
  c.set_date("2024-06-01");
  for (auto& conn : conns) {
    std::string burst;
    for (uint64_t id = 1; id <= 25; ++id) {
      c.set_code(id % 2 == 0 ? daemon.code1 : daemon.code2);
      burst +=
          protocol::EncodeFrame(static_cast<uint16_t>(protocol::Opcode::kCheck),
                                id, 0, c.SerializeAsString());
    }
    ASSERT_TRUE(conn->Send(burst));
  }
  std::vector<std::string> receipts;
  for (auto& conn : conns) {
    for (uint64_t id = 1; id <= 25; ++id) {
      RawConnection::Reply r = conn->Read();
      ASSERT_TRUE(r.ok);
      if (r.header.flags & protocol::kFlagError) {
        GTEST_SKIP() << "no check engine in this build: " << r.error.message();
      }
      EXPECT_EQ(r.header.request_id, id);
      proto::CheckResponse resp;
      ASSERT_TRUE(resp.ParseFromString(r.body));
      ASSERT_FALSE(resp.receipt().empty());
      receipts.push_back(resp.receipt());
    }
  }
  conns.clear();
  daemon.Kill();
  auto v = VerifyAuditLog(daemon.dir().path() + "/audit");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_GE(v->entries, receipts.size());
  daemon.Start(/*preload=*/false);
  auto client = daemon.Connect();
  ASSERT_NE(client, nullptr);
  for (const std::string& id : receipts) {
    auto found = client->ReceiptLookup(id);
    ASSERT_TRUE(found.ok()) << id << ": " << found.status();
  }
}

}  // namespace
}  // namespace creditd::testing
