#include "index/legacy_codes.h"

#include "index/uscc.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"

namespace creditd {
namespace {

std::string FoldAscii(std::string_view input) {
  std::string out;
  out.reserve(input.size());
  for (char c : absl::StripAsciiWhitespace(
           absl::string_view(input.data(), input.size()))) {
    if (c == ' ') continue;
    out.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

std::string_view LegacyFaultName(LegacyFault fault) {
  switch (fault) {
    case LegacyFault::kNone:
      return "none";
    case LegacyFault::kEmpty:
      return "empty";
    case LegacyFault::kWrongLength:
      return "wrong_length";
    case LegacyFault::kIllegalCharacter:
      return "illegal_character";
    case LegacyFault::kCheckMismatch:
      return "check_mismatch";
    case LegacyFault::kUnverifiable:
      return "unverifiable";
  }
  return "unknown";
}

std::string LegacyResult::Describe(std::string_view what) const {
  switch (fault) {
    case LegacyFault::kNone:
      return absl::StrFormat("%s: valid", what);
    case LegacyFault::kEmpty:
      return absl::StrFormat("%s: empty", what);
    case LegacyFault::kWrongLength:
      return absl::StrFormat("%s: wrong length %d", what, canonical.size());
    case LegacyFault::kIllegalCharacter:
      return absl::StrFormat("%s: illegal character at position %d", what,
                             position);
    case LegacyFault::kCheckMismatch:
      return absl::StrFormat(
          "%s: check character mismatch (expected '%c', found '%c')", what,
          expected, found);
    case LegacyFault::kUnverifiable:
      return absl::StrFormat(
          "%s: 13-digit number without a check digit (not verifiable)", what);
  }
  return std::string(what);
}

LegacyResult ValidateOrgCode(std::string_view input) {
  LegacyResult r;
  r.canonical = FoldAscii(input);
  std::string& s = r.canonical;
  if (s.size() == 10 && s[8] == '-') s.erase(8, 1);
  if (s.empty()) {
    r.fault = LegacyFault::kEmpty;
    return r;
  }
  if (s.size() != 9) {
    r.fault = LegacyFault::kWrongLength;
    return r;
  }
  for (int i = 0; i < 9; ++i) {
    const char c = s[i];
    const bool ok = i < 8 ? ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))
                          : ((c >= '0' && c <= '9') || c == 'X');
    if (!ok) {
      r.fault = LegacyFault::kIllegalCharacter;
      r.position = i + 1;
      return r;
    }
  }
  r.expected = OrgCodeCheckCharacter(s);
  r.found = s[8];
  if (r.expected != r.found) r.fault = LegacyFault::kCheckMismatch;
  return r;
}

char RegistrationNumberCheckDigit(std::string_view digits) {
  int p = 10;
  for (int i = 0; i < 14; ++i) {
    int s = (p + (digits[i] - '0')) % 10;
    if (s == 0) s = 10;
    p = (s * 2) % 11;
  }
  return static_cast<char>('0' + (11 - p) % 10);
}

LegacyResult ValidateRegistrationNumber(std::string_view input) {
  LegacyResult r;
  r.canonical = FoldAscii(input);
  const std::string& s = r.canonical;
  if (s.empty()) {
    r.fault = LegacyFault::kEmpty;
    return r;
  }
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') {
      r.fault = LegacyFault::kIllegalCharacter;
      r.position = static_cast<int>(i) + 1;
      return r;
    }
  }
  if (s.size() == 13) {
    r.fault = LegacyFault::kUnverifiable;
    return r;
  }
  if (s.size() != 15) {
    r.fault = LegacyFault::kWrongLength;
    return r;
  }
  r.expected = RegistrationNumberCheckDigit(s);
  r.found = s[14];
  if (r.expected != r.found) r.fault = LegacyFault::kCheckMismatch;
  return r;
}

std::vector<LegacyMismatch> CrossCheckLegacy(std::string_view uscc,
                                             std::string_view org_code,
                                             std::string_view reg_no) {
  std::vector<LegacyMismatch> out;
  if (uscc.size() != kUsccLength) return out;
  if (!org_code.empty()) {
    const LegacyResult org = ValidateOrgCode(org_code);
    if (org.fault == LegacyFault::kNone ||
        org.fault == LegacyFault::kCheckMismatch) {
      if (org.canonical != uscc.substr(8, 9)) {
        out.push_back({LegacyMismatch::kOrgCodeBody,
                       absl::StrFormat("org_code %s differs from code body %s",
                                       org.canonical, uscc.substr(8, 9))});
      }
    }
  }
  if (!reg_no.empty()) {
    const LegacyResult reg = ValidateRegistrationNumber(reg_no);
    if (reg.canonical.size() == 15 &&
        (reg.fault == LegacyFault::kNone ||
         reg.fault == LegacyFault::kCheckMismatch) &&
        reg.canonical.substr(0, 6) != uscc.substr(2, 6)) {
      out.push_back(
          {LegacyMismatch::kRegistrationRegion,
           absl::StrFormat("reg_no division %s differs from code region %s",
                           reg.canonical.substr(0, 6), uscc.substr(2, 6))});
    }
  }
  return out;
}

}  // namespace creditd
