#include "index/regions.h"

#include "index/internal/csv.h"

#include "absl/strings/str_split.h"
#include "data/embedded.h"

#include <charconv>

namespace creditd {
namespace {

bool ParseDigits(std::string_view s, size_t want, uint32_t* out) {
  if (s.size() != want) return false;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  *out = v;
  return true;
}

// Calls fn(fields) for each data row of an embedded CSV file (header skipped).
template <typename Fn>
void ForEachRow(std::string_view csv, Fn fn) {
  std::vector<std::string> fields;
  bool header = true;
  for (absl::string_view piece :
       absl::StrSplit(absl::string_view(csv.data(), csv.size()), '\n')) {
    std::string_view line(piece.data(), piece.size());
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (header) {
      header = false;
      continue;
    }
    if (line.empty() || !internal::SplitCsvLine(line, &fields).ok()) continue;
    fn(fields);
  }
}

}  // namespace

std::string_view RegionStatusName(RegionStatus status) {
  switch (status) {
    case RegionStatus::kNational:
      return "national";
    case RegionStatus::kCurrent:
      return "current";
    case RegionStatus::kNotCurrent:
      return "not_current";
    case RegionStatus::kUnknown:
      return "unknown";
    case RegionStatus::kMalformed:
      return "malformed";
  }
  return "unknown";
}

std::string RegionInfo::FullName() const {
  if (status == RegionStatus::kNational) return "全国";
  std::string out(province);
  if (!city.empty() && city != province) {
    out.append(" ").append(city);
  }
  if (!county.empty()) out.append(" ").append(county);
  return out;
}

const RegionTable& RegionTable::Default() {
  static const RegionTable* table = new RegionTable(
      embedded::ProvincesCsv(), embedded::CitiesCsv(), embedded::AreasCsv());
  return *table;
}

RegionTable::RegionTable(std::string_view provinces_csv,
                         std::string_view cities_csv,
                         std::string_view areas_csv) {
  ForEachRow(provinces_csv, [&](const std::vector<std::string>& f) {
    uint32_t code;
    if (f.size() >= 2 && ParseDigits(f[0], 2, &code)) provinces_[code] = f[1];
  });
  ForEachRow(cities_csv, [&](const std::vector<std::string>& f) {
    uint32_t code, province;
    if (f.size() < 3 || !ParseDigits(f[0], 4, &code) ||
        !ParseDigits(f[2], 2, &province))
      return;
    std::string name = f[1];
    // 市辖区 / 县 / 省直辖县级行政区划 are groupings, not cities: a clerk reads
    // the province.
    if (name == "市辖区" || name == "县" || name == "省直辖县级行政区划" ||
        name == "自治区直辖县级行政区划") {
      auto it = provinces_.find(province);
      name = it == provinces_.end() ? std::string() : it->second;
    }
    cities_[code] = std::move(name);
  });
  ForEachRow(areas_csv, [&](const std::vector<std::string>& f) {
    uint32_t code, city;
    if (f.size() < 3 || !ParseDigits(f[0], 6, &code) ||
        !ParseDigits(f[2], 4, &city))
      return;
    counties_[code] = County{f[1], city};
    county_codes_.push_back(code);
  });
  current_bits_.assign(1000000 / 64 + 1, 0);
  province_known_.assign(100, false);
  auto mark = [&](uint32_t code) {
    current_bits_[code / 64] |= uint64_t{1} << (code % 64);
  };
  for (const auto& [code, name] : provinces_) {
    province_known_[code] = true;
    mark(code * 10000);
  }
  for (const auto& [code, name] : cities_) mark(code * 100);
  for (const auto& [code, county] : counties_) mark(code);
}

RegionStatus RegionTable::StatusOf(uint32_t code) const {
  if (code == 100000) return RegionStatus::kNational;
  if (code >= 1000000) return RegionStatus::kMalformed;
  if (current_bits_[code / 64] & (uint64_t{1} << (code % 64)))
    return RegionStatus::kCurrent;
  return province_known_[code / 10000] ? RegionStatus::kNotCurrent
                                       : RegionStatus::kUnknown;
}

RegionInfo RegionTable::Lookup(std::string_view code6) const {
  RegionInfo info;
  uint32_t code;
  if (!ParseDigits(code6, 6, &code)) {
    info.status = RegionStatus::kMalformed;
    return info;
  }
  if (code == 100000) {
    info.status = RegionStatus::kNational;
    return info;
  }
  const uint32_t province_code = code / 10000;
  const uint32_t city_code = code / 100;
  auto p = provinces_.find(province_code);
  if (p == provinces_.end()) {
    info.status = RegionStatus::kUnknown;
    return info;
  }
  info.province = p->second;
  info.status = RegionStatus::kNotCurrent;
  if (code % 10000 == 0) {  // province level
    info.status = RegionStatus::kCurrent;
    return info;
  }
  auto c = cities_.find(city_code);
  if (c != cities_.end()) info.city = c->second;
  if (code % 100 == 0) {  // city level
    if (c != cities_.end()) info.status = RegionStatus::kCurrent;
    return info;
  }
  auto a = counties_.find(code);
  if (a != counties_.end()) {
    info.county = a->second.name;
    info.status = RegionStatus::kCurrent;
  }
  return info;
}

}  // namespace creditd
