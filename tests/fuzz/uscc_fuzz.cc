// libFuzzer target: code validation and legacy identifiers on arbitrary bytes.
#include "index/legacy_codes.h"
#include "index/uscc.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const creditd::UsccResult r = creditd::ValidateUscc(input);
  (void)r.Describe();
  if (r.ok()) {
    // A valid code re-validates to itself, packs, and round-trips.
    const creditd::UsccResult again = creditd::ValidateUscc(r.canonical());
    if (!again.ok() || again.canonical() != r.canonical()) std::abort();
    auto packed = creditd::PackUscc(r.canonical());
    if (!packed || creditd::UnpackUscc(*packed) != r.canonical()) std::abort();
  }
  (void)creditd::ParseUscc(input);
  (void)creditd::ValidateOrgCode(input).Describe("org_code");
  (void)creditd::ValidateRegistrationNumber(input).Describe("reg_no");
  if (size >= 18) {
    (void)creditd::CrossCheckLegacy(input.substr(0, 18), input.substr(18),
                                    input.substr(18));
  }
  return 0;
}
