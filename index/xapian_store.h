// The durable store: a Xapian database on disk holding one document per subject
// and one per credit record. A record is its own document, not part of its
// subject's, because a record names a code and a code may be carried by several
// subjects (重码) or by none yet (the subject may arrive later): see
// docs/architecture.md.
//
// Document layout:
//   subject: data = internal::EncodeSubject; terms Q s:<id> (unique), C<code>,
//   G<region>,
//            K<kind>, plus name terms from the configured TermFn (prefix N)
//   record:  data = internal::EncodeRecord;  terms Q r:<id> (unique), C<code>,
//   L<list> metadata creditd.version = data version (decimal), bumped by every
//   Apply
//
// Thread safety: one XapianStore per process and database; Apply and the
// readers are serialised by the caller (the registry writer). This file and
// xapian_store.cc are the only ones that know Xapian; no Xapian exception
// escapes.
#ifndef CREDITD_INDEX_XAPIAN_STORE_H_
#define CREDITD_INDEX_XAPIAN_STORE_H_

#include "index/subject.h"

#include "absl/status/statusor.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace creditd {

// A set of writes applied atomically.
struct WriteBatch {
  std::vector<Subject> upsert_subjects;
  // Subjects and records whose ids the caller knows are not stored (bulk
  // loads): written without the unique-term lookup that an upsert needs. Wrong
  // use duplicates documents.
  std::vector<Subject> insert_subjects;
  std::vector<Record> insert_records;
  std::vector<std::string> delete_subjects;  // subject ids
  std::vector<Record> put_records;
  std::vector<std::string> delete_records;  // record ids

  bool empty() const {
    return upsert_subjects.empty() && insert_subjects.empty() &&
           delete_subjects.empty() && put_records.empty() &&
           insert_records.empty() && delete_records.empty();
  }
  size_t size() const {
    return upsert_subjects.size() + insert_subjects.size() +
           delete_subjects.size() + put_records.size() + insert_records.size() +
           delete_records.size();
  }
};

class XapianStore {
 public:
  enum class Mode { kReadOnly, kCreateOrOpen };
  // Extra index terms for a name (the matcher's n-grams); may be unset.
  using TermFn = std::function<void(std::string_view name,
                                    std::vector<std::string>* terms)>;

  // Opens (or creates) the database in `dir`. Errors: NotFound (read-only, no
  // database), Unavailable (locked by another writer), DataLoss (corrupt),
  // Internal (anything else).
  static absl::StatusOr<std::unique_ptr<XapianStore>> Open(
      const std::string& dir, Mode mode);
  ~XapianStore();

  void set_term_fn(TermFn fn) { term_fn_ = std::move(fn); }

  // Applies `batch` inside one Xapian transaction and commits it (fsync'd)
  // before returning: on OK every write is durable; on error none is visible.
  // Returns the new data version. Errors: ResourceExhausted (disk full),
  // Unavailable, Internal.
  absl::StatusOr<uint64_t> Apply(const WriteBatch& batch);

  // The encoded document data of a subject / record by id; nullopt when absent.
  absl::StatusOr<std::optional<std::string>> GetSubjectData(
      std::string_view id);
  absl::StatusOr<std::optional<std::string>> GetRecordData(std::string_view id);

  // Calls fn(data) for every document (subjects and records, in docid order;
  // the encoding's tag tells which). Stops and returns fn's first error.
  absl::Status ForEachDocument(
      const std::function<absl::Status(std::string_view data)>& fn);

  // Name search, for the matcher's Xapian-backed candidate source
  // (matcher/xapian_candidates.h): the ids of the subjects whose name terms
  // (the TermFn's terms, stored under prefix N) include any of `terms`, best
  // first, at most `max_results`. A hand-built OR query, not the
  // QueryParser (which ANDs every n-gram, so one typo finds nothing): each
  // term weighs its IDF, log(1 + documents / documents with the term), and
  // a subject scores the sum over the terms it carries (ties by docid).
  // Terms no subject carries are ignored; duplicates count once. Errors:
  // InvalidArgument (max_results 0 or over kMaxNameResults, more than
  // kMaxNameTerms terms, an empty term), Internal (a Xapian error).
  static constexpr size_t kMaxNameTerms = 1024;
  static constexpr size_t kMaxNameResults = 10000;
  absl::StatusOr<std::vector<std::string>> FindSubjectsByNameTerms(
      const std::vector<std::string>& terms, size_t max_results) const;

  uint64_t version() const { return version_; }
  uint64_t document_count() const;
  // Re-reads the latest committed revision (read-only mode). No-op for the
  // writer.
  absl::Status Reopen();

 private:
  struct Impl;
  explicit XapianStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  TermFn term_fn_;
  uint64_t version_ = 0;
};

}  // namespace creditd

#endif  // CREDITD_INDEX_XAPIAN_STORE_H_
