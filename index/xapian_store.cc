#include "index/xapian_store.h"

#include "index/internal/encoding.h"

#include "absl/strings/str_format.h"
#include <sys/statvfs.h>
#include <xapian.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace creditd {
namespace {

constexpr char kVersionKey[] = "creditd.version";
// The encoded document lives in a value slot rather than the document data:
// glass zlib-compresses document data item by item, which cost a third of the
// load time, and a value stream scans in docid order at start-up.
constexpr Xapian::valueno kDataSlot = 0;
// Xapian's term length limit is 245 bytes; ids and codes are bounded far below
// by ingest.
constexpr size_t kMaxTermBytes = 240;

std::string Term(std::string_view prefix, std::string_view value) {
  std::string t(prefix);
  t.append(value.substr(0, kMaxTermBytes - prefix.size()));
  return t;
}

std::string SubjectKey(std::string_view id) { return Term("Qs:", id); }
std::string RecordKey(std::string_view id) { return Term("Qr:", id); }

// Converts a Xapian exception into a Status, naming the operation.
absl::Status FromXapian(const Xapian::Error& e, std::string_view what) {
  const std::string msg =
      absl::StrFormat("xapian %s: %s: %s", what, e.get_type(), e.get_msg());
  const std::string type = e.get_type();
  if (type == "DatabaseLockError") return absl::UnavailableError(msg);
  if (type == "DatabaseOpeningError" || type == "DatabaseNotFoundError") {
    return absl::NotFoundError(msg);
  }
  if (type == "DatabaseCorruptError") return absl::DataLossError(msg);
  if (msg.find("No space left") != std::string::npos ||
      msg.find("ENOSPC") != std::string::npos) {
    return absl::ResourceExhaustedError(msg);
  }
  return absl::InternalError(msg);
}

uint64_t ParseVersion(const std::string& s) {
  uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

}  // namespace

struct XapianStore::Impl {
  std::unique_ptr<Xapian::Database>
      db;  // the reader view (== writer when writable)
  Xapian::WritableDatabase* writer = nullptr;
  std::string dir;
};

namespace {

// Free space kept in reserve under the database, checked before every commit.
// Xapian 1.4's glass backend can abort the process (an exception escapes a
// destructor during unwinding, so std::terminate) when the disk fills in the
// middle of commit_transaction; found by tests/integration/durability_test.cc.
// Refusing the write while the reserve is short gives the writer a clear
// error instead, keeps reads serving, and lets writes resume when space
// returns. A commit rewrites the B-tree blocks it touches, so the reserve
// grows with the batch.
constexpr uint64_t kReserveBaseBytes = uint64_t{1} << 20;
constexpr uint64_t kReservePerWriteBytes = uint64_t{16} << 10;

absl::Status CheckFreeSpace(const std::string& dir, size_t writes) {
  struct statvfs vfs;
  if (::statvfs(dir.c_str(), &vfs) != 0) return absl::OkStatus();
  const uint64_t free_bytes =
      static_cast<uint64_t>(vfs.f_bavail) * static_cast<uint64_t>(vfs.f_frsize);
  const uint64_t need = kReserveBaseBytes + kReservePerWriteBytes * writes;
  if (free_bytes >= need) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrFormat(
      "disk nearly full under %s: %d bytes free, a write of %d entries keeps "
      "a reserve of %d bytes; nothing was written (free space, then retry)",
      dir, free_bytes, writes, need));
}

}  // namespace

XapianStore::XapianStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

XapianStore::~XapianStore() {
  try {
    if (impl_ && impl_->writer) impl_->writer->close();
  } catch (const Xapian::Error&) {
    // Nothing uncommitted is lost: every Apply commits before returning.
  }
}

