// GB/T 2260 administrative divisions, compiled in from data/*.csv (see
// data/README.md).
//
// Thread safety: RegionTable is immutable after construction; Default() builds
// it once on first use (thread-safe static initialisation) and every later call
// is a lookup without I/O.
#ifndef CREDITD_INDEX_REGIONS_H_
#define CREDITD_INDEX_REGIONS_H_

#include "absl/container/flat_hash_map.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace creditd {

enum class RegionStatus : uint8_t {
  kNational,    // 100000: registered by a national authority
  kCurrent,     // listed in the current table (province, city or county level)
  kNotCurrent,  // the province exists but this division is not listed: retired
                // or unknown
  kUnknown,     // six digits naming no known province
  kMalformed,   // not six ASCII digits
};

std::string_view RegionStatusName(RegionStatus status);

struct RegionInfo {
  RegionStatus status = RegionStatus::kUnknown;
  // Names from the table, empty where they do not apply. For municipalities
  // (北京, 上海, 天津, 重庆) the city is the province's name, as the data's
  // 市辖区 rows intend.
  std::string_view province;
  std::string_view city;
  std::string_view county;

  // "福建省 福州市 鼓楼区"; the province alone for a province-level code;
  // "全国" for 100000.
  std::string FullName() const;
};

class RegionTable {
 public:
  // The table compiled into the binary.
  static const RegionTable& Default();

  // Parses the three CSV files of data/ (header rows included). Malformed rows
  // are skipped; the shipped data has none and tests/index/regions_test.cc
  // checks the counts.
  RegionTable(std::string_view provinces_csv, std::string_view cities_csv,
              std::string_view areas_csv);

  // Looks up a 6-character division code (positions 3-8 of a USCC).
  RegionInfo Lookup(std::string_view code6) const;

  // Only the status of Lookup(code6), without the names: one bit test, for the
  // validation hot path. `code` is the six digits as a number (0..999999).
  RegionStatus StatusOf(uint32_t code) const;

  // Every current county-level code, in table order (for the data generator).
  const std::vector<uint32_t>& county_codes() const { return county_codes_; }
  size_t province_count() const { return provinces_.size(); }
  size_t city_count() const { return cities_.size(); }
  size_t county_count() const { return counties_.size(); }

 private:
  struct County {
    std::string name;
    uint32_t city;  // 4-digit city code
  };
  absl::flat_hash_map<uint32_t, std::string>
      provinces_;  // 2-digit code -> name
  absl::flat_hash_map<uint32_t, std::string>
      cities_;  // 4-digit code -> name (市辖区 resolved)
  absl::flat_hash_map<uint32_t, County> counties_;  // 6-digit code -> county
  std::vector<uint32_t> county_codes_;
  std::vector<uint64_t>
      current_bits_;  // bit per 6-digit code listed at any level
  std::vector<bool> province_known_;  // per 2-digit province code
};

}  // namespace creditd

#endif  // CREDITD_INDEX_REGIONS_H_
