// libFuzzer target: the frame decoder (DecodeFrameHeader) and the body decode
// behind it, on a stream of arbitrary bytes cut into frames the way the
// session cuts them.
//
// The first input byte picks the limit in force (pre-auth 4 KiB or 4 MiB) and
// the side (request or response); the rest is the byte stream. Invariants,
// each an abort when broken:
//  * kNeedMore only with fewer than kHeaderSize bytes, never a reason;
//  * kBad always carries a reason starting "frame: ";
//  * a complete header fits the limit and re-encodes to the same 20 bytes;
//  * decoding any prefix of a good header never says kBad (faults are
//    reported as soon as, and only when, the bytes show them);
//  * a body that parses as its opcode's request re-parses from its own
//    serialisation.
#include "daemon/command_table.h"
#include "daemon/protocol/creditd.pb.h"
#include "daemon/protocol/frame.h"
#include "daemon/protocol/frame_codec.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>

namespace {

using creditd::protocol::DecodeFrameHeader;
using creditd::protocol::DecodeResult;
using creditd::protocol::kHeaderSize;

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const uint64_t limit = (mode & 1) ? 4096 : 4u << 20;
  const bool expect_response = (mode & 2) != 0;
  const auto* p = reinterpret_cast<const std::byte*>(data + 1);
  size_t left = size - 1;
  // At most 64 frames per input: a stream of empty bodies stays cheap.
  for (int frames = 0; frames < 64; ++frames) {
    const DecodeResult r =
        DecodeFrameHeader(std::span<const std::byte>(p, left), limit,
                          "max_frame_bytes", expect_response);
    if (r.state == DecodeResult::State::kNeedMore) {
      Check(left < kHeaderSize && r.reason.empty());
      return 0;
    }
    if (r.state == DecodeResult::State::kBad) {
      Check(r.reason.rfind("frame: ", 0) == 0);
      return 0;
    }
    Check(left >= kHeaderSize);
    Check(kHeaderSize + uint64_t{r.header.body_length} <= limit);
    const auto again = creditd::protocol::EncodeHeader(r.header);
    Check(std::memcmp(again.data(), p, kHeaderSize) == 0);
    for (size_t n = 0; n < kHeaderSize; ++n) {
      const DecodeResult prefix =
          DecodeFrameHeader(std::span<const std::byte>(p, n), limit,
                            "max_frame_bytes", expect_response);
      Check(prefix.state == DecodeResult::State::kNeedMore);
    }
    p += kHeaderSize;
    left -= kHeaderSize;
    if (left < r.header.body_length) return 0;  // the session waits for more
    const std::byte* body = p;
    const size_t body_size = r.header.body_length;
    p += body_size;
    left -= body_size;
    if (r.header.flags & creditd::protocol::kFlagError) {
      creditd::proto::ErrorReply e;
      (void)e.ParseFromArray(body, static_cast<int>(body_size));
      continue;
    }
    size_t index = 0;
    const creditd::CommandRow* row =
        creditd::FindCommand(r.header.opcode, &index);
    if (row == nullptr) continue;  // unknown_opcode reply, stream goes on
    creditd::MessagePtr m = row->new_request();
    if (!m->ParseFromArray(body, static_cast<int>(body_size))) continue;
    const std::string bytes = m->SerializeAsString();
    creditd::MessagePtr m2 = row->new_request();
    Check(m2->ParseFromString(bytes));
    Check(m2->SerializeAsString() == bytes);
    if (row->batch_size != nullptr) (void)row->batch_size(*m);
  }
  return 0;
}
