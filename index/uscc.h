// Unified Social Credit Code (统一社会信用代码, GB 32100-2015): validation,
// tolerant input folding, and a packed form for the in-memory index.
//
// Layout of a code (18 characters from the 31-symbol alphabet kUsccAlphabet):
//   pos 1      registration authority            (登记管理部门)
//   pos 2      institution type within authority (机构类别)
//   pos 3-8    GB/T 2260 division of the registering authority; 100000 =
//   national pos 9-17   organisation code body (GB 11714): 8 characters + its
//   own check character pos 18     check character, mod 31 over positions 1-17
//
// Everything here is pure: no I/O, no allocation on the path of ValidateUscc
// for inputs up to kMaxFoldedBytes, and safe to call from any thread. Region
// lookups use the compiled-in GB/T 2260 table (index/regions.h).
#ifndef CREDITD_INDEX_USCC_H_
#define CREDITD_INDEX_USCC_H_

#include "absl/status/statusor.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace creditd {

inline constexpr std::string_view kUsccAlphabet =
    "0123456789ABCDEFGHJKLMNPQRTUWXY";
inline constexpr int kUsccLength = 18;

// The exact fault of an invalid code. The first group are structural faults of
// an 18-character code; the second names the real-world corruptions that
// deserve their own diagnosis.
//
// When adding a fault: add its name to UsccFaultName() in uscc.cc, a row to the
// fault table in docs/data-formats.md, and a case to tests/index/uscc_test.cc.
enum class UsccFault : uint8_t {
  kNone = 0,
  kEmpty,                 // nothing left after trimming
  kNotUtf8,               // input bytes are not valid UTF-8
  kWrongLength,           // not 18 characters (and no better diagnosis below)
  kIllegalCharacter,      // a character outside kUsccAlphabet (I, O, S, V, Z,
                          // punctuation, CJK ...)
  kUnknownAuthorityType,  // positions 1-2 are not an assigned authority/type
                          // pair
  kOrgCodeCheck,          // position 17 disagrees with the GB 11714 check over
                          // positions 9-16
  kCheckCharacter,        // position 18 disagrees with the mod-31 check over
                          // positions 1-17
  kExcelTruncated,  // a spreadsheet stored the code as a float: 15 significant
                    // digits, then 0s
  kLegacyRegistrationNumber,  // a 13- or 15-digit business registration number
                              // (注册号)
  kLegacyOrgCode,  // a 9-character organisation code (组织机构代码), with or
                   // without hyphen
  kPlaceholder,  // a stand-in such as 31310000XXXXXXXX, 000000000000000000, 无,
                 // N/A
};

// Stable snake_case name ("check_character"), used in TSV/JSON output and
// reports.
std::string_view UsccFaultName(UsccFault fault);

// Bits of UsccResult::structural_faults: every structural fault found, not only
// the first.
enum UsccFaultBit : uint8_t {
  kFaultBitAuthorityType = 1 << 0,
  kFaultBitOrgCodeCheck = 1 << 1,
  kFaultBitCheckCharacter = 1 << 2,
};

// What the tolerant reader did to the input to reach the canonical form. Never
// a change of meaning: only spacing, letter case and character width are
// folded; nothing is "corrected".
enum UsccFold : uint8_t {
  kFoldTrimmed =
      1 << 0,  // leading/trailing white space (ASCII, U+3000, NBSP, BOM, ZWSP)
  kFoldInnerSpace = 1 << 1,  // white space inside the code removed
  kFoldLowercase = 1 << 2,   // lowercase letters raised
  kFoldFullWidth = 1 << 3,   // full-width forms (U+FF01..U+FF5E) narrowed
};

// Warnings do not make a code invalid.
enum UsccWarning : uint8_t {
  kWarnRegionNotCurrent =
      1 << 0,  // province known, division not in the current table (retired?)
  kWarnUnknownRegion =
      1 << 1,  // positions 3-8 name no known province, or are not digits
};

// Comma-separated names of the set bits ("trimmed,full_width"); empty when
// none.
std::string FoldNames(uint8_t folds);
std::string WarningNames(uint8_t warnings);

// The outcome of ValidateUscc. A small value type; canonical() views into it,
// so keep the result alive while using the view.
class UsccResult {
 public:
  // Longest folded form kept; longer inputs are reported by their length and
  // first bytes.
  static constexpr size_t kMaxFoldedBytes = 64;

  bool ok() const { return fault_ == UsccFault::kNone; }
  UsccFault fault() const { return fault_; }
  // Every structural fault of an 18-character code (UsccFaultBit), 0 when none
  // were tested.
  uint8_t structural_faults() const { return structural_faults_; }
  uint8_t folds() const { return folds_; }
  uint8_t warnings() const { return warnings_; }
  // True when the code fails only its mod-31 check and is one of the genuine
  // pilot-era codes (e.g. Fujian 91350211M0000XUF46): still reported as
  // kCheckCharacter, never "corrected".
  bool known_legacy_exception() const { return known_legacy_exception_; }

