#include "daemon/handlers/convert.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"

namespace creditd::handlers {

void Assign(std::string* field, std::string_view value) {
  field->assign(value.data(), value.size());
}

void AssignShown(std::string* field, std::string_view text, pii::View view) {
  // ContainsIdNumber first scans for a run of 17 digits, which nearly no
  // shown text has: then no masked copy is built.
  if (view == pii::View::kClear || !pii::ContainsIdNumber(text)) {
    Assign(field, text);
    return;
  }
  *field = pii::MaskIdNumbers(text);
}

namespace {

// `v` as exactly `width` decimal digits (0 <= v < 10^width).
void AppendDigits(std::string* out, int v, int width) {
  char d[8];
  for (int i = width - 1; i >= 0; --i) {
    d[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out->append(d, static_cast<size_t>(width));
}

}  // namespace

void AssignDate(std::string* field, Date date) {
  if (!date.has_value()) {
    field->clear();
    return;
  }
  static const absl::CivilDay kEpoch(1970, 1, 1);  // as index/subject.cc
  const absl::CivilDay day = kEpoch + date.days;
  if (day.year() < 0 || day.year() > 9999) {
    *field = FormatDate(date);
    return;
  }
  field->clear();
  AppendDigits(field, static_cast<int>(day.year()), 4);
  field->push_back('-');
  AppendDigits(field, day.month(), 2);
  field->push_back('-');
  AppendDigits(field, day.day(), 2);
}

absl::StatusOr<Date> OptionalDate(std::string_view text,
                                  std::string_view field) {
  if (text.empty()) return Date{};
  absl::StatusOr<Date> d = ParseDate(text);
  if (!d.ok()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: %s", absl::string_view(field.data(), field.size()),
                        d.status().message()));
  }
  return *d;
}

pii::View ViewFor(const RequestContext& ctx) {
  if (ctx.session != nullptr && ctx.session->authenticated &&
      (ctx.session->principal.roles & kRoleAdmin) != 0) {
    return pii::View::kClear;
  }
  return pii::View::kMasked;
}

std::string ShowText(std::string_view text, pii::View view) {
  return view == pii::View::kClear ? std::string(text)
                                   : pii::MaskIdNumbers(text);
}

namespace {

// Subject and SubjectView (Record and RecordView) carry the same fields but
// hold former names and sources differently: these overloads let one
// template encode both.
template <typename Fn>
void ForEachFormer(const Subject& s, Fn fn) {
  for (const std::string& f : s.former_names) fn(f);
}
template <typename Fn>
void ForEachFormer(const SubjectView& s, Fn fn) {
  s.ForEachFormerName(fn);
}
void AssignSource(std::string* field, std::string_view source, uint32_t line) {
  // JoinSource (index/subject.h) without the temporary.
  Assign(field, source);
  if (line > 0) absl::StrAppend(field, ":", line);
}
void AssignSourceOf(std::string* field, const Subject& s) {
  Assign(field, s.source);
}
void AssignSourceOf(std::string* field, const Record& r) {
  Assign(field, r.source);
}
void AssignSourceOf(std::string* field, const SubjectView& s) {
  AssignSource(field, s.source, s.source_line);
}
void AssignSourceOf(std::string* field, const RecordView& r) {
  AssignSource(field, r.source, r.source_line);
}

template <typename S>
void SubjectToProto(const S& s, pii::View view, proto::Subject* out) {
  Assign(out->mutable_id(), s.id);
  Assign(out->mutable_code(), s.code);
  // The name of an individual business (个体工商户) is often its operator's
  // personal name, but it is also the registered name that callers search
  // and compare: it is shown; an identity number inside it is not.
  AssignShown(out->mutable_name(), s.name, view);
  ForEachFormer(s, [&](std::string_view f) {
    AssignShown(out->add_former_names(), f, view);
  });
  if (view == pii::View::kClear) {
    Assign(out->mutable_legal_rep(), s.legal_rep);
  } else {
    out->set_legal_rep(pii::MaskPersonName(s.legal_rep));
  }
  Assign(out->mutable_region(), s.region);
  Assign(out->mutable_status(), SubjectStatusName(s.status));
  AssignDate(out->mutable_registered_on(), s.registered_on);
  Assign(out->mutable_org_code(), s.org_code);
  Assign(out->mutable_reg_no(), s.reg_no);
  AssignSourceOf(out->mutable_source(), s);
  Assign(out->mutable_kind(), SubjectKindName(KindOfCode(s.code)));
}

template <typename R>
void RecordToProto(const R& r, pii::View view, proto::Record* out) {
  Assign(out->mutable_id(), r.id);
  Assign(out->mutable_code(), r.code);
  Assign(out->mutable_list(), r.list);
  AssignShown(out->mutable_name(), r.name, view);
  AssignShown(out->mutable_authority(), r.authority, view);
  AssignShown(out->mutable_basis(), r.basis, view);
  AssignShown(out->mutable_doc_no(), r.doc_no, view);
  AssignShown(out->mutable_detail(), r.detail, view);
  AssignDate(out->mutable_decided_on(), r.decided_on);
  AssignDate(out->mutable_valid_from(), r.valid_from);
  AssignDate(out->mutable_valid_until(), r.valid_until);
  AssignDate(out->mutable_repaired_on(), r.repaired_on);
  out->set_disputed(r.disputed);
  AssignSourceOf(out->mutable_source(), r);
}

}  // namespace

void ToProto(const Subject& s, pii::View view, proto::Subject* out) {
  SubjectToProto(s, view, out);
}
void ToProto(const SubjectView& s, pii::View view, proto::Subject* out) {
  SubjectToProto(s, view, out);
}
void ToProto(const Record& r, pii::View view, proto::Record* out) {
  RecordToProto(r, view, out);
}
void ToProto(const RecordView& r, pii::View view, proto::Record* out) {
  RecordToProto(r, view, out);
}

absl::StatusOr<Subject> FromProto(const proto::Subject& p,
                                  std::string_view where) {
  const std::string w(where);
  Subject s;
  s.id = p.id();
  s.code = p.code();
  s.name = p.name();
  if (s.id.empty()) {
    return absl::InvalidArgumentError(absl::StrFormat("%s.id: empty", w));
  }
  if (s.name.empty()) {
    return absl::InvalidArgumentError(absl::StrFormat("%s.name: empty", w));
  }
  s.former_names.assign(p.former_names().begin(), p.former_names().end());
  s.legal_rep = p.legal_rep();
  s.region = p.region();
  if (s.region.empty() && s.code.size() >= 8) s.region = s.code.substr(2, 6);
  if (!p.status().empty()) {
    auto st = ParseSubjectStatus(p.status());
    if (!st.ok()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s.status: %s", w, st.status().message()));
    }
    s.status = *st;
  }
  auto reg = OptionalDate(p.registered_on(), w + ".registered_on");
  if (!reg.ok()) return reg.status();
  s.registered_on = *reg;
  s.org_code = p.org_code();
  s.reg_no = p.reg_no();
  s.source = p.source().empty() ? "socket" : p.source();
  return s;
}

absl::StatusOr<Record> FromProto(const proto::Record& p,
                                 std::string_view where) {
  const std::string w(where);
  Record r;
  r.id = p.id();
  r.code = p.code();
  r.list = p.list();
  if (r.id.empty()) {
    return absl::InvalidArgumentError(absl::StrFormat("%s.id: empty", w));
  }
  if (r.list.empty()) {
    return absl::InvalidArgumentError(absl::StrFormat("%s.list: empty", w));
  }
  r.name = p.name();
  r.authority = p.authority();
  r.basis = p.basis();
  r.doc_no = p.doc_no();
  r.detail = p.detail();
  struct {
    const std::string& text;
    const char* field;
    Date* out;
  } dates[] = {{p.decided_on(), "decided_on", &r.decided_on},
               {p.valid_from(), "valid_from", &r.valid_from},
               {p.valid_until(), "valid_until", &r.valid_until},
               {p.repaired_on(), "repaired_on", &r.repaired_on}};
  for (auto& d : dates) {
    auto v = OptionalDate(d.text, absl::StrFormat("%s.%s", w, d.field));
    if (!v.ok()) return v.status();
    *d.out = *v;
  }
  r.disputed = p.disputed();
  r.source = p.source().empty() ? "socket" : p.source();
  return r;
}

}  // namespace creditd::handlers
