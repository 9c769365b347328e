// The reply encoders (daemon/handlers/convert.h) give the same bytes for a
// registry view (the check path) as for the owned struct, including the
// parts a view holds differently: former names and "file:line" sources,
// which the registry's compact base splits into a shared file name and a
// number.
#include "daemon/handlers/convert.h"

#include "index/registry.h"

#include "gtest/gtest.h"

#include <string>
#include <vector>

namespace creditd::handlers {
namespace {

constexpr char kCode[] = "91350100M000100Y43";

Subject TestSubject() {
  Subject s;
  s.id = "s1";
  s.code = kCode;
  s.name = "福州鑫盛达科技有限公司（330102199001011234）";
  s.former_names = {"福州鑫盛达电子有限公司", "福州鑫盛达贸易有限公司"};
  s.legal_rep = "张三丰";
  s.region = "350100";
  s.status = SubjectStatus::kRevoked;
  s.registered_on = *ParseDate("2015-03-02");
  s.org_code = "M000100Y4";
  s.source = "subjects.jsonl:17";
  return s;
}

Record TestRecord() {
  Record r;
  r.id = "r1";
  r.code = kCode;
  r.list = "serious_dishonesty";
  r.name = "福州鑫盛达科技有限公司";
  r.authority = "福州市市场监督管理局";
  r.basis = "《企业信息公示暂行条例》第十七条";
  r.doc_no = "榕市监〔2023〕12号";
  r.detail = "法定代表人身份证号330102199001011234";
  r.decided_on = *ParseDate("2023-05-01");
  r.valid_from = *ParseDate("2023-05-02");
  r.repaired_on = *ParseDate("2024-05-02");
  r.disputed = true;
  r.source = "records.csv:3";
  return r;
}

TEST(ConvertTest, ViewsEncodeLikeTheOwnedStructs) {
  RegistryBuilder b;
  ASSERT_TRUE(b.AddSubject(TestSubject()).ok());
  ASSERT_TRUE(b.AddRecord(TestRecord()).ok());
  auto reg = b.Finish(1);
  std::vector<SubjectView> subjects;
  std::vector<RecordView> records;
  reg->VisitCode(
      kCode, [&](const SubjectView& v) { subjects.push_back(v); },
      [&](const RecordView& v) { records.push_back(v); });
  ASSERT_EQ(subjects.size(), 1u);
  ASSERT_EQ(records.size(), 1u);
  // The compact base split the source: the test covers the join.
  ASSERT_EQ(subjects[0].source_line, 17u);
  ASSERT_EQ(records[0].source_line, 3u);

  for (pii::View view : {pii::View::kClear, pii::View::kMasked}) {
    proto::Subject from_view, from_owned;
    ToProto(subjects[0], view, &from_view);
    ToProto(TestSubject(), view, &from_owned);
    EXPECT_EQ(from_view.SerializeAsString(), from_owned.SerializeAsString())
        << from_view.DebugString() << "\nvs\n"
        << from_owned.DebugString();
    EXPECT_EQ(from_view.source(), "subjects.jsonl:17");
    EXPECT_EQ(from_view.former_names_size(), 2);
    EXPECT_EQ(from_view.status(), "revoked");

    proto::Record rec_view, rec_owned;
    ToProto(records[0], view, &rec_view);
    ToProto(TestRecord(), view, &rec_owned);
    EXPECT_EQ(rec_view.SerializeAsString(), rec_owned.SerializeAsString())
        << rec_view.DebugString() << "\nvs\n"
        << rec_owned.DebugString();
    EXPECT_EQ(rec_view.source(), "records.csv:3");
    EXPECT_EQ(rec_view.repaired_on(), "2024-05-02");
    if (view == pii::View::kMasked) {
      EXPECT_EQ(from_view.legal_rep(), "张**");
      EXPECT_EQ(rec_view.detail(), "法定代表人身份证号330102********1234");
    } else {
      EXPECT_EQ(from_view.legal_rep(), "张三丰");
    }
  }
}

}  // namespace
}  // namespace creditd::handlers
