// creditd-datagen: writes a generated data set (subjects, records, truth
// labels, name variants) to a directory. See bench/README.md.
//
//   creditd-datagen --out DIR --subjects N [--seed S]
//       [--records-per-subject F] [--fault-rate R] [--variants N]
//       [--format jsonl|csv]
#include "bench/datagen.h"
#include "index/subject.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

namespace creditd::datagen {
namespace {

constexpr size_t kFlushBytes = 1 << 20;

// A buffered output file; exits the tool on I/O errors (this is the edge).
class OutFile {
 public:
  explicit OutFile(const std::string& path) : path_(path) {
    file_ = std::fopen(path.c_str(), "wb");
    if (file_ == nullptr) {
      std::fprintf(stderr, "creditd-datagen: cannot open %s: %s\n",
                   path.c_str(), std::strerror(errno));
      std::exit(1);
    }
    buf_.reserve(kFlushBytes + 4096);
  }
  ~OutFile() { Close(); }
  std::string& buf() { return buf_; }
  void MaybeFlush() {
    if (buf_.size() >= kFlushBytes) Flush();
  }
  void Close() {
    if (file_ == nullptr) return;
    Flush();
    if (std::fclose(file_) != 0) Fail();
    file_ = nullptr;
  }

 private:
  void Flush() {
    if (!buf_.empty() &&
        std::fwrite(buf_.data(), 1, buf_.size(), file_) != buf_.size()) {
      Fail();
    }
    buf_.clear();
  }
  [[noreturn]] void Fail() {
    std::fprintf(stderr, "creditd-datagen: write to %s failed: %s\n",
                 path_.c_str(), std::strerror(errno));
    std::exit(1);
  }
  std::string path_;
  std::FILE* file_ = nullptr;
  std::string buf_;
};

[[noreturn]] void Usage(const char* why) {
  if (why != nullptr) std::fprintf(stderr, "creditd-datagen: %s\n", why);
  std::fprintf(
      stderr,
      "usage: creditd-datagen --out DIR --subjects N [--seed S]\n"
      "         [--records-per-subject F] [--fault-rate R] [--variants N]\n"
      "         [--format jsonl|csv]\n"
      "  --subjects N             base subjects (planted faults add lines)\n"
      "  --seed S                 PRNG seed (default 1); same seed + options "
      "=> same bytes\n"
      "  --records-per-subject F  mean credit records per subject (default "
      "0.6)\n"
      "  --fault-rate R           share of subjects with a planted fault "
      "(default 0.005)\n"
      "  --variants N             labelled name variants (default 1000)\n"
      "  --format jsonl|csv       subjects/records format (default jsonl); "
      "truth and\n"
      "                           variants are always JSONL\n");
  std::exit(2);
}

double ParseNumber(const char* flag, const char* text, double lo, double hi) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || !(v >= lo && v <= hi)) {
    std::fprintf(stderr,
                 "creditd-datagen: %s: '%.64s' is not a number in %g..%g\n",
                 flag, text, lo, hi);
    std::exit(2);
  }
  return v;
}

int Main(int argc, char** argv) {
  DatagenOptions options;
  std::string out_dir;
  std::string format = "jsonl";
  bool have_subjects = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") Usage(nullptr);
    if (i + 1 >= argc) Usage("missing value after a flag");
    const char* value = argv[++i];
    if (flag == "--out") {
      out_dir = value;
    } else if (flag == "--subjects") {
      options.subjects =
          static_cast<uint64_t>(ParseNumber("--subjects", value, 0, 1e10));
      have_subjects = true;
    } else if (flag == "--seed") {
      options.seed = static_cast<uint64_t>(
          ParseNumber("--seed", value, 0, 9007199254740992.0));
    } else if (flag == "--records-per-subject") {
      options.records_per_subject =
          ParseNumber("--records-per-subject", value, 0, 20);
    } else if (flag == "--fault-rate") {
      options.fault_rate = ParseNumber("--fault-rate", value, 0, 1);
    } else if (flag == "--variants") {
      options.variants =
          static_cast<uint64_t>(ParseNumber("--variants", value, 0, 1e8));
    } else if (flag == "--format") {
      format = value;
      if (format != "jsonl" && format != "csv") Usage("--format: jsonl or csv");
    } else {
      Usage("unknown flag");
    }
  }
  if (out_dir.empty() || !have_subjects)
    Usage("--out and --subjects are required");
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) {
    std::fprintf(stderr, "creditd-datagen: cannot create %s: %s\n",
                 out_dir.c_str(), ec.message().c_str());
    return 1;
  }
  const bool csv = format == "csv";
  options.header_lines = csv ? 1 : 0;

