// The bad-input catalogue of issue 7 against the real daemon: each case gets
// the exact error (or close) and leaves the daemon serving others.
#include "tests/integration/daemon_harness.h"

#include <gtest/gtest.h>

namespace creditd::testing {
namespace {

using protocol::Opcode;

class ProtocolTest : public ::testing::Test {
 protected:
  void SetUp() override { daemon_.Start(); }
  // After every case: the daemon still answers a fresh, well-behaved client.
  void TearDown() override {
    auto c = daemon_.Connect();
    ASSERT_NE(c, nullptr);
    EXPECT_TRUE(c->Ping("still here").ok());
    EXPECT_EQ(daemon_.Stop(), 0);
  }
  DaemonProcess daemon_;
};

std::string Header(uint8_t version, uint8_t flags, uint16_t op, uint64_t id,
                   uint32_t len) {
  protocol::FrameHeader h;
  h.version = version;
  h.flags = flags;
  h.opcode = op;
  h.request_id = id;
  h.body_length = len;
  const auto b = protocol::EncodeHeader(h);
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

TEST_F(ProtocolTest, WrongMagicGetsErrorFrameThenClose) {
  RawConnection c(daemon_.port());
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\n\r\n"));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.error.name(), "protocol_error");
  EXPECT_EQ(r.error.message(), "frame: bad magic 0x47455420 (want 0x43524454)");
  EXPECT_TRUE(c.Closed());
}

TEST_F(ProtocolTest, UnknownVersion) {
  RawConnection c(daemon_.port());
  ASSERT_TRUE(c.Send(Header(9, 0, 3, 5, 0)));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.error.name(), "protocol_error");
  EXPECT_EQ(r.error.message(), "frame: unknown version 9 (supported: 1)");
  EXPECT_TRUE(c.Closed());
}

TEST_F(ProtocolTest, BodyOverPreauthLimit) {
  RawConnection c(daemon_.port());
  ASSERT_TRUE(c.Send(Header(1, 0, 2, 7, 5000)));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.header.request_id, 7u);
  EXPECT_EQ(r.error.name(), "frame_too_large");
  EXPECT_EQ(r.error.message(),
            "frame: length 5020 exceeds max_preauth_frame_bytes 1024");
  EXPECT_TRUE(c.Closed());
}

TEST_F(ProtocolTest, BodyOverLimitAfterAuth) {
  RawConnection c(daemon_.port());
  c.Authenticate();
  ASSERT_TRUE(c.Send(Header(1, 0, 11, 8, 100000)));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.error.message(),
            "frame: length 100020 exceeds max_frame_bytes 65536");
  EXPECT_TRUE(c.Closed());
}

TEST_F(ProtocolTest, TruncatedHeaderThenSilenceTimesOut) {
  RawConnection c(daemon_.port());
  ASSERT_TRUE(c.Send(Header(1, 0, 3, 1, 0).substr(0, 10)));
  auto r = c.Read(std::chrono::seconds(6));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.error.name(), "idle_timeout");
  EXPECT_TRUE(c.Closed());
}

TEST_F(ProtocolTest, TruncatedBodyThenSilenceTimesOut) {
  RawConnection c(daemon_.port());
  ASSERT_TRUE(c.Send(Header(1, 0, 3, 1, 100) + "abc"));
  auto r = c.Read(std::chrono::seconds(6));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.error.name(), "idle_timeout");
  EXPECT_TRUE(c.Closed());
}

TEST_F(ProtocolTest, BodyNotTheDeclaredMessageStaysOpen) {
  RawConnection c(daemon_.port());
  c.Authenticate();
  ASSERT_TRUE(c.Send(Header(1, 0, 10, 42, 4) + "\xff\xff\xff\xff"));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.header.request_id, 42u);
  EXPECT_EQ(r.error.name(), "bad_body");
  EXPECT_EQ(r.error.message(), "body: 4 bytes are not a ValidateRequest");
  proto::PingRequest ping;
  ASSERT_TRUE(c.SendFrame(Opcode::kPing, 43, ping));
  r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.header.request_id, 43u);
  EXPECT_EQ(r.header.flags & protocol::kFlagError, 0);
}

TEST_F(ProtocolTest, UnknownOpcodeGetsErrorAndConnectionStays) {
  RawConnection c(daemon_.port());
  c.Authenticate();
  ASSERT_TRUE(c.Send(Header(1, 0, 999, 77, 0)));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.header.request_id, 77u);
  EXPECT_EQ(r.error.name(), "unknown_opcode");
  EXPECT_EQ(r.error.message(), "opcode: unknown opcode 999");
  proto::PingRequest ping;
  ASSERT_TRUE(c.SendFrame(Opcode::kPing, 78, ping));
  r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.header.request_id, 78u);
}

TEST_F(ProtocolTest, RequestBeforeAuthIsRefusedAndClosed) {
  RawConnection c(daemon_.port());
  proto::ValidateRequest v;
  v.add_codes(daemon_.code1);
  ASSERT_TRUE(c.SendFrame(Opcode::kValidate, 5, v));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.header.request_id, 5u);
  EXPECT_EQ(r.error.name(), "unauthenticated");
  EXPECT_EQ(r.error.message(),
            "validate: authenticate first (only hello, auth and ping are "
            "allowed before AUTH)");
  EXPECT_TRUE(c.Closed());
}

