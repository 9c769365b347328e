#include "index/subject.h"

#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace creditd {
namespace {

const absl::CivilDay kEpoch(1970, 1, 1);

}  // namespace

absl::StatusOr<Date> ParseDate(std::string_view text) {
  const std::string shown(text.substr(0, 32));
  bool shape = text.size() == 10 && text[4] == '-' && text[7] == '-';
  for (size_t i = 0; shape && i < text.size(); ++i) {
    if (i != 4 && i != 7) shape = text[i] >= '0' && text[i] <= '9';
  }
  if (!shape) {
    return absl::InvalidArgumentError(
        absl::StrFormat("not a date '%s' (want YYYY-MM-DD)", shown));
  }
  auto num = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  const int y = num(0, 4), m = num(5, 2), d = num(8, 2);
  const absl::CivilDay day(y, m, d);
  if (day.year() != y || day.month() != m || day.day() != d || y < 1900 ||
      y > 2199) {
    return absl::InvalidArgumentError(
        absl::StrFormat("no such day '%s'", shown));
  }
  return Date{static_cast<int32_t>(day - kEpoch)};
}

std::string FormatDate(Date date) {
  if (!date.has_value()) return "";
  const absl::CivilDay day = kEpoch + date.days;
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

Date Today(std::string_view time_zone) {
  absl::TimeZone tz = absl::UTCTimeZone();
  absl::LoadTimeZone(std::string(time_zone), &tz);
  const absl::CivilDay day = absl::ToCivilDay(absl::Now(), tz);
  return Date{static_cast<int32_t>(day - kEpoch)};
}

std::string_view SubjectStatusName(SubjectStatus status) {
  switch (status) {
    case SubjectStatus::kActive:
      return "active";
    case SubjectStatus::kRevoked:
      return "revoked";
    case SubjectStatus::kDeregistered:
      return "deregistered";
    case SubjectStatus::kOther:
      return "other";
  }
  return "other";
}

absl::StatusOr<SubjectStatus> ParseSubjectStatus(std::string_view text) {
  for (SubjectStatus s :
       {SubjectStatus::kActive, SubjectStatus::kRevoked,
        SubjectStatus::kDeregistered, SubjectStatus::kOther}) {
    if (text == SubjectStatusName(s)) return s;
  }
  return absl::InvalidArgumentError(absl::StrFormat(
      "unknown status '%s' (allowed: active, revoked, deregistered, other)",
      text.substr(0, 32)));
}

std::string_view SubjectKindName(SubjectKind kind) {
  switch (kind) {
    case SubjectKind::kEnterprise:
      return "enterprise";
    case SubjectKind::kIndividualBusiness:
      return "individual_business";
    case SubjectKind::kCooperative:
      return "cooperative";
    case SubjectKind::kSocialOrganisation:
      return "social_organisation";
    case SubjectKind::kPublicInstitution:
      return "public_institution";
    case SubjectKind::kAgency:
      return "agency";
    case SubjectKind::kOther:
      return "other";
  }
  return "other";
}

SubjectKind KindOfCode(std::string_view code) {
  if (code.size() < 2) return SubjectKind::kOther;
  const char a = code[0], t = code[1];
  if (a == '9') {
    if (t == '1') return SubjectKind::kEnterprise;
    if (t == '2') return SubjectKind::kIndividualBusiness;
    if (t == '3') return SubjectKind::kCooperative;
  }
  if (a == '5' && (t == '1' || t == '2' || t == '3' || t == '9')) {
    return SubjectKind::kSocialOrganisation;
  }
  if ((a == '1' && t == '2') || (a == 'A' && t == '1'))
    return SubjectKind::kPublicInstitution;
  if (a == '1' && t == '1') return SubjectKind::kAgency;
  return SubjectKind::kOther;
}

namespace {

bool InForceOn(Date day, Date valid_from, Date valid_until, Date repaired_on) {
  if (valid_from.has_value() && day < valid_from) return false;
  if (valid_until.has_value() && valid_until < day) return false;
  if (repaired_on.has_value() && !(day < repaired_on)) return false;
  return true;
}

}  // namespace

bool Record::InForce(Date day) const {
  return InForceOn(day, valid_from, valid_until, repaired_on);
}

bool RecordView::InForce(Date day) const {
  return InForceOn(day, valid_from, valid_until, repaired_on);
}

std::string JoinSource(std::string_view source, uint32_t line) {
  std::string out(source);
  if (line > 0) {
    out += ':';
    out += std::to_string(line);
  }
  return out;
}

Subject SubjectView::ToSubject() const {
  Subject s;
  s.id = std::string(id);
  s.code = std::string(code);
  s.name = std::string(name);
  s.former_names.reserve(former_count);
  ForEachFormerName(
      [&](std::string_view f) { s.former_names.emplace_back(f); });
  s.legal_rep = std::string(legal_rep);
  s.region = std::string(region);
  s.status = status;
  s.registered_on = registered_on;
  s.org_code = std::string(org_code);
  s.reg_no = std::string(reg_no);
  s.source = JoinSource(source, source_line);
  return s;
}

RecordView AsView(const Record& r) {
  RecordView v;
  v.id = r.id;
  v.code = r.code;
  v.list = r.list;
  v.name = r.name;
  v.authority = r.authority;
  v.basis = r.basis;
  v.doc_no = r.doc_no;
  v.detail = r.detail;
  v.decided_on = r.decided_on;
  v.valid_from = r.valid_from;
  v.valid_until = r.valid_until;
  v.repaired_on = r.repaired_on;
  v.disputed = r.disputed;
  v.source = r.source;
  return v;
}

Record RecordView::ToRecord() const {
  Record r;
  r.id = std::string(id);
  r.code = std::string(code);
  r.list = std::string(list);
  r.name = std::string(name);
  r.authority = std::string(authority);
  r.basis = std::string(basis);
  r.doc_no = std::string(doc_no);
  r.detail = std::string(detail);
  r.decided_on = decided_on;
  r.valid_from = valid_from;
  r.valid_until = valid_until;
  r.repaired_on = repaired_on;
  r.disputed = disputed;
  r.source = JoinSource(source, source_line);
  return r;
}

}  // namespace creditd
