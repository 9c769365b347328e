// The data model: market subjects and their credit records (DESIGN.md §1, §4).
// Plain structs; behaviour lives in the registry, the checks and the matcher.
#ifndef CREDITD_INDEX_SUBJECT_H_
#define CREDITD_INDEX_SUBJECT_H_

#include "absl/status/statusor.h"

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace creditd {

// A calendar day as days since 1970-01-01 (UTC civil date, no time zone).
// kNoDate = not given.
struct Date {
  static constexpr int32_t kNone = std::numeric_limits<int32_t>::min();
  int32_t days = kNone;

  bool has_value() const { return days != kNone; }
  friend auto operator<=>(const Date&, const Date&) = default;
};

// Parses "YYYY-MM-DD" (a real calendar day between 1900-01-01 and 2199-12-31).
// InvalidArgument: "not a date 'x' (want YYYY-MM-DD)" or "no such day
// '2023-02-30'".
absl::StatusOr<Date> ParseDate(std::string_view text);
// "YYYY-MM-DD"; empty for a Date without value.
std::string FormatDate(Date date);
// Today in the given IANA time zone (e.g. "Asia/Shanghai"); UTC when the zone
// is unknown.
Date Today(std::string_view time_zone = "Asia/Shanghai");

enum class SubjectStatus : uint8_t { kActive, kRevoked, kDeregistered, kOther };
std::string_view SubjectStatusName(
    SubjectStatus status);  // "active", "revoked", ...
// InvalidArgument naming the allowed values.
absl::StatusOr<SubjectStatus> ParseSubjectStatus(std::string_view text);

// What kind of subject a code's authority/type pair says it is.
enum class SubjectKind : uint8_t {
  kEnterprise,          // 91
  kIndividualBusiness,  // 92 个体工商户
  kCooperative,         // 93 农民专业合作社
  kSocialOrganisation,  // 5x 社会组织
  kPublicInstitution,   // 12, A1 事业单位
  kAgency,              // 11 机关
  kOther,               // every other pair, and invalid codes
};
std::string_view SubjectKindName(SubjectKind kind);  // "enterprise", ...
SubjectKind KindOfCode(std::string_view code);

struct Subject {
  std::string id;    // the source's id, or derived from code + normalised name
                     // (registry.h)
  std::string code;  // canonical (folded) code as given; may be invalid: such
                     // codes are flagged
  std::string name;
  std::vector<std::string> former_names;
  std::string legal_rep;
  std::string region;  // 6-digit division; defaults to code positions 3-8
  SubjectStatus status = SubjectStatus::kActive;
  Date registered_on;
  std::string org_code;  // legacy organisation code on file, if any
  std::string reg_no;    // legacy registration number on file, if any
  std::string source;    // where the line came from ("file.jsonl:17", a
                         // department name, ...)
};

// Built-in credit lists (DESIGN.md §1). Operators may configure more; a
// record's list is a name.
inline constexpr std::string_view kBuiltinLists[] = {
    "serious_dishonesty",         // 严重失信主体名单
    "dishonest_judgment_debtor",  // 失信被执行人
    "abnormal_operation",         // 经营异常名录
    "major_tax_violation",        // 重大税收违法失信主体
    "procurement_violation",      // 政府采购严重违法失信行为记录
    "admin_penalty",              // 行政处罚
    "admin_license",              // 行政许可
    "a_level_taxpayer",           // A级纳税人
    "red_list",                   // 守信激励对象
};

struct Record {
  std::string id;    // unique key of the record
  std::string code;  // the subject's code (canonical)
  std::string list;  // list name, one of the configured lists
  std::string name;  // subject name as the issuing authority wrote it
  std::string authority;
  std::string basis;   // legal basis
  std::string doc_no;  // document number (文号)
  std::string detail;
  Date decided_on;
  Date valid_from;
  Date valid_until;  // no value: open-ended
  Date repaired_on;  // 信用修复: from this day on the record no longer counts
  bool disputed = false;  // 异议处理 in progress
  std::string source;

  // In force on `day`: valid_from <= day (when given), day <= valid_until (when
  // given), and not repaired on or before `day`.
  bool InForce(Date day) const;
};

// Read-only views of a stored subject / record, as a registry snapshot hands
// them out without copying (Registry::VisitSubjectsByCode and friends): every
// string_view points into the snapshot and is valid while the snapshot is
// alive (index/registry.h).
struct SubjectView {
  std::string_view id;
  std::string_view code;
  std::string_view name;
  uint32_t former_count = 0;
  // former_count strings, each a varint length and its bytes
  // (ForEachFormerName walks them).
  std::string_view former_raw;
  std::string_view legal_rep;
  std::string_view region;
  SubjectStatus status = SubjectStatus::kActive;
  Date registered_on;
  std::string_view org_code;
  std::string_view reg_no;
  // The source is `source` followed by ":<source_line>" when source_line > 0
  // (the registry stores "file:line" sources as a shared file name and a
  // number).
  std::string_view source;
  uint32_t source_line = 0;

  // Calls fn(std::string_view) for each former name. The view must come from
  // a decoder (which checked former_raw); a malformed block stops early.
  template <typename Fn>
  void ForEachFormerName(Fn fn) const;
  Subject ToSubject() const;
};

struct RecordView {
  std::string_view id;
  std::string_view code;
  std::string_view list;
  std::string_view name;
  std::string_view authority;
  std::string_view basis;
  std::string_view doc_no;
  std::string_view detail;
  Date decided_on;
  Date valid_from;
  Date valid_until;
  Date repaired_on;
  bool disputed = false;
  std::string_view source;  // as SubjectView::source
  uint32_t source_line = 0;

  bool InForce(Date day) const;  // as Record::InForce
  Record ToRecord() const;
};

// A view of `r` (the inverse of RecordView::ToRecord): every string_view
// points into `r`, so it is valid while `r` lives and is unchanged. The
// source stays whole (source_line 0).
RecordView AsView(const Record& r);

// "file:17" from a view's two source parts.
std::string JoinSource(std::string_view source, uint32_t line);

template <typename Fn>
void SubjectView::ForEachFormerName(Fn fn) const {
  const char* p = former_raw.data();
  const char* end = p + former_raw.size();
  for (uint32_t i = 0; i < former_count && p < end; ++i) {
    uint64_t n = 0;
    int shift = 0;
    while (p < end && (static_cast<uint8_t>(*p) & 0x80) && shift < 63) {
      n |= static_cast<uint64_t>(static_cast<uint8_t>(*p++) & 0x7F) << shift;
      shift += 7;
    }
    if (p >= end) return;
    n |= static_cast<uint64_t>(static_cast<uint8_t>(*p++)) << shift;
    if (n > static_cast<uint64_t>(end - p)) return;
    fn(std::string_view(p, static_cast<size_t>(n)));
    p += n;
  }
}

}  // namespace creditd

#endif  // CREDITD_INDEX_SUBJECT_H_
