// Registry at scale: build time, memory per subject, and code lookups over
// random keys across the whole registry, next to the DRAM floor (a pointer
// chase over a buffer of the registry's size). See bench/README.md.
//
//   registry_bench [--subjects N] [--data DIR] [benchmark flags]
//     --subjects N  registry built in process from the data generator (default
//     1000000)
//     --data DIR    instead, measure a cold start from the Xapian database in
//     DIR
#include "bench/datagen.h"
#include "index/ingest.h"
#include "index/registry.h"
#include "index/uscc.h"

#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace creditd {
namespace {

uint64_t g_subjects = 1000000;
std::string g_data_dir;
std::shared_ptr<const Registry> g_registry;
std::vector<std::string> g_hit_keys;   // 64K codes from the registry, at random
std::vector<std::string> g_miss_keys;  // 64K valid codes the registry lacks
std::vector<std::string> g_record_keys;
constexpr size_t kKeys = 1 << 16;

size_t RssBytes() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since)
      .count();
}

void Setup() {
  if (g_registry) return;
  const size_t rss_before = RssBytes();
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> all_codes;
  std::vector<std::string> record_codes;
  if (!g_data_dir.empty()) {
    auto reg = LoadRegistryReadOnly(g_data_dir);
    if (!reg.ok()) {
      std::fprintf(stderr, "registry_bench: %s\n",
                   std::string(reg.status().message()).c_str());
      std::exit(2);
    }
    g_registry = *reg;
    const double secs = Seconds(start);
    std::fprintf(stderr,
                 "cold start from %s: %.2f s for %zu subjects, %zu records\n",
                 g_data_dir.c_str(), secs, g_registry->subject_count(),
                 g_registry->record_count());
    g_registry->ForEachSubject(
        [&](const Subject& s) { all_codes.push_back(s.code); });
    g_registry->ForEachRecord(
        [&](const Record& r) { record_codes.push_back(r.code); });
  } else {
    datagen::DatagenOptions options;
    options.subjects = g_subjects;
    options.variants = 0;
    datagen::DataGenerator gen(options);
    RegistryBuilder builder;
    all_codes.reserve(g_subjects);
    double gen_seconds = 0;
    while (true) {
      const auto t = std::chrono::steady_clock::now();
      const datagen::Emission* e = gen.Next();
      gen_seconds += Seconds(t);
      if (e == nullptr) break;
      if (e->has_subject) {
        Subject s = e->subject;
        if (!e->has_id) s.id = DerivedSubjectId(s.code, s.name);
        all_codes.push_back(s.code);
        (void)builder.AddSubject(s);
      }
      for (const Record& r : e->records) {
        record_codes.push_back(r.code);
        (void)builder.AddRecord(r);
      }
    }
    const auto finish_start = std::chrono::steady_clock::now();
    g_registry = builder.Finish(1);
    const double build = Seconds(start) - gen_seconds;
    std::fprintf(stderr,
                 "built %zu subjects + %zu records in %.2f s (generation %.2f "
                 "s excluded; "
                 "index %.2f s)\n",
                 g_registry->subject_count(), g_registry->record_count(), build,
                 gen_seconds, Seconds(finish_start));
  }
  const size_t rss_after = RssBytes();
  // The key vectors built above are freed below; RSS counts them, so report
  // both views.
  std::fprintf(stderr,
               "memory: base %.1f MiB (%.0f bytes/subject incl. records); RSS "
               "growth %.1f MiB\n",
               g_registry->base_memory_bytes() / 1048576.0,
               static_cast<double>(g_registry->base_memory_bytes()) /
                   static_cast<double>(g_registry->subject_count()),
               (rss_after - rss_before) / 1048576.0);
  const auto parts = g_registry->base_memory_breakdown();
  const double n = static_cast<double>(g_registry->subject_count());
  std::fprintf(stderr,
               "  per subject: subject arena %.0f + slots/ids %.0f; record "
               "arena %.0f + slots/ids %.0f; code index %.0f; dictionary %.1f "
               "(%.2f records/subject)\n",
               parts[0] / n, parts[1] / n, parts[2] / n, parts[3] / n,
               parts[4] / n, parts[5] / n,
               static_cast<double>(g_registry->record_count()) / n);
  std::mt19937_64 rng(99);
  for (size_t i = 0; i < kKeys; ++i)
    g_hit_keys.push_back(all_codes[rng() % all_codes.size()]);
  if (!record_codes.empty()) {
    for (size_t i = 0; i < kKeys; ++i) {
      g_record_keys.push_back(record_codes[rng() % record_codes.size()]);
    }
  }
  while (g_miss_keys.size() < kKeys) {
    std::string body;
    for (int k = 0; k < 8; ++k) body.push_back(kUsccAlphabet[rng() % 31]);
    std::string code =
        "91990000" + body;  // region 99: the generator never uses it
    code.push_back(OrgCodeCheckCharacter(body));
    code.push_back(UsccCheckCharacter(code));
    g_miss_keys.push_back(code);
  }
}

