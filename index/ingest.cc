#include "index/ingest.h"

#include "index/display.h"
#include "index/internal/csv.h"
#include "index/internal/encoding.h"
#include "index/line_reader.h"
#include "index/uscc.h"

#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include <fcntl.h>
#include <unicode/normalizer2.h>
#include <unicode/ucnv.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace creditd {
namespace {

constexpr size_t kMaxIdBytes = 128;

const std::vector<std::string>& SubjectFields() {
  static const auto* f = new std::vector<std::string>{
      "id",        "code",   "name",   "former_names",
      "legal_rep", "region", "status", "registered_on",
      "org_code",  "reg_no", "source"};
  return *f;
}

const std::vector<std::string>& RecordFields() {
  static const auto* f = new std::vector<std::string>{
      "id",          "code",        "list",     "name",       "authority",
      "basis",       "doc_no",      "detail",   "decided_on", "valid_from",
      "valid_until", "repaired_on", "disputed", "source"};
  return *f;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out.append(", ");
    out.append(s);
  }
  return out;
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  for (const std::string& x : v) {
    if (x == s) return true;
  }
  return false;
}

// The byte offset of the first invalid UTF-8 sequence, or -1.
int64_t InvalidUtf8At(std::string_view s) {
  const int32_t n = static_cast<int32_t>(s.size());
  int32_t i = 0;
  while (i < n) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(s.data(), i, n, c);
    if (c < 0) return start;
  }
  return -1;
}

// One field's raw values, from JSON or CSV, checked and converted into a
// Subject or Record.
class FieldSet {
 public:
  // Each setter returns false after recording the first error.
  std::optional<LineError> error;

  void Fail(std::string field, std::string reason) {
    if (!error) error = LineError{std::move(field), std::move(reason)};
  }

  bool CheckLength(const std::string& field, const std::string& value,
                   size_t limit) {
    if (value.size() > limit) {
      Fail(field, absl::StrFormat("over-long field: %d bytes (limit %d)",
                                  value.size(), limit));
      return false;
    }
    return true;
  }
};

// Folds a code as validation does, keeping invalid codes (they are flagged, not
// rejected).
bool FoldCode(FieldSet& fs, const std::string& raw, std::string* out) {
  const std::string_view trimmed = raw;
  if (trimmed.empty()) {
    fs.Fail("code", "missing (required)");
    return false;
  }
  const UsccResult r = ValidateUscc(raw);
  if (r.fault() == UsccFault::kEmpty) {
    fs.Fail("code", "empty (required)");
    return false;
  }
  if (r.folded_truncated()) {
    fs.Fail("code",
            absl::StrFormat("over-long code: %d characters (a code has 18)",
                            r.length()));
    return false;
  }
  out->assign(r.canonical());
  return true;
}

bool ParseDateField(FieldSet& fs, const std::string& field,
                    const std::string& value, Date* out) {
  if (value.empty()) return true;
  auto d = ParseDate(value);
  if (!d.ok()) {
    fs.Fail(field, std::string(d.status().message()));
    return false;
  }
  *out = *d;
  return true;
}

bool ParseBool(FieldSet& fs, const std::string& field, const std::string& value,
               bool* out) {
  if (value.empty() || value == "false" || value == "0" || value == "否" ||
      value == "no") {
    *out = false;
    return true;
  }
  if (value == "true" || value == "1" || value == "是" || value == "yes") {
    *out = true;
    return true;
  }
  fs.Fail(field, absl::StrFormat("not a boolean '%s' (true/false, 1/0, 是/否)",
                                 EscapeForDisplay(value, 32)));
  return false;
}

// Fields arrive as strings (CSV cells, JSON strings) plus former_names as a
// list.
struct RawFields {
  absl::flat_hash_map<std::string, std::string> values;
  std::vector<std::string> former_names;
  bool has_former_names = false;
  std::optional<bool> disputed_bool;  // JSON true/false

  const std::string& Get(const std::string& key) const {
    static const std::string* empty = new std::string();
    auto it = values.find(key);
    return it == values.end() ? *empty : it->second;
  }
};

