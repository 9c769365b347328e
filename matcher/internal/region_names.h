// Region names (full and short forms) from the GB/T 2260 table, keyed by name,
// for splitting company names. Built once from index/regions.h's public API
// (RegionTable::Lookup over every province, city and county code), because
// RegionTable does not expose iteration over names.
//
// Internal to matcher/. Thread safety: Default() is built once (thread-safe
// static) and immutable afterwards.
#ifndef CREDITD_MATCHER_INTERNAL_REGION_NAMES_H_
#define CREDITD_MATCHER_INTERNAL_REGION_NAMES_H_

#include "absl/container/flat_hash_map.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace creditd::matcher_internal {

// Levels of a division. kNational is "中国" (code 100000 in USCC terms).
enum class RegionLevel : uint8_t { kNational, kProvince, kCity, kCounty };

struct RegionRef {
  uint32_t code = 0;  // six digits: PP0000, PPCC00 or PPCCXX; 0 for national
  RegionLevel level = RegionLevel::kNational;
  bool short_form = false;  // "福州" for 福州市; "鼓楼" for 鼓楼区
};

// How two regions relate.
enum class RegionRelation : uint8_t {
  kSame,       // some reading of both names is the same division
  kContains,   // a contains b (福建 contains 福州)
  kInside,     // a lies inside b
  kDifferent,  // no reading of one is inside the other
};

class RegionNames {
 public:
  static const RegionNames& Default();

  // Every division a name (full or short form) may denote; nullptr if none.
  const std::vector<RegionRef>* Find(std::u32string_view name) const;

  // Longest name length in code points (bounds prefix searches).
  size_t max_name_length() const { return max_name_length_; }

  // The short form of a division name: 福建省 -> 福建, 广西壮族自治区 -> 广西,
  // 恩施土家族苗族自治州 -> 恩施, 鼓楼区 -> 鼓楼. Returns the name itself when
  // no short form of at least two characters exists (沙县).
  static std::u32string ShortForm(std::u32string_view name);

  // The relation of the best-related pair of readings.
  static RegionRelation Relate(const std::vector<RegionRef>& a,
                               const std::vector<RegionRef>& b);
  // The same against a registered six-digit code (a USCC's positions 3-8).
  static RegionRelation RelateToCode(const std::vector<RegionRef>& a,
                                     uint32_t code6);

  // The level of a six-digit code by its zeros (100000 is national).
  static RegionLevel LevelOfCode(uint32_t code6);

 private:
  RegionNames();
  void Add(std::u32string_view name, uint32_t code, RegionLevel level);

  absl::flat_hash_map<std::u32string, std::vector<RegionRef>> by_name_;
  size_t max_name_length_ = 0;
};

}  // namespace creditd::matcher_internal

#endif  // CREDITD_MATCHER_INTERNAL_REGION_NAMES_H_