void BM_Registry_CountByCode_Hit(benchmark::State& state) {
  Setup();
  size_t i = 0, found = 0;
  for (auto _ : state) {
    found += g_registry->CountByCode(g_hit_keys[i++ & (kKeys - 1)]);
  }
  benchmark::DoNotOptimize(found);
  state.counters["subjects"] = static_cast<double>(g_registry->subject_count());
}
BENCHMARK(BM_Registry_CountByCode_Hit);

void BM_Registry_CountByCode_Miss(benchmark::State& state) {
  Setup();
  size_t i = 0, found = 0;
  for (auto _ : state) {
    found += g_registry->CountByCode(g_miss_keys[i++ & (kKeys - 1)]);
  }
  if (found != 0) state.SkipWithError("miss keys were found");
  benchmark::DoNotOptimize(found);
}
BENCHMARK(BM_Registry_CountByCode_Miss);

void BM_Registry_SubjectsByCode_Decode(benchmark::State& state) {
  Setup();
  size_t i = 0;
  for (auto _ : state) {
    auto subjects = g_registry->SubjectsByCode(g_hit_keys[i++ & (kKeys - 1)]);
    benchmark::DoNotOptimize(subjects);
  }
}
BENCHMARK(BM_Registry_SubjectsByCode_Decode);

void BM_Registry_RecordsByCode_Decode(benchmark::State& state) {
  Setup();
  if (g_record_keys.empty()) {
    state.SkipWithError("no records");
    return;
  }
  size_t i = 0;
  for (auto _ : state) {
    auto records = g_registry->RecordsByCode(g_record_keys[i++ & (kKeys - 1)]);
    benchmark::DoNotOptimize(records);
  }
}
BENCHMARK(BM_Registry_RecordsByCode_Decode);

// The floor for a random lookup: one dependent DRAM access per step over a
// buffer the size of the registry's base (a random cyclic permutation of
// 64-byte lines defeats the prefetchers).
void BM_DramFloor_PointerChase(benchmark::State& state) {
  Setup();
  const size_t bytes =
      std::max<size_t>(g_registry->base_memory_bytes(), size_t{64} << 20);
  const size_t lines = bytes / 64;
  std::vector<uint64_t> next(lines * 8);
  std::vector<uint32_t> order(lines);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(5));
  for (size_t k = 0; k < lines; ++k)
    next[order[k] * 8] = order[(k + 1) % lines] * 8;
  uint64_t p = order[0] * 8;
  for (auto _ : state) p = next[p];
  benchmark::DoNotOptimize(p);
  state.counters["buffer_MiB"] = static_cast<double>(bytes) / 1048576.0;
}
BENCHMARK(BM_DramFloor_PointerChase);

}  // namespace
}  // namespace creditd

int main(int argc, char** argv) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--subjects") == 0 && i + 1 < argc) {
      creditd::g_subjects = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
      creditd::g_data_dir = argv[++i];
    } else {
      rest.push_back(argv[i]);
    }
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
#ifndef NDEBUG
  std::fprintf(
      stderr,
      "WARNING: built without NDEBUG: figures are not representative\n");
#endif
  creditd::Setup();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
