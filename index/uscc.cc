#include "index/uscc.h"

#include "index/regions.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include <unicode/utf8.h>

#include <cstring>

namespace creditd {
namespace {

constexpr int kWeights[17] = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                              29, 25, 13, 8,  24, 10, 30, 28};
constexpr int kOrgWeights[8] = {3, 7, 9, 10, 5, 8, 4, 2};

// USCC alphabet value of a byte, or -1.
struct AlphabetTable {
  int8_t value[256];
  constexpr AlphabetTable() : value() {
    for (int i = 0; i < 256; ++i) value[i] = -1;
    for (int i = 0; i < static_cast<int>(kUsccAlphabet.size()); ++i) {
      value[static_cast<unsigned char>(kUsccAlphabet[i])] =
          static_cast<int8_t>(i);
    }
  }
};
constexpr AlphabetTable kAlphabet;

inline int AlphabetValue(char c) {
  return kAlphabet.value[static_cast<unsigned char>(c)];
}

// Base-36 value used by GB 11714 (A=10 ... Z=35), or -1.
struct Base36Table {
  int8_t value[256];
  constexpr Base36Table() : value() {
    for (int i = 0; i < 256; ++i) value[i] = -1;
    for (int i = 0; i < 10; ++i) value['0' + i] = static_cast<int8_t>(i);
    for (int i = 0; i < 26; ++i) value['A' + i] = static_cast<int8_t>(10 + i);
  }
};
constexpr Base36Table kBase36;

inline int Base36Value(char c) {
  return kBase36.value[static_cast<unsigned char>(c)];
}

// Assigned authority/type pairs: GB 32100-2015 Table 1 and the later
// assignments found in real data. The circulating draft list (3 教育, 4 公安,
// B-G ...) is deliberately absent.
struct TypeRow {
  char type;
  std::string_view name;
};
struct AuthorityRow {
  char authority;
  std::string_view name;
  std::initializer_list<TypeRow> types;
};
const AuthorityRow kAuthorities[] = {
    {'1',
     "机构编制",
     {{'1', "机关"},
      {'2', "事业单位"},
      {'3', "中央编办直接管理机构编制的群众团体"},
      {'9', "其他"}}},
    {'2', "外交", {{'1', "外国常驻新闻机构"}, {'9', "其他"}}},
    {'3',
     "司法行政",
     {{'1', "律师执业机构"},
      {'2', "公证处"},
      {'3', "基层法律服务所"},
      {'4', "司法鉴定机构"},
      {'5', "仲裁委员会"},
      {'9', "其他"}}},
    {'4', "文化", {{'1', "外国在华文化中心"}, {'9', "其他"}}},
    {'5',
     "民政",
     {{'1', "社会团体"},
      {'2', "民办非企业单位"},
      {'3', "基金会"},
      {'9', "其他"}}},
    {'6',
     "旅游",
     {{'1', "外国旅游部门常驻代表机构"},
      {'2', "港澳台地区旅游部门常驻内地（大陆）代表机构"},
      {'9', "其他"}}},
    {'7', "宗教", {{'1', "宗教活动场所"}, {'2', "宗教院校"}, {'9', "其他"}}},
    {'8', "工会", {{'1', "基层工会"}, {'9', "其他"}}},
    {'9',
     "工商",
     {{'1', "企业"}, {'2', "个体工商户"}, {'3', "农民专业合作社"}}},
    {'A', "中央军委改革和编制办公室", {{'1', "军队事业单位"}, {'9', "其他"}}},
    {'N',
     "农业",
     {{'1', "组级集体经济组织"},
      {'2', "村级集体经济组织"},
      {'3', "乡镇级集体经济组织"},
      {'9', "其他"}}},
    {'Y', "其他", {{'1', "其他"}}},
};

const AuthorityRow* FindAuthority(char authority) {
  for (const AuthorityRow& row : kAuthorities) {
    if (row.authority == authority) return &row;
  }
  return nullptr;
}

// Genuine codes from the pilot era that fail the mod-31 check (DESIGN.md §1).
// They are still reported as check faults, marked, so that data teams do not
// chase them.
constexpr std::string_view kKnownLegacyExceptions[] = {
    "91350211M0000XUF46",
};

bool IsSpace(UChar32 c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
         c == '\f' || c == 0x3000 || c == 0x00A0 || c == 0xFEFF || c == 0x200B;
}

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

// Stand-ins that people type into a mandatory code field.
bool IsPlaceholder(std::string_view s) {
  static constexpr std::string_view kWords[] = {
      "无", "暂无", "空", "不详", "待补充", "未知", "NULL", "NONE", "N/A",
      "NA", "NIL",  "-",  "--",   "/",      "\\",   "0",    ".",
  };
  for (std::string_view w : kWords) {
    if (s == w) return true;
  }
  bool all_same = s.size() >= 2;
  int run = 0;
  char prev = 0;
  for (char c : s) {
    all_same &= c == s[0];
    const bool filler = c == 'X' || c == '*' || c == '#' || c == '?';
    run = (filler && c == prev) ? run + 1 : (filler ? 1 : 0);
    prev = c;
    if (run >= 4) return true;
  }
  if (all_same) return true;
  // An organisation-code body of zeros (positions 9-16) is never assigned.
  if (s.size() == kUsccLength && s.substr(8, 8) == "00000000") return true;
  return false;
}

// "9.16201055811843E+17" as a spreadsheet shows a long number.
bool IsScientificNotation(std::string_view s) {
  size_t i = 0;
  if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
  ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    const size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return false;
  }
  if (i >= s.size() || s[i] != 'E') return false;
  ++i;
  if (i < s.size() && s[i] == '+') ++i;
  const size_t start = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  return i == s.size() && i > start;
}