ParsedLine BuildSubject(const RawFields& raw, const IngestOptions& options,
                        std::string_view source) {
  FieldSet fs;
  for (const auto& [key, value] : raw.values) {
    if (!fs.CheckLength(key, value, options.max_field_bytes)) return *fs.error;
  }
  Subject s;
  if (!FoldCode(fs, raw.Get("code"), &s.code)) return *fs.error;
  s.name = raw.Get("name");
  if (s.name.empty()) return LineError{"name", "missing (required)"};
  s.id = raw.Get("id");
  if (s.id.size() > kMaxIdBytes) {
    return LineError{"id", absl::StrFormat("over-long id: %d bytes (limit %d)",
                                           s.id.size(), kMaxIdBytes)};
  }
  if (s.id.empty()) s.id = DerivedSubjectId(s.code, s.name);
  s.former_names = raw.former_names;
  for (const std::string& f : s.former_names) {
    if (!fs.CheckLength("former_names", f, options.max_field_bytes))
      return *fs.error;
  }
  s.legal_rep = raw.Get("legal_rep");
  s.region = raw.Get("region");
  if (!s.region.empty()) {
    bool digits = s.region.size() == 6;
    for (char c : s.region) digits &= c >= '0' && c <= '9';
    if (!digits) {
      return LineError{"region",
                       absl::StrFormat("not a 6-digit division code '%s'",
                                       EscapeForDisplay(s.region, 32))};
    }
  } else if (s.code.size() == kUsccLength) {
    const std::string_view r = std::string_view(s.code).substr(2, 6);
    bool digits = true;
    for (char c : r) digits &= c >= '0' && c <= '9';
    if (digits) s.region = std::string(r);
  }
  if (const std::string& st = raw.Get("status"); !st.empty()) {
    auto parsed = ParseSubjectStatus(st);
    if (!parsed.ok())
      return LineError{"status", std::string(parsed.status().message())};
    s.status = *parsed;
  }
  if (!ParseDateField(fs, "registered_on", raw.Get("registered_on"),
                      &s.registered_on)) {
    return *fs.error;
  }
  s.org_code = raw.Get("org_code");
  s.reg_no = raw.Get("reg_no");
  s.source = raw.Get("source");
  if (s.source.empty()) s.source = std::string(source);
  return s;
}

ParsedLine BuildRecord(const RawFields& raw, const IngestOptions& options,
                       std::string_view source) {
  FieldSet fs;
  for (const auto& [key, value] : raw.values) {
    if (!fs.CheckLength(key, value, options.max_field_bytes)) return *fs.error;
  }
  Record r;
  r.id = raw.Get("id");
  if (r.id.empty()) return LineError{"id", "missing (required for records)"};
  if (r.id.size() > kMaxIdBytes) {
    return LineError{"id", absl::StrFormat("over-long id: %d bytes (limit %d)",
                                           r.id.size(), kMaxIdBytes)};
  }
  if (!FoldCode(fs, raw.Get("code"), &r.code)) return *fs.error;
  r.list = raw.Get("list");
  if (r.list.empty())
    return LineError{"list", "missing (required for records)"};
  std::vector<std::string> builtin;
  const std::vector<std::string>* lists = &options.lists;
  if (lists->empty()) {
    for (std::string_view l : kBuiltinLists) builtin.emplace_back(l);
    lists = &builtin;
  }
  if (!Contains(*lists, r.list)) {
    return LineError{
        "list", absl::StrFormat("unknown list '%s' (configured lists: %s)",
                                EscapeForDisplay(r.list, 64), Join(*lists))};
  }
  r.name = raw.Get("name");
  r.authority = raw.Get("authority");
  r.basis = raw.Get("basis");
  r.doc_no = raw.Get("doc_no");
  r.detail = raw.Get("detail");
  if (!ParseDateField(fs, "decided_on", raw.Get("decided_on"), &r.decided_on) ||
      !ParseDateField(fs, "valid_from", raw.Get("valid_from"), &r.valid_from) ||
      !ParseDateField(fs, "valid_until", raw.Get("valid_until"),
                      &r.valid_until) ||
      !ParseDateField(fs, "repaired_on", raw.Get("repaired_on"),
                      &r.repaired_on)) {
    return *fs.error;
  }
  if (r.valid_from.has_value() && r.valid_until.has_value() &&
      r.valid_until < r.valid_from) {
    return LineError{
        "valid_until",
        absl::StrFormat("%s is before valid_from %s", FormatDate(r.valid_until),
                        FormatDate(r.valid_from))};
  }
  if (raw.disputed_bool) {
    r.disputed = *raw.disputed_bool;
  } else if (!ParseBool(fs, "disputed", raw.Get("disputed"), &r.disputed)) {
    return *fs.error;
  }
  r.source = raw.Get("source");
  if (r.source.empty()) r.source = std::string(source);
  return r;
}

}  // namespace