TEST_F(ProtocolTest, WrongTokenIsRefusedAndClosed) {
  RawConnection c(daemon_.port());
  proto::AuthRequest a;
  a.set_token("guess");
  ASSERT_TRUE(c.SendFrame(Opcode::kAuth, 1, a));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.error.name(), "unauthenticated");
  EXPECT_EQ(r.error.message(), "auth: unknown token");
  EXPECT_TRUE(c.Closed());
}

TEST_F(ProtocolTest, RoleTheTokenLacks) {
  RawConnection c(daemon_.port());
  c.Authenticate(kCheckerToken);
  proto::MatchRequest m;
  m.set_name("鑫盛达");
  ASSERT_TRUE(c.SendFrame(Opcode::kMatch, 9, m));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.error.name(), "permission_denied");
  EXPECT_EQ(r.error.message(), "match: token 'checker' lacks role 'match'");
  // Stays open: a permitted operation works.
  proto::ValidateRequest v;
  v.add_codes(daemon_.code1);
  ASSERT_TRUE(c.SendFrame(Opcode::kValidate, 10, v));
  r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.header.flags & protocol::kFlagError, 0);
}

TEST_F(ProtocolTest, BatchOverTheLimit) {
  RawConnection c(daemon_.port());
  c.Authenticate();
  proto::ValidateRequest v;
  for (int i = 0; i < 11; ++i) v.add_codes(daemon_.code1);
  ASSERT_TRUE(c.SendFrame(Opcode::kValidate, 11, v));
  auto r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.error.name(), "batch_too_large");
  EXPECT_EQ(r.error.message(), "batch: 11 entries exceeds max_batch 10");
}

TEST_F(ProtocolTest, MoreConnectionsThanTheLimit) {
  std::vector<std::unique_ptr<RawConnection>> open;
  for (int i = 0; i < 8; ++i) {
    open.push_back(std::make_unique<RawConnection>(daemon_.port()));
    open.back()->Authenticate();
  }
  RawConnection extra(daemon_.port());
  auto r = extra.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.error.name(), "too_many_connections");
  EXPECT_TRUE(extra.Closed());
  open.clear();  // TearDown's client needs a free slot
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
}

TEST_F(ProtocolTest, ClientThatNeverReadsIsDisconnected) {
  RawConnection c(daemon_.port(), /*rcvbuf=*/4096);
  c.Authenticate();
  proto::PingRequest ping;
  ping.set_payload(std::string(8000, 'x'));
  const std::string frame = protocol::EncodeFrame(
      static_cast<uint16_t>(Opcode::kPing), 1, 0, ping.SerializeAsString());
  // Keep sending and never read: the daemon must cut us off once its queue
  // passes max_output_buffer_bytes, before we send 64 MiB.
  bool cut = false;
  for (int i = 0; i < 8192; ++i) {
    pollfd p{c.fd(), POLLOUT, 0};
    if (::poll(&p, 1, 3000) <= 0) break;
    if (!c.Send(frame)) {
      cut = true;
      break;
    }
  }
  if (!cut) cut = c.Closed(std::chrono::seconds(5));
  EXPECT_TRUE(cut);
  EXPECT_NE(daemon_.Log().find("reason=output_buffer"), std::string::npos)
      << daemon_.Log();
}

// The session reads whatever the socket holds and answers every frame in it:
// frames sent in one write, a body bigger than the read buffer between
// them, and a frame dribbled in byte by byte are all answered, in order,
// each with its own request id.
TEST(ProtocolPipelineTest, FramesInOneSendBigBodiesAndDribbledBytes) {
  Limits limits;
  limits.max_frame_bytes = 1 << 20;
  limits.max_output_buffer_bytes = 4 << 20;
  DaemonProcess daemon(limits);
  daemon.Start();
  RawConnection c(daemon.port());
  c.Authenticate();
  std::string burst;
  std::vector<size_t> sizes;
  for (uint64_t id = 1; id <= 40; ++id) {
    proto::PingRequest ping;
    // Frame 20 carries 300 KB: more than the 64 KiB read buffer.
    const size_t n = id == 20 ? 300000 : 10 + id;
    ping.set_payload(std::string(n, static_cast<char>('a' + id % 26)));
    sizes.push_back(n);
    burst += protocol::EncodeFrame(static_cast<uint16_t>(Opcode::kPing), id, 0,
                                   ping.SerializeAsString());
  }
  ASSERT_TRUE(c.Send(burst));
  for (uint64_t id = 1; id <= 40; ++id) {
    RawConnection::Reply r = c.Read();
    ASSERT_TRUE(r.ok) << "reply " << id;
    EXPECT_EQ(r.header.request_id, id);
    proto::PingResponse p;
    ASSERT_TRUE(p.ParseFromString(r.body));
    EXPECT_EQ(p.payload().size(), sizes[id - 1]);
  }
  proto::PingRequest ping;
  ping.set_payload("slow");
  const std::string frame = protocol::EncodeFrame(
      static_cast<uint16_t>(Opcode::kPing), 99, 0, ping.SerializeAsString());
  for (char ch : frame) ASSERT_TRUE(c.Send(std::string_view(&ch, 1)));
  RawConnection::Reply r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.header.request_id, 99u);
  EXPECT_EQ(daemon.Stop(), 0);
}

}  // namespace
}  // namespace creditd::testing
