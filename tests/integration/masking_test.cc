// Masking of natural persons' identifiers through the real daemon
// (daemon/handlers/convert.cc ViewFor/ToProto, check/audit_log.cc): a token
// with the admin role sees legal representatives and identity numbers in
// clear; every other token sees them masked; the audit log and the daemon's
// log never hold an identity number in clear.
#include "tests/integration/daemon_harness.h"

#include <gtest/gtest.h>

namespace creditd::testing {
namespace {

constexpr char kRep[] = "张三丰";
constexpr char kRepMasked[] = "张**";
constexpr char kId[] = "330102199001011234";
constexpr char kIdMasked[] = "330102********1234";

class MaskingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_.Start();
    admin_ = daemon_.Connect(kAdminToken);
    viewer_ = daemon_.Connect(kViewerToken);
    checker_ = daemon_.Connect(kCheckerToken);
    ASSERT_NE(admin_, nullptr);
    ASSERT_NE(viewer_, nullptr);
    ASSERT_NE(checker_, nullptr);
    // An individual business whose operator is a natural person, and a
    // record whose free text carries the operator's identity number.
    proto::UpsertSubjectsRequest up;
    proto::Subject* s = up.add_subjects();
    s->set_id("p1");
    s->set_code(code_);
    s->set_name("福州市鼓楼区张三丰小吃店");
    s->set_legal_rep(kRep);
    s->set_status("active");
    auto w = admin_->UpsertSubjects(up);
    ASSERT_TRUE(w.ok()) << w.status();
    proto::PutRecordsRequest pr;
    proto::Record* r = pr.add_records();
    r->set_id("pr1");
    r->set_code(code_);
    r->set_list("serious_dishonesty");
    r->set_name("福州市鼓楼区张三丰小吃店");
    r->set_detail(std::string("经营者张三丰（身份证号") + kId + "）未履行");
    r->set_doc_no(std::string("榕执字") + kId + "号");
    r->set_decided_on("2024-01-02");
    r->set_valid_from("2024-01-02");
    auto wr = admin_->PutRecords(pr);
    ASSERT_TRUE(wr.ok()) << wr.status();
  }

  absl::StatusOr<proto::CheckResponse> CheckAs(Client& c,
                                               const std::string& name) {
    proto::CheckRequest q;
    q.set_code(code_);
    q.set_name(name);
    q.set_scenario("bidding");
    q.set_date("2024-06-01");
    return c.Check(q);
  }

  DaemonProcess daemon_;
  const std::string code_ = MakeCode("M0000009");
  std::unique_ptr<Client> admin_, viewer_, checker_;
};

TEST_F(MaskingTest, CheckShowsClearToAdminOnly) {
  auto clear = CheckAs(*admin_, "福州市鼓楼区张三丰小吃店");
  ASSERT_TRUE(clear.ok()) << clear.status();
  ASSERT_EQ(clear->subjects_size(), 1);
  EXPECT_EQ(clear->subjects(0).legal_rep(), kRep);
  ASSERT_EQ(clear->records_size(), 1);
  EXPECT_NE(clear->records(0).record().detail().find(kId), std::string::npos);

  for (Client* c : {checker_.get(), viewer_.get()}) {
    auto masked = CheckAs(*c, "福州市鼓楼区张三丰小吃店");
    ASSERT_TRUE(masked.ok()) << masked.status();
    ASSERT_EQ(masked->subjects_size(), 1);
    EXPECT_EQ(masked->subjects(0).legal_rep(), kRepMasked);
    // The business name is shown (it is the registered name callers check).
    EXPECT_EQ(masked->subjects(0).name(), "福州市鼓楼区张三丰小吃店");
    ASSERT_EQ(masked->records_size(), 1);
    const proto::Record& rec = masked->records(0).record();
    EXPECT_EQ(rec.detail(),
              std::string("经营者张三丰（身份证号") + kIdMasked + "）未履行");
    EXPECT_EQ(rec.doc_no(), std::string("榕执字") + kIdMasked + "号");
    EXPECT_EQ(rec.id(), "pr1");
    EXPECT_EQ(rec.code(), code_);
    // The verdict does not depend on who looks.
    EXPECT_EQ(masked->verdict(), clear->verdict());
  }
}

TEST_F(MaskingTest, SubjectLookupAndMatch) {
  proto::SubjectLookupRequest l;
  l.set_code(code_);
  l.set_with_records(true);
  auto clear = admin_->SubjectLookup(l);
  ASSERT_TRUE(clear.ok()) << clear.status();
  ASSERT_EQ(clear->subjects_size(), 1);
  EXPECT_EQ(clear->subjects(0).legal_rep(), kRep);
  ASSERT_EQ(clear->records_size(), 1);
  EXPECT_NE(clear->records(0).detail().find(kId), std::string::npos);

  auto masked = viewer_->SubjectLookup(l);
  ASSERT_TRUE(masked.ok()) << masked.status();
  ASSERT_EQ(masked->subjects_size(), 1);
  EXPECT_EQ(masked->subjects(0).legal_rep(), kRepMasked);
  ASSERT_EQ(masked->records_size(), 1);
  EXPECT_EQ(masked->records(0).detail().find(kId), std::string::npos);
  EXPECT_NE(masked->records(0).detail().find(kIdMasked), std::string::npos);

  // The name index is rebuilt at start and on SIGHUP (reload), not per
  // write: reload, then wait until the new subject is matchable.
  ASSERT_EQ(daemon_.Signal(SIGHUP), 0);
  proto::MatchRequest m;
  m.set_name("福州市鼓楼区张三丰小吃店");
  const proto::MatchCandidate* hit = nullptr;
  absl::StatusOr<proto::MatchResponse> found;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (hit == nullptr && std::chrono::steady_clock::now() < deadline) {
    found = viewer_->Match(m);
    ASSERT_TRUE(found.ok()) << found.status();
    for (const proto::MatchCandidate& c : found->candidates()) {
      if (c.subject().id() == "p1") hit = &c;
    }
    if (hit == nullptr) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ASSERT_NE(hit, nullptr) << "p1 never became matchable after SIGHUP";
  EXPECT_EQ(hit->subject().legal_rep(), kRepMasked);
}

TEST_F(MaskingTest, AuditAndLogHoldNoIdentityNumber) {
  // The caller put an identity number into the name field.
  auto admin_check =
      CheckAs(*admin_, std::string("张三丰 ") + kId);  // even for admin
  ASSERT_TRUE(admin_check.ok()) << admin_check.status();
  auto lookup = admin_->ReceiptLookup(admin_check->receipt());
  ASSERT_TRUE(lookup.ok()) << lookup.status();
  EXPECT_EQ(lookup->line().find(kId), std::string::npos) << lookup->line();
  EXPECT_NE(lookup->line().find(kIdMasked), std::string::npos)
      << lookup->line();
  // The code is kept as given (a valid USCC is never masked).
  EXPECT_NE(lookup->line().find(code_), std::string::npos);

  // A code field holding an identity number is masked in the audit too.
  proto::CheckRequest q;
  q.set_code(kId);
  q.set_scenario("bidding");
  auto by_id = checker_->Check(q);
  if (by_id.ok() && !by_id->receipt().empty()) {
    auto l2 = checker_->ReceiptLookup(by_id->receipt());
    ASSERT_TRUE(l2.ok()) << l2.status();
    EXPECT_EQ(l2->line().find(kId), std::string::npos) << l2->line();
  }
  EXPECT_EQ(daemon_.Log().find(kId), std::string::npos);
}

}  // namespace
}  // namespace creditd::testing