uint64_t Fnv1a64(std::string_view data) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string DerivedSubjectId(std::string_view code, std::string_view name) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
  std::string folded;
  if (U_SUCCESS(status)) {
    icu::UnicodeString u = icu::UnicodeString::fromUTF8(
        icu::StringPiece(name.data(), static_cast<int32_t>(name.size())));
    icu::UnicodeString n = nfkc->normalize(u, status);
    if (U_SUCCESS(status)) n.toUTF8String(folded);
  }
  if (folded.empty()) folded.assign(name);
  std::string compact;
  for (char c : folded) {
    if (c != ' ' && c != '\t') compact.push_back(c);
  }
  return absl::StrFormat("d:%s:%016x", code, Fnv1a64(compact));
}

absl::StatusOr<std::string> GbkToUtf8(std::string_view line) {
  UErrorCode status = U_ZERO_ERROR;
  UConverter* cnv = ucnv_open("GB18030", &status);
  if (U_FAILURE(status))
    return absl::InternalError("no GB18030 converter in ICU");
  ucnv_setToUCallBack(cnv, UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr,
                      &status);
  icu::UnicodeString u(line.data(), static_cast<int32_t>(line.size()), cnv,
                       status);
  int8_t offset_len = 0;
  char bad[8];
  offset_len = static_cast<int8_t>(sizeof bad);
  UErrorCode ignored = U_ZERO_ERROR;
  if (U_FAILURE(status)) ucnv_getInvalidChars(cnv, bad, &offset_len, &ignored);
  ucnv_close(cnv);
  if (U_FAILURE(status)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("not valid GBK/GB18030 (%s)", u_errorName(status)));
  }
  std::string out;
  u.toUTF8String(out);
  return out;
}

ParsedLine ParseJsonLine(std::string_view line, LineKind kind,
                         const IngestOptions& options,
                         std::string_view source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::parse_error& e) {
    return LineError{"line",
                     absl::StrFormat("not valid JSON at byte %d", e.byte)};
  } catch (const nlohmann::json::exception& e) {
    // e.g. out_of_range 406, a number too large for a double (9e99999...):
    // found by tests/fuzz/ingest_fuzz; it used to escape and abort the load.
    return LineError{"line", absl::StrFormat("not valid JSON: %s", e.what())};
  }
  if (!j.is_object()) return LineError{"line", "not a JSON object"};
  if (kind == LineKind::kAuto)
    kind = j.contains("list") ? LineKind::kRecord : LineKind::kSubject;
  const std::vector<std::string>& allowed =
      kind == LineKind::kRecord ? RecordFields() : SubjectFields();
  RawFields raw;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    if (!Contains(allowed, key)) {
      return LineError{
          EscapeForDisplay(key, 64),
          absl::StrFormat("unknown field (allowed: %s)", Join(allowed))};
    }
    const nlohmann::json& v = it.value();
    if (v.is_null()) continue;
    if (key == "former_names") {
      raw.has_former_names = true;
      if (v.is_string()) {  // tolerate the CSV convention in JSON too
        const std::string s = v.get<std::string>();
        size_t start = 0;
        while (start <= s.size() && !s.empty()) {
          size_t bar = s.find('|', start);
          if (bar == std::string::npos) bar = s.size();
          if (bar > start)
            raw.former_names.push_back(s.substr(start, bar - start));
          start = bar + 1;
        }
        continue;
      }
      if (!v.is_array()) return LineError{key, "not an array of strings"};
      for (const auto& f : v) {
        if (!f.is_string()) return LineError{key, "not an array of strings"};
        if (!f.get<std::string>().empty())
          raw.former_names.push_back(f.get<std::string>());
      }
      continue;
    }
    if (key == "disputed" && v.is_boolean()) {
      raw.disputed_bool = v.get<bool>();
      continue;
    }
    if (v.is_string()) {
      raw.values[key] = v.get<std::string>();
    } else if (v.is_number_integer() && key != "code") {
      raw.values[key] = v.dump();
    } else if (key == "code" && v.is_number()) {
      // A code exported as a JSON number has lost its digits exactly as a
      // spreadsheet does.
      raw.values[key] = v.dump();
    } else {
      return LineError{key,
                       absl::StrFormat("not a string (got %s)", v.type_name())};
    }
  }
  return kind == LineKind::kRecord ? BuildRecord(raw, options, source)
                                   : BuildSubject(raw, options, source);
}

