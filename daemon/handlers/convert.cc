#include "daemon/handlers/convert.h"

#include "absl/strings/str_format.h"

namespace creditd::handlers {

namespace {
// Protobuf 3.21's setters take no std::string_view: assign in place instead
// of building a temporary std::string.
void Assign(std::string* field, std::string_view v) {
  field->assign(v.data(), v.size());
}
}  // namespace

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
const std::string& SourceOf(const Subject& s) { return s.source; }
const std::string& SourceOf(const Record& r) { return r.source; }
std::string SourceOf(const SubjectView& s) {
  return JoinSource(s.source, s.source_line);
}
std::string SourceOf(const RecordView& r) {
  return JoinSource(r.source, r.source_line);
}

template <typename S>
void SubjectToProto(const S& s, pii::View view, proto::Subject* out) {
  Assign(out->mutable_id(), s.id);
  Assign(out->mutable_code(), s.code);
  // The name of an individual business (个体工商户) is often its operator's
  // personal name, but it is also the registered name that callers search
  // and compare: it is shown; an identity number inside it is not.
  out->set_name(ShowText(s.name, view));
  ForEachFormer(
      s, [&](std::string_view f) { out->add_former_names(ShowText(f, view)); });
  if (view == pii::View::kClear) {
    Assign(out->mutable_legal_rep(), s.legal_rep);
  } else {
    out->set_legal_rep(pii::MaskPersonName(s.legal_rep));
  }
  Assign(out->mutable_region(), s.region);
  Assign(out->mutable_status(), SubjectStatusName(s.status));
  out->set_registered_on(FormatDate(s.registered_on));
  Assign(out->mutable_org_code(), s.org_code);
  Assign(out->mutable_reg_no(), s.reg_no);
  out->set_source(SourceOf(s));
  Assign(out->mutable_kind(), SubjectKindName(KindOfCode(s.code)));
}

template <typename R>
void RecordToProto(const R& r, pii::View view, proto::Record* out) {
  Assign(out->mutable_id(), r.id);
  Assign(out->mutable_code(), r.code);
  Assign(out->mutable_list(), r.list);
  out->set_name(ShowText(r.name, view));
  out->set_authority(ShowText(r.authority, view));
  out->set_basis(ShowText(r.basis, view));
  out->set_doc_no(ShowText(r.doc_no, view));
  out->set_detail(ShowText(r.detail, view));
  out->set_decided_on(FormatDate(r.decided_on));
  out->set_valid_from(FormatDate(r.valid_from));
  out->set_valid_until(FormatDate(r.valid_until));
  out->set_repaired_on(FormatDate(r.repaired_on));
  out->set_disputed(r.disputed);
  out->set_source(SourceOf(r));
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
