// The dispatcher without sockets: rejection order and counters, and handlers
// called directly.
#include "daemon/dispatcher.h"

#include "daemon/command_table.h"
#include "daemon/handlers/handlers.h"
#include "daemon/protocol/creditd.pb.h"
#include "tests/testutil.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace creditd {
namespace {

using protocol::Opcode;

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto holder = RegistryHolder::Open(dir_.path() + "/data");
    ASSERT_TRUE(holder.ok()) << holder.status();
    holder_ = std::move(*holder);
    DaemonConfig config;
    config.max_batch = 3;
    config.tokens.push_back(
        {"checker", Authenticator::Sha256Hex("c"), kRoleCheck, 1000});
    config.tokens.push_back(
        {"slow", Authenticator::Sha256Hex("s"), kRoleCheck, 2});
    auto measures = MeasuresList::BuiltinDefault();
    ASSERT_TRUE(measures.ok());
    state_ = std::make_unique<DaemonState>(
        holder_.get(), config,
        std::make_shared<const MeasuresList>(std::move(*measures)));
    dispatcher_ = std::make_unique<Dispatcher>(state_.get());
    ctx_.state = state_.get();
    ctx_.session = &session_;
  }

  DispatchResult Run(Opcode op, const google::protobuf::Message& m) {
    protocol::FrameHeader h;
    h.opcode = static_cast<uint16_t>(op);
    const std::string body = m.SerializeAsString();
    return dispatcher_->Dispatch(h, body, ctx_);
  }
  void Login(const std::string& token) {
    proto::AuthRequest a;
    a.set_token(token);
    ASSERT_EQ(Run(Opcode::kAuth, a).error, WireError::kOk);
  }
  const CommandCounters& Counters(Opcode op) {
    size_t i = 0;
    EXPECT_NE(FindCommand(static_cast<uint16_t>(op), &i), nullptr);
    return state_->counters(i);
  }

  testing::TempDir dir_;
  std::unique_ptr<RegistryHolder> holder_;
  std::unique_ptr<DaemonState> state_;
  std::unique_ptr<Dispatcher> dispatcher_;
  SessionAuth session_;
  RequestContext ctx_;
};

TEST_F(DispatcherTest, UnknownOpcodeFirst) {
  protocol::FrameHeader h;
  h.opcode = 999;
  DispatchResult r = dispatcher_->Dispatch(h, "", ctx_);
  EXPECT_EQ(r.error, WireError::kUnknownOpcode);
  EXPECT_FALSE(r.close_after);
  EXPECT_EQ(state_->unknown_opcodes.load(), 1u);
}

TEST_F(DispatcherTest, UnauthenticatedBeforeRoleAndBody) {
  // Garbage body and wrong role too: authentication is checked first.
  protocol::FrameHeader h;
  h.opcode = static_cast<uint16_t>(Opcode::kMatch);
  DispatchResult r = dispatcher_->Dispatch(h, "\xff\xff", ctx_);
  EXPECT_EQ(r.error, WireError::kUnauthenticated);
  EXPECT_TRUE(r.close_after);
  EXPECT_EQ(Counters(Opcode::kMatch).calls.load(), 1u);
  EXPECT_EQ(Counters(Opcode::kMatch).rejected.load(), 1u);
}

TEST_F(DispatcherTest, RoleBeforeBody) {
  Login("c");
  protocol::FrameHeader h;
  h.opcode = static_cast<uint16_t>(Opcode::kMatch);
  DispatchResult r = dispatcher_->Dispatch(h, "\xff\xff", ctx_);
  EXPECT_EQ(r.error, WireError::kPermissionDenied);
  EXPECT_EQ(r.message, "match: token 'checker' lacks role 'match'");
}