absl::StatusOr<CsvSchema> CsvSchema::FromHeader(std::string_view header,
                                                LineKind kind) {
  std::vector<std::string> columns;
  if (absl::Status st = internal::SplitCsvLine(header, &columns); !st.ok()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("header: %s", st.message()));
  }
  for (std::string& c : columns) {
    while (!c.empty() && (c.back() == ' ' || c.back() == '\t')) c.pop_back();
    while (!c.empty() && (c.front() == ' ' || c.front() == '\t')) c.erase(0, 1);
  }
  if (kind == LineKind::kAuto) {
    kind = Contains(columns, "list") ? LineKind::kRecord : LineKind::kSubject;
  }
  const std::vector<std::string>& allowed =
      kind == LineKind::kRecord ? RecordFields() : SubjectFields();
  std::vector<std::string> unknown;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (!Contains(allowed, columns[i]))
      unknown.push_back(EscapeForDisplay(columns[i], 64));
    for (size_t k = 0; k < i; ++k) {
      if (columns[k] == columns[i]) {
        return absl::InvalidArgumentError(
            absl::StrFormat("header: column '%s' appears twice", columns[i]));
      }
    }
  }
  if (!unknown.empty()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("header: unknown column(s) %s (allowed: %s)",
                        Join(unknown), Join(allowed)));
  }
  const std::vector<std::string> required =
      kind == LineKind::kRecord ? std::vector<std::string>{"id", "code", "list"}
                                : std::vector<std::string>{"code", "name"};
  for (const std::string& r : required) {
    if (!Contains(columns, r)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("header: required column '%s' missing", r));
    }
  }
  CsvSchema schema;
  schema.kind_ = kind;
  schema.columns_ = std::move(columns);
  return schema;
}

ParsedLine CsvSchema::ParseRow(std::string_view row,
                               const IngestOptions& options,
                               std::string_view source) const {
  std::vector<std::string> cells;
  if (absl::Status st = internal::SplitCsvLine(row, &cells); !st.ok()) {
    return LineError{"line", std::string(st.message())};
  }
  if (cells.size() != columns_.size()) {
    return LineError{"line", absl::StrFormat("%d columns, the header has %d",
                                             cells.size(), columns_.size())};
  }
  RawFields raw;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (cells[i].empty()) continue;
    if (columns_[i] == "former_names") {
      raw.has_former_names = true;
      const std::string& s = cells[i];
      size_t start = 0;
      while (start <= s.size()) {
        size_t bar = s.find('|', start);
        if (bar == std::string::npos) bar = s.size();
        if (bar > start)
          raw.former_names.push_back(s.substr(start, bar - start));
        start = bar + 1;
      }
      continue;
    }
    raw.values[columns_[i]] = std::move(cells[i]);
  }
  return kind_ == LineKind::kRecord ? BuildRecord(raw, options, source)
                                    : BuildSubject(raw, options, source);
}