absl::StatusOr<std::unique_ptr<XapianStore>> XapianStore::Open(
    const std::string& dir, Mode mode) {
  auto impl = std::make_unique<Impl>();
  try {
    if (mode == Mode::kCreateOrOpen) {
      auto w = std::make_unique<Xapian::WritableDatabase>(
          dir, Xapian::DB_CREATE_OR_OPEN | Xapian::DB_BACKEND_GLASS);
      impl->writer = w.get();
      impl->dir = dir;
      impl->db = std::move(w);
    } else {
      impl->db = std::make_unique<Xapian::Database>(dir);
    }
    std::unique_ptr<XapianStore> store(new XapianStore(std::move(impl)));
    store->version_ = ParseVersion(store->impl_->db->get_metadata(kVersionKey));
    return store;
  } catch (const Xapian::Error& e) {
    return FromXapian(e, absl::StrFormat("open %s", dir));
  }
}

absl::Status XapianStore::Reopen() {
  if (impl_->writer != nullptr) return absl::OkStatus();
  try {
    impl_->db->reopen();
    version_ = ParseVersion(impl_->db->get_metadata(kVersionKey));
    return absl::OkStatus();
  } catch (const Xapian::Error& e) {
    return FromXapian(e, "reopen");
  }
}

uint64_t XapianStore::document_count() const {
  try {
    return impl_->db->get_doccount();
  } catch (const Xapian::Error&) {
    return 0;
  }
}

absl::StatusOr<uint64_t> XapianStore::Apply(const WriteBatch& batch) {
  if (impl_->writer == nullptr)
    return absl::FailedPreconditionError("store opened read-only");
  if (absl::Status st = CheckFreeSpace(impl_->dir, batch.size()); !st.ok()) {
    return st;
  }
  Xapian::WritableDatabase& db = *impl_->writer;
  bool in_transaction = false;
  try {
    db.begin_transaction(/*flushed=*/true);
    in_transaction = true;
    std::string data;
    std::vector<std::string> terms;
    auto subject_doc = [&](const Subject& s) {
      Xapian::Document doc;
      data.clear();
      internal::EncodeSubject(s, &data);
      doc.add_value(kDataSlot, data);
      doc.add_boolean_term(SubjectKey(s.id));
      doc.add_boolean_term(Term("C", s.code));
      if (!s.region.empty()) doc.add_boolean_term(Term("G", s.region));
      doc.add_boolean_term(Term("K", SubjectKindName(KindOfCode(s.code))));
      if (term_fn_) {
        terms.clear();
        term_fn_(s.name, &terms);
        for (const std::string& f : s.former_names) term_fn_(f, &terms);
        for (const std::string& t : terms) doc.add_boolean_term(Term("N", t));
      }
      return doc;
    };
    auto record_doc = [&](const Record& r) {
      Xapian::Document doc;
      data.clear();
      internal::EncodeRecord(r, &data);
      doc.add_value(kDataSlot, data);
      doc.add_boolean_term(RecordKey(r.id));
      doc.add_boolean_term(Term("C", r.code));
      doc.add_boolean_term(Term("L", r.list));
      return doc;
    };
    for (const Subject& s : batch.upsert_subjects) {
      db.replace_document(SubjectKey(s.id), subject_doc(s));
    }
    for (const Subject& s : batch.insert_subjects)
      db.add_document(subject_doc(s));
    for (const std::string& id : batch.delete_subjects)
      db.delete_document(SubjectKey(id));
    for (const Record& r : batch.put_records) {
      db.replace_document(RecordKey(r.id), record_doc(r));
    }
    for (const Record& r : batch.insert_records) db.add_document(record_doc(r));
    for (const std::string& id : batch.delete_records)
      db.delete_document(RecordKey(id));
    const uint64_t next = version_ + 1;
    db.set_metadata(kVersionKey, std::to_string(next));
    db.commit_transaction();
    in_transaction = false;
    version_ = next;
    return next;
  } catch (const Xapian::Error& e) {
    absl::Status st = FromXapian(e, "commit");
    if (in_transaction) {
      try {
        db.cancel_transaction();
      } catch (const Xapian::Error&) {
        // The transaction is gone either way; the database stays at its last
        // commit.
      }
    }
    return st;
  }
}

