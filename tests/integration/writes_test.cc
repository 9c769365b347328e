// Writes over the socket against the real daemon: they run on the writer
// thread, not on the I/O thread that read them (daemon/session.h), so reads
// on the same and on other connections are answered while a commit runs; and
// concurrent writers and readers all see consistent, acknowledged data.
//
// No timing assertions: the ordering tests rely on a commit of a large batch
// (thousands of subjects, one fsync) taking far longer than answering a
// lookup whose bytes are already in the daemon's socket buffer, and they
// assert only the order in which replies arrive.
#include "tests/integration/daemon_harness.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

namespace creditd::testing {
namespace {

using protocol::Opcode;

constexpr int kBigBatch = 5000;

Limits BigWrites() {
  Limits l;
  l.max_batch = kBigBatch;
  l.max_frame_bytes = 4 << 20;
  l.max_output_buffer_bytes = 4 << 20;
  l.idle_timeout_seconds = 60;
  return l;
}

// An upsert of `n` new subjects "<prefix>0".."<prefix>n-1", each with its
// own valid code.
proto::UpsertSubjectsRequest BigUpsert(const std::string& prefix, int n,
                                       int code_base) {
  proto::UpsertSubjectsRequest u;
  for (int i = 0; i < n; ++i) {
    proto::Subject* s = u.add_subjects();
    s->set_id(absl::StrFormat("%s%d", prefix, i));
    s->set_code(MakeCode(absl::StrFormat("W%07d", code_base + i)));
    s->set_name(absl::StrFormat("福州测试%d号贸易有限公司", code_base + i));
    s->set_region("350100");
  }
  return u;
}

proto::SubjectLookupRequest LookupId(const std::string& id) {
  proto::SubjectLookupRequest l;
  l.set_id(id);
  return l;
}

TEST(WritesTest, ReadPipelinedBehindAWriteIsAnsweredFirst) {
  DaemonProcess daemon(BigWrites());
  daemon.Start();
  RawConnection c(daemon.port());
  ASSERT_TRUE(c.connected());
  c.Authenticate();
  // One send: the write, then three lookups. The daemon reads them in
  // order; the lookups must not wait for the write's commit.
  std::string bytes = protocol::EncodeFrame(
      static_cast<uint16_t>(Opcode::kUpsertSubjects), 2, 0,
      BigUpsert("big", kBigBatch, 0).SerializeAsString());
  for (uint64_t id = 3; id <= 5; ++id) {
    bytes +=
        protocol::EncodeFrame(static_cast<uint16_t>(Opcode::kSubjectLookup), id,
                              0, LookupId("s1").SerializeAsString());
  }
  ASSERT_TRUE(c.Send(bytes));
  std::vector<uint64_t> order;
  for (int i = 0; i < 4; ++i) {
    RawConnection::Reply r = c.Read(std::chrono::seconds(60));
    ASSERT_TRUE(r.ok) << "reply " << i << daemon.Log();
    ASSERT_EQ(r.header.flags & protocol::kFlagError, 0)
        << r.error.ShortDebugString();
    order.push_back(r.header.request_id);
    if (r.header.request_id == 2) {
      proto::WriteResponse w;
      ASSERT_TRUE(w.ParseFromString(r.body));
      EXPECT_EQ(w.subjects_new(), static_cast<uint64_t>(kBigBatch));
    } else {
      proto::SubjectLookupResponse l;
      ASSERT_TRUE(l.ParseFromString(r.body));
      ASSERT_EQ(l.subjects_size(), 1);
      EXPECT_EQ(l.subjects(0).id(), "s1");
    }
  }
  EXPECT_EQ(order, (std::vector<uint64_t>{3, 4, 5, 2}));
  // Acknowledged: visible to the next read, here and on another connection.
  auto other = daemon.Connect();
  ASSERT_NE(other, nullptr) << daemon.Log();
  auto got = other->SubjectLookup(LookupId(absl::StrFormat("big%d", 4999)));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->subjects(0).name(), "福州测试4999号贸易有限公司");
}

TEST(WritesTest, ReadOnAnotherConnectionIsAnsweredWhileACommitRuns) {
  DaemonProcess daemon(BigWrites());
  daemon.Start();
  RawConnection writer(daemon.port());
  RawConnection reader(daemon.port());
  ASSERT_TRUE(writer.connected() && reader.connected());
  writer.Authenticate();
  reader.Authenticate();
  ASSERT_TRUE(writer.SendFrame(Opcode::kUpsertSubjects, 2,
                               BigUpsert("big", kBigBatch, 0)));
  // Make sure the daemon has read the whole write (and so dispatched it)
  // before the reader asks: a ping behind it on the same connection is
  // answered once the write frame was consumed.
  proto::PingRequest p;
  p.set_payload("behind the write");
  ASSERT_TRUE(writer.SendFrame(Opcode::kPing, 3, p));
  RawConnection::Reply first = writer.Read(std::chrono::seconds(60));
  ASSERT_TRUE(first.ok);
  ASSERT_EQ(first.header.request_id, 3u) << "the ping waited for the commit";

  ASSERT_TRUE(reader.SendFrame(Opcode::kSubjectLookup, 7, LookupId("s2")));
  RawConnection::Reply r = reader.Read(std::chrono::seconds(60));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.header.request_id, 7u);
  EXPECT_EQ(r.header.flags & protocol::kFlagError, 0);

