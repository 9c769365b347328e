#include "client/load_command.h"

#include "index/display.h"
#include "index/ingest.h"
#include "index/regions.h"
#include "index/registry.h"
#include "index/uscc.h"

#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include <unistd.h>

#include <map>

namespace creditd {
namespace {

constexpr char kLoadUsage[] =
    "usage: creditctl load --data DIR [options] FILE...\n"
    "  Loads subjects and credit records (JSONL or CSV, docs/data-formats.md) "
    "into the\n"
    "  database under DIR, creating it if needed. '-' reads standard input "
    "(JSONL).\n"
    "options:\n"
    "  --format auto|jsonl|csv     input format (auto: .csv is CSV, else "
    "JSONL)\n"
    "  --kind auto|subjects|records  what the lines are (auto: by 'list' key / "
    "column)\n"
    "  --encoding utf8|gbk         input encoding (default utf8, BOM allowed)\n"
    "  --lists a,b,...             lists records may name (default: the "
    "built-in lists)\n"
    "  --rejects FILE              write every rejected line as JSONL "
    "{file,line,field,reason}\n"
    "  --batch N                   lines per commit (default 10000)\n"
    "  --quiet                     no progress line\n"
    "Exit status: 0 all loaded, 1 some lines rejected (the rest loaded), 2 "
    "usage or fatal.\n";

constexpr char kStatsUsage[] =
    "usage: creditctl stats --data DIR [--format text|json]\n"
    "  Counts subjects by kind, status and province, records by list, and "
    "codes by fault.\n";

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace

int RunLoadCommand(const std::vector<std::string>& args, FILE* out, FILE* err) {
  std::string data_dir, rejects_path;
  std::vector<std::string> files;
  IngestOptions options;
  bool quiet = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* v) {
      if (i + 1 >= args.size()) return false;
      *v = args[++i];
      return true;
    };
    std::string v;
    if (a == "--help" || a == "-h") {
      std::fputs(kLoadUsage, out);
      return 0;
    } else if (a == "--quiet") {
      quiet = true;
    } else if (a == "--data") {
      if (!value(&data_dir)) break;
    } else if (a == "--rejects") {
      if (!value(&rejects_path)) break;
    } else if (a == "--format" && value(&v)) {
      if (v == "auto") {
        options.format = InputFormat::kAuto;
      } else if (v == "jsonl") {
        options.format = InputFormat::kJsonl;
      } else if (v == "csv") {
        options.format = InputFormat::kCsv;
      } else {
        std::fprintf(err,
                     "creditctl load: --format: unknown format '%s' (auto, "
                     "jsonl, csv)\n",
                     EscapeForDisplay(v, 32).c_str());
        return 2;
      }
    } else if (a == "--kind" && value(&v)) {
      if (v == "auto") {
        options.kind = LineKind::kAuto;
      } else if (v == "subjects") {
        options.kind = LineKind::kSubject;
      } else if (v == "records") {
        options.kind = LineKind::kRecord;
      } else {
        std::fprintf(err,
                     "creditctl load: --kind: unknown kind '%s' (auto, "
                     "subjects, records)\n",
                     EscapeForDisplay(v, 32).c_str());
        return 2;
      }
    } else if (a == "--encoding" && value(&v)) {
      if (v == "utf8" || v == "utf-8") {
        options.encoding = InputEncoding::kUtf8;
      } else if (v == "gbk" || v == "gb18030") {
        options.encoding = InputEncoding::kGbk;
      } else {
        std::fprintf(
            err,
            "creditctl load: --encoding: unknown encoding '%s' (utf8, gbk)\n",
            EscapeForDisplay(v, 32).c_str());
        return 2;
      }
    } else if (a == "--lists" && value(&v)) {
      options.lists = SplitComma(v);
    } else if (a == "--batch" && value(&v)) {
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (end == v.c_str() || *end != '\0' || n < 1 || n > 1000000) {
        std::fprintf(
            err,
            "creditctl load: --batch: '%s' is not a number in 1..1000000\n",
            EscapeForDisplay(v, 32).c_str());
        return 2;
      }
      options.batch_size = static_cast<size_t>(n);
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      std::fprintf(err,
                   "creditctl load: unknown option or missing value '%s'\n%s",
                   EscapeForDisplay(a, 32).c_str(), kLoadUsage);
      return 2;
    } else {
      files.push_back(a);
    }
  }
  if (data_dir.empty() || files.empty()) {
    std::fprintf(
        err,
        "creditctl load: --data DIR and at least one FILE are required\n%s",
        kLoadUsage);
    return 2;
  }

