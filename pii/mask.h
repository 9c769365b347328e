// Masking of natural persons' identifiers (docs/security.md, Personal data).
//
// Two kinds of identifier are masked:
//  * the name of a natural person held in a field that names one (a
//    subject's legal representative / operator, `legal_rep`): the first
//    character is kept and every further character becomes '*'
//    ("张三丰" -> "张**");
//  * 18-character resident identity numbers (居民身份证号, GB 11643) found in
//    free text: the first 6 (the issuing region) and the last 4 characters
//    are kept, the 8 in between (the date of birth) become '*'
//    ("330102199001011234" -> "330102********1234").
//
// Policy (who sees what) is the caller's: the daemon shows clear values only
// to the `admin` role, and masks always in logs and audit entries.
//
// Pure functions, no state: thread-safe.
#ifndef CREDITD_PII_MASK_H_
#define CREDITD_PII_MASK_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace creditd::pii {

// Whether a reader sees natural persons' identifiers in clear.
enum class View : uint8_t {
  kMasked,  // every role but admin; logs; audit entries
  kClear,   // admin
};

// Keeps the first UTF-8 code point of `name` and writes one '*' per further
// code point, so the length in characters is kept ("张三" -> "张*"; "" ->
// ""). Leading and trailing spaces are dropped first. Invalid UTF-8 bytes
// each count as one character.
std::string MaskPersonName(std::string_view name);

// Replaces the middle 8 characters of every resident identity number in
// `text` with '*' (first 6 and last 4 kept). An identity number is 17 ASCII
// digits and a digit or 'X'/'x', whose characters 7..14 are a plausible date
// of birth (year 1900..2099, month 01..12, day 01..31), not preceded or
// followed by an ASCII letter or digit (so a longer number, or a code, is
// not cut). The check digit is not required: a mistyped number is masked
// too. Returns `text` unchanged when there is none.
std::string MaskIdNumbers(std::string_view text);

// Whether `text` holds an identity number as MaskIdNumbers defines it.
bool ContainsIdNumber(std::string_view text);

}  // namespace creditd::pii

#endif  // CREDITD_PII_MASK_H_
