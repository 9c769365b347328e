#include "index/uscc.h"

#include "gtest/gtest.h"

#include <random>
#include <string>

namespace creditd {
namespace {

// Real codes published by their holders (business licences, annual reports,
// bank filings).
struct RealCode {
  const char* code;
  const char* holder;
};
constexpr RealCode kRealCodes[] = {
    {"914403001922038216", "华为技术有限公司"},
    {"91330100799655058B", "阿里巴巴（中国）有限公司"},
    {"9144030071526726XG",
     "腾讯科技（深圳）有限公司 (X-bearing organisation code)"},
    {"91110000710925462X", "中国石油天然气股份有限公司"},
    {"91110000802100433B", "北京百度网讯科技有限公司"},
    {"91110108551385082Q", "小米科技有限责任公司"},
    {"91440300192317458F", "比亚迪股份有限公司"},
    {"91100000100003962T", "中国工商银行股份有限公司 (national 100000)"},
    {"911000001000013428", "中国银行股份有限公司 (national 100000)"},
    {"911100001000044477", "中国建设银行股份有限公司"},
    {"9111000071093123XX", "国家电网有限公司 (X org check and X check)"},
    {"12100000400000624D", "清华大学 (public institution, national)"},
    {"12100000400002259P", "北京大学 (public institution, national)"},
};

TEST(UsccTest, RealPublishedCodesAreValid) {
  for (const RealCode& c : kRealCodes) {
    const UsccResult r = ValidateUscc(c.code);
    EXPECT_TRUE(r.ok()) << c.code << " " << c.holder << ": " << r.Describe();
    EXPECT_EQ(r.canonical(), c.code);
    EXPECT_EQ(r.folds(), 0);
    EXPECT_EQ(r.warnings(), 0) << c.code;
  }
}

TEST(UsccTest, StandardWorkedExample) {
  // GB 32100-2015: 91350100M000100Y4 -> weighted sum 1640 -> check '3'.
  EXPECT_EQ(UsccCheckCharacter("91350100M000100Y4"), '3');
  EXPECT_TRUE(ValidateUscc("91350100M000100Y43").ok());
  const UsccResult r = ValidateUscc("91350100M000100Y44");
  EXPECT_EQ(r.fault(), UsccFault::kCheckCharacter);
  EXPECT_EQ(r.expected_check(), '3');
  EXPECT_EQ(r.found_check(), '4');
  EXPECT_EQ(
      r.Describe(),
      "check character mismatch at position 18 (expected '3', found '4')");
  EXPECT_FALSE(r.known_legacy_exception());
}

TEST(UsccTest, CheckCharacterZeroNeedsTheFinalMod31) {
  // Σ mod 31 == 0 here: validators without the last "mod 31" reject this valid
  // code.
  EXPECT_EQ(UsccCheckCharacter("91440300000871092"), '0');
  EXPECT_TRUE(ValidateUscc("914403000008710920").ok());
}

TEST(UsccTest, CheckCharacterYAndXBearingOrgCodes) {
  EXPECT_TRUE(ValidateUscc("91440300009344424Y").ok());
  EXPECT_TRUE(ValidateUscc("9144030000158380XC").ok());
  EXPECT_EQ(OrgCodeCheckCharacter("00158380"), 'X');
  EXPECT_EQ(OrgCodeCheckCharacter("M000100Y"),
            '4');  // letters valued base-36: Y = 34
}

TEST(UsccTest, OtherAuthorities) {
  EXPECT_TRUE(ValidateUscc("93350100MA2XY3N78G").ok());  // 农民专业合作社
  EXPECT_TRUE(ValidateUscc("52100000500001237F").ok());  // 民办非企业单位
  EXPECT_TRUE(ValidateUscc("N2330110MB1234Y598")
                  .ok());  // 村级集体经济组织 (later assignment)
  EXPECT_TRUE(ValidateUscc("31440300456789126W")
                  .ok());  // 律师执业机构 (later assignment)
}

struct FaultCase {
  const char* input;
  UsccFault fault;
  const char* describe;  // nullptr: not asserted
};

const FaultCase kFaultCases[] = {
    {"", UsccFault::kEmpty, "empty: no code given"},
    {"   \t", UsccFault::kEmpty, nullptr},
    {"91350100M000100Y4", UsccFault::kWrongLength,
     "wrong length: 17 characters, expected 18"},
    {"91350100M000100Y433", UsccFault::kWrongLength,
     "wrong length: 19 characters, expected 18"},
    {"91350100MO00100Y43", UsccFault::kIllegalCharacter,
     "illegal character 'O' at position 10 (not in the USCC alphabet "
     "0123456789ABCDEFGHJKLMNPQRTUWXY); letters I, O, S, V, Z are never used"},
    {"9135010OM000100Y43", UsccFault::kIllegalCharacter, nullptr},
    {"91350100M000100Y4\x01", UsccFault::kIllegalCharacter, nullptr},
    {"华为技术有限公司", UsccFault::kIllegalCharacter, nullptr},
    {"94350100MA2XY3N78D", UsccFault::kUnknownAuthorityType,
     "unknown authority/type pair '94' (authority 9 工商 has types 1, 2, 3)"},
    {"B1350100MA2XY3N78D", UsccFault::kUnknownAuthorityType, nullptr},
    {"91350100M000100Y53", UsccFault::kOrgCodeCheck, nullptr},
    {"916201055811843000", UsccFault::kExcelTruncated, nullptr},
    {"9.16201055811843E+17", UsccFault::kExcelTruncated, nullptr},
    {"9.16201e+17", UsccFault::kExcelTruncated, nullptr},
    {"110108000000016", UsccFault::kLegacyRegistrationNumber, nullptr},
    {"1101080000000", UsccFault::kLegacyRegistrationNumber, nullptr},
    {"M0001002-4", UsccFault::kLegacyOrgCode, nullptr},
    {"M00010024", UsccFault::kLegacyOrgCode, nullptr},
    {"31310000XXXXXXXX", UsccFault::kPlaceholder, nullptr},
    {"000000000000000000", UsccFault::kPlaceholder, nullptr},
    {"111111111111111111", UsccFault::kPlaceholder, nullptr},
    {"91350100000000000X", UsccFault::kPlaceholder, nullptr},
    {"无", UsccFault::kPlaceholder, nullptr},
    {"N/A", UsccFault::kPlaceholder, nullptr},
    {"\xff\xfe", UsccFault::kNotUtf8, "not valid UTF-8 (byte 1)"},
    {"9135\xe4\xb8", UsccFault::kNotUtf8, "not valid UTF-8 (byte 5)"},
};

TEST(UsccTest, EveryFaultIsNamed) {
  for (const FaultCase& c : kFaultCases) {
    const UsccResult r = ValidateUscc(c.input);
    EXPECT_EQ(r.fault(), c.fault)
        << c.input << ": got " << UsccFaultName(r.fault()) << " ("
        << r.Describe() << ")";
    EXPECT_FALSE(r.ok());
    if (c.describe != nullptr) {
      EXPECT_EQ(r.Describe(), c.describe) << c.input;
    }
  }
}

TEST(UsccTest, IllegalCharacterReportsCharacterAndPosition) {
  const UsccResult r = ValidateUscc("91350100M000100Y4公");
  EXPECT_EQ(r.fault(), UsccFault::kIllegalCharacter);
  EXPECT_EQ(r.bad_position(), 18);
  EXPECT_EQ(r.bad_character(), "公");
  EXPECT_NE(r.Describe().find("U+516C"), std::string::npos) << r.Describe();
  const UsccResult ctl = ValidateUscc("91350100M000100Y4\x01");
  EXPECT_NE(ctl.Describe().find("\\x01 at position 18"), std::string::npos)
      << ctl.Describe();
}

TEST(UsccTest, AllStructuralFaultsAreRecorded) {
  // One body character changed: both the org-code check and the mod-31 check
  // fail.
  const UsccResult r = ValidateUscc("91350100M000200Y43");
  EXPECT_EQ(r.fault(), UsccFault::kOrgCodeCheck);
  EXPECT_EQ(r.structural_faults(),
            kFaultBitOrgCodeCheck | kFaultBitCheckCharacter);
  EXPECT_NE(r.Describe().find("; also check character"), std::string::npos)
      << r.Describe();
}

TEST(UsccTest, KnownLegacyExceptionIsStillACheckFault) {
  const UsccResult r = ValidateUscc("91350211M0000XUF46");
  EXPECT_EQ(r.fault(), UsccFault::kCheckCharacter);
  EXPECT_TRUE(r.known_legacy_exception());
  EXPECT_EQ(r.canonical(), "91350211M0000XUF46");  // never "corrected"
  EXPECT_NE(r.Describe().find("known pilot-era legacy exception"),
            std::string::npos);
}

TEST(UsccTest, DraftAuthorityListIsRejected) {
  // The circulating draft (3 教育, 4 公安, B-G) is wrong: 33 is 基层法律服务所
  // but 36 is nothing.
  EXPECT_TRUE(IsKnownAuthorityType('3', '3'));
  EXPECT_FALSE(IsKnownAuthorityType('3', '6'));
  EXPECT_FALSE(IsKnownAuthorityType('4', '2'));
  EXPECT_FALSE(IsKnownAuthorityType('B', '1'));
  EXPECT_FALSE(IsKnownAuthorityType('9', '4'));
  EXPECT_TRUE(IsKnownAuthorityType('Y', '1'));
  EXPECT_TRUE(IsKnownAuthorityType('A', '9'));
  EXPECT_EQ(AuthorityTypeName('9', '2'), "个体工商户");
}

struct FoldCase {
  const char* input;
  uint8_t folds;
};

TEST(UsccTest, TolerantInputSaysWhatItDid) {
  const FoldCase cases[] = {
      {"  91350100M000100Y43 ", kFoldTrimmed},
      {"\xEF\xBB\xBF"
       "91350100M000100Y43",
       kFoldTrimmed},  // BOM
      {"9135 0100 M000 100Y 43", kFoldInnerSpace},
      {"91350100m000100y43", kFoldLowercase},
      {"９１３５０１００Ｍ０００１００Ｙ４３", kFoldFullWidth},
      {"\xE3\x80\x80９１３５０１００ｍ０００１００ｙ４３",
       kFoldTrimmed | kFoldFullWidth | kFoldLowercase},
  };
  for (const FoldCase& c : cases) {
    const UsccResult r = ValidateUscc(c.input);
    EXPECT_TRUE(r.ok()) << c.input << ": " << r.Describe();
    EXPECT_EQ(r.canonical(), "91350100M000100Y43");
    EXPECT_EQ(r.folds(), c.folds) << c.input << ": " << FoldNames(r.folds());
  }
  EXPECT_EQ(FoldNames(kFoldTrimmed | kFoldFullWidth), "trimmed,full_width");
}

TEST(UsccTest, RegionWarningsDoNotInvalidate) {
  // 120222 (former 武清县) is retired yet carried by valid codes.
  const UsccResult retired = ValidateUscc("91120222MA05JK1Q9P");
  EXPECT_TRUE(retired.ok()) << retired.Describe();
  EXPECT_EQ(retired.warnings(), kWarnRegionNotCurrent);
  const UsccResult unknown = ValidateUscc("91990000MA05JK1Q94");
  EXPECT_TRUE(unknown.ok());
  EXPECT_EQ(unknown.warnings(), kWarnUnknownRegion);
  EXPECT_EQ(WarningNames(unknown.warnings()), "unknown_region");
  EXPECT_EQ(ValidateUscc("91100000100003962T").warnings(), 0);  // national
}

TEST(UsccTest, ParseUsccStrict) {
  auto ok = ParseUscc(" 91350100m000100Y43");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->str(), "91350100M000100Y43");
  EXPECT_EQ(ok->authority(), '9');
  EXPECT_EQ(ok->type(), '1');
  EXPECT_EQ(ok->region(), "350100");
  EXPECT_EQ(ok->org_code(), "M000100Y4");
  EXPECT_EQ(ok->check(), '3');
  auto bad = ParseUscc("91350100M000100Y44");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(),
            "code: check character mismatch at position 18 (expected '3', "
            "found '4')");
}

