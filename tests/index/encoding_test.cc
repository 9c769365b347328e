#include "index/internal/encoding.h"

#include "gtest/gtest.h"

#include <string>
#include <vector>

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

// The allocation-free views (used by the duplicate scan) see exactly what the
// full decoders see, and reject exactly what they reject.
TEST(EncodingTest, SubjectViewMatchesDecodeSubject) {
  std::string data;
  const Subject s = FullSubject();
  EncodeSubject(s, &data);
  auto v = DecodeSubjectView(data);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->source, s.source);
  EXPECT_EQ(v->id, s.id);
  EXPECT_EQ(v->code, s.code);
  EXPECT_EQ(v->name, s.name);
  EXPECT_EQ(v->former_count, 2u);
  std::vector<std::string> formers;
  ForEachFormerName(*v, [&](std::string_view f) { formers.emplace_back(f); });
  EXPECT_EQ(formers, s.former_names);
  EXPECT_EQ(v->legal_rep, s.legal_rep);
  EXPECT_EQ(v->region, s.region);
  EXPECT_EQ(v->status, SubjectStatus::kRevoked);
  EXPECT_EQ(v->registered_on, s.registered_on);
  EXPECT_EQ(v->org_code, s.org_code);
  EXPECT_EQ(v->reg_no, s.reg_no);
  for (size_t n = 0; n < data.size(); ++n) {
    EXPECT_FALSE(DecodeSubjectView(data.substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(DecodeSubjectView(data + "x").ok());
  std::string future = data;
  future[0] = 2;
  EXPECT_EQ(DecodeSubjectView(future).status().message(),
            "encoding: unknown version 2");
}

TEST(EncodingTest, RecordViewMatchesDecodeRecord) {
  Record r;
  r.source = "records.jsonl:3";
  r.id = "R1";
  r.code = "91350100M000100Y43";
  r.list = "abnormal_operation";
  r.name = "福州鑫盛达科技有限公司";
  r.authority = "福州市市场监督管理局";
  r.basis = "《企业信息公示暂行条例》";
  r.doc_no = "榕市监异〔2024〕17号";
  r.detail = "未按期公示年报";
  r.decided_on = *ParseDate("2024-01-05");
  r.valid_from = *ParseDate("2024-01-06");
  r.repaired_on = *ParseDate("2024-06-30");
  r.disputed = true;
  std::string data;
  EncodeRecord(r, &data);
  auto v = DecodeRecordView(data);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->source, r.source);
  EXPECT_EQ(v->id, r.id);
  EXPECT_EQ(v->code, r.code);
  EXPECT_EQ(v->list, r.list);
  EXPECT_EQ(v->name, r.name);
  EXPECT_EQ(v->authority, r.authority);
  EXPECT_EQ(v->basis, r.basis);
  EXPECT_EQ(v->doc_no, r.doc_no);
  EXPECT_EQ(v->detail, r.detail);
  EXPECT_EQ(v->decided_on, r.decided_on);
  EXPECT_EQ(v->valid_from, r.valid_from);
  EXPECT_FALSE(v->valid_until.has_value());
  EXPECT_EQ(v->repaired_on, r.repaired_on);
  EXPECT_TRUE(v->disputed);
  for (size_t n = 0; n < data.size(); ++n) {
    EXPECT_FALSE(DecodeRecordView(data.substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(DecodeRecordView(data + "x").ok());
  EXPECT_FALSE(DecodeSubjectView(data).ok());  // wrong tag
}

}  // namespace
}  // namespace creditd::internal