#ifndef NDEBUG
  std::fprintf(stderr,
               "WARNING: built with assertions on; rates are not "
               "representative\n");
#endif

  const std::string ext = csv ? ".csv" : ".jsonl";
  OutFile subjects(out_dir + "/subjects" + ext);
  OutFile records(out_dir + "/records" + ext);
  OutFile truth(out_dir + "/truth.jsonl");
  OutFile variants(out_dir + "/name_variants.jsonl");
  if (csv) {
    subjects.buf() += kSubjectCsvHeader;
    records.buf() += kRecordCsvHeader;
  }

  const auto start = std::chrono::steady_clock::now();
  DataGenerator gen(options);
  while (const Emission* e = gen.Next()) {
    if (e->has_subject) {
      if (csv) {
        AppendSubjectCsv(e->subject, e->has_id, subjects.buf());
      } else {
        AppendSubjectJson(e->subject, e->has_id, subjects.buf());
      }
    }
    for (const Record& r : e->records) {
      if (csv) {
        AppendRecordCsv(r, records.buf());
      } else {
        AppendRecordJson(r, records.buf());
      }
    }
    for (const Fault& f : e->faults) AppendFaultJson(f, truth.buf());
    for (const NameVariant& v : e->variants) {
      AppendVariantJson(v, variants.buf());
    }
    subjects.MaybeFlush();
    records.MaybeFlush();
    truth.MaybeFlush();
    variants.MaybeFlush();
  }
  subjects.Close();
  records.Close();
  truth.Close();
  variants.Close();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();

  const DatagenStats& s = gen.stats();
  std::printf("creditd-datagen: seed %llu, %llu base subjects -> %s (%s)\n",
              static_cast<unsigned long long>(options.seed),
              static_cast<unsigned long long>(options.subjects),
              out_dir.c_str(), format.c_str());
  std::printf("  subject lines %llu, record lines %llu, name variants %llu\n",
              static_cast<unsigned long long>(s.subject_lines),
              static_cast<unsigned long long>(s.record_lines),
              static_cast<unsigned long long>(s.variants));
  std::printf("  kinds:");
  for (int k = 0; k <= static_cast<int>(SubjectKind::kOther); ++k) {
    std::printf(
        " %s=%llu",
        std::string(SubjectKindName(static_cast<SubjectKind>(k))).c_str(),
        static_cast<unsigned long long>(s.by_kind[k]));
  }
  std::printf("\n  status:");
  for (int k = 0; k < 4; ++k) {
    std::printf(
        " %s=%llu",
        std::string(SubjectStatusName(static_cast<SubjectStatus>(k))).c_str(),
        static_cast<unsigned long long>(s.by_status[k]));
  }
  std::printf("\n  lists:");
  for (size_t k = 0; k < std::size(kBuiltinLists); ++k) {
    std::printf(" %s=%llu", std::string(kBuiltinLists[k]).c_str(),
                static_cast<unsigned long long>(s.by_list[k]));
  }
  std::printf("\n  truth:");
  for (int k = 0; k < static_cast<int>(FaultKind::kCount); ++k) {
    std::printf(" %s=%llu",
                std::string(FaultKindName(static_cast<FaultKind>(k))).c_str(),
                static_cast<unsigned long long>(s.by_fault[k]));
  }
  std::printf("\n  variants:");
  for (int k = 0; k < static_cast<int>(VariantKind::kCount); ++k) {
    std::printf(
        " %s=%llu",
        std::string(VariantKindName(static_cast<VariantKind>(k))).c_str(),
        static_cast<unsigned long long>(s.by_variant[k]));
  }
  std::printf(
      "\n  %.2f s, %.0f subjects/s\n", seconds,
      seconds > 0 ? static_cast<double>(options.subjects) / seconds : 0.0);
  return 0;
}

}  // namespace
}  // namespace creditd::datagen

int main(int argc, char** argv) { return creditd::datagen::Main(argc, argv); }
