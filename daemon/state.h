// DaemonState: what the handlers share. Everything readers use is an
// immutable snapshot behind a SnapshotPtr (registry, config, measures, name
// index, check engine: a shared_ptr copied under a lock held for the copy
// only), so a request never waits for a reload or a write; the SIGHUP
// reload and the writers publish new snapshots.
//
// Thread safety: the snapshot getters may be called from any thread. The
// setters are called by the reload path and by the write handlers.
#ifndef CREDITD_DAEMON_STATE_H_
#define CREDITD_DAEMON_STATE_H_

#include "config/daemon_config.h"
#include "config/measures.h"
#include "daemon/auth.h"
#include "daemon/counters.h"
#include "index/registry.h"
#include "index/snapshot_ptr.h"
#include "matcher/name_matcher.h"

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace creditd {

class CheckEngine;
class AuditLog;

// A matcher index over one registry snapshot, with the map from the index's
// ids to subject ids.
struct NameIndexSnapshot {
  std::unique_ptr<const NameIndex> index;
  std::vector<std::string> subject_ids;  // NameEntry::id -> Subject::id
  uint64_t registry_version = 0;

  // Builds over every subject of `registry`. Errors from NameIndex::Build.
  static absl::StatusOr<std::shared_ptr<const NameIndexSnapshot>> Build(
      const Registry& registry);
};

class DaemonState {
 public:
  // REQUIRES: registry outlives the state.
  DaemonState(RegistryHolder* registry, DaemonConfig config,
              std::shared_ptr<const MeasuresList> measures);
  ~DaemonState();

  RegistryHolder& registry() { return *registry_; }
  std::shared_ptr<const Registry> snapshot() const {
    return registry_->Current();
  }
  std::shared_ptr<const DaemonConfig> config() const { return config_.load(); }
  std::shared_ptr<const MeasuresList> measures() const {
    return measures_.load();
  }
  std::shared_ptr<const NameIndexSnapshot> names() const {
    return names_.load();
  }
  // Null when the build has no check engine or it failed to start.
  std::shared_ptr<const CheckEngine> check_engine() const {
    return check_engine_.load();
  }
  AuditLog* audit_log() const { return audit_log_.get(); }
  // The audit log's group commit (check/audit_log.h), for the sessions: the
  // newest appended seq (0 without a log), and write through `seq` (OK
  // without a log). Lock-free when there is nothing to write.
  uint64_t audit_appended_seq() const;
  absl::Status AuditWriteThrough(uint64_t seq);
  // Whether every entry through `seq` is already written (true without a
  // log): then AuditWriteThrough(seq) makes no system call.
  bool audit_written(uint64_t seq) const;
  Authenticator& auth() { return auth_; }
  // Flags raised by writes (index/duplicates.h CheckWriteBatch) since start.
  void add_write_flags(uint64_t n) { write_flags_.fetch_add(n); }
  uint64_t write_flags() const { return write_flags_.load(); }

  // Installs a new config (tokens and limits apply to the next request;
  // listen addresses only at restart) and measures list; rebuilds the check
  // engine. On error nothing changes.
  absl::Status Install(DaemonConfig config,
                       std::shared_ptr<const MeasuresList> measures);
  // Installs a new name index and rebuilds the check engine over it (the two
  // share one index). An index older than the installed one is ignored.
  void set_names(std::shared_ptr<const NameIndexSnapshot> names);
  // Called by the write handlers after a write that changed subjects (new,
  // renamed, deleted) was published as registry version `version`; forwards
  // to the listener (the NameRefresher, daemon/name_refresher.h).
  void SubjectsChanged(uint64_t version) const {
    if (subjects_changed_) subjects_changed_(version);
  }
  // REQUIRES: called before any request is served (not synchronised).
  void set_subjects_changed_listener(std::function<void(uint64_t)> f) {
    subjects_changed_ = std::move(f);
  }
  // Opens the audit log in config().audit_dir and builds the check engine.
  // Unavailable when this build has no check engine.
  absl::Status StartCheckEngine();

  // Counters of row i of CommandTable() (daemon/command_table.h).
  CommandCounters& counters(size_t i) { return counters_[i]; }
  std::atomic<uint64_t> unknown_opcodes{0};
  std::atomic<int64_t> connections{0};
  std::atomic<uint64_t> connections_total{0};
  std::atomic<uint64_t> connections_refused{0};
  std::atomic<uint64_t> framing_errors{0};
  std::atomic<uint64_t> tls_handshake_failures{0};
  const absl::Time started = absl::Now();

 private:
  absl::Status RebuildCheckEngine(const DaemonConfig& config,
                                  std::shared_ptr<const MeasuresList> m);

  RegistryHolder* registry_;
  SnapshotPtr<const DaemonConfig> config_;
  SnapshotPtr<const MeasuresList> measures_;
  SnapshotPtr<const NameIndexSnapshot> names_;
  SnapshotPtr<const CheckEngine> check_engine_;
  std::shared_ptr<AuditLog> audit_log_;
  Authenticator auth_;
  // Serialises check engine rebuilds (SIGHUP Install and set_names from the
  // name refresher) so that neither overwrites the other's newer input.
  absl::Mutex engine_mu_;
  std::function<void(uint64_t)> subjects_changed_;
  std::array<CommandCounters, kMaxCommands> counters_;
  std::atomic<uint64_t> write_flags_{0};
};

// Per-connection authentication state (owned by the session).
struct SessionAuth {
  bool authenticated = false;
  Principal principal;
};

// What a handler knows about the request besides its message.
struct RequestContext {
  DaemonState* state = nullptr;
  SessionAuth* session = nullptr;  // the Auth handler updates it
  uint64_t request_id = 0;
  // "127.0.0.1:53412", for logs; the caller keeps the bytes alive for the
  // call (a copy per request showed in the profile).
  std::string_view peer;
};

}  // namespace creditd

#endif  // CREDITD_DAEMON_STATE_H_