  // The input after folding (upper case, narrow, no spaces); may be invalid. At
  // most kMaxFoldedBytes bytes: see folded_truncated().
  std::string_view canonical() const { return {buf_.data(), len_}; }
  bool folded_truncated() const { return folded_truncated_; }
  // Length of the folded input in code points (the whole input, even when
  // truncated).
  size_t length() const { return code_points_; }

  // For kIllegalCharacter: 1-based position (in code points) and the character
  // as UTF-8.
  int bad_position() const { return bad_position_; }
  std::string_view bad_character() const {
    return {bad_char_.data(), bad_char_len_};
  }
  // For kCheckCharacter / kOrgCodeCheck: the character the check computes and
  // the one found.
  char expected_check() const { return expected_; }
  char found_check() const { return found_; }
  char expected_org_check() const { return expected_org_; }

  // A sentence for people and error messages, naming the fault, where, and why:
  //   "check character mismatch at position 18 (expected '3', found '4')".
  // Allocates; call it off the hot path.
  std::string Describe() const;

 private:
  friend UsccResult ValidateUscc(std::string_view input);

  // Only the first len_ bytes are ever read; not zeroed, since ValidateUscc is
  // a hot path.
  std::array<char, kMaxFoldedBytes> buf_;
  uint8_t len_ = 0;
  UsccFault fault_ = UsccFault::kNone;
  uint8_t structural_faults_ = 0;
  uint8_t folds_ = 0;
  uint8_t warnings_ = 0;
  bool known_legacy_exception_ = false;
  bool folded_truncated_ = false;
  char expected_ = 0;
  char found_ = 0;
  char expected_org_ = 0;
  char found_org_ = 0;
  uint8_t bad_char_len_ = 0;
  std::array<char, 4> bad_char_{};
  int bad_position_ = 0;
  size_t code_points_ = 0;
  size_t input_bytes_ = 0;
};

// Validates `input` tolerantly: folds spacing, case and width (and says so in
// folds()), then names the exact fault or returns ok() with any region
// warnings. Never fails for any byte string, including invalid UTF-8 and binary
// data.
UsccResult ValidateUscc(std::string_view input);

// Computes the mod-31 check character for the first 17 characters of `code`.
// REQUIRES: code.size() >= 17 and every character of code[0..16] is in
// kUsccAlphabet.
char UsccCheckCharacter(std::string_view code);

// Computes the GB 11714 check character ('0'-'9' or 'X') for an 8-character
// organisation code body (digits and A-Z, letters valued base-36). REQUIRES:
// body.size() >= 8 and every character is [0-9A-Z].
char OrgCodeCheckCharacter(std::string_view body);

// True when positions 1-2 form an assigned authority/type pair (GB 32100 and
// the later assignments; the circulating draft list with 3 教育 / 4 公安 is
// wrong and is not accepted).
bool IsKnownAuthorityType(char authority, char type);
// The authority's and the type's Chinese names ("工商", "企业"); empty for
// unknown pairs.
std::string_view AuthorityName(char authority);
std::string_view AuthorityTypeName(char authority, char type);

// A validated code. Construct with ParseUscc.
class Uscc {
 public:
  std::string_view str() const { return {chars_.data(), chars_.size()}; }
  char authority() const { return chars_[0]; }
  char type() const { return chars_[1]; }
  std::string_view region() const { return str().substr(2, 6); }
  std::string_view org_code() const { return str().substr(8, 9); }
  char check() const { return chars_[17]; }

  friend bool operator==(const Uscc&, const Uscc&) = default;

 private:
  friend absl::StatusOr<Uscc> ParseUscc(std::string_view input);
  std::array<char, kUsccLength> chars_{};
};

// Strict parse: the folded code when ValidateUscc(input).ok(), otherwise
// InvalidArgument with Describe() ("code: check character mismatch ...").
absl::StatusOr<Uscc> ParseUscc(std::string_view input);

// An 18-character code over kUsccAlphabet in 12 bytes (5 bits a character, 6
// characters per word), for hash-map keys. Any such string packs, valid or not;
// Unpack(Pack(s)) == s.
struct PackedUscc {
  std::array<uint32_t, 3> w{};

  friend bool operator==(const PackedUscc&, const PackedUscc&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const PackedUscc& p) {
    return H::combine(std::move(h), p.w[0], p.w[1], p.w[2]);
  }
};

// Packs a canonical code. nullopt when `code` is not 18 characters of
// kUsccAlphabet (such codes are rare and are indexed by their string instead).
std::optional<PackedUscc> PackUscc(std::string_view code);
std::string UnpackUscc(const PackedUscc& packed);

}  // namespace creditd

#endif  // CREDITD_INDEX_USCC_H_
