#include "daemon/state.h"

#ifdef CREDITD_HAVE_CHECK
#include "check/audit_log.h"
#include "check/check_engine.h"
#endif

#include "absl/strings/str_format.h"
#include "spdlog/spdlog.h"

namespace creditd {

absl::StatusOr<std::shared_ptr<const NameIndexSnapshot>>
NameIndexSnapshot::Build(const Registry& registry) {
  auto snap = std::make_shared<NameIndexSnapshot>();
  std::vector<NameEntry> entries;
  entries.reserve(registry.subject_count());
  registry.ForEachSubject([&](const Subject& s) {
    entries.push_back(
        NameEntryFor(s, static_cast<uint32_t>(snap->subject_ids.size())));
    snap->subject_ids.push_back(s.id);
  });
  auto index = NameIndex::Build(std::move(entries));
  if (!index.ok()) return index.status();
  snap->index = std::move(*index);
  snap->registry_version = registry.version();
  return std::shared_ptr<const NameIndexSnapshot>(std::move(snap));
}

DaemonState::DaemonState(RegistryHolder* registry, DaemonConfig config,
                         std::shared_ptr<const MeasuresList> measures)
    : registry_(registry) {
  (void)auth_.Reload(config.tokens);
  config_.store(std::make_shared<const DaemonConfig>(std::move(config)));
  measures_.store(std::move(measures));
}

DaemonState::~DaemonState() = default;

void DaemonState::set_names(std::shared_ptr<const NameIndexSnapshot> names) {
  absl::MutexLock lock(&engine_mu_);
  // A SIGHUP build and a refresher build may finish out of order.
  if (const auto old = names_.load();
      old != nullptr && names != nullptr &&
      old->registry_version > names->registry_version) {
    return;
  }
  names_.store(std::move(names));
  if (check_engine() != nullptr) {
    RebuildCheckEngine(*config(), measures()).IgnoreError();
  }
}

absl::Status DaemonState::Install(
    DaemonConfig config, std::shared_ptr<const MeasuresList> measures) {
  Authenticator probe;
  if (absl::Status s = probe.Reload(config.tokens); !s.ok()) return s;
  absl::MutexLock lock(&engine_mu_);
  if (check_engine_.load() != nullptr) {
    if (absl::Status s = RebuildCheckEngine(config, measures); !s.ok()) {
      return s;
    }
  }
  (void)auth_.Reload(config.tokens);
  config_.store(std::make_shared<const DaemonConfig>(std::move(config)));
  measures_.store(std::move(measures));
  return absl::OkStatus();
}

#ifdef CREDITD_HAVE_CHECK

absl::Status DaemonState::RebuildCheckEngine(
    const DaemonConfig& config, std::shared_ptr<const MeasuresList> m) {
  CheckEngineOptions options;
  options.time_zone = config.time_zone;
  options.max_batch = static_cast<size_t>(config.max_batch);
  options.audit_log = audit_log_.get();
  if (absl::Status s = CheckEngine::Validate(options); !s.ok()) return s;
  auto engine = std::make_shared<CheckEngine>(std::move(m), options);
  // Name-only checks resolve through the same index as match: one index in
  // memory, built once per start or reload (set_names rebuilds the engine).
  if (const auto names = this->names(); names && names->index) {
    engine->SetNameResolver(NameResolver::Wrap(
        std::shared_ptr<const NameIndex>(names, names->index.get()),
        std::shared_ptr<const std::vector<std::string>>(names,
                                                        &names->subject_ids),
        names->registry_version));
  }
  check_engine_.store(std::move(engine));
  return absl::OkStatus();
}

absl::Status DaemonState::StartCheckEngine() {
  const auto cfg = config();
  AuditLogOptions options;
  options.rotate_bytes = cfg->audit_rotate_bytes;
  // Each entry is written (write(2)) before the check is answered, so a crash
  // of the daemon loses no answered entry. audit.fsync_interval_ms picks the
  // disk flush: 0 = fdatasync before the reply (durable across power loss, but
  // check throughput is the disk's flush rate, ~800 checks/s measured here,
  // docs/performance.md); N = every N ms in the background (a power loss can
  // lose the last N ms of entries). docs/operations.md.
  if (cfg->audit_fsync_interval_ms == 0) {
    options.fsync = FsyncPolicy::kEveryEntry;
  } else {
    options.fsync = FsyncPolicy::kInterval;
    options.fsync_interval_ms = cfg->audit_fsync_interval_ms;
  }
  options.time_zone = cfg->time_zone;
  // Entries are queued and written by the session that answers first
  // (Session::Writer), one write(2) for all the checks answered since the
  // last: still before any of their replies leaves.
  options.group_commit = true;
  auto log = AuditLog::Open(cfg->audit_dir, options);
  if (!log.ok()) return log.status();
  audit_log_ = std::shared_ptr<AuditLog>(std::move(*log));
  spdlog::info(
      "event=audit_opened dir={} fsync={} fsync_interval_ms={}", cfg->audit_dir,
      options.fsync == FsyncPolicy::kEveryEntry ? "every_entry" : "interval",
      cfg->audit_fsync_interval_ms);
  absl::MutexLock lock(&engine_mu_);
  return RebuildCheckEngine(*cfg, measures());
}

uint64_t DaemonState::audit_appended_seq() const {
  return audit_log_ != nullptr ? audit_log_->appended_seq() : 0;
}

absl::Status DaemonState::AuditWriteThrough(uint64_t seq) {
  if (audit_log_ == nullptr) return absl::OkStatus();
  return audit_log_->WriteThrough(seq);
}

bool DaemonState::audit_written(uint64_t seq) const {
  return audit_log_ == nullptr || audit_log_->written_seq() >= seq;
}

#else

uint64_t DaemonState::audit_appended_seq() const { return 0; }

absl::Status DaemonState::AuditWriteThrough(uint64_t) {
  return absl::OkStatus();
}

bool DaemonState::audit_written(uint64_t) const { return true; }

absl::Status DaemonState::RebuildCheckEngine(
    const DaemonConfig&, std::shared_ptr<const MeasuresList>) {
  return absl::UnavailableError("check: this build has no check engine");
}

absl::Status DaemonState::StartCheckEngine() {
  return absl::UnavailableError("check: this build has no check engine");
}

#endif

}  // namespace creditd