bool LooksLikeOrgCode(std::string_view s) {
  if (s.size() == 10 && s[8] == '-') {
    std::string joined(s.substr(0, 8));
    joined.push_back(s[9]);
    return LooksLikeOrgCode(joined);
  }
  if (s.size() != 9) return false;
  for (size_t i = 0; i < 8; ++i) {
    if (Base36Value(s[i]) < 0) return false;
  }
  return (s[8] >= '0' && s[8] <= '9') || s[8] == 'X';
}

std::string PrintableChar(std::string_view utf8) {
  if (utf8.size() == 1) {
    const unsigned char c = static_cast<unsigned char>(utf8[0]);
    if (c >= 0x20 && c < 0x7F && c != '\'')
      return absl::StrFormat("'%s'", utf8);
    return absl::StrFormat("\\x%02X", c);
  }
  UChar32 cp = 0;
  int32_t i = 0;
  U8_NEXT(utf8.data(), i, static_cast<int32_t>(utf8.size()), cp);
  return absl::StrFormat("'%s' (U+%04X)", utf8, static_cast<uint32_t>(cp));
}

std::string NamesOfBits(uint8_t bits,
                        std::initializer_list<std::string_view> names) {
  std::string out;
  int bit = 0;
  for (std::string_view name : names) {
    if (bits & (1u << bit)) {
      if (!out.empty()) out.push_back(',');
      out.append(name);
    }
    ++bit;
  }
  return out;
}

}  // namespace

std::string_view UsccFaultName(UsccFault fault) {
  switch (fault) {
    case UsccFault::kNone:
      return "none";
    case UsccFault::kEmpty:
      return "empty";
    case UsccFault::kNotUtf8:
      return "not_utf8";
    case UsccFault::kWrongLength:
      return "wrong_length";
    case UsccFault::kIllegalCharacter:
      return "illegal_character";
    case UsccFault::kUnknownAuthorityType:
      return "unknown_authority_type";
    case UsccFault::kOrgCodeCheck:
      return "org_code_check";
    case UsccFault::kCheckCharacter:
      return "check_character";
    case UsccFault::kExcelTruncated:
      return "excel_truncated";
    case UsccFault::kLegacyRegistrationNumber:
      return "legacy_registration_number";
    case UsccFault::kLegacyOrgCode:
      return "legacy_org_code";
    case UsccFault::kPlaceholder:
      return "placeholder";
  }
  return "unknown";
}

std::string FoldNames(uint8_t folds) {
  return NamesOfBits(folds,
                     {"trimmed", "inner_space", "lowercase", "full_width"});
}

std::string WarningNames(uint8_t warnings) {
  return NamesOfBits(warnings, {"region_not_current", "unknown_region"});
}

char UsccCheckCharacter(std::string_view code) {
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += AlphabetValue(code[i]) * kWeights[i];
  // The final mod 31 matters: without it a remainder of 0 would ask for
  // alphabet[31].
  return kUsccAlphabet[(31 - sum % 31) % 31];
}

