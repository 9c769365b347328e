// NameRefresher: keeps the match/name index (DaemonState::names, shared with
// the check engine for name-only checks) in step with writes.
//
// The index is immutable and built over a whole registry snapshot (a few
// seconds per million subjects), so it is not updated in place: after a
// write that changed subjects (new, renamed, deleted) the write handler calls
// Notify(version), and a background thread rebuilds the index from the then
// current snapshot and publishes it (DaemonState::set_names). Writes that
// arrive during a build are covered by the next build, which starts as soon
// as the current one ends, so any number of writes costs at most one build in
// progress plus one more. The staleness bound is therefore two build times
// (docs/operations.md, "Name index refresh"). Readers keep using the previous
// index meanwhile; match re-reads every candidate from the current snapshot,
// so a deleted subject is never returned even by a stale index.
//
// Thread safety: Notify and RequestRebuild may be called from any thread.
// Start once; Stop (or the destructor) joins the thread.
#ifndef CREDITD_DAEMON_NAME_REFRESHER_H_
#define CREDITD_DAEMON_NAME_REFRESHER_H_

#include "daemon/state.h"

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

#include <cstdint>
#include <thread>

namespace creditd {

class NameRefresher {
 public:
  // REQUIRES: state outlives the refresher.
  explicit NameRefresher(DaemonState* state);
  ~NameRefresher();
  NameRefresher(const NameRefresher&) = delete;
  NameRefresher& operator=(const NameRefresher&) = delete;

  // Starts the background thread.
  void Start();
  // Subjects changed; `version` is the registry version that holds the
  // change. Returns at once; no-op when the index already covers `version`.
  void Notify(uint64_t version);
  // Rebuild even if the version did not move (SIGHUP).
  void RequestRebuild();
  // Finishes the build in progress (if any) and joins the thread.
  void Stop();

  // Builds done since start (tests and /metrics).
  uint64_t builds() const;

 private:
  void Loop();
  bool Needed() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  DaemonState* state_;
  mutable absl::Mutex mu_;
  uint64_t wanted_version_ ABSL_GUARDED_BY(mu_) = 0;
  bool forced_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t builds_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace creditd

#endif  // CREDITD_DAEMON_NAME_REFRESHER_H_
