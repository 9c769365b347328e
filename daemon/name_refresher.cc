#include "daemon/name_refresher.h"

#include "spdlog/spdlog.h"

#include <chrono>

namespace creditd {

NameRefresher::NameRefresher(DaemonState* state) : state_(state) {}

NameRefresher::~NameRefresher() { Stop(); }

void NameRefresher::Start() {
  thread_ = std::thread([this]() { Loop(); });
}

void NameRefresher::Notify(uint64_t version) {
  absl::MutexLock lock(&mu_);
  if (version > wanted_version_) wanted_version_ = version;
}

void NameRefresher::RequestRebuild() {
  absl::MutexLock lock(&mu_);
  forced_ = true;
}

void NameRefresher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

uint64_t NameRefresher::builds() const {
  absl::MutexLock lock(&mu_);
  return builds_;
}

bool NameRefresher::Needed() const {
  if (stop_ || forced_) return true;
  const auto names = state_->names();
  return names == nullptr || names->registry_version < wanted_version_;
}

void NameRefresher::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &NameRefresher::Needed));
      if (stop_) return;
      forced_ = false;
    }
    // Build from the current snapshot: it holds every write notified so far
    // (Notify is called after the write was published), and any later ones.
    const auto snapshot = state_->snapshot();
    const auto start = std::chrono::steady_clock::now();
    auto names = NameIndexSnapshot::Build(*snapshot);
    const double millis = std::chrono::duration<double, std::milli>(
                              std::chrono::steady_clock::now() - start)
                              .count();
    if (!names.ok()) {
      // Keep the old index; retry at the next write or SIGHUP. Drop the
      // request so that a persistent error does not spin.
      spdlog::error("event=name_index_refresh_failed error=\"{}\"",
                    std::string(names.status().message()));
      absl::MutexLock lock(&mu_);
      if (wanted_version_ <= snapshot->version()) wanted_version_ = 0;
      continue;
    }
    state_->set_names(std::move(*names));
    spdlog::info(
        "event=name_index_refreshed version={} subjects={} millis={:.0f}",
        snapshot->version(), snapshot->subject_count(), millis);
    absl::MutexLock lock(&mu_);
    ++builds_;
  }
}

}  // namespace creditd