  RawConnection::Reply w = writer.Read(std::chrono::seconds(60));
  ASSERT_TRUE(w.ok);
  EXPECT_EQ(w.header.request_id, 2u);
  EXPECT_EQ(w.header.flags & protocol::kFlagError, 0)
      << w.error.ShortDebugString();
}

TEST(WritesTest, ManyPipelinedWritesAreAppliedAndAnsweredInOrder) {
  // More than Session::kMaxPendingWrites (16) writes pipelined on one
  // connection: the reader pauses while 16 are in flight, and every write is
  // applied and answered, in the order sent (one writer thread, FIFO).
  DaemonProcess daemon(BigWrites());
  daemon.Start();
  RawConnection c(daemon.port());
  ASSERT_TRUE(c.connected());
  c.Authenticate();
  constexpr int kWrites = 60;
  std::string bytes;
  for (int i = 0; i < kWrites; ++i) {
    // Each write renames subject p1: the last name must win.
    proto::UpsertSubjectsRequest u;
    proto::Subject* s = u.add_subjects();
    s->set_id("p1");
    s->set_code(MakeCode("P0000001"));
    s->set_name(absl::StrFormat("福州第%d号贸易有限公司", i));
    bytes +=
        protocol::EncodeFrame(static_cast<uint16_t>(Opcode::kUpsertSubjects),
                              100 + i, 0, u.SerializeAsString());
  }
  ASSERT_TRUE(c.Send(bytes));
  uint64_t last_version = 0;
  for (int i = 0; i < kWrites; ++i) {
    RawConnection::Reply r = c.Read(std::chrono::seconds(60));
    ASSERT_TRUE(r.ok) << i;
    ASSERT_EQ(r.header.flags & protocol::kFlagError, 0)
        << r.error.ShortDebugString();
    EXPECT_EQ(r.header.request_id, static_cast<uint64_t>(100 + i));
    proto::WriteResponse w;
    ASSERT_TRUE(w.ParseFromString(r.body));
    EXPECT_GT(w.data_version(), last_version);
    last_version = w.data_version();
  }
  auto client = daemon.Connect();
  ASSERT_NE(client, nullptr);
  auto got = client->SubjectLookup(LookupId("p1"));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->subjects(0).name(),
            absl::StrFormat("福州第%d号贸易有限公司", kWrites - 1));
}

