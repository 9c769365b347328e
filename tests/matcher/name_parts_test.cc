#include "matcher/name_parts.h"

#include "matcher/internal/utf8.h"
#include "matcher/normalizer.h"

#include "gtest/gtest.h"

#include <string>
#include <vector>

namespace creditd {
namespace {

using matcher_internal::EncodeUtf8;
using matcher_internal::RegionNames;

struct Split {
  std::string region, trade, industry, form, branch;
  OrgForm cls;
  RegionPosition pos;
};

Split Parse(std::string_view name) {
  absl::StatusOr<const Normalizer*> n = Normalizer::Shared();
  EXPECT_TRUE(n.ok());
  absl::StatusOr<std::u32string> norm = (*n)->Normalize(name);
  EXPECT_TRUE(norm.ok()) << norm.status();
  NameParts p = SplitName(norm.ok() ? *norm : U"x");
  return Split{EncodeUtf8(p.region),   EncodeUtf8(p.trade),
               EncodeUtf8(p.industry), EncodeUtf8(p.org_form),
               EncodeUtf8(p.branch),   p.org_class,
               p.region_position};
}

TEST(NamePartsTest, FrontRegionFullAndShort) {
  Split s = Parse("福建省福州市鑫盛达贸易有限公司");
  EXPECT_EQ(s.region, "福建省福州市");
  EXPECT_EQ(s.trade, "鑫盛达");
  EXPECT_EQ(s.industry, "贸易");
  EXPECT_EQ(s.form, "有限公司");
  EXPECT_EQ(s.cls, OrgForm::kLimited);
  EXPECT_EQ(s.pos, RegionPosition::kFront);

  s = Parse("福州鑫盛达贸易有限责任公司");
  EXPECT_EQ(s.region, "福州");
  EXPECT_EQ(s.trade, "鑫盛达");
  EXPECT_EQ(s.cls, OrgForm::kLimited);

  s = Parse("福州鼓楼鑫盛达商行");  // county short form after a city
  EXPECT_EQ(s.region, "福州鼓楼");
  EXPECT_EQ(s.trade, "鑫盛达");
  EXPECT_EQ(s.cls, OrgForm::kShop);

  s = Parse("鼓楼区鑫盛达餐饮管理有限公司");  // county full form alone
  EXPECT_EQ(s.region, "鼓楼区");
  EXPECT_EQ(s.trade, "鑫盛达");
  EXPECT_EQ(s.industry, "餐饮管理");
}

TEST(NamePartsTest, CountyShortFormAloneIsNotARegion) {
  Split s = Parse("鼓楼鑫盛达商行");
  EXPECT_EQ(s.region, "");
  EXPECT_EQ(s.trade, "鼓楼鑫盛达");
}

TEST(NamePartsTest, LeadingCountyShortFormIsTheOtherReading) {
  absl::StatusOr<const Normalizer*> n = Normalizer::Shared();
  ASSERT_TRUE(n.ok());
  const auto split = [&](std::string_view name) {
    absl::StatusOr<std::u32string> norm = (*n)->Normalize(name);
    EXPECT_TRUE(norm.ok());
    return SplitName(norm.ok() ? *norm : U"x");
  };
  NameParts p = split("万年杰星水产有限责任公司");
  EXPECT_EQ(EncodeUtf8(p.trade), "万年杰星");  // kept, as before
  EXPECT_EQ(p.lead_region, 2);
  NameParts cut = p.CutLeadRegion();
  EXPECT_EQ(EncodeUtf8(cut.region), "万年");
  EXPECT_EQ(EncodeUtf8(cut.trade), "杰星");
  EXPECT_EQ(EncodeUtf8(cut.industry), "水产");
  EXPECT_EQ(cut.region_position, RegionPosition::kFront);
  ASSERT_FALSE(cut.region_refs.empty());
  EXPECT_EQ(cut.region_refs[0].code, 361129u);
  EXPECT_EQ(cut.lead_region, 0);
  // Not when a region was cut, nor when the rest would be under two
  // characters, nor for a city name (cut by the normal rule).
  EXPECT_EQ(split("福州鼓楼鑫盛贸易有限公司").lead_region, 0);
  EXPECT_EQ(split("鼓楼鑫贸易有限公司").lead_region, 0);
  EXPECT_EQ(split("长春藤科技有限公司").lead_region, 0);
  EXPECT_EQ(split("鑫盛达贸易有限公司").lead_region, 0);
}

TEST(NamePartsTest, BracketedRegion) {
  Split s = Parse("腾讯科技（深圳）有限公司");
  EXPECT_EQ(s.region, "深圳");
  EXPECT_EQ(s.pos, RegionPosition::kBracket);
  EXPECT_EQ(s.trade, "腾讯");
  EXPECT_EQ(s.industry, "科技");
  EXPECT_EQ(s.form, "有限公司");
  s = Parse("微软（中国）有限公司");
  EXPECT_EQ(s.region, "中国");
  EXPECT_EQ(s.trade, "微软");
}

// Brackets holding a province, a city, or a chain of them (city + county,
// province + city), after the trade name or in front, from the GB/T 2260
// table: the whole bracket is the region, at its most specific level.
TEST(NamePartsTest, BracketedRegionChains) {
  const auto split = [](std::string_view name) {
    absl::StatusOr<const Normalizer*> n = Normalizer::Shared();
    EXPECT_TRUE(n.ok());
    absl::StatusOr<std::u32string> norm = (*n)->Normalize(name);
    EXPECT_TRUE(norm.ok()) << norm.status();
    return SplitName(norm.ok() ? *norm : U"x");
  };
  const auto codes = [](const NameParts& p) {
    std::vector<uint32_t> out;
    for (const matcher_internal::RegionRef& r : p.region_refs) {
      out.push_back(r.code);
    }
    return out;
  };
  // Province alone, after the trade name and in front.
  NameParts p = split("鑫盛达(江苏)贸易有限公司");
  EXPECT_EQ(EncodeUtf8(p.region), "江苏");
  EXPECT_EQ(p.region_position, RegionPosition::kBracket);
  EXPECT_EQ(EncodeUtf8(p.trade), "鑫盛达");
  EXPECT_EQ(codes(p), std::vector<uint32_t>{320000});
  p = split("(江苏)鑫盛达贸易有限公司");
  EXPECT_EQ(EncodeUtf8(p.region), "江苏");
  EXPECT_EQ(EncodeUtf8(p.trade), "鑫盛达");
  // City + county: one region, read as the county.
  p = split("安阳江科技(遵义市汇川区)有限责任公司");
  EXPECT_EQ(EncodeUtf8(p.region), "遵义市汇川区");
  EXPECT_EQ(p.region_position, RegionPosition::kBracket);
  EXPECT_EQ(EncodeUtf8(p.trade), "安阳江");
  EXPECT_EQ(EncodeUtf8(p.industry), "科技");
  EXPECT_EQ(codes(p), std::vector<uint32_t>{520303});
  p = split("鑫盛达贸易(南京市江宁区)有限公司");
  EXPECT_EQ(EncodeUtf8(p.region), "南京市江宁区");
  EXPECT_EQ(codes(p), std::vector<uint32_t>{320115});
  p = split("(南京江宁)鑫盛达贸易有限公司");  // short forms
  EXPECT_EQ(EncodeUtf8(p.region), "南京江宁");
  EXPECT_EQ(EncodeUtf8(p.trade), "鑫盛达");
  EXPECT_EQ(codes(p), std::vector<uint32_t>{320115});
  // Province + city.
  p = split("鑫盛达贸易(江苏省南京市)有限公司");
  EXPECT_EQ(codes(p), std::vector<uint32_t>{320100});
  // Not a chain: a county outside the city, a place and other text, or an
  // unknown word stay in the name.
  p = split("鑫盛达贸易(南京市汇川区)有限公司");
  EXPECT_EQ(EncodeUtf8(p.region), "");
  p = split("鑫盛达(南京分部)贸易有限公司");
  EXPECT_EQ(EncodeUtf8(p.region), "");
}

TEST(NamePartsTest, RegionNeverEatsTheWholeTradeName) {
  Split s = Parse("福建科技有限公司");
  EXPECT_EQ(s.region, "");
  EXPECT_EQ(s.trade, "福建");
  s = Parse("长春藤科技有限公司");  // 长春 is a city, 藤 alone is no trade name
  EXPECT_EQ(s.trade, "长春藤");
  EXPECT_EQ(s.region, "");
}

TEST(NamePartsTest, OrganisationForms) {
  EXPECT_EQ(Parse("鑫盛达股份有限公司").cls, OrgForm::kJointStock);
  EXPECT_EQ(Parse("鑫盛达集团有限公司").cls, OrgForm::kGroup);
  EXPECT_EQ(Parse("鑫盛达(集团)股份有限公司").cls, OrgForm::kGroup);
  EXPECT_EQ(Parse("鑫盛达农民专业合作社").cls, OrgForm::kCooperative);
  EXPECT_EQ(Parse("鑫盛达种植专业合作社").industry, "种植");
  EXPECT_EQ(Parse("鑫盛达工作室").cls, OrgForm::kStudio);
  EXPECT_EQ(Parse("鑫盛达会计师事务所").cls, OrgForm::kFirm);
  EXPECT_EQ(Parse("鑫盛达研究院").cls, OrgForm::kInstitute);
  EXPECT_EQ(Parse("鑫盛达个体工商户").cls, OrgForm::kIndividual);
  Split s = Parse("鑫盛达投资管理中心(有限合伙)");
  EXPECT_EQ(s.cls, OrgForm::kPartnership);
  EXPECT_EQ(s.form, "中心(有限合伙)");
  EXPECT_EQ(s.trade, "鑫盛达");
  EXPECT_EQ(Parse("鑫盛达").cls, OrgForm::kNone);
}

TEST(NamePartsTest, Branch) {
  Split s = Parse("鑫盛达贸易有限公司福州分公司");
  EXPECT_EQ(s.cls, OrgForm::kBranch);
  EXPECT_EQ(s.branch, "福州");
  EXPECT_EQ(s.form, "有限公司分公司");
  EXPECT_EQ(s.trade, "鑫盛达");
  EXPECT_EQ(s.industry, "贸易");
}

TEST(NamePartsTest, IndustryWordsStack) {
  Split s = Parse("华为信息技术服务有限公司");
  EXPECT_EQ(s.trade, "华为");
  EXPECT_EQ(s.industry, "信息技术服务");
}

TEST(NamePartsTest, GenericOnly) {
  Split s = Parse("科技有限公司");
  EXPECT_EQ(s.trade, "");
  EXPECT_EQ(s.industry, "科技");
  s = Parse("有限公司");
  EXPECT_EQ(s.trade, "");
  EXPECT_EQ(s.industry, "");
}

TEST(NamePartsTest, LatinAndMixed) {
  Split s = Parse("Apple Inc.");
  EXPECT_EQ(s.trade, "appleinc");
  s = Parse("IBM（中国）有限公司");
  EXPECT_EQ(s.trade, "ibm");
  EXPECT_EQ(s.region, "中国");
}

TEST(NamePartsTest, UnbalancedBrackets) {
  EXPECT_EQ(Parse("鑫盛达(贸易有限公司").trade, "鑫盛达");
  EXPECT_EQ(Parse("鑫盛达)贸易有限公司").trade, "鑫盛达");
}

TEST(RegionNamesTest, ShortForms) {
  EXPECT_EQ(RegionNames::ShortForm(U"福建省"), U"福建");
  EXPECT_EQ(RegionNames::ShortForm(U"广西壮族自治区"), U"广西");
  EXPECT_EQ(RegionNames::ShortForm(U"新疆维吾尔自治区"), U"新疆");
  EXPECT_EQ(RegionNames::ShortForm(U"恩施土家族苗族自治州"), U"恩施");
  EXPECT_EQ(RegionNames::ShortForm(U"延边朝鲜族自治州"), U"延边");
  EXPECT_EQ(RegionNames::ShortForm(U"鼓楼区"), U"鼓楼");
  EXPECT_EQ(RegionNames::ShortForm(U"沙县"), U"沙县");
  EXPECT_EQ(RegionNames::ShortForm(U"香港特别行政区"), U"香港");
}

TEST(RegionNamesTest, TableFromGbt2260) {
  const RegionNames& r = RegionNames::Default();
  ASSERT_NE(r.Find(U"福建省"), nullptr);
  ASSERT_NE(r.Find(U"福州"), nullptr);
  const auto* gulou = r.Find(U"鼓楼区");
  ASSERT_NE(gulou, nullptr);
  EXPECT_GE(gulou->size(), 2u);  // 福州, 南京, ...
  EXPECT_EQ(RegionNames::RelateToCode(*r.Find(U"福州"), 350102),
            matcher_internal::RegionRelation::kContains);
  EXPECT_EQ(RegionNames::RelateToCode(*r.Find(U"厦门"), 350102),
            matcher_internal::RegionRelation::kDifferent);
}

}  // namespace
}  // namespace creditd
