// Crash safety and full disk against the real creditd process (issue 8,
// item 3; docs/reliability.md).
//
// KillNineKeepsAcknowledgedWrites: a writer thread drives upsert_subjects,
// put_records, repair_record and check over one connection and remembers
// every acknowledged request; the daemon is killed with SIGKILL at a random
// moment, restarted on the same data directory, and every acknowledged write
// must be there. Each write request is a batch whose members can be looked up
// one by one, so the request that was in flight when the daemon died must be
// fully present or fully absent. The audit chain must verify after every
// restart and every acknowledged check receipt must still be found.
//
// FullDiskTest: the data directory is a 4 MiB tmpfs mounted by the test; the
// writer must get a clear error when it fills up, reads must keep working, and
// writes must resume once the tmpfs is remounted bigger.
#include "tests/integration/daemon_harness.h"

#include "check/audit_log.h"
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace creditd::testing {
namespace {

// Kill -9 iterations in the default run (about 1 s each). For a longer run,
// raise this constant and rebuild (docs/reliability.md gives the figures).
constexpr int kKillIterations = 15;
// The daemon runs this long (uniformly random, ms) before SIGKILL.
constexpr int kMinRunMillis = 30;
constexpr int kMaxRunMillis = 600;
// Members per write request (the harness's max_batch is 10).
constexpr int kBatch = 5;
constexpr char kRepairDate[] = "2024-06-01";

enum class OpKind { kSubjects, kRecords, kRepair, kCheck };

// One request of the writer. Members are looked up by (id, code).
struct Op {
  OpKind kind = OpKind::kSubjects;
  std::vector<std::string> ids;    // subject ids, record ids, or one record id
  std::vector<std::string> codes;  // codes the members live under
  std::string marker;              // in every subject name of the batch
  std::string receipt;             // kCheck: the receipt acknowledged
  uint64_t version = 0;            // data_version acknowledged
};

const char* KindName(OpKind k) {
  switch (k) {
    case OpKind::kSubjects:
      return "upsert_subjects";
    case OpKind::kRecords:
      return "put_records";
    case OpKind::kRepair:
      return "repair_record";
    case OpKind::kCheck:
      return "check";
  }
  return "?";
}

std::string SubjectName(const std::string& marker, int k) {
  return absl::StrFormat("福州持久%s测试%d贸易有限公司", marker, k);
}

// Restarts `d` on its data directory after Kill(). The old log is removed
// first: DaemonProcess::Start polls the log for "listening", and the child
// truncates it only after fork, so a stale log would yield the old port.
void Restart(DaemonProcess& d) {
  std::filesystem::remove(d.dir().path() + "/creditd.log");
  d.Start(/*preload=*/false);
}

class KillNineTest : public ::testing::Test {
 protected:
  // Builds the next request from what has been acknowledged so far.
  Op NextOp() {
    Op op;
    const uint64_t n = next_++;
    // Order: subjects, records on the last subject batch, a repair, a check.
    const int phase = static_cast<int>(n % 4);
    if (phase == 1 && !last_codes_.empty()) {
      op.kind = OpKind::kRecords;
      for (int k = 0; k < kBatch; ++k) {
        op.ids.push_back(absl::StrFormat("r%d-%d", n, k));
        op.codes.push_back(last_codes_[k]);
      }
    } else if (phase == 2 && !unrepaired_.empty()) {
      op.kind = OpKind::kRepair;
      op.ids.push_back(unrepaired_.back().first);
      op.codes.push_back(unrepaired_.back().second);
      unrepaired_.pop_back();
    } else if (phase == 3 && check_available_ && !last_codes_.empty()) {
      op.kind = OpKind::kCheck;
      op.codes.push_back(last_codes_[n % kBatch]);
    } else {
      op.kind = OpKind::kSubjects;
      op.marker = absl::StrFormat("%07d", n);
      for (int k = 0; k < kBatch; ++k) {
        op.ids.push_back(absl::StrFormat("d%d-%d", n, k));
        // Org bodies "D" + 7 digits: unique for every member ever written.
        op.codes.push_back(MakeCode(absl::StrFormat("D%07d", n * kBatch + k)));
      }
    }
    return op;
  }

  // Sends `op`; fills receipt/version on success.
  absl::Status Send(Client& c, Op& op) {
    switch (op.kind) {
      case OpKind::kSubjects: {
        proto::UpsertSubjectsRequest r;
        for (int k = 0; k < kBatch; ++k) {
          proto::Subject* s = r.add_subjects();
          s->set_id(op.ids[k]);
          s->set_code(op.codes[k]);
          s->set_name(SubjectName(op.marker, k));
          s->set_region("350100");
        }
        auto w = c.UpsertSubjects(r);
        if (!w.ok()) return w.status();
        op.version = w->data_version();
        return absl::OkStatus();
      }
      case OpKind::kRecords: {
        proto::PutRecordsRequest r;
        for (int k = 0; k < kBatch; ++k) {
          proto::Record* rec = r.add_records();
          rec->set_id(op.ids[k]);
          rec->set_code(op.codes[k]);
          rec->set_list("serious_dishonesty");
          rec->set_authority("福州市市场监督管理局");
          rec->set_decided_on("2023-01-01");
          rec->set_valid_from("2023-01-01");
        }
        auto w = c.PutRecords(r);
        if (!w.ok()) return w.status();
        op.version = w->data_version();
        return absl::OkStatus();
      }
      case OpKind::kRepair: {
        proto::RepairRecordRequest r;
        r.set_record_id(op.ids[0]);
        r.set_repaired_on(kRepairDate);
        auto w = c.RepairRecord(r);
        if (!w.ok()) return w.status();
        op.version = w->data_version();
        return absl::OkStatus();
      }
      case OpKind::kCheck: {
        proto::CheckRequest r;
        r.set_code(op.codes[0]);
        r.set_scenario("bidding");
        r.set_date("2024-07-01");
        auto w = c.Check(r);
        if (!w.ok()) return w.status();
        op.receipt = w->receipt();
        op.version = w->data_version();
        if (w->identity() != "found") {
          return absl::InternalError("check: identity " + w->identity());
        }
        return absl::OkStatus();
      }
    }
    return absl::InternalError("unreachable");
  }

  // Remembers what an acknowledged op makes available to later ops.
  void Acknowledged(const Op& op) {
    if (op.kind == OpKind::kSubjects) last_codes_ = op.codes;
    if (op.kind == OpKind::kRecords) {
      for (int k = 0; k < kBatch; ++k)
        unrepaired_.emplace_back(op.ids[k], op.codes[k]);
    }
  }

  // How many members of `op` are visible through `c` (subject lookups).
  int Present(Client& c, const Op& op) {
    int present = 0;
    for (size_t k = 0; k < op.ids.size(); ++k) {
      proto::SubjectLookupRequest l;
      if (op.kind == OpKind::kSubjects) {
        l.set_id(op.ids[k]);
        auto s = c.SubjectLookup(l);
        if (!s.ok()) {
          EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound)
              << s.status();
          continue;
        }
        EXPECT_EQ(s->subjects_size(), 1);
        if (s->subjects_size() == 1) {
          EXPECT_EQ(s->subjects(0).code(), op.codes[k]);
          EXPECT_EQ(s->subjects(0).name(),
                    SubjectName(op.marker, static_cast<int>(k)));
        }
        ++present;
        continue;
      }
      l.set_code(op.codes[k]);
      l.set_with_records(true);
      auto s = c.SubjectLookup(l);
      EXPECT_TRUE(s.ok()) << s.status();  // the subject was acknowledged
      if (!s.ok()) continue;
      for (const proto::Record& r : s->records()) {
        if (r.id() != op.ids[k]) continue;
        if (op.kind == OpKind::kRecords ||
            r.repaired_on() == std::string(kRepairDate)) {
          ++present;
        }
      }
    }
    return present;
  }

  DaemonProcess daemon_;
  uint64_t next_ = 0;
  std::vector<std::string> last_codes_;
  std::vector<std::pair<std::string, std::string>> unrepaired_;
  bool check_available_ = true;
};

TEST_F(KillNineTest, KillNineKeepsAcknowledgedWrites) {
  daemon_.Start();
  const std::string audit_dir = daemon_.dir().path() + "/audit";
  std::random_device rd;
  const uint32_t seed = rd();
  std::mt19937 rng(seed);
  RecordProperty("seed", static_cast<int>(seed & 0x7fffffff));
  SCOPED_TRACE(absl::StrFormat("seed %u", seed));

  std::vector<Op> acked;  // every acknowledged op, all iterations
  uint64_t max_version = 0;
  int in_flight_present = 0, in_flight_absent = 0;
  for (int iter = 0; iter < kKillIterations; ++iter) {
    SCOPED_TRACE(absl::StrFormat("iteration %d", iter));
    auto client = daemon_.Connect();
    ASSERT_NE(client, nullptr);
    std::mutex mu;
    std::vector<Op> acked_now;
    std::optional<Op> in_flight;
    std::atomic<bool> killed{false};
    std::string unexpected;  // an error before the kill
    std::thread writer([&] {
      while (true) {
        Op op;
        {
          std::lock_guard<std::mutex> l(mu);
          op = NextOp();
          in_flight = op;
        }
        absl::Status st = Send(*client, op);
        std::lock_guard<std::mutex> l(mu);
        if (!st.ok()) {
          if (op.kind == OpKind::kCheck &&
              st.code() == absl::StatusCode::kUnavailable && !killed) {
            check_available_ = false;  // a build without check/
            in_flight.reset();
            continue;
          }
          if (!killed) unexpected = st.ToString();
          return;  // in_flight stays: it may or may not have been applied
        }
        Acknowledged(op);
        acked_now.push_back(std::move(op));
        in_flight.reset();
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::uniform_int_distribution<int>(kMinRunMillis, kMaxRunMillis)(rng)));
    killed = true;
    daemon_.Kill();  // SIGKILL + waitpid
    writer.join();
    client.reset();
    ASSERT_TRUE(unexpected.empty()) << "error before the kill: " << unexpected;

    Restart(daemon_);
    client = daemon_.Connect();
    ASSERT_NE(client, nullptr);
    for (const Op& op : acked_now)
      max_version = std::max(max_version, op.version);
    // The data version never goes back behind an acknowledged one.
    proto::SubjectLookupRequest probe;
    probe.set_code(daemon_.code1);
    auto p = client->SubjectLookup(probe);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_GE(p->data_version(), max_version);

    // Every write acknowledged in this iteration is there, whole.
    for (const Op& op : acked_now) {
      if (op.kind == OpKind::kCheck) {
        auto r = client->ReceiptLookup(op.receipt);
        EXPECT_TRUE(r.ok()) << "receipt " << op.receipt << ": " << r.status();
        continue;
      }
      EXPECT_EQ(Present(*client, op), static_cast<int>(op.ids.size()))
          << KindName(op.kind) << " acknowledged at version " << op.version
          << " is missing members after kill -9";
    }
    // The request in flight is all or nothing.
    if (in_flight && in_flight->kind != OpKind::kCheck) {
      const int n = Present(*client, *in_flight);
      EXPECT_TRUE(n == 0 || n == static_cast<int>(in_flight->ids.size()))
          << KindName(in_flight->kind) << " in flight half applied: " << n
          << " of " << in_flight->ids.size();
      (n == 0 ? in_flight_absent : in_flight_present)++;
    }
    // The audit chain survives the kill (a torn last line is cut at open).
    auto v = VerifyAuditLog(audit_dir);
    EXPECT_TRUE(v.ok()) << v.status();
    acked.insert(acked.end(), acked_now.begin(), acked_now.end());
  }

  // Last, everything acknowledged in any iteration is still there.
  auto client = daemon_.Connect();
  ASSERT_NE(client, nullptr);
  int writes = 0, checks = 0;
  for (const Op& op : acked) {
    if (op.kind == OpKind::kCheck) {
      ++checks;
      continue;
    }
    ++writes;
    EXPECT_EQ(Present(*client, op), static_cast<int>(op.ids.size()))
        << KindName(op.kind) << " acknowledged at version " << op.version;
  }
  auto v = VerifyAuditLog(audit_dir);
  ASSERT_TRUE(v.ok()) << v.status();
  if (check_available_) {
    // Every acknowledged check is logged; a check in flight at a kill may be
    // logged without having been answered (at most one per iteration).
    EXPECT_GE(v->entries, static_cast<uint64_t>(checks));
    EXPECT_LE(v->entries, static_cast<uint64_t>(checks + kKillIterations));
  }
  std::printf(
      "kill -9 iterations: %d, acknowledged writes: %d, acknowledged checks: "
      "%d, in-flight writes found whole: %d, absent: %d, audit entries: %llu, "
      "seed: %u\n",
      kKillIterations, writes, checks, in_flight_present, in_flight_absent,
      static_cast<unsigned long long>(v->entries), seed);
  EXPECT_GT(writes, kKillIterations);
}

// ---- full disk ----

class FullDiskTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (daemon_) daemon_->Kill();
    if (mounted_) {
      if (::umount2(mount_point_.c_str(), MNT_DETACH) != 0) {
        ADD_FAILURE() << "umount " << mount_point_ << ": "
                      << std::strerror(errno);
      }
    }
    daemon_.reset();  // removes the temp directory
  }

  // Ten records of ~3 KB of incompressible detail each on code1.
  proto::PutRecordsRequest Filler(std::mt19937& rng, int n) {
    proto::PutRecordsRequest r;
    for (int k = 0; k < 10; ++k) {
      proto::Record* rec = r.add_records();
      rec->set_id(absl::StrFormat("fill-%d-%d", n, k));
      rec->set_code(daemon_->code2);
      rec->set_list("abnormal_operation");
      rec->set_valid_from("2024-01-01");
      std::string detail;
      while (detail.size() < 3000) absl::StrAppend(&detail, absl::Hex(rng()));
      rec->set_detail(detail);
    }
    return r;
  }

  std::unique_ptr<DaemonProcess> daemon_;
  std::string mount_point_;
  bool mounted_ = false;
};