  auto sink = BulkLoadSink::Open(data_dir);
  if (!sink.ok()) {
    std::fprintf(err, "creditctl load: %s\n",
                 std::string(sink.status().message()).c_str());
    return 2;
  }
  FILE* rejects = nullptr;
  if (!rejects_path.empty()) {
    rejects = std::fopen(rejects_path.c_str(), "w");
    if (rejects == nullptr) {
      std::fprintf(err, "creditctl load: --rejects %s: %s\n",
                   rejects_path.c_str(), std::strerror(errno));
      return 2;
    }
  }
  Ingestor ingestor(options,
                    [&](const WriteBatch& b) { return (*sink)->Apply(b); });
  ingestor.set_known_code_fn(
      [&](uint64_t h) { return (*sink)->HasSubjectCode(h); });
  uint64_t shown_rejections = 0;
  ingestor.set_reject_fn([&](const Rejection& r) {
    if (rejects != nullptr) {
      nlohmann::json j = {{"file", r.file},
                          {"line", r.line},
                          {"field", r.field},
                          {"reason", r.reason}};
      std::fprintf(
          rejects, "%s\n",
          j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
              .c_str());
    }
    // The first few on the terminal; all of them in --rejects.
    if (++shown_rejections <= 20) {
      std::fprintf(err, "%s:%llu: %s: %s\n", r.file.c_str(),
                   static_cast<unsigned long long>(r.line),
                   EscapeForDisplay(r.field, 64).c_str(),
                   EscapeForDisplay(r.reason, 300).c_str());
    } else if (shown_rejections == 21) {
      std::fprintf(err, "(more rejections%s)\n",
                   rejects != nullptr ? " in --rejects"
                                      : "; use --rejects FILE for all");
    }
  });
  const bool progress = !quiet && isatty(STDERR_FILENO);
  if (progress) {
    ingestor.set_progress_fn([&](const IngestSummary& s) {
      std::fprintf(
          err, "\r%llu rows, %.0f rows/s, %llu bad   ",
          static_cast<unsigned long long>(s.lines),
          s.seconds > 0 ? static_cast<double>(s.lines) / s.seconds : 0.0,
          static_cast<unsigned long long>(s.rejected));
      std::fflush(err);
    });
  }
  int status = 0;
  for (const std::string& file : files) {
    absl::Status st = ingestor.LoadFile(file);
    if (!st.ok()) {
      if (progress) std::fputc('\n', err);
      std::fprintf(err, "creditctl load: %s\n",
                   std::string(st.message()).c_str());
      status = 2;
      break;
    }
  }
  if (progress) std::fputc('\n', err);
  if (rejects != nullptr) std::fclose(rejects);
  std::fputs(ingestor.summary().ToString().c_str(), out);
  if (status == 0 && ingestor.summary().rejected > 0) status = 1;
  return status;
}

int RunStatsCommand(const std::vector<std::string>& args, FILE* out,
                    FILE* err) {
  std::string data_dir;
  bool json = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::fputs(kStatsUsage, out);
      return 0;
    } else if (args[i] == "--data" && i + 1 < args.size()) {
      data_dir = args[++i];
    } else if (args[i] == "--format" && i + 1 < args.size()) {
      const std::string& f = args[++i];
      if (f != "json" && f != "text") {
        std::fprintf(
            err, "creditctl stats: --format: unknown format (text, json)\n");
        return 2;
      }
      json = f == "json";
    } else {
      std::fprintf(err, "creditctl stats: unknown option '%s'\n%s",
                   EscapeForDisplay(args[i], 32).c_str(), kStatsUsage);
      return 2;
    }
  }
  if (data_dir.empty()) {
    std::fprintf(err, "creditctl stats: --data DIR is required\n%s",
                 kStatsUsage);
    return 2;
  }
  auto reg = LoadRegistryReadOnly(data_dir);
  if (!reg.ok()) {
    std::fprintf(err, "creditctl stats: %s\n",
                 std::string(reg.status().message()).c_str());
    return 2;
  }
  const Registry& r = **reg;
  std::map<std::string, uint64_t> by_kind, by_status, by_province, by_list,
      by_fault;
  uint64_t duplicated_codes = 0;
  r.ForEachSubject([&](const Subject& s) {
    ++by_kind[std::string(SubjectKindName(KindOfCode(s.code)))];
    ++by_status[std::string(SubjectStatusName(s.status))];
    const RegionInfo info = RegionTable::Default().Lookup(
        s.region.size() == 6 ? s.region.substr(0, 2) + "0000"
                             : std::string("------"));
    ++by_province[info.province.empty()
                      ? std::string(RegionStatusName(info.status))
                      : std::string(info.province)];
    const UsccResult v = ValidateUscc(s.code);
    ++by_fault[v.ok() ? "valid" : std::string(UsccFaultName(v.fault()))];
  });
  std::map<std::string, uint64_t> per_code;
  r.ForEachSubject([&](const Subject& s) {
    if (r.CountByCode(s.code) > 1) ++per_code[s.code];
  });
  duplicated_codes = per_code.size();
  r.ForEachRecord([&](const Record& rec) { ++by_list[rec.list]; });

  if (json) {
    nlohmann::json j = {{"data_version", r.version()},
                        {"subjects", r.subject_count()},
                        {"records", r.record_count()},
                        {"codes_carried_by_several_subjects", duplicated_codes},
                        {"by_kind", by_kind},
                        {"by_status", by_status},
                        {"by_province", by_province},
                        {"by_list", by_list},
                        {"codes", by_fault}};
    std::fprintf(out, "%s\n", j.dump(2).c_str());
    return 0;
  }
  std::fprintf(out, "data version %llu\nsubjects %zu\nrecords %zu\n",
               static_cast<unsigned long long>(r.version()), r.subject_count(),
               r.record_count());
  std::fprintf(out, "codes carried by several subjects (重码) %llu\n",
               static_cast<unsigned long long>(duplicated_codes));
  auto section = [&](const char* title,
                     const std::map<std::string, uint64_t>& m) {
    std::fprintf(out, "%s:\n", title);
    for (const auto& [k, n] : m) {
      std::fprintf(out, "  %-28s %llu\n", k.c_str(),
                   static_cast<unsigned long long>(n));
    }
  };
  section("by kind", by_kind);
  section("by status", by_status);
  section("by province", by_province);
  section("records by list", by_list);
  section("codes", by_fault);
  return 0;
}

}  // namespace creditd
