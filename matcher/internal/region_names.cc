#include "matcher/internal/region_names.h"

#include "index/regions.h"
#include "matcher/internal/utf8.h"

#include "absl/strings/str_format.h"

#include <algorithm>
#include <array>

namespace creditd::matcher_internal {
namespace {

// The 55 officially recognised minority nationalities, without 族: only used to
// cut the ethnic part out of autonomous division names (延边朝鲜族自治州 ->
// 延边). Longest first so that 土家 wins over 土.
constexpr std::array<std::u32string_view, 55> kEthnicGroups = {
    U"柯尔克孜", U"乌孜别克", U"维吾尔", U"哈萨克", U"鄂伦春", U"鄂温克",
    U"达斡尔",   U"塔吉克",   U"塔塔尔", U"俄罗斯", U"蒙古",   U"布依",
    U"朝鲜",     U"土家",     U"哈尼",   U"傈僳",   U"拉祜",   U"东乡",
    U"纳西",     U"景颇",     U"仫佬",   U"布朗",   U"撒拉",   U"毛南",
    U"仡佬",     U"锡伯",     U"阿昌",   U"普米",   U"德昂",   U"保安",
    U"裕固",     U"独龙",     U"赫哲",   U"门巴",   U"珞巴",   U"基诺",
    U"高山",     U"回",       U"藏",     U"苗",     U"彝",     U"壮",
    U"满",       U"侗",       U"瑶",     U"白",     U"傣",     U"黎",
    U"佤",       U"畲",       U"水",     U"土",     U"羌",     U"怒",
    U"京",
};

bool EndsWith(std::u32string_view s, std::u32string_view suffix) {
  return s.size() >= suffix.size() &&
         s.substr(s.size() - suffix.size()) == suffix;
}

// Removes trailing "<ethnic>族" groups: "恩施土家族苗族" -> "恩施".
std::u32string_view StripEthnic(std::u32string_view s) {
  while (EndsWith(s, U"族")) {
    std::u32string_view before = s.substr(0, s.size() - 1);
    bool found = false;
    for (std::u32string_view group : kEthnicGroups) {
      if (EndsWith(before, group)) {
        s = before.substr(0, before.size() - group.size());
        found = true;
        break;
      }
    }
    if (!found) break;
  }
  // "各族自治县" style names: 各 is not a nationality but means "all of them".
  if (EndsWith(s, U"各族")) s = s.substr(0, s.size() - 2);
  // 新疆维吾尔自治区 names its nationality without 族.
  for (std::u32string_view group : kEthnicGroups) {
    if (group.size() >= 2 && EndsWith(s, group) &&
        s.size() - group.size() >= 2) {
      return s.substr(0, s.size() - group.size());
    }
  }
  return s;
}

uint32_t Divisor(RegionLevel level) {
  switch (level) {
    case RegionLevel::kNational:
      return 1000000;
    case RegionLevel::kProvince:
      return 10000;
    case RegionLevel::kCity:
      return 100;
    case RegionLevel::kCounty:
      return 1;
  }
  return 1;
}

// True when division `outer` (at its level) contains `inner`.
bool Contains(RegionRef outer, uint32_t inner_code, RegionLevel inner_level) {
  if (outer.level >= inner_level) return false;
  if (outer.level == RegionLevel::kNational) return true;
  const uint32_t d = Divisor(outer.level);
  return outer.code / d == inner_code / d;
}

std::u32string Decode(std::string_view s) {
  absl::StatusOr<std::u32string> cps = DecodeUtf8(s);
  return cps.ok() ? *cps : std::u32string();
}

}  // namespace

const RegionNames& RegionNames::Default() {
  static const RegionNames* names = new RegionNames();
  return *names;
}

RegionNames::RegionNames() {
  const RegionTable& table = RegionTable::Default();
  Add(U"中国", 0, RegionLevel::kNational);
  Add(U"中华人民共和国", 0, RegionLevel::kNational);
  for (uint32_t p = 10; p <= 99; ++p) {
    const std::string code = absl::StrFormat("%02d0000", p);
    RegionInfo info = table.Lookup(code);
    if (info.status != RegionStatus::kCurrent || info.province.empty()) {
      continue;
    }
    Add(Decode(info.province), p * 10000, RegionLevel::kProvince);
    for (uint32_t c = 1; c <= 99; ++c) {
      const std::string city_code = absl::StrFormat("%02d%02d00", p, c);
      RegionInfo ci = table.Lookup(city_code);
      // Municipalities' 市辖区 and the 省直辖 groupings resolve to the
      // province's name: not a city of their own.
      if (ci.status != RegionStatus::kCurrent || ci.city.empty() ||
          ci.city == ci.province) {
        continue;
      }
      Add(Decode(ci.city), p * 10000 + c * 100, RegionLevel::kCity);
    }
  }
  for (uint32_t code : table.county_codes()) {
    RegionInfo info = table.Lookup(absl::StrFormat("%06d", code));
    if (info.county.empty()) continue;
    Add(Decode(info.county), code, RegionLevel::kCounty);
  }
}

void RegionNames::Add(std::u32string_view name, uint32_t code,
                      RegionLevel level) {
  if (name.empty()) return;
  auto add_one = [&](std::u32string_view n, bool short_form) {
    std::vector<RegionRef>& refs = by_name_[std::u32string(n)];
    for (const RegionRef& r : refs) {
      if (r.code == code && r.level == level) return;
    }
    refs.push_back(RegionRef{code, level, short_form});
    max_name_length_ = std::max(max_name_length_, n.size());
  };
  add_one(name, false);
  std::u32string short_name = ShortForm(name);
  if (short_name != name) add_one(short_name, true);
}

std::u32string RegionNames::ShortForm(std::u32string_view name) {
  // Longest suffixes first.
  static constexpr std::array<std::u32string_view, 14> kSuffixes = {
      U"特别行政区", U"自治区", U"自治州", U"自治县", U"自治旗",
      U"地区",       U"林区",   U"特区",   U"新区",   U"省",
      U"市",         U"区",     U"县",     U"盟"};
  for (std::u32string_view suffix : kSuffixes) {
    if (!EndsWith(name, suffix)) continue;
    std::u32string_view stem = name.substr(0, name.size() - suffix.size());
    if (suffix.starts_with(U"自治")) stem = StripEthnic(stem);
    if (stem.size() >= 2) return std::u32string(stem);
    break;
  }
  // 旗 (banners of Inner Mongolia) keeps its full form: 正蓝 alone is unusual.
  return std::u32string(name);
}

const std::vector<RegionRef>* RegionNames::Find(
    std::u32string_view name) const {
  auto it = by_name_.find(std::u32string(name));
  return it == by_name_.end() ? nullptr : &it->second;
}

RegionLevel RegionNames::LevelOfCode(uint32_t code6) {
  if (code6 == 100000) return RegionLevel::kNational;
  if (code6 % 10000 == 0) return RegionLevel::kProvince;
  if (code6 % 100 == 0) return RegionLevel::kCity;
  return RegionLevel::kCounty;
}

RegionRelation RegionNames::Relate(const std::vector<RegionRef>& a,
                                   const std::vector<RegionRef>& b) {
  RegionRelation best = RegionRelation::kDifferent;
  for (const RegionRef& x : a) {
    for (const RegionRef& y : b) {
      if (x.level == y.level && x.code == y.code) return RegionRelation::kSame;
      if (Contains(x, y.code, y.level)) best = RegionRelation::kContains;
      if (best == RegionRelation::kDifferent && Contains(y, x.code, x.level)) {
        best = RegionRelation::kInside;
      }
    }
  }
  return best;
}

RegionRelation RegionNames::RelateToCode(const std::vector<RegionRef>& a,
                                         uint32_t code6) {
  const RegionLevel level = LevelOfCode(code6);
  const uint32_t code = level == RegionLevel::kNational ? 0 : code6;
  return Relate(a, {RegionRef{code, level, false}});
}

}  // namespace creditd::matcher_internal