char OrgCodeCheckCharacter(std::string_view body) {
  int sum = 0;
  for (int i = 0; i < 8; ++i) sum += Base36Value(body[i]) * kOrgWeights[i];
  const int c = 11 - sum % 11;
  if (c == 10) return 'X';
  if (c == 11) return '0';
  return static_cast<char>('0' + c);
}

bool IsKnownAuthorityType(char authority, char type) {
  // A 36x36 table over [0-9A-Z] built once from kAuthorities: one load on the
  // hot path.
  static const auto* table = [] {
    auto* t = new std::array<bool, 36 * 36>{};
    for (const AuthorityRow& row : kAuthorities) {
      for (const TypeRow& type_row : row.types) {
        (*t)[Base36Value(row.authority) * 36 + Base36Value(type_row.type)] =
            true;
      }
    }
    return t;
  }();
  const int a = Base36Value(authority);
  const int b = Base36Value(type);
  return a >= 0 && b >= 0 && (*table)[a * 36 + b];
}

std::string_view AuthorityName(char authority) {
  const AuthorityRow* row = FindAuthority(authority);
  return row == nullptr ? std::string_view() : row->name;
}

std::string_view AuthorityTypeName(char authority, char type) {
  const AuthorityRow* row = FindAuthority(authority);
  if (row == nullptr) return {};
  for (const TypeRow& t : row->types) {
    if (t.type == type) return t.name;
  }
  return {};
}