TEST_F(DispatcherTest, BodyBeforeBatch) {
  Login("c");
  protocol::FrameHeader h;
  h.opcode = static_cast<uint16_t>(Opcode::kValidate);
  DispatchResult r = dispatcher_->Dispatch(h, "\xff\xff", ctx_);
  EXPECT_EQ(r.error, WireError::kBadBody);
  EXPECT_EQ(r.message, "body: 2 bytes are not a ValidateRequest");
}

TEST_F(DispatcherTest, BatchLimit) {
  Login("c");
  proto::ValidateRequest v;
  for (int i = 0; i < 4; ++i) v.add_codes("x");
  DispatchResult r = Run(Opcode::kValidate, v);
  EXPECT_EQ(r.error, WireError::kBatchTooLarge);
  EXPECT_EQ(r.message, "batch: 4 entries exceeds max_batch 3");
  v.mutable_codes()->RemoveLast();
  EXPECT_EQ(Run(Opcode::kValidate, v).error, WireError::kOk);
  const CommandCounters& c = Counters(Opcode::kValidate);
  EXPECT_EQ(c.calls.load(), 2u);
  EXPECT_EQ(c.rejected.load(), 1u);
  EXPECT_EQ(c.failed.load(), 0u);
}

TEST_F(DispatcherTest, RateLimitPerToken) {
  Login("s");  // 2 requests/s
  proto::PingRequest p;
  EXPECT_EQ(Run(Opcode::kPing, p).error, WireError::kOk);
  EXPECT_EQ(Run(Opcode::kPing, p).error, WireError::kOk);
  DispatchResult r = Run(Opcode::kPing, p);
  EXPECT_EQ(r.error, WireError::kRateLimited);
  EXPECT_EQ(r.message, "rate limit: token 'slow' exceeds 2 requests/s");
}

TEST_F(DispatcherTest, HandlerErrorCountsAsFailed) {
  Login("c");
  proto::ReceiptLookupRequest rl;
  rl.set_receipt("not-a-receipt");
  DispatchResult r = Run(Opcode::kReceiptLookup, rl);
  EXPECT_NE(r.error, WireError::kOk);
  EXPECT_EQ(Counters(Opcode::kReceiptLookup).failed.load(), 1u);
  proto::ErrorReply e;
  ASSERT_TRUE(e.ParseFromString(r.body));
  EXPECT_EQ(e.code(), static_cast<uint32_t>(r.error));
}

TEST_F(DispatcherTest, WrongTokenIsUnauthenticated) {
  proto::AuthRequest a;
  a.set_token("nope");
  DispatchResult r = Run(Opcode::kAuth, a);
  EXPECT_EQ(r.error, WireError::kUnauthenticated);
  EXPECT_EQ(r.message, "auth: unknown token");
  EXPECT_FALSE(session_.authenticated);
}

TEST_F(DispatcherTest, HandlersWithoutSockets) {
  proto::ValidateRequest v;
  v.add_codes("91350100M000100Y43");
  v.add_codes(" 9135\t0100 ");
  auto r = handlers::Validate(v, ctx_);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->results_size(), 2);
  EXPECT_EQ(r->results(1).input(), " 9135\\t0100 ");
  proto::SubjectLookupRequest l;
  l.set_id("x");
  EXPECT_EQ(handlers::SubjectLookup(l, ctx_).status().code(),
            absl::StatusCode::kNotFound);
  auto dups = handlers::DuplicateReport({}, ctx_);
  ASSERT_TRUE(dups.ok()) << dups.status();
  EXPECT_EQ(dups->total_findings(), 0u);
}