std::string IngestSummary::ToString() const {
  std::string out = absl::StrFormat(
      "lines %d in %.1f s (%.0f lines/s)\n"
      "subjects: %d new, %d replaced, %d repeated (重复报送)\n"
      "records:  %d new, %d replaced, %d repeated (重复报送), %d without a "
      "known subject\n"
      "rejected: %d\n",
      lines, seconds, seconds > 0 ? static_cast<double>(lines) / seconds : 0.0,
      subjects_new, subjects_replaced, subjects_repeated, records_new,
      records_replaced, records_repeated, orphan_records, rejected);
  for (const auto& [field, n] : rejected_by_field) {
    absl::StrAppendFormat(&out, "  %-14s %d\n", field, n);
  }
  uint64_t flagged = 0;
  for (const auto& [fault, n] : flagged_codes) flagged += n;
  absl::StrAppendFormat(&out, "flagged codes (accepted, invalid): %d\n",
                        flagged);
  for (const auto& [fault, n] : flagged_codes) {
    absl::StrAppendFormat(&out, "  %-28s %d\n", fault, n);
  }
  absl::StrAppendFormat(&out, "data version %d\n", version);
  return out;
}

Ingestor::Ingestor(IngestOptions options, BatchSink sink)
    : options_(std::move(options)), sink_(std::move(sink)) {}

void Ingestor::Reject(const std::string& file, uint64_t line, std::string field,
                      std::string reason) {
  ++summary_.rejected;
  ++summary_.rejected_by_field[field];
  if (on_reject_)
    on_reject_(Rejection{file, line, std::move(field), std::move(reason)});
}

absl::Status Ingestor::Accept(ParsedLine parsed, const std::string& file,
                              uint64_t line) {
  if (auto* err = std::get_if<LineError>(&parsed)) {
    Reject(file, line, err->field, err->reason);
    return absl::OkStatus();
  }
  const bool is_subject = std::holds_alternative<Subject>(parsed);
  std::string data;
  std::string_view id, code;
  if (is_subject) {
    const Subject& s = std::get<Subject>(parsed);
    internal::EncodeSubject(s, &data);
    id = s.id;
    code = s.code;
  } else {
    const Record& r = std::get<Record>(parsed);
    internal::EncodeRecord(r, &data);
    id = r.id;
    code = r.code;
  }
  // Two reports of the same content differ only in their source: compare
  // without it.
  const uint64_t content_hash = Fnv1a64(internal::ContentOf(data));
  auto& seen = is_subject ? seen_subjects_ : seen_records_;
  const uint64_t id_hash = Fnv1a64(id);
  auto [it, inserted] = seen.try_emplace(
      id_hash,
      Seen{content_hash, line, static_cast<uint32_t>(files_.size() - 1)});
  if (!inserted) {
    if (it->second.content == content_hash) {
      // The same line reported again in this run: 重复报送, counted, not
      // written twice.
      ++(is_subject ? summary_.subjects_repeated : summary_.records_repeated);
      return absl::OkStatus();
    }
    Reject(file, line, "id",
           absl::StrFormat(
               "duplicate id '%s' with different content (first at %s:%d)",
               EscapeForDisplay(id, 64), files_[it->second.file],
               it->second.line));
    return absl::OkStatus();
  }
  const UsccResult v = ValidateUscc(code);
  if (!v.ok()) ++summary_.flagged_codes[std::string(UsccFaultName(v.fault()))];
  if (is_subject) {
    subject_codes_.insert(Fnv1a64(code));
    pending_.upsert_subjects.push_back(std::get<Subject>(std::move(parsed)));
  } else {
    record_codes_[id_hash] = Fnv1a64(code);
    pending_.put_records.push_back(std::get<Record>(std::move(parsed)));
  }
  if (pending_.size() >= options_.batch_size) return Dispatch();
  return absl::OkStatus();
}

Ingestor::~Ingestor() { WaitInFlight().IgnoreError(); }

void Ingestor::Count(const ApplySummary& applied) {
  summary_.subjects_new += applied.subjects_new;
  summary_.subjects_replaced += applied.subjects_replaced;
  summary_.subjects_repeated += applied.subjects_repeated;
  summary_.records_new += applied.records_new;
  summary_.records_replaced += applied.records_replaced;
  summary_.records_repeated += applied.records_repeated;
  summary_.version = applied.version;
  if (on_progress_) on_progress_(summary_);
}