UsccResult ValidateUscc(std::string_view input) {
  UsccResult r;
  r.input_bytes_ = input.size();

  // Pass 1: fold spacing, width and case into r.buf_, counting code points.
  const int32_t n =
      static_cast<int32_t>(std::min<size_t>(input.size(), INT32_MAX));
  int32_t i = 0;
  bool seen_text = false;
  bool pending_space = false;
  if (input.size() == size_t{kUsccLength}) {
    // Fast path: a clean code, 18 characters of the alphabet, needs no
    // folding (the common case: every check by code starts here).
    int all = 0;
    for (int k = 0; k < kUsccLength; ++k) all |= AlphabetValue(input[k]);
    if (all >= 0) {
      std::memcpy(r.buf_.data(), input.data(), kUsccLength);
      r.len_ = static_cast<uint8_t>(kUsccLength);
      r.code_points_ = static_cast<size_t>(kUsccLength);
      i = n;
    }
  }
  while (i < n) {
    UChar32 c;
    const int32_t start = i;
    const unsigned char b = static_cast<unsigned char>(input[i]);
    if (AlphabetValue(static_cast<char>(b)) >= 0 && !pending_space &&
        r.len_ < UsccResult::kMaxFoldedBytes) {
      // Fast path: an alphabet character needs no folding (the common case,
      // every byte of a clean code).
      r.buf_[r.len_++] = static_cast<char>(b);
      ++r.code_points_;
      seen_text = true;
      ++i;
      continue;
    }
    if (b < 0x80) {
      c = b;
      ++i;
    } else {
      U8_NEXT(input.data(), i, n, c);
      if (c < 0) {
        r.fault_ = UsccFault::kNotUtf8;
        r.bad_position_ = start + 1;
        return r;
      }
    }
    if (IsSpace(c)) {
      if (seen_text) {
        pending_space = true;
      } else {
        r.folds_ |= kFoldTrimmed;
      }
      continue;
    }
    if (pending_space) {
      r.folds_ |= kFoldInnerSpace;
      pending_space = false;
    }
    seen_text = true;
    if (c >= 0xFF01 && c <= 0xFF5E) {
      c -= 0xFEE0;
      r.folds_ |= kFoldFullWidth;
    }
    if (c >= 'a' && c <= 'z') {
      c -= 'a' - 'A';
      r.folds_ |= kFoldLowercase;
    }
    ++r.code_points_;
    char utf8[4];
    int32_t len = 0;
    U8_APPEND_UNSAFE(utf8, len, c);
    if (r.len_ + len <= static_cast<int32_t>(UsccResult::kMaxFoldedBytes)) {
      std::memcpy(r.buf_.data() + r.len_, utf8, len);
      r.len_ = static_cast<uint8_t>(r.len_ + len);
    } else {
      r.folded_truncated_ = true;
    }
    // Remember the first character outside the alphabet, where it stands.
    if (r.bad_position_ == 0 && (len != 1 || AlphabetValue(utf8[0]) < 0)) {
      r.bad_position_ = static_cast<int>(r.code_points_);
      std::memcpy(r.bad_char_.data(), utf8, len);
      r.bad_char_len_ = static_cast<uint8_t>(len);
    }
  }
  if (pending_space) r.folds_ |= kFoldTrimmed;

  const std::string_view code = r.canonical();
  if (r.code_points_ == 0) {
    r.fault_ = UsccFault::kEmpty;
    return r;
  }

  if (r.code_points_ == kUsccLength && r.bad_position_ == 0) {
    // Structural checks of an 18-character code over the alphabet; record all,
    // report the first.
    if (!IsKnownAuthorityType(code[0], code[1]))
      r.structural_faults_ |= kFaultBitAuthorityType;
    r.expected_org_ = OrgCodeCheckCharacter(code.substr(8, 8));
    r.found_org_ = code[16];
    if (r.expected_org_ != r.found_org_)
      r.structural_faults_ |= kFaultBitOrgCodeCheck;
    r.expected_ = UsccCheckCharacter(code);
    r.found_ = code[17];
    if (r.expected_ != r.found_)
      r.structural_faults_ |= kFaultBitCheckCharacter;

    uint32_t region_code = 0;
    bool digits = true;
    for (int k = 2; k < 8; ++k) {
      digits &= code[k] >= '0' && code[k] <= '9';
      region_code = region_code * 10 + static_cast<uint32_t>(code[k] - '0');
    }
    const RegionStatus region =
        digits ? RegionTable::Default().StatusOf(region_code)
               : RegionStatus::kMalformed;
    if (region == RegionStatus::kNotCurrent)
      r.warnings_ |= kWarnRegionNotCurrent;
    if (region == RegionStatus::kUnknown ||
        region == RegionStatus::kMalformed) {
      r.warnings_ |= kWarnUnknownRegion;
    }

    if (r.structural_faults_ == 0) return r;
    if (IsPlaceholder(code)) {
      r.fault_ = UsccFault::kPlaceholder;
    } else if (AllDigits(code) && code.substr(15) == "000") {
      r.fault_ = UsccFault::kExcelTruncated;
    } else if (r.structural_faults_ & kFaultBitAuthorityType) {
      r.fault_ = UsccFault::kUnknownAuthorityType;
    } else if (r.structural_faults_ & kFaultBitOrgCodeCheck) {
      r.fault_ = UsccFault::kOrgCodeCheck;
    } else {
      r.fault_ = UsccFault::kCheckCharacter;
      for (std::string_view known : kKnownLegacyExceptions) {
        if (code == known) r.known_legacy_exception_ = true;
      }
    }
    return r;
  }

  // Not an 18-character code over the alphabet: name the corruption when we
  // recognise it.
  if (IsPlaceholder(code)) {
    r.fault_ = UsccFault::kPlaceholder;
  } else if (IsScientificNotation(code)) {
    r.fault_ = UsccFault::kExcelTruncated;
  } else if (AllDigits(code) &&
             (r.code_points_ == 15 || r.code_points_ == 13)) {
    r.fault_ = UsccFault::kLegacyRegistrationNumber;
  } else if (LooksLikeOrgCode(code)) {
    r.fault_ = UsccFault::kLegacyOrgCode;
  } else if (r.bad_position_ != 0) {
    r.fault_ = UsccFault::kIllegalCharacter;
  } else {
    r.fault_ = UsccFault::kWrongLength;
  }
  return r;
}

