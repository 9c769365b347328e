// dups_bench: the duplicate/erroneous-code scan (issue 6) at a given registry
// size, generated in process by the seeded DataGenerator, with precision and
// recall per planted fault kind against the generator's truth labels, and the
// cost of the incremental check per write.
//
// usage: dups_bench [--subjects N] [--seed S] [--fault-rate R] [--writes W]
//                   [--threads T]
//   defaults: 1000000 subjects, seed 1, fault rate 0.005, 20000 writes,
//   2 scan threads (ScanOptions::threads; 1 = single-threaded scan).
//
// Method (docs/duplicates.md "Performance"): the registry is built like a
// load would store it (a repeated line is stored once, a repeated id is an
// update), then ScanDuplicatesWithNames runs once, timed with steady_clock.
// Memory beyond the registry: the scan's own accounting (table_bytes) and the
// peak RSS growth during the scan (VmHWM after resetting it via clear_refs).
#include "bench/datagen.h"
#include "index/duplicates.h"
#include "index/ingest.h"
#include "index/registry.h"
#include "matcher/name_duplicates.h"

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace creditd {
namespace {

using datagen::DataGenerator;
using datagen::DatagenOptions;
using datagen::FaultKind;

double CpuNow() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

double Now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// kB from /proc/self/status.
long StatusKb(const char* key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + strlen(key));
  }
  return -1;
}

void ResetPeakRss() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
}

struct Truth {
  FaultKind kind;
  bool is_fault;
  std::string expected_fault;
  std::vector<std::string> codes;
  std::string detail;
};

}  // namespace
}  // namespace creditd