absl::Status Ingestor::WaitInFlight() {
  if (!in_flight_.valid()) return absl::OkStatus();
  absl::StatusOr<ApplySummary> applied = in_flight_.get();
  in_flight_batch_.reset();
  if (!applied.ok()) return applied.status();
  Count(*applied);
  return absl::OkStatus();
}

absl::Status Ingestor::Dispatch() {
  if (absl::Status st = WaitInFlight(); !st.ok()) return st;
  if (pending_.empty()) return absl::OkStatus();
  in_flight_batch_ = std::make_unique<WriteBatch>(std::move(pending_));
  pending_ = WriteBatch();
  const WriteBatch* batch = in_flight_batch_.get();
  in_flight_ =
      std::async(std::launch::async, [this, batch] { return sink_(*batch); });
  return absl::OkStatus();
}

absl::Status Ingestor::Flush() {
  if (absl::Status st = Dispatch(); !st.ok()) return st;
  return WaitInFlight();
}

absl::Status Ingestor::LoadFile(const std::string& path) {
  const auto start = std::chrono::steady_clock::now();
  const double seconds_before = summary_.seconds;
  files_.push_back(path);
  int fd = STDIN_FILENO;
  if (path != "-") {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return absl::NotFoundError(
          absl::StrFormat("%s: %s", path, std::strerror(errno)));
    }
  }
  InputFormat format = options_.format;
  if (format == InputFormat::kAuto) {
    format = path.size() >= 4 && path.compare(path.size() - 4, 4, ".csv") == 0
                 ? InputFormat::kCsv
                 : InputFormat::kJsonl;
  }
  LineReader reader(fd, options_.max_line_bytes);
  std::optional<CsvSchema> schema;
  std::string line;
  absl::Status status;
  uint64_t since_progress = 0;
  while (status.ok() && reader.Next(&line)) {
    const uint64_t n = reader.line_number();
    if (reader.truncated()) {
      ++summary_.lines;
      Reject(path, n, "line",
             absl::StrFormat("over-long line: %d bytes (limit %d)",
                             reader.full_bytes(), options_.max_line_bytes));
      continue;
    }
    if (options_.encoding == InputEncoding::kGbk) {
      auto utf8 = GbkToUtf8(line);
      if (!utf8.ok()) {
        ++summary_.lines;
        Reject(path, n, "line", std::string(utf8.status().message()));
        continue;
      }
      line = *std::move(utf8);
    } else if (const int64_t bad = InvalidUtf8At(line); bad >= 0) {
      ++summary_.lines;
      Reject(
          path, n, "line",
          absl::StrFormat(
              "not valid UTF-8 at byte %d (for GBK files use --encoding gbk)",
              bad + 1));
      continue;
    }
    bool blank = true;
    for (char c : line) blank &= (c == ' ' || c == '\t' || c == '\r');
    if (blank) continue;
    if (format == InputFormat::kCsv && !schema) {
      auto parsed = CsvSchema::FromHeader(line, options_.kind);
      if (!parsed.ok()) {
        status = absl::InvalidArgumentError(
            absl::StrFormat("%s:%d: %s", path, n, parsed.status().message()));
        break;
      }
      schema = *std::move(parsed);
      continue;
    }
    ++summary_.lines;
    const std::string source = absl::StrFormat("%s:%d", path, n);
    ParsedLine parsed =
        format == InputFormat::kCsv
            ? schema->ParseRow(line, options_, source)
            : ParseJsonLine(line, options_.kind, options_, source);
    status = Accept(std::move(parsed), path, n);
    if (++since_progress >= 1000 && on_progress_) {
      since_progress = 0;
      summary_.seconds =
          seconds_before + std::chrono::duration<double>(
                               std::chrono::steady_clock::now() - start)
                               .count();
      on_progress_(summary_);
    }
  }
  if (fd != STDIN_FILENO) ::close(fd);
  if (status.ok() && !reader.status().ok()) status = reader.status();
  if (status.ok()) status = Flush();
  // Orphans: records of this run whose code no subject carries, loaded now or
  // before.
  summary_.orphan_records = 0;
  for (const auto& [record, code] : record_codes_) {
    if (!subject_codes_.contains(code) && !(known_code_ && known_code_(code))) {
      ++summary_.orphan_records;
    }
  }
  summary_.seconds =
      seconds_before +
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return status;
}

