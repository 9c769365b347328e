// libFuzzer target: the ingest line parsers (JSONL, CSV header + row, GBK).
#include "index/ingest.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const creditd::IngestOptions options;
  (void)creditd::ParseJsonLine(input, creditd::LineKind::kAuto, options, "f:1");
  // The first line is a CSV header, the rest one row.
  const size_t nl = input.find('\n');
  if (nl != std::string_view::npos) {
    auto schema = creditd::CsvSchema::FromHeader(input.substr(0, nl),
                                                 creditd::LineKind::kAuto);
    if (schema.ok())
      (void)schema->ParseRow(input.substr(nl + 1), options, "f:2");
  }
  auto utf8 = creditd::GbkToUtf8(input);
  if (utf8.ok()) {
    (void)creditd::ParseJsonLine(*utf8, creditd::LineKind::kAuto, options,
                                 "f:1");
  }
  return 0;
}
