// The cost of reading a published snapshot: SnapshotPtr (a std::mutex around a
// shared_ptr, index/snapshot_ptr.h) against std::atomic<std::shared_ptr>, which
// it replaced, and against the same slot under absl::Mutex. Each iteration
// copies the shared_ptr, reads through it and drops it, as a request does with
// DaemonState::registry() and friends. Threads(2): two readers on the same
// slot at once (the daemon's default io_threads). Figures: docs/reliability.md,
// Sanitizers.
//
//   snapshot_ptr_bench [benchmark flags]
#include "index/snapshot_ptr.h"

#include "absl/synchronization/mutex.h"
#include "benchmark/benchmark.h"

#include <atomic>
#include <memory>

namespace creditd {
namespace {

struct Payload {
  int value = 1;
};

std::atomic<std::shared_ptr<const Payload>> g_atomic{
    std::make_shared<const Payload>()};
SnapshotPtr<const Payload> g_snapshot{std::make_shared<const Payload>()};
absl::Mutex g_absl_mu;
std::shared_ptr<const Payload> g_absl_ptr = std::make_shared<const Payload>();

void BM_AtomicSharedPtr(benchmark::State& state) {
  for (auto _ : state) {
    std::shared_ptr<const Payload> p = g_atomic.load();
    benchmark::DoNotOptimize(p->value);
  }
}
BENCHMARK(BM_AtomicSharedPtr)->Threads(1)->Threads(2);

void BM_SnapshotPtr(benchmark::State& state) {
  for (auto _ : state) {
    std::shared_ptr<const Payload> p = g_snapshot.load();
    benchmark::DoNotOptimize(p->value);
  }
}
BENCHMARK(BM_SnapshotPtr)->Threads(1)->Threads(2);

void BM_AbslMutexSharedPtr(benchmark::State& state) {
  for (auto _ : state) {
    std::shared_ptr<const Payload> p;
    {
      absl::MutexLock lock(&g_absl_mu);
      p = g_absl_ptr;
    }
    benchmark::DoNotOptimize(p->value);
  }
}
BENCHMARK(BM_AbslMutexSharedPtr)->Threads(1)->Threads(2);

}  // namespace
}  // namespace creditd

BENCHMARK_MAIN();
