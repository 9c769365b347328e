// The in-memory registry: every subject and credit record, looked up by code or
// id.
//
// A Registry is an immutable snapshot: any number of threads may read it
// without a lock, and it stays valid (and unchanged) for as long as a reader
// holds its shared_ptr. It is two layers:
//   - a base: subjects and records in a compact encoding
//     (index/internal/encoding.h: repeated texts such as a record's authority,
//     legal basis and detail, and a source's file name, held once in a shared
//     dictionary) in arenas laid out in code order, with flat hash maps from
//     the packed code to a slot range and a slot set keyed by id. Built once
//     (start-up, or a fold) and never modified.
//   - a delta: the writes since the base, by id. Small; each write batch
//   publishes a new
//     snapshot sharing the base and holding a copy of the delta plus the batch,
//     so a batch costs O(delta), not O(registry). When the delta grows past a
//     bound, the writer folds it into a new base (docs/architecture.md).
// RegistryHolder publishes snapshots: readers call Current(); one writer calls
// Apply().
#ifndef CREDITD_INDEX_REGISTRY_H_
#define CREDITD_INDEX_REGISTRY_H_

#include "index/snapshot_ptr.h"
#include "index/subject.h"
#include "index/xapian_store.h"

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace creditd {

namespace internal {
struct RegistryBase;
struct RegistryDelta;
}  // namespace internal

class Registry {
 public:
  Registry(std::shared_ptr<const internal::RegistryBase> base,
           std::shared_ptr<const internal::RegistryDelta> delta,
           uint64_t version);

  // The store's data version this snapshot reflects (bumped by every committed
  // batch).
  uint64_t version() const { return version_; }
  size_t subject_count() const;
  size_t record_count() const;

  // Number of subjects carrying `code` (canonical form): hash lookups only, no
  // decoding. 0 unknown, 1 the usual case, 2+ a duplicated code (重码).
  size_t CountByCode(std::string_view code) const;
  // Every subject carrying `code`, in a stable order (base by slot, then delta
  // by id).
  std::vector<Subject> SubjectsByCode(std::string_view code) const;
  // The same without copying: fn gets each subject as a view into this
  // snapshot (the check path: no allocation for what it does not show).
  //
  // Every view this class hands out (here, VisitCode, VisitRecordsByCode,
  // SubjectViewById, the ForEach*View walks) points into the snapshot's own
  // arenas, dictionary and delta, which never change: a view stays valid for
  // as long as the snapshot is alive, and may be kept beyond the callback
  // (the check engine returns them in CheckResult).
  void VisitSubjectsByCode(
      std::string_view code,
      absl::FunctionRef<void(const SubjectView&)> fn) const;
  std::optional<Subject> SubjectById(std::string_view id) const;
  // The same as a view into this snapshot (see VisitSubjectsByCode); nullopt
  // when no live subject has the id.
  std::optional<SubjectView> SubjectViewById(std::string_view id) const;
  // Every record naming `code`, whether or not a subject carries it.
  std::vector<Record> RecordsByCode(std::string_view code) const;
  // VisitSubjectsByCode then VisitRecordsByCode with one probe of the code
  // index (the check path).
  void VisitCode(std::string_view code,
                 absl::FunctionRef<void(const SubjectView&)> subject_fn,
                 absl::FunctionRef<void(const RecordView&)> record_fn) const;
  // A hint: starts loading what a VisitCode(code) soon after will read, so
  // that a batch overlaps one entry's memory latency with the previous
  // entry's work. No effect on results; a non-canonical code is ignored.
  void PrefetchCode(std::string_view code) const;
  // Bench only (bench/check_bench.cc, the memory floor of a check): the
  // code index probe and the prefetches of VisitCode, then one byte of every
  // cache line of the base documents of `code` (summed), decoding nothing.
  uint64_t TEST_TouchCode(std::string_view code) const;
  // As VisitSubjectsByCode, for records (base records of one code are
  // neighbours in memory).
  void VisitRecordsByCode(std::string_view code,
                          absl::FunctionRef<void(const RecordView&)> fn) const;
  std::optional<Record> RecordById(std::string_view id) const;

  // Standard encodings (index/internal/encoding.h), for the writer's repeat
  // detection. A copy: the base holds documents in a compact form.
  std::optional<std::string> SubjectDataById(std::string_view id) const;
  std::optional<std::string> RecordDataById(std::string_view id) const;

  // Calls fn for every live subject / record (base minus overridden, then
  // delta).
  void ForEachSubject(const std::function<void(const Subject&)>& fn) const;
  void ForEachRecord(const std::function<void(const Record&)>& fn) const;

  // The same walk over views (no copies), for whole-registry scans that need
  // a few fields of every document (the duplicate scan), split into `parts`
  // disjoint shares that may run on different threads: part p gets the base
  // slots [p*n/parts, (p+1)*n/parts) and the last part also gets the delta,
  // so visiting parts 0..parts-1 in turn is the ForEachSubject order. A view
  // lives as long as the snapshot (above). REQUIRES: part < parts. Thread-safe.
  void ForEachSubjectView(size_t part, size_t parts,
                          absl::FunctionRef<void(const SubjectView&)> fn) const;
  void ForEachRecordView(size_t part, size_t parts,
                         absl::FunctionRef<void(const RecordView&)> fn) const;

  size_t delta_size() const;
  // Bytes held by the base's arenas and maps (approximate), for stats and
  // benches.
  size_t base_memory_bytes() const;
  // The same, split: {subject arena, subject slots and id set, record arena,
  // record slots and id set, the code index, the shared string dictionary}.
  std::array<size_t, 6> base_memory_breakdown() const;

 private:
  friend class RegistryHolder;
  std::shared_ptr<const internal::RegistryBase> base_;
  std::shared_ptr<const internal::RegistryDelta> delta_;
  uint64_t version_;
};

// Builds a base from encoded documents (start-up from Xapian, folds, benches).
// Not thread-safe; use from one thread, then Finish() once.
class RegistryBuilder {
 public:
  // How a base lays out its documents in memory. The defaults are right for
  // every use; tests set small values to reach the edge cases (runs across
  // chunks, coarse positions) with little data.
  struct Layout {
    unsigned chunk_bits = 25;  // arena chunks of 2^chunk_bits bytes (12..30)
    // The code index addresses documents in units of 2^position_shift bytes
    // (< chunk_bits); -1 picks the smallest that addresses the data.
    int position_shift = -1;
  };

  RegistryBuilder();
  explicit RegistryBuilder(Layout layout);
  ~RegistryBuilder();
  // Adds one encoded subject or record (index/internal/encoding.h). DataLoss if
  // malformed.
  absl::Status AddEncoded(std::string_view data);
  absl::Status AddSubject(const Subject& subject);
  absl::Status AddRecord(const Record& record);
  std::shared_ptr<const Registry> Finish(uint64_t version);

 private:
  struct Staged;
  std::unique_ptr<Staged> staged_;
  Layout layout_;
};

// Builds a snapshot of the database in `dir` without taking the writer's lock
// (tools that only read: creditctl stats, dups). Errors as XapianStore::Open.
absl::StatusOr<std::shared_ptr<const Registry>> LoadRegistryReadOnly(
    const std::string& dir);

// What Apply did with each write of a batch.
struct ApplySummary {
  uint64_t version = 0;  // data version after the batch
  size_t subjects_new = 0;
  size_t subjects_replaced = 0;  // same id, different content
  size_t subjects_repeated =
      0;  // same id, identical content (重复报送): nothing written
  size_t subjects_deleted = 0;
  size_t subjects_missing = 0;  // delete of an id that is not there
  size_t records_new = 0;
  size_t records_replaced = 0;
  size_t records_repeated = 0;
  size_t records_deleted = 0;
  size_t records_missing = 0;
};

// Owns the store and publishes snapshots.
//
// Thread safety: Current() copies a shared_ptr under a lock held for that copy
// only (index/snapshot_ptr.h); readers never wait for Apply(). Apply() may be
// called from any thread; calls are serialised by a mutex, and each one is
// durable (Xapian commit) before it publishes and returns.
class RegistryHolder {
 public:
  struct Options {
    // Fold the delta into a new base when it holds this many entries. The
    // fold runs on a background thread: readers and writers go on meanwhile.
    size_t fold_threshold = 100000;
  };
  ~RegistryHolder();

  // Opens the store in `dir` (creating it if absent) and builds the registry
  // from it.
  static absl::StatusOr<std::unique_ptr<RegistryHolder>> Open(
      const std::string& dir, Options options);
  static absl::StatusOr<std::unique_ptr<RegistryHolder>> Open(
      const std::string& dir) {
    return Open(dir, Options());
  }

  std::shared_ptr<const Registry> Current() const { return current_.load(); }

  // Writes the batch: repeats (identical content) are skipped; the rest is
  // committed to Xapian and then published in one snapshot. On error nothing is
  // visible and nothing is durable.
  absl::StatusOr<ApplySummary> Apply(const WriteBatch& batch);

  // Waits for a running fold to publish (tests, orderly shutdown).
  void WaitForFold();
  // Folds completed since start-up.
  uint64_t folds() const { return folds_.load(); }
  // Milliseconds the start-up load took, and how many documents it read.
  double load_millis() const { return load_millis_; }

 private:
  RegistryHolder() = default;
  void Publish(std::shared_ptr<const Registry> next);
  // Starts a fold of `frozen` into a new base unless one is running.
  void MaybeStartFold(std::shared_ptr<const Registry> frozen)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // On the fold thread: builds the base, then publishes it under mu_ with the
  // writes that arrived since `frozen` as the new delta.
  void RunFold(std::shared_ptr<const Registry> frozen);

  Options options_;
  mutable absl::Mutex mu_;
  std::unique_ptr<XapianStore> store_ ABSL_GUARDED_BY(mu_);
  SnapshotPtr<const Registry> current_;
  double load_millis_ = 0;
  std::thread fold_thread_;  // joined by the next MaybeStartFold / WaitForFold
  std::atomic<bool> fold_running_{false};
  std::atomic<uint64_t> folds_{0};
  absl::Mutex fold_mu_;  // serialises joins of fold_thread_
};

}  // namespace creditd

#endif  // CREDITD_INDEX_REGISTRY_H_
