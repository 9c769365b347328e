// match_eval: the labelled quality and latency evaluation of the name matcher
// (issue 5 item 5). Builds a NameIndex in process from the seeded data
// generator (the same subjects creditd-datagen writes for equal flags), runs
// every labelled name variant through Match() top-10 and prints recall@1 and
// recall@10 per variant kind, the latency percentiles of Match, the index's
// memory per subject and its build time.
//
//   match_eval [--subjects N] [--variants M] [--seed S] [--top K]
//              [--cpu C] [--misses N] [--dump DIR] [--summary FILE]
//
//   --subjects N   base subjects generated (default 100000)
//   --variants M   labelled variants drawn (default 5000)
//   --seed S       generator seed (default 1; same as creditd-datagen)
//   --top K        candidates asked of Match (default 10)
//   --cpu C        pin the process to CPU C while measuring (-1: no pinning)
//   --max-candidates N, --max-postings N
//                  MatchOptions::max_candidates / max_postings_scanned
//   --misses N     print up to N queries per kind whose subject was not
//                  ranked first (with its rank and score, and the best
//                  candidate); the tied@1 column counts those ranked below
//                  first with the first's score (an id tie-break)
//   --dump DIR     also write DIR/names.tsv (subject id, name; one row per
//                  current or former name) and DIR/queries.tsv (kind,
//                  expected id, query) for the pg_trgm baseline
//                  (bench/compare/pg_trgm.sh)
//   --summary FILE write the figures as "key<TAB>value" lines (for scripts)
//
// A query counts as found at k when a candidate among the first k has the
// expected subject id. The registry's planted duplicates (two subjects with
// one name) make a few recall@1 misses unavoidable: the tie goes to the lower
// id.
#include "bench/datagen.h"
#include "matcher/name_matcher.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace creditd {
namespace {

using datagen::VariantKind;

constexpr int kKinds = static_cast<int>(VariantKind::kCount);

struct Flags {
  uint64_t subjects = 100000;
  uint64_t variants = 5000;
  uint64_t seed = 1;
  size_t top = 10;
  int cpu = -1;
  size_t misses = 0;
  size_t max_candidates = MatchOptions{}.max_candidates;
  size_t max_postings = MatchOptions{}.max_postings_scanned;
  std::string dump_dir;
  std::string summary_path;
};

[[noreturn]] void Usage(const char* error) {
  if (error != nullptr) std::fprintf(stderr, "match_eval: %s\n", error);
  std::fprintf(
      stderr,
      "usage: match_eval [--subjects N] [--variants M] [--seed S] [--top K]\n"
      "                  [--cpu C] [--misses N] [--dump DIR] [--summary "
      "FILE]\n");
  std::exit(2);
}

uint64_t ParseCount(const char* flag, const char* value, uint64_t lo,
                    uint64_t hi) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(value, &end, 10);
  if (errno != 0 || end == value || *end != '\0' || v < lo || v > hi) {
    std::fprintf(stderr, "match_eval: %s: '%.32s' not in %llu..%llu\n", flag,
                 value, static_cast<unsigned long long>(lo),
                 static_cast<unsigned long long>(hi));
    std::exit(2);
  }
  return v;
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") Usage(nullptr);
    if (i + 1 >= argc) Usage("every flag takes a value");
    const char* value = argv[++i];
    if (flag == "--subjects") {
      f.subjects = ParseCount("--subjects", value, 1, 100000000);
    } else if (flag == "--variants") {
      f.variants = ParseCount("--variants", value, 1, 10000000);
    } else if (flag == "--seed") {
      f.seed = ParseCount("--seed", value, 0, UINT64_MAX);
    } else if (flag == "--top") {
      f.top = ParseCount("--top", value, 1, MatchOptions::kMaxTopK);
    } else if (flag == "--cpu") {
      f.cpu = std::atoi(value);
    } else if (flag == "--misses") {
      f.misses = ParseCount("--misses", value, 0, 1000);
    } else if (flag == "--max-candidates") {
      f.max_candidates = ParseCount("--max-candidates", value, 1,
                                    MatchOptions::kMaxCandidatesCeiling);
    } else if (flag == "--max-postings") {
      f.max_postings = ParseCount("--max-postings", value, 1, 10000000);
    } else if (flag == "--dump") {
      f.dump_dir = value;
    } else if (flag == "--summary") {
      f.summary_path = value;
    } else {
      std::fprintf(stderr, "match_eval: unknown flag '%.64s'\n", argv[i - 1]);
      Usage(nullptr);
    }
  }
  return f;
}

