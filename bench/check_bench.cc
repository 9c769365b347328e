// Micro benchmarks of the check engine (issue 4, "Performance"): a check by
// code whose subject has 0, 1 or 5 records, an unknown code, and a batch of
// 100, over an in-process registry of N subjects (RegistryBuilder), keys drawn
// at random across the whole registry. Targets at 10M subjects: a check under
// 1 us, a batch of 100 under 100 us. The audit log's append cost (which the
// daemon adds to every check) is measured separately.
//
// Subjects come from the data generator (bench/datagen.h: realistic names,
// valid codes spread over the regions), with its records turned off; records
// are planted here so that the 0/1/5 groups are exact: subject i has one
// record when i % 10 == 1 and five when i % 10 == 2.
//
// Sizes: 100k and CREDITD_CHECK_BENCH_MAX subjects (default 1M), or
// --sizes=N,M,... (e.g. --sizes=10000000 for the 10M figures, ~4 GiB of RAM).
// Benchmarks are registered size by size so that one registry is built and
// held at a time. Method: bench/README.md; figures: docs/performance.md.
#include "bench/datagen.h"
#include "config/measures.h"
#include "index/registry.h"
#include "index/uscc.h"

#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "check/audit_log.h"
#include "check/check_engine.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#ifndef CREDITD_CHECK_BENCH_MAX
#define CREDITD_CHECK_BENCH_MAX 1000000
#endif

