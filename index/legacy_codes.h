// Legacy identifiers that predate the USCC and still arrive in real data:
//   - the 9-character organisation code (组织机构代码, GB 11714), "M0001002-4"
//   or "M00010024";
//   - the 15-digit business registration number (注册号): 6-digit division,
//   8-digit sequence,
//     check digit by ISO 7064 MOD 11,10 ("110108000000016"); older 13-digit
//     numbers carry no check digit and can only be recognised.
// and the cross-check of either against the USCC on file. Pure functions,
// thread-safe.
#ifndef CREDITD_INDEX_LEGACY_CODES_H_
#define CREDITD_INDEX_LEGACY_CODES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace creditd {

enum class LegacyFault : uint8_t {
  kNone = 0,
  kEmpty,
  kWrongLength,
  kIllegalCharacter,
  kCheckMismatch,
  kUnverifiable,  // a 13-digit registration number: well formed, no check digit
                  // to verify
};

std::string_view LegacyFaultName(LegacyFault fault);

struct LegacyResult {
  LegacyFault fault = LegacyFault::kNone;
  // Folded form: organisation code without hyphen (9 characters), or the
  // registration number.
  std::string canonical;
  char expected = 0;  // for kCheckMismatch
  char found = 0;
  int position = 0;  // 1-based, for kIllegalCharacter
  bool ok() const { return fault == LegacyFault::kNone; }
  // "organisation code: check character mismatch (expected 'X', found '3')".
  std::string Describe(std::string_view what) const;
};

// Organisation code: 8 characters [0-9A-Z] and a check character [0-9X], an
// optional hyphen before the check character. Trims spaces and folds case.
LegacyResult ValidateOrgCode(std::string_view input);

// Business registration number: 15 digits with an ISO 7064 MOD 11,10 check
// digit, or 13 digits (kUnverifiable).
LegacyResult ValidateRegistrationNumber(std::string_view input);

// The ISO 7064 MOD 11,10 check digit for the first 14 digits of `digits`.
// REQUIRES: digits.size() >= 14, all ASCII digits.
char RegistrationNumberCheckDigit(std::string_view digits);

// One disagreement between a legacy identifier and the USCC on file.
struct LegacyMismatch {
  enum Kind : uint8_t { kOrgCodeBody, kRegistrationRegion } kind;
  std::string detail;  // "org_code M0001002-4 differs from code body M00010024"
};

// Cross-checks a subject's legacy identifiers against its USCC (18 canonical
// characters): the organisation code must equal positions 9-17; a 15-digit
// registration number's division (digits 1-6) should equal positions 3-8. Empty
// inputs are skipped; malformed ones are not compared (validate them first).
std::vector<LegacyMismatch> CrossCheckLegacy(std::string_view uscc,
                                             std::string_view org_code,
                                             std::string_view reg_no);

}  // namespace creditd

#endif  // CREDITD_INDEX_LEGACY_CODES_H_
