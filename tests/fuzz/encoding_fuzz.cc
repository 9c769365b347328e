// libFuzzer target: decoding stored documents (a damaged database must give
// DataLoss, never a crash).
#include "index/internal/encoding.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto s = creditd::internal::DecodeSubject(input);
  if (s.ok()) {
    std::string again;
    creditd::internal::EncodeSubject(*s, &again);
    if (again != input) std::abort();  // the encoding is canonical
  }
  (void)creditd::internal::DecodeRecord(input);
  (void)creditd::internal::PeekIdAndCode(input);
  (void)creditd::internal::ContentOf(input);
  return 0;
}