namespace creditd {
namespace {

// Keys kept per group. 2^20 keys touch far more memory than the L3 cache
// holds, so that every check at 1M and 10M pays its DRAM misses as a caller
// drawing codes at random would (2^16 keys, used before, let a good part of a
// group's lines stay cached).
constexpr size_t kSample = 1 << 20;
constexpr size_t kBatch = 100;
constexpr size_t kBatches = 64;

// A small deterministic PRNG (splitmix64): the same keys on every run.
struct Rng {
  uint64_t s;
  uint64_t Next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
};

// Reservoir sample of codes, uniform over the whole registry.
struct Reservoir {
  // Codes are 18 bytes; held flat (not as std::strings, whose heap buffers
  // lie anywhere) so that fetching the next key is a sequential read, as a
  // request's code in a receive buffer would be, and not a DRAM miss of the
  // bench's own that perf charged to the check.
  using Key = std::array<char, 18>;
  std::vector<Key> keys;
  static Key ToKey(const std::string& code) {
    Key k{};
    std::memcpy(k.data(), code.data(), std::min(code.size(), k.size()));
    return k;
  }
  static std::string_view View(const Key& k) { return {k.data(), k.size()}; }
  uint64_t seen = 0;
  void Offer(const std::string& code, Rng& rng) {
    if (code.size() != std::tuple_size_v<Key>) {
      std::fprintf(stderr, "check_bench: code '%s' is not 18 bytes\n",
                   code.c_str());
      std::abort();
    }
    ++seen;
    if (keys.size() < kSample) {
      keys.push_back(ToKey(code));
    } else if (uint64_t j = rng.Next() % seen; j < kSample) {
      keys[j] = ToKey(code);
    }
  }
};

struct Fixture {
  int64_t size = 0;
  std::shared_ptr<const Registry> registry;
  std::unique_ptr<CheckEngine> engine;
  Reservoir with0, with1, with5, unknown;
  std::vector<std::vector<CheckRequest>> batches;
};

Record MakeRecord(const Subject& s, uint64_t n, std::string_view list) {
  Record r;
  r.id = absl::StrFormat("r%d", n);
  r.code = s.code;
  r.list = std::string(list);
  r.name = s.name;
  r.authority = "某市市场监督管理局";
  r.basis = "《企业信息公示暂行条例》第十七条";
  r.doc_no = absl::StrFormat("某市监〔2023〕%d号", n % 100000);
  r.decided_on = Date{19000};
  r.valid_from = Date{19000};
  return r;
}

Fixture& GetFixture(int64_t size) {
  static std::unique_ptr<Fixture> fixture;
  if (fixture && fixture->size == size) return *fixture;
  fixture.reset();  // one registry in memory at a time
  auto f = std::make_unique<Fixture>();
  f->size = size;
  const auto start = std::chrono::steady_clock::now();
  datagen::DatagenOptions options;
  options.seed = 7;
  options.subjects = static_cast<uint64_t>(size);
  options.records_per_subject = 0;
  options.fault_rate = 0;
  options.variants = 0;
  datagen::DataGenerator gen(options);
  RegistryBuilder builder;
  Rng rng{42};
  uint64_t i = 0, records = 0;
  static constexpr std::string_view kFive[] = {"abnormal_operation",
                                               "admin_penalty", "admin_license",
                                               "red_list", "a_level_taxpayer"};
  while (const datagen::Emission* e = gen.Next()) {
    if (!e->has_subject) continue;
    const Subject& s = e->subject;
    if (!builder.AddSubject(s).ok()) continue;
    switch (i % 10) {
      case 1:
        (void)builder.AddRecord(MakeRecord(s, ++records, "serious_dishonesty"));
        f->with1.Offer(s.code, rng);
        break;
      case 2:
        for (std::string_view list : kFive) {
          (void)builder.AddRecord(MakeRecord(s, ++records, list));
        }
        f->with5.Offer(s.code, rng);
        break;
      default:
        f->with0.Offer(s.code, rng);
    }
    ++i;
  }
  f->registry = builder.Finish(1);
  // RunChecks indexes with a mask: keep a power of two of each group's keys
  // (a group smaller than kSample holds all of its codes, in registry order:
  // shuffle them first).
  for (Reservoir* r : {&f->with0, &f->with1, &f->with5}) {
    for (size_t k = r->keys.size(); k > 1; --k) {
      std::swap(r->keys[k - 1], r->keys[rng.Next() % k]);
    }
    size_t pow2 = 1;
    while (pow2 * 2 <= r->keys.size()) pow2 *= 2;
    r->keys.resize(pow2);
  }
  // Unknown codes: valid codes no subject carries (another region prefix).
  for (size_t k = 0; k < kSample; ++k) {
    std::string body = absl::StrFormat("%08d", rng.Next() % 100000000);
    std::string code = "91990000" + body;  // 990000: no such province
    code += OrgCodeCheckCharacter(body);
    code += UsccCheckCharacter(code);
    f->unknown.Offer(code, rng);
  }
  auto measures = MeasuresList::BuiltinDefault();
  if (!measures.ok()) {
    std::fprintf(stderr, "measures: %s\n",
                 std::string(measures.status().message()).c_str());
    std::abort();
  }
  f->engine = std::make_unique<CheckEngine>(
      std::make_shared<const MeasuresList>(*std::move(measures)));
  // Batches mix the groups as a tender's bidder list would.
  const Reservoir* groups[] = {&f->with0, &f->with0, &f->with0, &f->with1,
                               &f->with5};
  for (size_t b = 0; b < kBatches; ++b) {
    std::vector<CheckRequest> batch(kBatch);
    for (CheckRequest& r : batch) {
      const Reservoir* g = groups[rng.Next() % 5];
      r.code = Reservoir::View(g->keys[rng.Next() % g->keys.size()]);
      r.scenario = "government_procurement";
    }
    f->batches.push_back(std::move(batch));
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::fprintf(stderr,
               "check_bench: %lld subjects, %llu records, base %.0f MiB, "
               "built in %.1f s\n",
               static_cast<long long>(size),
               static_cast<unsigned long long>(records),
               f->registry->base_memory_bytes() / 1048576.0, secs);
  fixture = std::move(f);
  return *fixture;
}

void RunChecks(benchmark::State& state, const Reservoir& keys,
               const Fixture& f) {
  CheckRequest req;
  req.scenario = "government_procurement";
  size_t n = 0;
  for (auto _ : state) {
    req.code.assign(Reservoir::View(keys.keys[n++ & (keys.keys.size() - 1)]));
    auto result = f.engine->Check(*f.registry, req);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Check_ByCode0Records(benchmark::State& state) {
  Fixture& f = GetFixture(state.range(0));
  RunChecks(state, f.with0, f);
}
void BM_Check_ByCode1Record(benchmark::State& state) {
  Fixture& f = GetFixture(state.range(0));
  RunChecks(state, f.with1, f);
}
void BM_Check_ByCode5Records(benchmark::State& state) {
  Fixture& f = GetFixture(state.range(0));
  RunChecks(state, f.with5, f);
}
// The memory floor of the checks above: the same keys, the same code index
// probe and prefetches, and every byte of the same documents read, but
// nothing validated, decoded or decided. What a check takes beyond this is
// its instructions.
void TouchCodes(benchmark::State& state, const Reservoir& keys,
                const Fixture& f) {
  size_t n = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.registry->TEST_TouchCode(
        Reservoir::View(keys.keys[n++ & (keys.keys.size() - 1)])));
  }
  state.SetItemsProcessed(state.iterations());
}
void BM_Floor_ByCode0Records(benchmark::State& state) {
  Fixture& f = GetFixture(state.range(0));
  TouchCodes(state, f.with0, f);
}
void BM_Floor_ByCode1Record(benchmark::State& state) {
  Fixture& f = GetFixture(state.range(0));
  TouchCodes(state, f.with1, f);
}
void BM_Floor_ByCode5Records(benchmark::State& state) {
  Fixture& f = GetFixture(state.range(0));
  TouchCodes(state, f.with5, f);
}

void BM_Check_UnknownCode(benchmark::State& state) {
  Fixture& f = GetFixture(state.range(0));
  RunChecks(state, f.unknown, f);
}

void BM_Check_Batch100(benchmark::State& state) {
  Fixture& f = GetFixture(state.range(0));
  size_t n = 0;
  for (auto _ : state) {
    auto results =
        f.engine->CheckBatch(*f.registry, f.batches[n++ % f.batches.size()]);
    benchmark::DoNotOptimize(results);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// The audit entry the daemon appends per check: arg 0 = no flush (the
// cost of formatting, hashing and write()), 1 = fdatasync per entry.
void BM_AuditLog_Append(benchmark::State& state) {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "check_bench.XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    state.SkipWithError("cannot create a temporary directory");
    return;
  }
  AuditLogOptions options;
  options.fsync =
      state.range(0) == 0 ? FsyncPolicy::kNone : FsyncPolicy::kEveryEntry;
  auto log = AuditLog::Open(tmpl, options);
  if (!log.ok()) {
    state.SkipWithError("cannot open the audit log");
    return;
  }
  AuditEntry e;
  e.caller = "bidding-system";
  e.code = "91350100M000100Y43";
  e.scenario = "government_procurement";
  e.date = "2024-06-30";
  e.verdict = "block";
  e.identity = "found";
  e.rule = "measure serious_dishonesty/government_procurement -> block";
  e.subject_ids = {"s1"};
  e.records = {{"r1", "serious_dishonesty", "counted", "block"}};
  for (auto _ : state) {
    auto written = (*log)->Append(e);
    benchmark::DoNotOptimize(written);
  }
  state.SetItemsProcessed(state.iterations());
  log->reset();
  std::error_code ec;
  std::filesystem::remove_all(tmpl, ec);
}

void PrintWarnings() {
#ifndef NDEBUG
  std::fprintf(stderr,
               "WARNING: assertions are enabled; figures are not "
               "representative\n");
#endif
#if !defined(__OPTIMIZE__)
  std::fprintf(stderr,
               "WARNING: built without optimisation; figures are not "
               "representative\n");
#endif
}

}  // namespace
}  // namespace creditd

int main(int argc, char** argv) {
  using namespace creditd;
  PrintWarnings();
  // --sizes=N,M,...: registry sizes to build (default 100k and
  // CREDITD_CHECK_BENCH_MAX), e.g. --sizes=10000000 for the 10M figures.
  std::vector<int64_t> sizes = {100000, CREDITD_CHECK_BENCH_MAX};
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.substr(0, 8) != "--sizes=") continue;
    sizes.clear();
    for (std::string_view rest = arg.substr(8); !rest.empty();) {
      const size_t comma = rest.find(',');
      const std::string item(rest.substr(0, comma));
      char* end = nullptr;
      const long long n = std::strtoll(item.c_str(), &end, 10);
      if (end == item.c_str() || *end != '\0' || n < 1000) {
        std::fprintf(stderr, "--sizes: not a size >= 1000: '%s'\n",
                     item.c_str());
        return 2;
      }
      sizes.push_back(n);
      rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
    }
    for (int j = i; j + 1 < argc; ++j) argv[j] = argv[j + 1];
    --argc;
    --i;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  for (int64_t size : sizes) {
    benchmark::RegisterBenchmark("BM_Check_ByCode0Records",
                                 BM_Check_ByCode0Records)
        ->Arg(size);
    benchmark::RegisterBenchmark("BM_Check_ByCode1Record",
                                 BM_Check_ByCode1Record)
        ->Arg(size);
    benchmark::RegisterBenchmark("BM_Check_ByCode5Records",
                                 BM_Check_ByCode5Records)
        ->Arg(size);
    benchmark::RegisterBenchmark("BM_Check_UnknownCode", BM_Check_UnknownCode)
        ->Arg(size);
    benchmark::RegisterBenchmark("BM_Check_Batch100", BM_Check_Batch100)
        ->Arg(size);
    benchmark::RegisterBenchmark("BM_Floor_ByCode0Records",
                                 BM_Floor_ByCode0Records)
        ->Arg(size);
    benchmark::RegisterBenchmark("BM_Floor_ByCode1Record",
                                 BM_Floor_ByCode1Record)
        ->Arg(size);
    benchmark::RegisterBenchmark("BM_Floor_ByCode5Records",
                                 BM_Floor_ByCode5Records)
        ->Arg(size);
  }
  benchmark::RegisterBenchmark("BM_AuditLog_Append", BM_AuditLog_Append)
      ->Arg(0)
      ->Arg(1);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
