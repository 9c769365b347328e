#include "index/internal/encoding.h"

#include "gtest/gtest.h"

namespace creditd::internal {
namespace {

Subject FullSubject() {
  Subject s;
  s.id = "S1";
  s.code = "91350100M000100Y43";
  s.name = "福州鑫盛达科技有限公司";
  s.former_names = {"福州鑫盛达贸易有限公司", "鑫盛达商行"};
  s.legal_rep = "张*";
  s.region = "350100";
  s.status = SubjectStatus::kRevoked;
  s.registered_on = *ParseDate("2015-10-01");
  s.org_code = "M000100Y4";
  s.reg_no = "350100000000016";
  s.source = "subjects.jsonl:1";
  return s;
}

TEST(EncodingTest, SubjectRoundTrip) {
  std::string data;
  EncodeSubject(FullSubject(), &data);
  auto back = DecodeSubject(data);
  ASSERT_TRUE(back.ok()) << back.status();
  std::string again;
  EncodeSubject(*back, &again);
  EXPECT_EQ(data, again);
  EXPECT_EQ(back->former_names.size(), 2u);
  EXPECT_EQ(back->status, SubjectStatus::kRevoked);
  EXPECT_EQ(FormatDate(back->registered_on), "2015-10-01");
  auto peek = PeekIdAndCode(data);
  ASSERT_TRUE(peek.ok());
  EXPECT_EQ(peek->tag, 'S');
  EXPECT_EQ(peek->id, "S1");
  EXPECT_EQ(peek->code, "91350100M000100Y43");
}

TEST(EncodingTest, RecordRoundTripWithMissingDates) {
  Record r;
  r.id = "R1";
  r.code = "91350100M000100Y43";
  r.list = "abnormal_operation";
  r.valid_from = *ParseDate("2020-02-29");
  r.disputed = true;
  std::string data;
  EncodeRecord(r, &data);
  auto back = DecodeRecord(data);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->disputed);
  EXPECT_FALSE(back->valid_until.has_value());
  EXPECT_EQ(back->valid_from, r.valid_from);
  EXPECT_FALSE(DecodeSubject(data).ok());  // wrong tag
}

TEST(EncodingTest, EveryTruncationAndVersionIsRejected) {
  std::string data;
  EncodeSubject(FullSubject(), &data);
  for (size_t n = 0; n < data.size(); ++n) {
    EXPECT_FALSE(DecodeSubject(data.substr(0, n)).ok()) << n;
  }
  std::string future = data;
  future[0] = 2;
  EXPECT_EQ(DecodeSubject(future).status().message(),
            "encoding: unknown version 2");
  EXPECT_FALSE(DecodeSubject(data + "x").ok());
  // A non-minimal varint (found by tests/fuzz/encoding_fuzz): the source
  // length 0 written as 0x80 0x00 decodes to the same value but is not the
  // canonical encoding, and is rejected.
  Subject empty_source = FullSubject();
  empty_source.source.clear();
  std::string canonical;
  EncodeSubject(empty_source, &canonical);
  ASSERT_EQ(canonical[2], '\0');
  std::string overlong = canonical;
  overlong.replace(2, 1, std::string("\x80\x00", 2));
  EXPECT_TRUE(DecodeSubject(canonical).ok());
  EXPECT_FALSE(DecodeSubject(overlong).ok());
}

}  // namespace
}  // namespace creditd::internal