TEST_F(FullDiskTest, ClearErrorReadsKeepWorkingWritesResume) {
  // Big enough frames to read back every filler record in one lookup.
  Limits limits;
  limits.max_frame_bytes = 16 << 20;
  limits.max_output_buffer_bytes = 16 << 20;
  daemon_ = std::make_unique<DaemonProcess>(limits);
  mount_point_ = daemon_->dir().path() + "/data";
  ASSERT_EQ(::mkdir(mount_point_.c_str(), 0755), 0) << std::strerror(errno);
  if (::mount("tmpfs", mount_point_.c_str(), "tmpfs", 0, "size=4m") != 0) {
    GTEST_SKIP() << "cannot mount a 4 MiB tmpfs on " << mount_point_ << ": "
                 << std::strerror(errno) << " (needs root / CAP_SYS_ADMIN)";
  }
  mounted_ = true;
  daemon_->Start();
  auto client = daemon_->Connect();
  ASSERT_NE(client, nullptr);

  std::mt19937 rng(8);
  absl::Status error;
  int written = 0;  // acknowledged filler requests (10 records each)
  for (int n = 0; n < 1000; ++n) {
    auto w = client->PutRecords(Filler(rng, n));
    if (!w.ok()) {
      error = w.status();
      break;
    }
    ++written;
  }
  ASSERT_FALSE(error.ok()) << "4 MiB never filled after " << written
                           << " writes of ~30 KB";
  std::printf("full disk after %d acknowledged writes: %s (wire error %u)\n",
              written, error.ToString().c_str(), WireErrorOf(error));
  // Give a crashing daemon the time to be reaped as dead.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // (Alive() is true for an unreaped zombie: ask over a new connection.)
  ClientOptions probe;
  probe.endpoints = {daemon_->endpoint()};
  probe.token = kAdminToken;
  const bool survived = Client::Connect(probe).ok();
  EXPECT_TRUE(survived)
      << "creditd died on a full disk instead of answering the writer with an "
         "error; its log ends:\n"
      << daemon_->Log().substr(
             daemon_->Log().size() > 600 ? daemon_->Log().size() - 600 : 0);
  if (survived) {
    EXPECT_EQ(error.code(), absl::StatusCode::kResourceExhausted) << error;
    // The store's free-space reserve answers before Xapian meets ENOSPC
    // (index/xapian_store.cc CheckFreeSpace); ENOSPC itself is mapped too.
    EXPECT_TRUE(error.message().find("disk nearly full") != std::string::npos ||
                error.message().find("No space left") != std::string::npos)
        << error;

    // Reads keep working, on this connection and on a new one.
    auto reads = [&](Client& c) {
      proto::SubjectLookupRequest l;
      l.set_code(daemon_->code1);
      l.set_with_records(true);
      auto s = c.SubjectLookup(l);
      ASSERT_TRUE(s.ok()) << s.status();
      ASSERT_EQ(s->subjects_size(), 1);
      EXPECT_EQ(s->records_size(), 1);
      proto::CheckRequest chk;
      chk.set_code(daemon_->code1);
      chk.set_scenario("bidding");
      chk.set_date("2024-06-01");
      auto r = c.Check(chk);
      if (r.ok()) {
        EXPECT_EQ(r->verdict(), "block");
      } else {
        EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable)
            << r.status();
      }
    };
    reads(*client);
    auto other = daemon_->Connect();
    ASSERT_NE(other, nullptr);
    reads(*other);
    // A second write still fails cleanly while the disk is full.
    auto again = client->PutRecords(Filler(rng, 5000));
    EXPECT_FALSE(again.ok());
    EXPECT_TRUE(daemon_->Alive()) << daemon_->Log();
  }

  // Space returns.
  ASSERT_EQ(
      ::mount(nullptr, mount_point_.c_str(), nullptr, MS_REMOUNT, "size=64m"),
      0)
      << std::strerror(errno);
  if (!survived) {
    // The crash above is already a failure; still prove that nothing
    // acknowledged was lost and that the store opens again.
    daemon_->Kill();
    Restart(*daemon_);
  }
  client = daemon_->Connect();
  ASSERT_NE(client, nullptr);
  // Writes resume (without a restart when the daemon survived).
  auto resumed = client->PutRecords(Filler(rng, 6000));
  ASSERT_TRUE(resumed.ok())
      << "write after freeing space: " << resumed.status() << "\n"
      << daemon_->Log();
  ++written;

  // Every acknowledged filler record is there, also after kill -9 + restart.
  proto::SubjectLookupRequest l;
  l.set_code(daemon_->code2);
  l.set_with_records(true);
  auto s = client->SubjectLookup(l);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_GE(s->records_size(), written * 10);
  daemon_->Kill();
  Restart(*daemon_);
  auto after = daemon_->Connect();
  ASSERT_NE(after, nullptr);
  s = after->SubjectLookup(l);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_GE(s->records_size(), written * 10);
  EXPECT_LE(s->records_size(), (written + 1) * 10);  // + the one in flight
  EXPECT_EQ(s->records_size() % 10, 0) << "a half-applied batch is visible";
  EXPECT_GE(s->data_version(), resumed->data_version());
}

}  // namespace
}  // namespace creditd::testing