namespace {

absl::StatusOr<std::optional<std::string>> GetByKey(Xapian::Database& db,
                                                    const std::string& key) {
  try {
    Xapian::PostingIterator it = db.postlist_begin(key);
    if (it == db.postlist_end(key)) return std::optional<std::string>();
    return std::optional<std::string>(
        db.get_document(*it).get_value(kDataSlot));
  } catch (const Xapian::Error& e) {
    return FromXapian(e, "get");
  }
}

}  // namespace

absl::StatusOr<std::optional<std::string>> XapianStore::GetSubjectData(
    std::string_view id) {
  return GetByKey(*impl_->db, SubjectKey(id));
}

absl::StatusOr<std::optional<std::string>> XapianStore::GetRecordData(
    std::string_view id) {
  return GetByKey(*impl_->db, RecordKey(id));
}

absl::StatusOr<std::vector<std::string>> XapianStore::FindSubjectsByNameTerms(
    const std::vector<std::string>& terms, size_t max_results) const {
  if (max_results == 0 || max_results > kMaxNameResults) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "max_results: %d not in 1..%d", max_results, kMaxNameResults));
  }
  if (terms.size() > kMaxNameTerms) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "terms: %d terms exceed the limit of %d", terms.size(), kMaxNameTerms));
  }
  for (const std::string& t : terms) {
    if (t.empty()) return absl::InvalidArgumentError("terms: empty term");
  }
  try {
    const Xapian::Database& db = *impl_->db;
    const double n =
        static_cast<double>(std::max<Xapian::doccount>(1, db.get_doccount()));
    std::vector<std::string> unique(terms);
    std::sort(unique.begin(), unique.end());
    unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
    std::vector<Xapian::Query> parts;
    parts.reserve(unique.size());
    for (const std::string& t : unique) {
      const std::string term = Term("N", t);
      const Xapian::doccount df = db.get_termfreq(term);
      if (df == 0) continue;
      // The N terms are boolean (wdf 0), so BM25 would weigh them 0:
      // CoordWeight gives each matching term weight 1, scaled here to its
      // IDF.
      parts.emplace_back(Xapian::Query::OP_SCALE_WEIGHT, Xapian::Query(term),
                         std::log(1.0 + n / static_cast<double>(df)));
    }
    std::vector<std::string> ids;
    if (parts.empty()) return ids;
    Xapian::Enquire enquire(db);
    enquire.set_weighting_scheme(Xapian::CoordWeight());
    enquire.set_query(
        Xapian::Query(Xapian::Query::OP_OR, parts.begin(), parts.end()));
    enquire.set_docid_order(Xapian::Enquire::ASCENDING);
    const Xapian::MSet mset =
        enquire.get_mset(0, static_cast<Xapian::doccount>(max_results));
    ids.reserve(mset.size());
    for (Xapian::MSetIterator it = mset.begin(); it != mset.end(); ++it) {
      // The subject id is the unique term's suffix (Qs:<id>); records carry
      // no N terms, so every match is a subject.
      const Xapian::Document doc = it.get_document();
      Xapian::TermIterator t = doc.termlist_begin();
      t.skip_to("Qs:");
      if (t == doc.termlist_end()) continue;
      const std::string key = *t;
      if (key.rfind("Qs:", 0) != 0) continue;
      ids.push_back(key.substr(3));
    }
    return ids;
  } catch (const Xapian::Error& e) {
    return FromXapian(e, "name search");
  }
}

absl::Status XapianStore::ForEachDocument(
    const std::function<absl::Status(std::string_view data)>& fn) {
  try {
    Xapian::Database& db = *impl_->db;
    // The value stream reads the slot in docid order in large chunks: far
    // faster than fetching each document.
    for (Xapian::ValueIterator it = db.valuestream_begin(kDataSlot);
         it != db.valuestream_end(kDataSlot); ++it) {
      const std::string data = *it;
      if (absl::Status st = fn(data); !st.ok()) return st;
    }
    return absl::OkStatus();
  } catch (const Xapian::Error& e) {
    return FromXapian(e, "scan");
  }
}

}  // namespace creditd