void PrintWarnings() {
#ifndef NDEBUG
  std::fprintf(stderr, "WARNING: assertions are enabled; timings are slow\n");
#endif
#if !defined(__OPTIMIZE__)
  std::fprintf(stderr, "WARNING: built without optimisation\n");
#endif
}

// Resident set size in bytes, from /proc/self/statm.
size_t RssBytes() {
  std::ifstream in("/proc/self/statm");
  size_t pages_total = 0, pages_resident = 0;
  in >> pages_total >> pages_resident;
  return pages_resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since)
      .count();
}

// CPU time (user + sys) of the whole process so far: unlike wall time, not
// inflated by other processes on a shared machine.
double ProcessCpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// Tabs and newlines would break the TSV rows; names never need them.
std::string TsvField(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '\t' || c == '\n' || c == '\r' || c == '\\') c = ' ';
  }
  return out;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  const size_t i = std::min(
      v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(i), v.end());
  return v[i];
}

int Main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  PrintWarnings();

  std::ofstream names_tsv, queries_tsv;
  if (!flags.dump_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(flags.dump_dir, ec);
    names_tsv.open(flags.dump_dir + "/names.tsv");
    queries_tsv.open(flags.dump_dir + "/queries.tsv");
    if (ec || !names_tsv || !queries_tsv) {
      std::fprintf(stderr, "match_eval: cannot write to %s\n",
                   flags.dump_dir.c_str());
      return 1;
    }
  }

  // Generate. The entry's id is its ordinal; `ids` maps it back to the
  // subject id the variants are labelled with.
  auto t0 = std::chrono::steady_clock::now();
  datagen::DatagenOptions options;
  options.seed = flags.seed;
  options.subjects = flags.subjects;
  options.variants = flags.variants;
  options.records_per_subject = 0;
  datagen::DataGenerator gen(options);
  std::vector<NameEntry> entries;
  entries.reserve(flags.subjects + flags.subjects / 50);
  std::vector<std::string> ids;
  ids.reserve(entries.capacity());
  std::vector<datagen::NameVariant> variants;
  while (const datagen::Emission* e = gen.Next()) {
    for (const datagen::NameVariant& v : e->variants) variants.push_back(v);
    if (!e->has_subject) continue;
    NameEntry entry;
    entry.id = static_cast<uint32_t>(entries.size());
    entry.name = e->subject.name;
    entry.former_names = e->subject.former_names;
    entry.region = e->subject.region;
    entry.kind = static_cast<uint8_t>(e->kind);
    entry.status = static_cast<uint8_t>(e->subject.status);
    ids.push_back(e->has_id ? e->subject.id : std::string());
    if (names_tsv.is_open()) {
      // Subjects without an id (never a variant's target) get a unique
      // placeholder so that the baseline does not lump them together.
      const std::string id = ids.back().empty() ? "#" + std::to_string(entry.id)
                                                : TsvField(ids.back());
      names_tsv << id << '\t' << TsvField(entry.name) << '\n';
      for (const std::string& f : entry.former_names) {
        names_tsv << id << '\t' << TsvField(f) << '\n';
      }
    }
    entries.push_back(std::move(entry));
  }
  if (queries_tsv.is_open()) {
    for (const datagen::NameVariant& v : variants) {
      queries_tsv << VariantKindName(v.kind) << '\t' << TsvField(v.expected_id)
                  << '\t' << TsvField(v.query) << '\n';
    }
    names_tsv.close();
    queries_tsv.close();
  }
  const size_t subject_count = entries.size();
  std::printf(
      "match_eval: seed %llu, %zu subjects (%llu base), %zu variants, "
      "generated in %.1f s\n",
      static_cast<unsigned long long>(flags.seed), subject_count,
      static_cast<unsigned long long>(flags.subjects), variants.size(),
      Seconds(t0));

  // Build.
  const size_t rss_before = RssBytes();
  t0 = std::chrono::steady_clock::now();
  const double build_cpu0 = ProcessCpuSeconds();
  absl::StatusOr<std::unique_ptr<const NameIndex>> built =
      NameIndex::Build(std::move(entries));
  const double build_seconds = Seconds(t0);
  const double build_cpu_seconds = ProcessCpuSeconds() - build_cpu0;
  if (!built.ok()) {
    std::fprintf(stderr, "match_eval: build failed: %s\n",
                 std::string(built.status().message()).c_str());
    return 1;
  }
  const size_t rss_after = RssBytes();
  const NameIndex& index = **built;
  const NameIndexStats& st = index.stats();
  const double per_subject =
      static_cast<double>(st.memory_bytes) / static_cast<double>(subject_count);
  const double rss_per_subject =
      rss_after > rss_before ? static_cast<double>(rss_after - rss_before) /
                                   static_cast<double>(subject_count)
                             : 0.0;
  std::printf(
      "index: %zu names (%zu skipped), %zu keys, %zu postings, %zu keys "
      "dropped\n",
      st.names, st.skipped_names, st.keys, st.postings, st.dropped_keys);
  std::printf(
      "index: build %.1f s (CPU %.1f s); memory %.0f MB = %.0f bytes/subject "
      "(index's own count), RSS growth %.0f bytes/subject\n",
      build_seconds, build_cpu_seconds,
      static_cast<double>(st.memory_bytes) / 1e6, per_subject, rss_per_subject);

  if (flags.cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(flags.cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
      std::fprintf(stderr, "match_eval: cannot pin to cpu %d: %s\n", flags.cpu,
                   std::strerror(errno));
    }
  }

  // Warm up (pinyin cache, page faults), then measure.
  MatchOptions mo;
  mo.top_k = flags.top;
  mo.max_candidates = flags.max_candidates;
  mo.max_postings_scanned = flags.max_postings;
  for (size_t i = 0; i < std::min<size_t>(200, variants.size()); ++i) {
    (void)index.Match(variants[i].query, mo);
  }
  size_t n[kKinds] = {}, hit1[kKinds] = {}, hitk[kKinds] = {};
  size_t errors[kKinds] = {}, printed[kKinds] = {}, tied[kKinds] = {};
  // Wall time, and the thread's CPU time: on a shared VM the wall-time tail
  // is mostly preemption by other processes, which CPU time excludes.
  std::vector<double> latency_us, cpu_us;
  latency_us.reserve(variants.size());
  cpu_us.reserve(variants.size());
  for (const datagen::NameVariant& v : variants) {
    const int k = static_cast<int>(v.kind);
    ++n[k];
    timespec c0, c1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    const auto q0 = std::chrono::steady_clock::now();
    absl::StatusOr<std::vector<Candidate>> r = index.Match(v.query, mo);
    latency_us.push_back(Seconds(q0) * 1e6);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    cpu_us.push_back(static_cast<double>(c1.tv_sec - c0.tv_sec) * 1e6 +
                     static_cast<double>(c1.tv_nsec - c0.tv_nsec) / 1e3);
    if (!r.ok()) {
      ++errors[k];
      continue;
    }
    size_t rank = 0;
    for (; rank < r->size(); ++rank) {
      if (ids[(*r)[rank].id] == v.expected_id) break;
    }
    if (rank == 0 && !r->empty()) ++hit1[k];
    if (rank < r->size()) ++hitk[k];
    // Ranked below first with the same score as the first: lost on the id
    // tie-break (e.g. the same name registered in two regions, and a query
    // without a region), which no ranking can resolve.
    if (rank > 0 && rank < r->size() && (*r)[rank].score == (*r)[0].score) {
      ++tied[k];
    }
    if (rank != 0 && printed[k] < flags.misses) {
      ++printed[k];
      std::printf("  miss %-16s rank %s: %s (was %s, scored %s) -> %s %.3f\n",
                  std::string(VariantKindName(v.kind)).c_str(),
                  rank < r->size() ? std::to_string(rank + 1).c_str() : "-",
                  v.query.c_str(), v.original.c_str(),
                  rank < r->size()
                      ? absl::StrFormat("%.3f", (*r)[rank].score).c_str()
                      : "-",
                  r->empty() ? "(none)" : (*r)[0].matched_name.c_str(),
                  r->empty() ? 0.0 : (*r)[0].score);
    }
  }

  const auto rate = [](size_t a, size_t b) {
    return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
  };
  std::printf("\n%-18s %7s %9s %9s %7s %7s\n", "kind", "queries", "recall@1",
              "recall@10", "errors", "tied@1");
  size_t tn = 0, t1 = 0, tk = 0, te = 0;
  for (int k = 0; k < kKinds; ++k) {
    std::printf(
        "%-18s %7zu %9.4f %9.4f %7zu %7zu\n",
        std::string(VariantKindName(static_cast<VariantKind>(k))).c_str(), n[k],
        rate(hit1[k], n[k]), rate(hitk[k], n[k]), errors[k], tied[k]);
    tn += n[k];
    t1 += hit1[k];
    tk += hitk[k];
    te += errors[k];
  }
  size_t tt = 0;
  for (int k = 0; k < kKinds; ++k) tt += tied[k];
  std::printf("%-18s %7zu %9.4f %9.4f %7zu %7zu\n", "all", tn, rate(t1, tn),
              rate(tk, tn), te, tt);
  std::printf(
      "(tied@1: ranked below first with the first's score, lost on the id "
      "tie-break)\n");
  const double p50 = Percentile(latency_us, 0.50);
  const double p90 = Percentile(latency_us, 0.90);
  const double p99 = Percentile(latency_us, 0.99);
  const double pmax = latency_us.empty() ? 0
                                         : *std::max_element(latency_us.begin(),
                                                             latency_us.end());
  std::printf(
      "\nMatch top-%zu latency: p50 %.1f us, p90 %.1f us, p99 %.1f us, max "
      "%.1f us (%zu queries, one thread%s)\n",
      flags.top, p50, p90, p99, pmax, latency_us.size(),
      flags.cpu >= 0 ? ", pinned" : "");
  std::printf(
      "Match top-%zu CPU time:  p50 %.1f us, p90 %.1f us, p99 %.1f us "
      "(max_candidates %zu, max_postings_scanned %zu)\n",
      flags.top, Percentile(cpu_us, 0.50), Percentile(cpu_us, 0.90),
      Percentile(cpu_us, 0.99), flags.max_candidates, flags.max_postings);

  if (!flags.summary_path.empty()) {
    std::ofstream out(flags.summary_path);
    out << "subjects\t" << subject_count << "\n";
    out << "build_seconds\t" << build_seconds << "\n";
    out << "build_cpu_seconds\t" << build_cpu_seconds << "\n";
    out << "bytes_per_subject\t" << per_subject << "\n";
    out << "p50_us\t" << p50 << "\np99_us\t" << p99 << "\n";
    out << "cpu_p99_us\t" << Percentile(cpu_us, 0.99) << "\n";
    for (int k = 0; k < kKinds; ++k) {
      const std::string name(VariantKindName(static_cast<VariantKind>(k)));
      out << "recall1." << name << "\t" << rate(hit1[k], n[k]) << "\n";
      out << "recall10." << name << "\t" << rate(hitk[k], n[k]) << "\n";
    }
    out << "recall1.all\t" << rate(t1, tn) << "\n";
    out << "recall10.all\t" << rate(tk, tn) << "\n";
  }
  return 0;
}

}  // namespace
}  // namespace creditd

int main(int argc, char** argv) { return creditd::Main(argc, argv); }
