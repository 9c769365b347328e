#include "index/legacy_codes.h"

#include "gtest/gtest.h"

namespace creditd {
namespace {

TEST(OrgCodeTest, WithAndWithoutHyphen) {
  EXPECT_TRUE(ValidateOrgCode("M000100Y-4").ok());
  EXPECT_TRUE(ValidateOrgCode("M000100Y4").ok());
  EXPECT_TRUE(ValidateOrgCode(" m000100y-4 ").ok());
  EXPECT_EQ(ValidateOrgCode("M000100Y-4").canonical, "M000100Y4");
  EXPECT_TRUE(ValidateOrgCode("71526726-X").ok());  // Tencent's, check X
  EXPECT_TRUE(ValidateOrgCode("192203821").ok());   // Huawei's
}

TEST(OrgCodeTest, Faults) {
  LegacyResult r = ValidateOrgCode("M000100Y-5");
  EXPECT_EQ(r.fault, LegacyFault::kCheckMismatch);
  EXPECT_EQ(r.Describe("org_code"),
            "org_code: check character mismatch (expected '4', found '5')");
  EXPECT_EQ(ValidateOrgCode("M000100Y").fault, LegacyFault::kWrongLength);
  EXPECT_EQ(ValidateOrgCode("").fault, LegacyFault::kEmpty);
  r = ValidateOrgCode("M00#100Y4");
  EXPECT_EQ(r.fault, LegacyFault::kIllegalCharacter);
  EXPECT_EQ(r.position, 4);
  EXPECT_EQ(ValidateOrgCode("M000100YA").fault, LegacyFault::kIllegalCharacter);
}

TEST(RegistrationNumberTest, Mod11_10) {
  EXPECT_EQ(RegistrationNumberCheckDigit("110108000000016"), '6');
  EXPECT_TRUE(ValidateRegistrationNumber("110108000000016").ok());
  LegacyResult bad = ValidateRegistrationNumber("110108000000017");
  EXPECT_EQ(bad.fault, LegacyFault::kCheckMismatch);
  EXPECT_EQ(bad.expected, '6');
  EXPECT_EQ(ValidateRegistrationNumber("1101080000000").fault,
            LegacyFault::kUnverifiable);
  EXPECT_EQ(ValidateRegistrationNumber("11010800000001").fault,
            LegacyFault::kWrongLength);
  EXPECT_EQ(ValidateRegistrationNumber("11010800000001A").fault,
            LegacyFault::kIllegalCharacter);
  // Every single-digit change is caught by MOD 11,10.
  const std::string good = "110108000000016";
  for (int pos = 0; pos < 15; ++pos) {
    for (char d = '0'; d <= '9'; ++d) {
      if (good[pos] == d) continue;
      std::string s = good;
      s[pos] = d;
      EXPECT_FALSE(ValidateRegistrationNumber(s).ok()) << s;
    }
  }
}

TEST(CrossCheckTest, AgreementAndDisagreement) {
  EXPECT_TRUE(CrossCheckLegacy("91350100M000100Y43", "M000100Y-4", "").empty());
  EXPECT_TRUE(
      CrossCheckLegacy("91110108551385082Q", "", "110108000000016").empty());
  auto org = CrossCheckLegacy("91350100M000100Y43", "71526726-X", "");
  ASSERT_EQ(org.size(), 1u);
  EXPECT_EQ(org[0].kind, LegacyMismatch::kOrgCodeBody);
  EXPECT_EQ(org[0].detail,
            "org_code 71526726X differs from code body M000100Y4");
  auto reg = CrossCheckLegacy("91350100M000100Y43", "", "110108000000016");
  ASSERT_EQ(reg.size(), 1u);
  EXPECT_EQ(reg[0].kind, LegacyMismatch::kRegistrationRegion);
  EXPECT_EQ(reg[0].detail,
            "reg_no division 110108 differs from code region 350100");
  EXPECT_TRUE(CrossCheckLegacy("91350100M000100Y43", "garbage", "bad").empty());
}

}  // namespace
}  // namespace creditd
