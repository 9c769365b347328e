#include "matcher/scorer.h"

#include "matcher/normalizer.h"

#include "gtest/gtest.h"

#include <string>

namespace creditd {
namespace {

NameParts P(std::string_view name) {
  absl::StatusOr<const Normalizer*> n = Normalizer::Shared();
  EXPECT_TRUE(n.ok());
  absl::StatusOr<std::u32string> norm = (*n)->Normalize(name);
  EXPECT_TRUE(norm.ok()) << norm.status();
  return SplitName(norm.ok() ? *norm : U"x");
}

ScoreResult S(std::string_view a, std::string_view b, uint32_t code = 0) {
  return ScoreNames(P(a), P(b), code);
}

TEST(ScorerTest, ExactNameScoresOne) {
  ScoreResult r = S("福州鑫盛达贸易有限公司", "福州鑫盛达贸易有限公司");
  EXPECT_DOUBLE_EQ(r.score, 1.0);
  EXPECT_EQ(r.explanation.ToString(),
            "字号 鑫盛达 = 鑫盛达; 行业 贸易 = 贸易; 组织形式 有限公司 = "
            "有限公司; 地区 福州 = 福州");
}

TEST(ScorerTest, ClerkReadableExplanation) {
  ScoreResult r = S("鑫盛达贸易有限公司", "福州鑫盛达贸易有限责任公司");
  EXPECT_EQ(r.explanation.ToString(),
            "字号 鑫盛达 = 鑫盛达; 行业 贸易 = 贸易; 组织形式 有限公司 ~ "
            "有限责任公司 (equivalent); 地区 福州 dropped");
  EXPECT_GT(r.score, 0.9);
}

TEST(ScorerTest, TypoAndHomophoneCostLessThanADifferentWord) {
  const double same = S("鑫盛达贸易有限公司", "鑫盛达贸易有限公司").score;
  const double homophone = S("新盛达贸易有限公司", "鑫盛达贸易有限公司").score;
  const double transposed = S("鑫达盛贸易有限公司", "鑫盛达贸易有限公司").score;
  const double dropped = S("鑫达贸易有限公司", "鑫盛达贸易有限公司").score;
  const double typo = S("鑫盛远贸易有限公司", "鑫盛达贸易有限公司").score;
  const double different = S("华为贸易有限公司", "鑫盛达贸易有限公司").score;
  EXPECT_GT(same, homophone);
  EXPECT_GT(homophone, typo);
  EXPECT_GT(transposed, typo);
  EXPECT_GT(dropped, typo);
  EXPECT_GT(typo, different + 0.3);
  EXPECT_LT(different, 0.3);
  EXPECT_GE(homophone, kSameSubjectThreshold);
  EXPECT_NE(S("新盛达贸易有限公司", "鑫盛达贸易有限公司")
                .explanation.ToString()
                .find("homophone 新→鑫"),
            std::string::npos);
  EXPECT_NE(S("鑫达盛贸易有限公司", "鑫盛达贸易有限公司")
                .explanation.ToString()
                .find("transposed"),
            std::string::npos);
}

TEST(ScorerTest, DifferentRegionIsARealDifference) {
  ScoreResult r = S("厦门鑫盛达贸易有限公司", "福州鑫盛达贸易有限公司");
  EXPECT_LT(r.score, kSameSubjectThreshold);
  EXPECT_NE(
      r.explanation.ToString().find("地区 厦门 ≠ 福州 (different region)"),
      std::string::npos);
  // A dropped or moved region costs little.
  EXPECT_GT(S("鑫盛达贸易有限公司", "福州鑫盛达贸易有限公司").score, 0.95);
  ScoreResult moved = S("深圳腾讯科技有限公司", "腾讯科技（深圳）有限公司");
  EXPECT_GT(moved.score, 0.98);
  EXPECT_NE(moved.explanation.ToString().find("moved"), std::string::npos);
  // Nested regions are consistent.
  EXPECT_GT(S("福建鑫盛达贸易有限公司", "福州鑫盛达贸易有限公司").score, 0.95);
}

// A bracketed city + county is the region, moved from the front: not a
// different region, nor part of the trade name.
TEST(ScorerTest, BracketedCityAndCountyIsAMovedRegion) {
  const ScoreResult r = S("安阳江科技(遵义市汇川区)有限责任公司",
                          "遵义市汇川区安阳江科技有限责任公司");
  EXPECT_DOUBLE_EQ(r.score, 0.99);
  EXPECT_NE(r.explanation.ToString().find("地区 遵义市汇川区 moved"),
            std::string::npos)
      << r.explanation.ToString();
  EXPECT_LT(
      S("安阳江科技(遵义市汇川区)有限责任公司", "安阳市安阳江科技有限责任公司")
          .score,
      kSameSubjectThreshold);
}

TEST(ScorerTest, DifferentRegionCostsMoreThanOneTypo) {
  // The typo's subject in the query's own city against the exact trade name
  // registered elsewhere: they used to tie at 0.6.
  const double typo = S("云浮东江软件有限公司", "云浮华江软件有限公司").score;
  const double elsewhere =
      S("云浮东江软件有限公司", "滨州市东江软件有限公司").score;
  EXPECT_DOUBLE_EQ(typo, 0.6);
  EXPECT_GT(typo, elsewhere);
  EXPECT_GT(elsewhere, 0.5);  // still far above a different word
  EXPECT_LT(S("云浮东江软件有限公司", "云浮华明软件有限公司").score, 0.3);
}

// A different industry word costs more than one typo in a two-character
// trade name: the subject with the typo and the query's industry ranks above
// the exact trade name with another industry. Related industry words (a
// character in common) cost as before.
TEST(ScorerTest, DifferentIndustryWordCostsMoreThanOneTypo) {
  const double typo = S("福州宇邦运输有限公司", "福州晨邦运输有限公司").score;
  const double other_industry =
      S("福州宇邦运输有限公司", "福州宇邦建筑工程有限公司").score;
  EXPECT_DOUBLE_EQ(typo, 0.6);
  EXPECT_GT(typo, other_industry);
  EXPECT_LT(other_industry, kSameSubjectThreshold);
  const ScoreResult r = S("宇邦运输有限公司", "宇邦建筑工程有限公司");
  EXPECT_NE(
      r.explanation.ToString().find("行业 运输 ≠ 建筑工程 (different word)"),
      std::string::npos)
      << r.explanation.ToString();
  // Related words and nested words.
  EXPECT_DOUBLE_EQ(S("鑫盛达商贸有限公司", "鑫盛达贸易有限公司").score, 0.85);
  EXPECT_DOUBLE_EQ(S("鑫盛达信息技术有限公司", "鑫盛达技术有限公司").score,
                   0.95);
  // Still far above a different trade name.
  EXPECT_GT(other_industry, 0.5);
  EXPECT_LT(S("宇邦运输有限公司", "华明建筑工程有限公司").score, 0.3);
}

TEST(ScorerTest, RegisteredRegionCountsForANameWithoutOne) {
  EXPECT_DOUBLE_EQ(
      S("福州鑫盛达贸易有限公司", "鑫盛达贸易有限公司", 350102).score, 1.0);
  EXPECT_LT(S("厦门鑫盛达贸易有限公司", "鑫盛达贸易有限公司", 350102).score,
            kSameSubjectThreshold);
}

TEST(ScorerTest, LeadingCountyShortFormReadAsARegion) {
  // Either side may carry the county short form; the better reading wins.
  ScoreResult r = S("杰星水产有限责任公司", "万年杰星水产有限责任公司");
  EXPECT_DOUBLE_EQ(r.score, 0.97);
  EXPECT_EQ(r.explanation.ToString(),
            "字号 杰星 = 杰星; 行业 水产 = 水产; 组织形式 有限责任公司 = "
            "有限责任公司; 地区 万年 dropped");
  r = S("万年杰星水产有限责任公司", "杰星水产有限责任公司", 361129);
  EXPECT_DOUBLE_EQ(r.score, 1.0);
  // Both readings are tried, never a worse one: the plain reading of two
  // equal names stays 1.
  r = S("万年杰星水产有限责任公司", "万年杰星水产有限责任公司");
  EXPECT_DOUBLE_EQ(r.score, 1.0);
  EXPECT_DOUBLE_EQ(
      ScoreValue(P("杰星水产有限责任公司"), P("万年杰星水产有限责任公司")),
      0.97);
}

TEST(ScorerTest, GenericWordsNeverConfident) {
  EXPECT_LE(S("科技有限公司", "科技有限公司").score, kGenericOnlyCap);
  EXPECT_LE(S("科技有限公司", "鑫盛达科技有限公司").score, kGenericOnlyCap);
  EXPECT_EQ(
      S("科技有限公司", "鑫盛达科技有限公司").explanation.parts[0].verdict,
      PartVerdict::kGeneric);
}

TEST(ScorerTest, OrgFormClasses) {
  EXPECT_GT(S("鑫盛达股份有限公司", "鑫盛达有限公司").score, 0.9);
  EXPECT_LT(S("鑫盛达有限公司福州分公司", "鑫盛达有限公司").score,
            kSameSubjectThreshold);
  EXPECT_LT(S("鑫盛达有限公司福州分公司", "鑫盛达有限公司厦门分公司").score,
            kSameSubjectThreshold);
  EXPECT_LT(S("鑫盛达农民专业合作社", "鑫盛达有限公司").score, 0.85);
}

TEST(ScorerTest, ScoresStayInRange) {
  const char* names[] = {"a",
                         "鑫",
                         "科技有限公司",
                         "Apple Inc.",
                         "IBM（中国）有限公司",
                         "福建省",
                         "(深圳)",
                         "鑫盛达贸易有限公司福州分公司"};
  for (const char* a : names) {
    for (const char* b : names) {
      const double s = S(a, b).score;
      EXPECT_GE(s, 0.0) << a << " vs " << b;
      EXPECT_LE(s, 1.0) << a << " vs " << b;
    }
  }
}

// The cheap score that ranks candidates must equal the explained one: they
// once differed when the trade names were equal (the industry's factor was
// skipped), so a renamed subject's exact former name lost to its current name.
TEST(ScoreValueTest, EqualsExplainedScore) {
  const char* names[] = {
      "泉州恒通运输有限公司",         "泉州恒通物流有限公司",
      "福州鑫盛达科技有限公司",       "鑫盛达科技(福州)有限公司",
      "福州鑫胜达科技有限责任公司",   "厦门鑫盛达贸易有限公司",
      "鑫盛达贸易有限公司福州分公司", "科技有限公司"};
  for (const char* a : names) {
    for (const char* b : names) {
      EXPECT_DOUBLE_EQ(ScoreValue(P(a), P(b), 350500),
                       ScoreNames(P(a), P(b), 350500).score)
          << a << " vs " << b;
    }
  }
}

TEST(CompareTradeTest, Details) {
  EXPECT_EQ(CompareTrade(U"鑫盛达", U"鑫胜达").detail, "homophone 盛→胜");
  EXPECT_EQ(CompareTrade(U"鑫盛达", U"鑫达").detail, "extra 盛");
  EXPECT_EQ(CompareTrade(U"鑫达", U"鑫盛达").detail, "missing 盛");
  EXPECT_EQ(CompareTrade(U"鑫盛达", U"鑫盛远").detail, "typo 达→远");
  EXPECT_EQ(CompareTrade(U"鑫盛达", U"华为").detail, "different");
  std::u32string long_a(200, U'鑫'), long_b(200, U'鑫');
  long_b[100] = U'新';
  EXPECT_GT(CompareTrade(long_a, long_b).similarity, 0.99);
}

}  // namespace
}  // namespace creditd
