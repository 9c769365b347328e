// The malformed-frame catalogue: each damaged header gives one exact reason.
#include "daemon/protocol/frame_codec.h"

#include <gtest/gtest.h>

#include <string>

namespace creditd::protocol {
namespace {

using State = DecodeResult::State;

std::string Frame(uint16_t op, uint64_t id, uint8_t flags, std::string body) {
  return EncodeFrame(op, id, flags, body);
}

DecodeResult Decode(const std::string& bytes, uint64_t limit = 1024,
                    bool expect_response = false) {
  return DecodeFrameHeader(
      std::span<const std::byte>(
          reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()),
      limit, "max_frame_bytes", expect_response);
}

TEST(FrameCodecTest, ExactBytesOfAPing) {
  const std::string f = Frame(3, 0x0102030405060708, 0, "ab");
  const std::string want = std::string("CRDT\x01\x00\x03\x00", 8) +
                           std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8) +
                           std::string("\x02\x00\x00\x00", 4) + "ab";
  EXPECT_EQ(f, want);
}

TEST(FrameCodecTest, RoundTrip) {
  const std::string f = Frame(11, 42, 0, std::string(100, 'x'));
  DecodeResult d = Decode(f);
  ASSERT_EQ(d.state, State::kComplete) << d.reason;
  EXPECT_EQ(d.header.opcode, 11);
  EXPECT_EQ(d.header.request_id, 42u);
  EXPECT_EQ(d.header.body_length, 100u);
}

TEST(FrameCodecTest, NeedMoreForEveryPrefixOfAGoodHeader) {
  const std::string f = Frame(3, 1, 0, "");
  for (size_t n = 0; n < kHeaderSize; ++n) {
    EXPECT_EQ(Decode(f.substr(0, n)).state, State::kNeedMore) << n;
  }
  EXPECT_EQ(Decode(f).state, State::kComplete);
}

struct BadCase {
  const char* name;
  std::string bytes;
  uint64_t limit;
  bool expect_response;
  const char* reason;
};

TEST(FrameCodecTest, MalformedFrameCatalogue) {
  std::string wrong_version = Frame(3, 1, 0, "");
  wrong_version[4] = 7;
  std::string unknown_flags = Frame(3, 1, 0, "");
  unknown_flags[5] = static_cast<char>(0x80);
  std::string max_len = Frame(3, 1, 0, "");
  max_len[16] = max_len[17] = max_len[18] = max_len[19] = '\xff';
  const BadCase cases[] = {
      {"http", "GET / HTTP/1.1\r\n", 1024, false,
       "frame: bad magic 0x47455420 (want 0x43524454)"},
      {"first byte only", "X", 1024, false,
       "frame: bad magic 0x58000000 (want 0x43524454)"},
      {"tls client hello", "\x16\x03\x01\x02", 1024, false,
       "frame: bad magic 0x16030102 (want 0x43524454)"},
      {"version", wrong_version, 1024, false,
       "frame: unknown version 7 (supported: 1)"},
      {"version seen early", wrong_version.substr(0, 5), 1024, false,
       "frame: unknown version 7 (supported: 1)"},
      {"flags", unknown_flags, 1024, false, "frame: unknown flags 0x80"},
      {"response flag on a request", Frame(3, 1, kFlagResponse, ""), 1024,
       false, "frame: response flag set on a request"},
      {"request seen by a client", Frame(3, 1, 0, ""), 1024, true,
       "frame: response flag missing"},
      {"over the limit", Frame(3, 1, 0, std::string(1005, 'x')), 1024, false,
       "frame: length 1025 exceeds max_frame_bytes 1024"},
      {"length 2^32-1", max_len, 1024, false,
       "frame: length 4294967315 exceeds max_frame_bytes 1024"},
  };
  for (const BadCase& c : cases) {
    DecodeResult d = Decode(c.bytes, c.limit, c.expect_response);
    EXPECT_EQ(d.state, State::kBad) << c.name;
    EXPECT_EQ(d.reason, c.reason) << c.name;
  }
}

TEST(FrameCodecTest, LimitIsInclusive) {
  EXPECT_EQ(Decode(Frame(3, 1, 0, std::string(1004, 'x'))).state,
            State::kComplete);
}

// One case per opcode: every opcode has a name (frame.h checklist).
TEST(FrameCodecTest, EveryOpcodeHasAName) {
  for (Opcode op :
       {Opcode::kHello, Opcode::kAuth, Opcode::kPing, Opcode::kValidate,
        Opcode::kCheck, Opcode::kBatchCheck, Opcode::kExtract,
        Opcode::kReceiptLookup, Opcode::kMatch, Opcode::kCompareNames,
        Opcode::kSubjectLookup, Opcode::kDuplicateReport,
        Opcode::kUpsertSubjects, Opcode::kDeleteSubjects, Opcode::kPutRecords,
        Opcode::kRepairRecord, Opcode::kStats}) {
    EXPECT_NE(OpcodeName(static_cast<uint16_t>(op)), "unknown")
        << static_cast<int>(op);
  }
  EXPECT_EQ(OpcodeName(999), "unknown");
}

}  // namespace
}  // namespace creditd::protocol