TEST(WritesTest, ConcurrentWritersAndReaders) {
  DaemonProcess daemon(BigWrites());
  daemon.Start();
  constexpr int kWriters = 4;
  constexpr int kWritesEach = 25;
  std::atomic<bool> writing{true};
  std::atomic<int> reads{0};
  std::atomic<int> read_errors{0};
  std::vector<std::vector<uint64_t>> versions(kWriters);
  std::vector<std::string> errors(kWriters);
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w]() {
      ClientOptions o;
      o.endpoints = {daemon.endpoint()};
      o.token = kAdminToken;
      o.request_timeout = std::chrono::seconds(60);
      auto client = Client::Connect(o);
      if (!client.ok()) {
        errors[w] = client.status().ToString();
        return;
      }
      for (int i = 0; i < kWritesEach; ++i) {
        // Each write: two new subjects, then one of them renamed.
        auto u =
            BigUpsert(absl::StrFormat("w%d-%d-", w, i), 2, w * 10000 + i * 10);
        auto r = (*client)->UpsertSubjects(u);
        if (!r.ok() || r->subjects_new() != 2) {
          errors[w] = r.ok() ? "subjects_new != 2" : r.status().ToString();
          return;
        }
        versions[w].push_back(r->data_version());
        // Read my own write on this connection once acknowledged.
        auto l = (*client)->SubjectLookup(
            LookupId(absl::StrFormat("w%d-%d-1", w, i)));
        if (!l.ok() || l->subjects_size() != 1 ||
            l->data_version() < r->data_version()) {
          errors[w] = "own write not visible after its ack";
          return;
        }
      }
    });
  }
  std::vector<std::thread> readers;
  for (int k = 0; k < 2; ++k) {
    readers.emplace_back([&]() {
      auto client = daemon.Connect();
      if (client == nullptr) {
        read_errors.fetch_add(1);
        return;
      }
      uint64_t last_version = 0;
      while (writing.load()) {
        auto l = client->SubjectLookup(LookupId("s1"));
        if (!l.ok() || l->subjects_size() != 1 ||
            l->data_version() < last_version) {
          read_errors.fetch_add(1);
          return;
        }
        last_version = l->data_version();
        reads.fetch_add(1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  writing.store(false);
  for (std::thread& t : readers) t.join();
  for (int w = 0; w < kWriters; ++w) {
    EXPECT_EQ(errors[w], "") << "writer " << w;
    ASSERT_EQ(versions[w].size(), static_cast<size_t>(kWritesEach));
    for (size_t i = 1; i < versions[w].size(); ++i) {
      EXPECT_LT(versions[w][i - 1], versions[w][i]);
    }
  }
  EXPECT_EQ(read_errors.load(), 0);
  EXPECT_GT(reads.load(), 0);
  // Every acknowledged write committed exactly once: distinct versions.
  std::set<uint64_t> all;
  for (const auto& v : versions) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kWriters * kWritesEach));
  auto admin = daemon.Connect();
  auto stats = admin->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->subjects(), 3u + 2u * kWriters * kWritesEach);
}

TEST(WritesTest, SigtermAnswersTheWriteInFlightThenStops) {
  DaemonProcess daemon(BigWrites());
  daemon.Start();
  RawConnection c(daemon.port());
  ASSERT_TRUE(c.connected());
  c.Authenticate();
  ASSERT_TRUE(
      c.SendFrame(Opcode::kUpsertSubjects, 2, BigUpsert("big", kBigBatch, 0)));
  proto::PingRequest p;
  ASSERT_TRUE(c.SendFrame(Opcode::kPing, 3, p));
  // Whichever of the two comes first, once the ping is answered the write
  // has been read and dispatched.
  std::vector<RawConnection::Reply> replies;
  while (true) {
    replies.push_back(c.Read(std::chrono::seconds(60)));
    ASSERT_TRUE(replies.back().ok);
    if (replies.back().header.request_id == 3) break;
  }
  ASSERT_EQ(daemon.Signal(SIGTERM), 0);
  while (true) {
    RawConnection::Reply r = c.Read(std::chrono::seconds(60));
    ASSERT_TRUE(r.ok) << "connection closed before the shutting_down frame";
    replies.push_back(r);
    if (r.header.flags & protocol::kFlagError) break;
  }
  // The write's reply (success) came before the shutting_down frame.
  bool write_answered = false;
  for (size_t i = 0; i + 1 < replies.size(); ++i) {
    if (replies[i].header.request_id == 2) {
      write_answered = true;
      EXPECT_EQ(replies[i].header.flags & protocol::kFlagError, 0);
    }
  }
  EXPECT_TRUE(write_answered);
  EXPECT_EQ(replies.back().error.name(), "shutting_down");
  EXPECT_TRUE(c.Closed());
  EXPECT_EQ(daemon.Stop(), 0);
  // Acknowledged means durable: present after a restart.
  daemon.Start(/*preload=*/false);
  auto client = daemon.Connect();
  ASSERT_NE(client, nullptr);
  auto got = client->SubjectLookup(LookupId("big0"));
  ASSERT_TRUE(got.ok()) << got.status();
}

}  // namespace
}  // namespace creditd::testing