absl::StatusOr<std::unique_ptr<BulkLoadSink>> BulkLoadSink::Open(
    const std::string& dir) {
  auto store = XapianStore::Open(dir, XapianStore::Mode::kCreateOrOpen);
  if (!store.ok()) return store.status();
  std::unique_ptr<BulkLoadSink> sink(new BulkLoadSink());
  absl::Status st = (*store)->ForEachDocument([&](std::string_view data) {
    auto peek = internal::PeekIdAndCode(data);
    if (!peek.ok()) return peek.status();
    // Fingerprints exclude the source, as Ingestor::Accept does.
    const uint64_t content = Fnv1a64(internal::ContentOf(data));
    if (peek->tag == 'S') {
      sink->subjects_[Fnv1a64(peek->id)] = content;
      sink->subject_codes_.insert(Fnv1a64(peek->code));
    } else {
      sink->records_[Fnv1a64(peek->id)] = content;
    }
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  sink->store_ = *std::move(store);
  return sink;
}

namespace {

// Sorts one kind's upserts into inserts (id not stored), upserts (content
// changed) and repeats (same content fingerprint: counted, not written), and
// records the fingerprints to keep once the batch commits.
template <typename Doc, typename Encode>
void SortByFingerprint(const std::vector<Doc>& docs, Encode encode,
                       const absl::flat_hash_map<uint64_t, uint64_t>& stored,
                       size_t& created, size_t& replaced, size_t& repeated,
                       std::vector<Doc>& inserts, std::vector<Doc>& upserts,
                       std::vector<std::pair<uint64_t, uint64_t>>& updates) {
  std::string data;
  for (const Doc& doc : docs) {
    data.clear();
    encode(doc, &data);
    const uint64_t id = Fnv1a64(doc.id),
                   content = Fnv1a64(internal::ContentOf(data));
    auto it = stored.find(id);
    if (it != stored.end() && it->second == content) {
      ++repeated;
      continue;
    }
    updates.emplace_back(id, content);
    if (it == stored.end()) {
      ++created;
      inserts.push_back(doc);
    } else {
      ++replaced;
      upserts.push_back(doc);
    }
  }
}

}  // namespace

absl::StatusOr<ApplySummary> BulkLoadSink::Apply(const WriteBatch& batch) {
  ApplySummary summary;
  summary.version = store_->version();
  WriteBatch effective;
  std::vector<std::pair<uint64_t, uint64_t>> subject_updates, record_updates;
  SortByFingerprint(
      batch.upsert_subjects,
      [](const Subject& s, std::string* out) {
        internal::EncodeSubject(s, out);
      },
      subjects_, summary.subjects_new, summary.subjects_replaced,
      summary.subjects_repeated, effective.insert_subjects,
      effective.upsert_subjects, subject_updates);
  SortByFingerprint(
      batch.put_records,
      [](const Record& r, std::string* out) { internal::EncodeRecord(r, out); },
      records_, summary.records_new, summary.records_replaced,
      summary.records_repeated, effective.insert_records, effective.put_records,
      record_updates);
  effective.delete_subjects = batch.delete_subjects;
  effective.delete_records = batch.delete_records;
  if (effective.empty()) return summary;
  auto version = store_->Apply(effective);
  if (!version.ok()) return version.status();
  summary.version = *version;
  // Only after the commit: a failed batch leaves the fingerprints as the store
  // is.
  for (const auto& [id, content] : subject_updates) subjects_[id] = content;
  for (const auto& [id, content] : record_updates) records_[id] = content;
  for (const auto* list :
       {&effective.upsert_subjects, &effective.insert_subjects}) {
    for (const Subject& s : *list) subject_codes_.insert(Fnv1a64(s.code));
  }
  return summary;
}

}  // namespace creditd
