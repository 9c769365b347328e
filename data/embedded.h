// Reference data compiled into the binaries by cmake/embed.cmake
// (data/CMakeLists.txt). Each function returns the whole file, UTF-8, header
// row included; the storage is static.
#ifndef CREDITD_DATA_EMBEDDED_H_
#define CREDITD_DATA_EMBEDDED_H_

#include <string_view>

namespace creditd::embedded {

std::string_view ProvincesCsv();  // data/provinces.csv: code (2 digits), name
std::string_view
CitiesCsv();  // data/cities.csv: code (4 digits), name, provinceCode
std::string_view
AreasCsv();  // data/areas.csv: code (6 digits), name, cityCode, provinceCode

}  // namespace creditd::embedded

#endif  // CREDITD_DATA_EMBEDDED_H_