int main(int argc, char** argv) {
  using namespace creditd;
#ifndef NDEBUG
  std::fprintf(stderr, "WARNING: built without optimisation (NDEBUG unset)\n");
#endif
  DatagenOptions gen_options;
  gen_options.subjects = 1000000;
  gen_options.variants = 0;
  size_t writes = 20000;
  unsigned threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--subjects") {
      gen_options.subjects = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (a == "--seed") {
      gen_options.seed = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (a == "--fault-rate") {
      gen_options.fault_rate = std::strtod(argv[i + 1], nullptr);
    } else if (a == "--writes") {
      writes = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (a == "--threads") {
      threads = static_cast<unsigned>(std::strtoul(argv[i + 1], nullptr, 10));
    } else {
      std::fprintf(stderr,
                   "usage: dups_bench [--subjects N] [--seed S] "
                   "[--fault-rate R] [--writes W] [--threads T]\n");
      return 2;
    }
  }

  // ---- Build the registry as a load would store it. ----
  const double t0 = Now();
  RegistryBuilder builder;
  absl::flat_hash_set<std::string> subject_ids, record_ids;
  std::vector<Truth> truth;
  std::vector<Subject> sample;  // existing subjects, for the update writes
  {
    DataGenerator gen(gen_options);
    while (const datagen::Emission* e = gen.Next()) {
      if (e->has_subject) {
        Subject s = e->subject;
        if (!e->has_id) s.id = DerivedSubjectId(s.code, s.name);
        if (subject_ids.insert(s.id).second) {
          if (sample.size() < writes && subject_ids.size() % 37 == 0) {
            sample.push_back(s);
          }
          if (!builder.AddSubject(s).ok()) return 1;
        }
      }
      for (const Record& r : e->records) {
        if (record_ids.insert(r.id).second && !builder.AddRecord(r).ok()) {
          return 1;
        }
      }
      for (const datagen::Fault& f : e->faults) {
        truth.push_back(
            {f.kind, f.is_fault, f.expected_uscc_fault, f.codes, f.detail});
      }
    }
  }
  subject_ids = {};
  record_ids = {};
  std::shared_ptr<const Registry> registry = builder.Finish(1);
  const double t1 = Now();
  std::printf(
      "registry: %zu subjects, %zu records, built in %.2f s, base "
      "%.1f MiB, RSS %.1f MiB\n",
      registry->subject_count(), registry->record_count(), t1 - t0,
      registry->base_memory_bytes() / 1048576.0, StatusKb("VmRSS:") / 1024.0);

  // ---- The full scan. ----
  // Normaliser start-up (OpenCC, ICU) is not part of the scan.
  (void)SameSubjectByNames(Subject(), Subject());
  {
    // Baseline: what the registry's own decode costs (not the scan's).
    uint64_t n = 0, bytes = 0;
    const double b0 = CpuNow();
    registry->ForEachSubject([&](const Subject& s) {
      ++n;
      bytes += s.code.size();
    });
    const double b1 = CpuNow();
    registry->ForEachRecord([&](const Record& r) { bytes += r.code.size(); });
    const double b2 = CpuNow();
    std::printf(
        "baseline: ForEachSubject %.2f s CPU, ForEachRecord %.2f s CPU "
        "(%llu subjects, %llu bytes)\n",
        b1 - b0, b2 - b1, static_cast<unsigned long long>(n),
        static_cast<unsigned long long>(bytes));
  }
  ResetPeakRss();
  const long rss_before = StatusKb("VmRSS:");
  ScanOptions scan_options;
  scan_options.threads = threads;
  // (phase, process CPU, wall) at the end of each phase.
  std::vector<std::tuple<std::string, double, double>> phase_cpu;
  scan_options.progress_every = uint64_t{1} << 40;  // only the phase ends
  scan_options.progress = [&](std::string_view phase, uint64_t, uint64_t) {
    phase_cpu.emplace_back(std::string(phase), CpuNow(), Now());
  };
  const double s0 = Now(), c0 = CpuNow();
  const DupReport report = ScanDuplicatesWithNames(*registry, scan_options);
  const double s1 = Now(), c1 = CpuNow();
  const long hwm = StatusKb("VmHWM:");
  std::printf(
      "scan (%u threads): %.2f s wall, %.2f s CPU (%.0f ns/subject), %llu "
      "candidates, "
      "tables %.1f MiB, peak "
      "RSS growth %.1f MiB, %zu findings, %llu/%llu codes flagged (rate "
      "%.6f)\n",
      threads, s1 - s0, c1 - c0,
      (c1 - c0) * 1e9 / std::max<double>(1, report.stats.subjects),
      static_cast<unsigned long long>(report.stats.candidates),
      report.stats.table_bytes / 1048576.0, (hwm - rss_before) / 1024.0,
      report.findings.size(),
      static_cast<unsigned long long>(report.total.flagged),
      static_cast<unsigned long long>(report.total.codes), report.total.rate());
  {
    double last = c0, last_wall = s0;
    std::printf("scan phases (CPU / wall):");
    for (const auto& [phase, t, w] : phase_cpu) {
      std::printf(" %s %.2f / %.2f s", phase.c_str(), t - last, w - last_wall);
      last = t;
      last_wall = w;
    }
    std::printf(", attribution/rates %.2f / %.2f s\n", c1 - last,
                s1 - last_wall);
  }
  size_t over = 0, counties = 0;
  for (const RegionRate& r : report.regions) {
    if (r.level == RegionLevel::kCounty) {
      ++counties;
      over += r.over_bar;
    }
  }
  std::printf("rates: %zu of %zu counties over the 1/10000 bar\n", over,
              counties);

  // ---- Precision and recall against the truth labels. ----
  // Which findings a planted kind should produce, as (finding kind, fault).
  auto expect = [](const Truth& t) -> std::pair<DupKind, std::string> {
    switch (t.kind) {
      case FaultKind::kDuplicateCode:
        return {DupKind::kDuplicateCode, ""};
      case FaultKind::kMultiCodeSameName:
      case FaultKind::kMultiCodeSameOrgCode:
        return {DupKind::kMultiCode, ""};
      case FaultKind::kOrgCodeMismatch:
        return {DupKind::kLegacyMismatch, "org_code_body"};
      case FaultKind::kRegNoRegionMismatch:
        return {DupKind::kLegacyMismatch, "registration_region"};
      case FaultKind::kRepeatedLine:
        return {DupKind::kRepeatedSubject, ""};
      case FaultKind::kRepeatedRecord:
        return {DupKind::kRepeatedRecord, ""};
      case FaultKind::kBranchOffice:
        return {DupKind::kMultiCode, ""};
      default:
        return {DupKind::kErroneousCode, t.expected_fault};
    }
  };
  // Index the findings by (kind, code) and (kind, fault, code).
  std::set<std::pair<int, std::string>> found;
  std::set<std::tuple<int, std::string, std::string>> found_fault;
  std::set<std::pair<std::string, std::string>> multi_pairs;
  for (const DupFinding& f : report.findings) {
    for (const std::string& c : f.codes) {
      found.insert({static_cast<int>(f.kind), c});
      found_fault.insert({static_cast<int>(f.kind), f.fault, c});
    }
    if (f.kind == DupKind::kMultiCode) {
      for (const std::string& a : f.codes) {
        for (const std::string& b : f.codes) multi_pairs.insert({a, b});
      }
    }
  }
  auto detected = [&](const Truth& t) {
    const auto [kind, fault] = expect(t);
    if (t.codes.empty()) return false;
    if (kind == DupKind::kMultiCode) {
      return t.codes.size() >= 2 && multi_pairs.count({t.codes[0], t.codes[1]});
    }
    if (!fault.empty()) {
      return found_fault.count({static_cast<int>(kind), fault, t.codes[0]}) > 0;
    }
    return found.count({static_cast<int>(kind), t.codes[0]}) > 0;
  };
  std::map<std::string, std::pair<size_t, size_t>> recall;  // label -> hit/all
  std::map<std::string, size_t> near_miss_flagged;
  // Codes the truth explains, per finding kind and fault.
  std::set<std::tuple<int, std::string, std::string>> explained;
  for (const Truth& t : truth) {
    std::string label(datagen::FaultKindName(t.kind));
    if (t.kind == FaultKind::kRepeatedRecord) {
      label += t.detail.find("new record id") != std::string::npos
                   ? " (new id)"
                   : " (same line)";
    }
    if (!t.is_fault) {
      auto& [hit, all] = recall[label + " [near miss: flagged]"];
      ++all;
      hit += detected(t) ||
             (t.codes.size() >= 1 &&
              found.count(
                  {static_cast<int>(DupKind::kDuplicateCode), t.codes.back()}));
      continue;
    }
    auto& [hit, all] = recall[label];
    ++all;
    hit += detected(t);
    const auto [kind, fault] = expect(t);
    for (const std::string& c : t.codes) {
      explained.insert({static_cast<int>(kind), fault, c});
    }
  }
  std::printf("\nrecall per planted kind (detected / planted):\n");
  for (const auto& [label, hc] : recall) {
    std::printf("  %-44s %6zu / %-6zu %6.1f%%\n", label.c_str(), hc.first,
                hc.second, hc.second ? 100.0 * hc.first / hc.second : 0.0);
  }
  // Precision: a finding is true when one of its codes is explained by a
  // planted label of the matching kind (and fault).
  std::map<std::string, std::pair<size_t, size_t>> precision;
  for (const DupFinding& f : report.findings) {
    std::string label(DupKindName(f.kind));
    std::string fault = f.fault;
    if (f.kind == DupKind::kErroneousCode) {
      label += ":" + f.fault;
      if (f.known_legacy_exception) label += "(legacy exception)";
    } else if (f.kind == DupKind::kLegacyMismatch) {
      label += ":" + f.fault;
    } else {
      fault.clear();
    }
    bool ok = false;
    for (const std::string& c : f.codes) {
      ok = ok || explained.count({static_cast<int>(f.kind), fault, c}) > 0;
    }
    auto& [tp, all] = precision[label];
    ++all;
    tp += ok;
  }
  std::printf("\nprecision per finding kind (true / reported):\n");
  for (const auto& [label, tp] : precision) {
    std::printf("  %-44s %6zu / %-6zu %6.1f%%\n", label.c_str(), tp.first,
                tp.second, tp.second ? 100.0 * tp.first / tp.second : 0.0);
  }

  // ---- Incremental check per write. ----
  // Fresh subjects (another seed: new codes, CountByCode == 0) and updates of
  // existing ids (the holder is decoded to tell self from other).
  DatagenOptions fresh_options = gen_options;
  fresh_options.seed = gen_options.seed + 1000;
  fresh_options.subjects = writes;
  std::vector<WriteBatch> fresh;
  {
    DataGenerator gen(fresh_options);
    while (const datagen::Emission* e = gen.Next()) {
      if (!e->has_subject) continue;
      WriteBatch b;
      b.upsert_subjects.push_back(e->subject);
      fresh.push_back(std::move(b));
    }
  }
  auto time_writes = [&](const std::vector<WriteBatch>& batches) {
    size_t flags = 0;
    const double w0 = CpuNow();
    for (const WriteBatch& b : batches) {
      flags += CheckWriteBatch(*registry, b).size();
    }
    const double w1 = CpuNow();
    return std::make_pair((w1 - w0) * 1e6 / std::max<size_t>(1, batches.size()),
                          flags);
  };
  const auto [fresh_us, fresh_flags] = time_writes(fresh);
  std::vector<WriteBatch> updates;
  for (const Subject& s : sample) {
    WriteBatch b;
    b.upsert_subjects.push_back(s);
    updates.push_back(std::move(b));
  }
  const auto [update_us, update_flags] = time_writes(updates);
  std::printf(
      "\nincremental (CPU): %.2f us/write for %zu new subjects (%zu flags), "
      "%.2f "
      "us/write for %zu updates of stored subjects (%zu flags)\n",
      fresh_us, fresh.size(), fresh_flags, update_us, updates.size(),
      update_flags);
  return 0;
}
