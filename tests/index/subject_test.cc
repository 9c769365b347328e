#include "index/subject.h"

#include "gtest/gtest.h"

namespace creditd {
namespace {

TEST(DateTest, ParseAndFormat) {
  auto d = ParseDate("2024-02-29");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(FormatDate(*d), "2024-02-29");
  EXPECT_EQ(ParseDate("1970-01-01")->days, 0);
  EXPECT_EQ(ParseDate("1970-01-02")->days, 1);
  EXPECT_EQ(ParseDate("2023-02-29").status().message(),
            "no such day '2023-02-29'");
  EXPECT_EQ(ParseDate("2023/01/01").status().message(),
            "not a date '2023/01/01' (want YYYY-MM-DD)");
  EXPECT_FALSE(ParseDate("").ok());
  EXPECT_FALSE(ParseDate("2023-13-01").ok());
  EXPECT_FALSE(ParseDate("0000-01-01").ok());
  EXPECT_EQ(FormatDate(Date{}), "");
  EXPECT_TRUE(Today().has_value());
}

TEST(RecordTest, InForceBoundaries) {
  Record r;
  r.valid_from = *ParseDate("2024-01-10");
  r.valid_until = *ParseDate("2024-12-31");
  EXPECT_FALSE(r.InForce(*ParseDate("2024-01-09")));
  EXPECT_TRUE(r.InForce(*ParseDate("2024-01-10")));
  EXPECT_TRUE(r.InForce(
      *ParseDate("2024-12-31")));  // valid_until is the last day in force
  EXPECT_FALSE(r.InForce(*ParseDate("2025-01-01")));
  r.repaired_on = *ParseDate("2024-06-01");
  EXPECT_TRUE(r.InForce(*ParseDate("2024-05-31")));
  EXPECT_FALSE(r.InForce(
      *ParseDate("2024-06-01")));  // repaired on the day: no longer counts
  Record open;
  EXPECT_TRUE(open.InForce(*ParseDate("1999-01-01")));
}

TEST(SubjectTest, KindsAndStatus) {
  EXPECT_EQ(KindOfCode("91350100M000100Y43"), SubjectKind::kEnterprise);
  EXPECT_EQ(KindOfCode("92330102MA28XH0X3B"), SubjectKind::kIndividualBusiness);
  EXPECT_EQ(KindOfCode("93350100MA2XY3N78G"), SubjectKind::kCooperative);
  EXPECT_EQ(KindOfCode("52100000500001237F"), SubjectKind::kSocialOrganisation);
  EXPECT_EQ(KindOfCode("12100000400000624D"), SubjectKind::kPublicInstitution);
  EXPECT_EQ(KindOfCode("11100000000013127G"), SubjectKind::kAgency);
  EXPECT_EQ(KindOfCode("x"), SubjectKind::kOther);
  EXPECT_EQ(*ParseSubjectStatus("revoked"), SubjectStatus::kRevoked);
  EXPECT_EQ(
      ParseSubjectStatus("gone").status().message(),
      "unknown status 'gone' (allowed: active, revoked, deregistered, other)");
}

}  // namespace
}  // namespace creditd
