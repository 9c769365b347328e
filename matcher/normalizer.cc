#include "matcher/normalizer.h"

#include "matcher/internal/utf8.h"

#include "absl/strings/str_format.h"
#include <opencc/opencc.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <exception>

namespace creditd {
namespace {

using matcher_internal::AppendUtf8;
using matcher_internal::DecodeUtf8;

// Opening and closing brackets that mean "an aside" in company names. After
// NFKC the full-width （）［］｛｝ are already ASCII; 【】〔〕〖〗 are not.
// 《》「」 are title and quotation marks and are dropped like punctuation.
bool IsOpenBracket(char32_t c) {
  return c == U'(' || c == U'[' || c == U'{' || c == U'【' || c == U'〔' ||
         c == U'〖';
}
bool IsCloseBracket(char32_t c) {
  return c == U')' || c == U']' || c == U'}' || c == U'】' || c == U'〕' ||
         c == U'〗';
}

// Letters, digits and combining marks stay; punctuation (P*), symbols (S*),
// separators (Z*) and controls/format/unassigned (C*) go. Symbols include
// "&" and "·": "P&G" and "阿里·巴巴" compare as "pg" and "阿里巴巴".
bool Keep(char32_t c) {
  const int8_t type = u_charType(static_cast<UChar32>(c));
  switch (type) {
    case U_UPPERCASE_LETTER:
    case U_LOWERCASE_LETTER:
    case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER:
    case U_DECIMAL_DIGIT_NUMBER:
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER:
    case U_NON_SPACING_MARK:
    case U_ENCLOSING_MARK:
    case U_COMBINING_SPACING_MARK:
      return true;
    default:
      return false;
  }
}

}  // namespace

Normalizer::Normalizer(const icu::Normalizer2* nfkc,
                       std::unique_ptr<opencc::SimpleConverter> t2s)
    : nfkc_(nfkc), t2s_(std::move(t2s)) {}

Normalizer::~Normalizer() = default;

absl::StatusOr<std::unique_ptr<const Normalizer>> Normalizer::Create() {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
  if (U_FAILURE(status) || nfkc == nullptr) {
    return absl::InternalError(absl::StrFormat(
        "normalizer: ICU NFKC data unavailable (%s)", u_errorName(status)));
  }
  std::unique_ptr<opencc::SimpleConverter> t2s;
  try {
    t2s = std::make_unique<opencc::SimpleConverter>("t2s.json");
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrFormat(
        "normalizer: cannot load OpenCC t2s.json: %s", e.what()));
  }
  return std::unique_ptr<const Normalizer>(
      new Normalizer(nfkc, std::move(t2s)));
}

absl::StatusOr<const Normalizer*> Normalizer::Shared() {
  static const auto* shared =
      new absl::StatusOr<std::unique_ptr<const Normalizer>>(Create());
  if (!shared->ok()) return shared->status();
  return shared->value().get();
}

absl::StatusOr<std::u32string> Normalizer::Normalize(
    std::string_view name) const {
  // Bound first: nothing below runs on more than kMaxInputBytes.
  if (name.size() > kMaxInputBytes) {
    return absl::InvalidArgumentError(
        absl::StrFormat("name: %d bytes exceeds the limit of %d bytes",
                        name.size(), kMaxInputBytes));
  }
  // Validate ourselves: ICU would silently turn bad bytes into U+FFFD.
  absl::Status valid = DecodeUtf8(name).status();
  if (!valid.ok()) return valid;

  UErrorCode status = U_ZERO_ERROR;
  const icu::UnicodeString src = icu::UnicodeString::fromUTF8(
      icu::StringPiece(name.data(), static_cast<int32_t>(name.size())));
  const icu::UnicodeString nfkc = nfkc_->normalize(src, status);
  if (U_FAILURE(status)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "name: NFKC normalisation failed (%s)", u_errorName(status)));
  }
  std::string narrow;
  nfkc.toUTF8String(narrow);

  // OpenCC works on UTF-8 and may map phrases, not only characters (e.g.
  // 乾坤 stays 乾坤 while 乾燥 becomes 干燥), which is why it runs on the whole
  // name rather than per character.
  std::string simplified;
  try {
    simplified = t2s_->Convert(narrow);
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrFormat("name: OpenCC conversion failed: %s", e.what()));
  }
  absl::StatusOr<std::u32string> cps = DecodeUtf8(simplified);
  if (!cps.ok()) {
    return absl::InternalError("name: OpenCC produced invalid UTF-8");
  }

  std::u32string out;
  out.reserve(cps->size());
  for (char32_t c : *cps) {
    if (IsOpenBracket(c)) {
      out.push_back(U'(');
    } else if (IsCloseBracket(c)) {
      out.push_back(U')');
    } else if (Keep(c)) {
      out.push_back(static_cast<char32_t>(
          u_foldCase(static_cast<UChar32>(c), U_FOLD_CASE_DEFAULT)));
    }
  }
  // Brackets with nothing left inside ("()" from "（ ）") say nothing.
  std::u32string cleaned;
  cleaned.reserve(out.size());
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == U'(' && i + 1 < out.size() && out[i + 1] == U')') {
      ++i;
      continue;
    }
    cleaned.push_back(out[i]);
  }
  bool has_content = false;
  for (char32_t c : cleaned) has_content |= (c != U'(' && c != U')');
  if (!has_content) {
    return absl::InvalidArgumentError(
        "name: empty after normalisation (only spaces or punctuation)");
  }
  if (cleaned.size() > kMaxCodePoints) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "name: %d characters after normalisation exceeds the limit of %d",
        cleaned.size(), kMaxCodePoints));
  }
  return cleaned;
}

absl::StatusOr<std::string> Normalizer::NormalizeUtf8(
    std::string_view name) const {
  absl::StatusOr<std::u32string> cps = Normalize(name);
  if (!cps.ok()) return cps.status();
  return matcher_internal::EncodeUtf8(*cps);
}

}  // namespace creditd