std::string UsccResult::Describe() const {
  std::string out;
  switch (fault_) {
    case UsccFault::kNone:
      out = "valid";
      break;
    case UsccFault::kEmpty:
      out = "empty: no code given";
      break;
    case UsccFault::kNotUtf8:
      out = absl::StrCat("not valid UTF-8 (byte ", bad_position_, ")");
      break;
    case UsccFault::kWrongLength:
      out = absl::StrCat("wrong length: ", code_points_,
                         " characters, expected 18");
      break;
    case UsccFault::kIllegalCharacter:
      out = absl::StrFormat(
          "illegal character %s at position %d (not in the USCC alphabet %s)",
          PrintableChar(bad_character()), bad_position_, kUsccAlphabet);
      if (bad_character() == "O" || bad_character() == "I") {
        absl::StrAppend(&out, "; letters I, O, S, V, Z are never used");
      }
      break;
    case UsccFault::kUnknownAuthorityType: {
      const std::string_view code = canonical();
      const AuthorityRow* row = FindAuthority(code[0]);
      if (row == nullptr) {
        out =
            absl::StrFormat("unknown registration authority '%s' at position 1",
                            code.substr(0, 1));
      } else {
        std::string types;
        for (const TypeRow& t : row->types) {
          if (!types.empty()) types.append(", ");
          types.push_back(t.type);
        }
        out = absl::StrFormat(
            "unknown authority/type pair '%s' (authority %s %s has types %s)",
            code.substr(0, 2), code.substr(0, 1), row->name, types);
      }
      break;
    }
    case UsccFault::kOrgCodeCheck:
      out = absl::StrFormat(
          "organisation-code check mismatch at position 17 (expected '%c', "
          "found '%c')",
          expected_org_, found_org_);
      break;
    case UsccFault::kCheckCharacter:
      out = absl::StrFormat(
          "check character mismatch at position 18 (expected '%c', found '%c')",
          expected_, found_);
      if (known_legacy_exception_)
        out.append("; known pilot-era legacy exception");
      break;
    case UsccFault::kExcelTruncated:
      out = AllDigits(canonical())
                ? "spreadsheet float truncation: 15 significant digits then "
                  "zeros; the last "
                  "characters are lost, take the code from the source again"
                : "spreadsheet scientific notation: the code was stored as a "
                  "number and its "
                  "digits are lost";
      break;
    case UsccFault::kLegacyRegistrationNumber:
      out = absl::StrCat(code_points_,
                         "-digit business registration number (注册号) in the "
                         "code field, not a "
                         "USCC");
      break;
    case UsccFault::kLegacyOrgCode:
      out =
          "9-character organisation code (组织机构代码) in the code field, not "
          "a USCC";
      break;
    case UsccFault::kPlaceholder:
      out = "placeholder, not a code";
      break;
  }
  // Further structural faults found on the same code.
  if (fault_ != UsccFault::kNone && structural_faults_ != 0) {
    std::string also;
    if ((structural_faults_ & kFaultBitOrgCodeCheck) &&
        fault_ != UsccFault::kOrgCodeCheck) {
      also =
          absl::StrFormat("organisation-code check (expected '%c', found '%c')",
                          expected_org_, found_org_);
    }
    if ((structural_faults_ & kFaultBitCheckCharacter) &&
        fault_ != UsccFault::kCheckCharacter) {
      if (!also.empty()) also.append(", ");
      also += absl::StrFormat("check character (expected '%c', found '%c')",
                              expected_, found_);
    }
    if (!also.empty() && fault_ != UsccFault::kExcelTruncated &&
        fault_ != UsccFault::kPlaceholder) {
      absl::StrAppend(&out, "; also ", also);
    }
  }
  return out;
}

absl::StatusOr<Uscc> ParseUscc(std::string_view input) {
  const UsccResult r = ValidateUscc(input);
  if (!r.ok())
    return absl::InvalidArgumentError(absl::StrCat("code: ", r.Describe()));
  Uscc code;
  std::memcpy(code.chars_.data(), r.canonical().data(), kUsccLength);
  return code;
}

std::optional<PackedUscc> PackUscc(std::string_view code) {
  if (code.size() != kUsccLength) return std::nullopt;
  // Three words of six characters, without a branch per character (every
  // check and every lookup packs its code): a character outside the alphabet
  // makes `bad` negative.
  PackedUscc p;
  int bad = 0;
  for (int w = 0; w < 3; ++w) {
    uint32_t word = 0;
    for (int k = 0; k < 6; ++k) {
      const int v = AlphabetValue(code[w * 6 + k]);
      bad |= v;
      word |= static_cast<uint32_t>(v & 31) << (5 * k);
    }
    p.w[w] = word;
  }
  if (bad < 0) return std::nullopt;
  return p;
}

std::string UnpackUscc(const PackedUscc& packed) {
  std::string out(kUsccLength, '0');
  for (int i = 0; i < kUsccLength; ++i) {
    const uint32_t v = (packed.w[i / 6] >> (5 * (i % 6))) & 31;
    out[i] = v < kUsccAlphabet.size() ? kUsccAlphabet[v]
                                      : '?';  // 31 never comes from PackUscc
  }
  return out;
}

}  // namespace creditd
