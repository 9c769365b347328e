// Subjects written over the socket become findable by match and by name-only
// checks once the background rebuild of the name index covers their write
// (daemon/name_refresher.h); renamed ones are found by the new name only, and
// deleted ones are gone. Against the real daemon.
//
// The test waits for the index to cover the write by watching the version
// the daemon reports (MatchResponse.index_version >= the write's
// data_version), not for a fixed time; the wait is bounded only so that a
// broken refresher fails instead of hanging.
#include "tests/integration/daemon_harness.h"

#include <gtest/gtest.h>

namespace creditd::testing {
namespace {

using protocol::Opcode;

class NameRefresherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_.Start();
    client_ = daemon_.Connect();
    ASSERT_NE(client_, nullptr);
  }

  // Matches `name` once the index covers `version`.
  proto::MatchResponse MatchAt(const std::string& name, uint64_t version) {
    proto::MatchRequest m;
    m.set_name(name);
    m.set_top_k(5);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (true) {
      auto r = client_->Match(m);
      EXPECT_TRUE(r.ok()) << r.status();
      if (!r.ok()) return {};
      if (r->index_version() >= version) return *r;
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "name index stuck at version " << r->index_version()
                      << ", want " << version << "\n"
                      << daemon_.Log();
        return *r;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  static bool Has(const proto::MatchResponse& r, const std::string& id) {
    for (const auto& c : r.candidates()) {
      if (c.subject().id() == id && c.same_subject_likely()) return true;
    }
    return false;
  }

  uint64_t Upsert(const std::string& id, const std::string& code,
                  const std::string& name) {
    proto::UpsertSubjectsRequest u;
    proto::Subject* s = u.add_subjects();
    s->set_id(id);
    s->set_code(code);
    s->set_name(name);
    s->set_region("350100");
    auto w = client_->UpsertSubjects(u);
    EXPECT_TRUE(w.ok()) << w.status();
    return w.ok() ? w->data_version() : 0;
  }

  DaemonProcess daemon_;
  std::unique_ptr<Client> client_;
};

TEST_F(NameRefresherTest, NewRenamedAndDeletedSubjects) {
  const std::string code = MakeCode("N0000001");
  const std::string name = "漳州蓝海渔业有限公司";
  // Not there before the write.
  proto::MatchResponse before = MatchAt(name, 0);
  EXPECT_FALSE(Has(before, "n1"));

  uint64_t v = Upsert("n1", code, name);
  proto::MatchResponse found = MatchAt(name, v);
  ASSERT_TRUE(Has(found, "n1")) << found.ShortDebugString();
  // The old fixture is still found too: the rebuild covers every subject.
  EXPECT_TRUE(Has(MatchAt("福州鑫盛达贸易有限公司", v), "s1"));

  // Renamed: found by the new name, no longer by the old one.
  const std::string renamed = "龙岩青山矿业有限公司";
  v = Upsert("n1", code, renamed);
  EXPECT_TRUE(Has(MatchAt(renamed, v), "n1"));
  EXPECT_FALSE(Has(MatchAt(name, v), "n1"));

  // Deleted: gone.
  proto::DeleteSubjectsRequest d;
  d.add_ids("n1");
  auto w = client_->DeleteSubjects(d);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_EQ(w->subjects_deleted(), 1u);
  EXPECT_FALSE(Has(MatchAt(renamed, w->data_version()), "n1"));

  auto stats = client_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_GE(stats->name_index_version(), w->data_version());
}

TEST_F(NameRefresherTest, NameOnlyCheckResolvesAWrittenSubject) {
  const std::string code = MakeCode("N0000002");
  const std::string name = "宁德东方电池材料有限公司";
  const uint64_t v = Upsert("n2", code, name);
  MatchAt(name, v);  // wait until the shared index covers the write
  proto::CheckRequest c;
  c.set_name(name);
  c.set_scenario("bidding");
  c.set_date("2024-06-01");
  auto r = client_->Check(c);
  if (!r.ok() && r.status().code() == absl::StatusCode::kUnavailable) {
    GTEST_SKIP() << "no check engine in this build: " << r.status();
  }
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->subjects_size(), 1) << r->ShortDebugString();
  EXPECT_EQ(r->subjects(0).id(), "n2");
  EXPECT_EQ(r->code(), code);
}

}  // namespace
}  // namespace creditd::testing