TEST(UsccTest, LongInputIsBounded) {
  const std::string huge(1 << 20, '9');
  const UsccResult r = ValidateUscc(huge);
  EXPECT_EQ(r.fault(), UsccFault::kPlaceholder);  // one character repeated
  EXPECT_TRUE(r.folded_truncated());
  EXPECT_EQ(r.canonical().size(), UsccResult::kMaxFoldedBytes);
  EXPECT_EQ(r.length(), huge.size());
  std::string mixed;
  for (int i = 0; i < 10000; ++i) mixed += "91350100";
  EXPECT_EQ(ValidateUscc(mixed).fault(), UsccFault::kWrongLength);
}

TEST(UsccTest, RandomBytesNeverCrashAndAreNeverValidByAccident) {
  std::mt19937 rng(42);
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 40, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    const UsccResult r = ValidateUscc(s);
    if (r.ok()) {
      EXPECT_EQ(r.canonical().size(), 18u);
      EXPECT_EQ(UsccCheckCharacter(r.canonical()), r.canonical()[17]);
    }
  }
}

TEST(PackedUsccTest, RoundTrip) {
  for (const RealCode& c : kRealCodes) {
    auto p = PackUscc(c.code);
    ASSERT_TRUE(p.has_value()) << c.code;
    EXPECT_EQ(UnpackUscc(*p), c.code);
  }
  // Invalid codes over the alphabet pack too: the registry keeps erroneous
  // codes.
  auto bad = PackUscc("91350100M000100Y44");
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(UnpackUscc(*bad), "91350100M000100Y44");
  EXPECT_NE(*bad, *PackUscc("91350100M000100Y43"));
  EXPECT_FALSE(
      PackUscc("91350100MO00100Y43").has_value());  // O is not in the alphabet
  EXPECT_FALSE(PackUscc("91350100M000100Y4").has_value());
  EXPECT_EQ(sizeof(PackedUscc), 12u);

  std::mt19937 rng(7);
  for (int i = 0; i < 10000; ++i) {
    std::string s(18, '0');
    for (char& c : s) c = kUsccAlphabet[rng() % kUsccAlphabet.size()];
    auto p = PackUscc(s);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(UnpackUscc(*p), s);
  }
}

}  // namespace
}  // namespace creditd
