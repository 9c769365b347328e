#include "index/regions.h"

#include "gtest/gtest.h"

namespace creditd {
namespace {

TEST(RegionsTest, ShippedTableIsComplete) {
  const RegionTable& t = RegionTable::Default();
  EXPECT_EQ(t.province_count(),
            31u);  // mainland provinces, regions and municipalities
  EXPECT_GT(t.city_count(), 300u);
  EXPECT_GT(t.county_count(), 2900u);
  EXPECT_EQ(t.county_codes().size(), t.county_count());
}

TEST(RegionsTest, Levels) {
  const RegionTable& t = RegionTable::Default();
  RegionInfo national = t.Lookup("100000");
  EXPECT_EQ(national.status, RegionStatus::kNational);
  EXPECT_EQ(national.FullName(), "全国");

  RegionInfo province = t.Lookup("350000");
  EXPECT_EQ(province.status, RegionStatus::kCurrent);
  EXPECT_EQ(province.FullName(), "福建省");

  RegionInfo city = t.Lookup("350100");
  EXPECT_EQ(city.status, RegionStatus::kCurrent);
  EXPECT_EQ(city.FullName(), "福建省 福州市");

  RegionInfo county = t.Lookup("110105");
  EXPECT_EQ(county.status, RegionStatus::kCurrent);
  EXPECT_EQ(county.province, "北京市");
  EXPECT_EQ(county.city, "北京市");  // 市辖区 reads as the municipality
  EXPECT_EQ(county.county, "朝阳区");
  EXPECT_EQ(county.FullName(), "北京市 朝阳区");

  RegionInfo shenzhen = t.Lookup("440300");
  EXPECT_EQ(shenzhen.status, RegionStatus::kCurrent);
  EXPECT_EQ(shenzhen.city, "深圳市");
}

TEST(RegionsTest, RetiredUnknownMalformed) {
  const RegionTable& t = RegionTable::Default();
  RegionInfo retired = t.Lookup("120222");  // former 武清县, now 120114
  EXPECT_EQ(retired.status, RegionStatus::kNotCurrent);
  EXPECT_EQ(retired.province, "天津市");
  EXPECT_EQ(t.Lookup("990000").status, RegionStatus::kUnknown);
  EXPECT_EQ(t.Lookup("35010A").status, RegionStatus::kMalformed);
  EXPECT_EQ(t.Lookup("35010").status, RegionStatus::kMalformed);
}

TEST(RegionsTest, ParsesGivenTables) {
  RegionTable t(
      "code,name\n35,\"福建省\"\n",
      "code,name,provinceCode\n3501,\"福州市\",35\n",
      "code,name,cityCode,provinceCode\n350102,\"鼓楼区\",3501,35\nbad,row\n");
  EXPECT_EQ(t.county_count(), 1u);
  EXPECT_EQ(t.Lookup("350102").FullName(), "福建省 福州市 鼓楼区");
}

}  // namespace
}  // namespace creditd