#ifdef CREDITD_HAVE_CHECK
// check and batch_check parse into a request and fill a response that are
// kept per thread and reused (command_table.cc, dispatcher.cc): a reply must
// carry nothing over from the requests answered before it on the thread.
// Each reply is compared with the same request answered on a fresh thread
// (fresh messages), receipts blanked.
TEST_F(DispatcherTest, ReusedMessagesCarryNothingOver) {
  DaemonConfig config;
  config.audit_dir = dir_.path() + "/audit";
  config.tokens.push_back({"checker", Authenticator::Sha256Hex("c"),
                           kRoleCheck | kRoleWrite, 1000});
  auto measures = MeasuresList::BuiltinDefault();
  ASSERT_TRUE(measures.ok());
  state_ = std::make_unique<DaemonState>(
      holder_.get(), config,
      std::make_shared<const MeasuresList>(std::move(*measures)));
  ASSERT_TRUE(state_->StartCheckEngine().ok());
  dispatcher_ = std::make_unique<Dispatcher>(state_.get());
  ctx_.state = state_.get();
  Login("c");

  proto::UpsertSubjectsRequest up;
  proto::Subject* s = up.add_subjects();
  s->set_id("s1");
  s->set_code("91350100M000100Y43");
  s->set_name("福州鑫盛达科技有限公司");
  s->add_former_names("旧名 110101199003071234");
  s->set_legal_rep("张三丰");
  s->set_registered_on("2015-03-02");
  ASSERT_TRUE(handlers::UpsertSubjects(up, ctx_).ok());
  proto::PutRecordsRequest pr;
  for (int i = 0; i < 3; ++i) {
    proto::Record* r = pr.add_records();
    r->set_id("r" + std::to_string(i));
    r->set_code("91350100M000100Y43");
    r->set_list(i == 0 ? "serious_dishonesty" : "abnormal_operation");
    r->set_name("福州鑫盛达科技有限公司");
    r->set_detail("负责人 110101199003071234");
    r->set_decided_on("2023-01-0" + std::to_string(i + 1));
  }
  ASSERT_TRUE(handlers::PutRecords(pr, ctx_).ok());

  std::vector<proto::CheckRequest> checks(4);
  checks[0].set_code("91350100M000100Y43");
  checks[0].set_name("另一家公司");  // name_mismatch: an issue, name_check
  checks[0].set_scenario("bidding");
  checks[1].set_code("x");  // invalid: no subject, no records
  checks[1].set_scenario("bidding");
  checks[2].set_code("91350100M000100Y43");
  checks[2].set_scenario("government_procurement");
  checks[3].set_code("91350100M000100Y43");
  checks[3].set_name("福州鑫盛达科技有限公司");  // matches
  checks[3].set_scenario("bidding");
  auto blank = [](const DispatchResult& r) {
    proto::CheckResponse c;
    EXPECT_TRUE(c.ParseFromString(r.body));
    EXPECT_FALSE(c.receipt().empty());
    c.clear_receipt();
    return c.SerializeAsString();
  };
  // Twice over, so that every request follows a different one.
  for (int round = 0; round < 2; ++round) {
    for (const proto::CheckRequest& c : checks) {
      const DispatchResult reused = Run(Opcode::kCheck, c);
      ASSERT_EQ(reused.error, WireError::kOk) << reused.message;
      DispatchResult fresh;
      std::thread([&] { fresh = Run(Opcode::kCheck, c); }).join();
      ASSERT_EQ(fresh.error, WireError::kOk) << fresh.message;
      EXPECT_EQ(blank(reused), blank(fresh)) << c.ShortDebugString();
    }
  }
}
#endif

TEST(ErrorCodesTest, TableIsOrderedAndNamed) {
  uint32_t last = 0;
  bool first = true;
  for (const ErrorInfo& e : ErrorTable()) {
    if (!first) {
      EXPECT_GT(static_cast<uint32_t>(e.code), last);
    }
    first = false;
    last = static_cast<uint32_t>(e.code);
    EXPECT_FALSE(e.name.empty());
    EXPECT_FALSE(e.meaning.empty());
  }
  EXPECT_EQ(WireErrorFromStatus(absl::InvalidArgumentError("x")),
            WireError::kInvalidArgument);
  EXPECT_EQ(SafeMessage("a\nb\x01"), "a\\nb\\x01");
}

}  // namespace
}  // namespace creditd
