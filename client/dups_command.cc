#include "client/dups_command.h"

#include "client/dups_report.h"
#include "index/display.h"
#include "index/duplicates.h"
#include "index/registry.h"
#include "matcher/name_duplicates.h"

#include "absl/strings/str_format.h"
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>

namespace creditd {
namespace {

constexpr char kUsage[] =
    "usage: creditctl dups --data DIR [options]\n"
    "  Duplicate and erroneous codes (重错码): every offending code with "
    "kind,\n"
    "  reason, subjects and sources, and the rate per region and authority.\n"
    "options:\n"
    "  --format csv|json|html  output format (default csv)\n"
    "  --table findings|rates  for csv: the findings (default) or the rates\n"
    "  --region PREFIX         only divisions whose 6 digits start with "
    "PREFIX\n"
    "  --kind K                only findings of kind K (duplicate_code,\n"
    "                          multi_code, erroneous_code, legacy_mismatch,\n"
    "                          repeated_subject, repeated_record)\n"
    "  --bar RATE              flag rates above RATE (default 0.0001)\n"
    "  --out FILE              write the report to FILE (default stdout)\n"
    "  --quiet                 no progress line\n"
    "Exit status: 0 every rate shown within the bar, 1 some over the bar,\n"
    "2 usage or fatal. Counting rules: docs/duplicates.md.\n"
    "A running daemon's report: creditctl dups --connect HOST:PORT\n"
    "[--token-file FILE] [--region PREFIX] [--limit N] (JSON; see\n"
    "creditctl ping --help).\n";

}  // namespace

int RunDupsCommand(const std::vector<std::string>& args, FILE* out, FILE* err) {
  std::string data_dir, format = "csv", table = "findings", out_path;
  DupsFilter filter;
  ScanOptions options;
  bool quiet = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, out);
      return 0;
    } else if (a == "--quiet") {
      quiet = true;
    } else if (a == "--data" && has_value) {
      data_dir = args[++i];
    } else if (a == "--format" && has_value) {
      format = args[++i];
      if (format != "csv" && format != "json" && format != "html") {
        std::fprintf(err,
                     "creditctl dups: --format: unknown format '%s' (csv, "
                     "json, html)\n",
                     EscapeForDisplay(format, 32).c_str());
        return 2;
      }
    } else if (a == "--table" && has_value) {
      table = args[++i];
      if (table != "findings" && table != "rates") {
        std::fprintf(err,
                     "creditctl dups: --table: unknown table '%s' (findings, "
                     "rates)\n",
                     EscapeForDisplay(table, 32).c_str());
        return 2;
      }
    } else if (a == "--region" && has_value) {
      filter.region_prefix = args[++i];
      if (filter.region_prefix.empty() || filter.region_prefix.size() > 6 ||
          filter.region_prefix.find_first_not_of("0123456789") !=
              std::string::npos) {
        std::fprintf(err,
                     "creditctl dups: --region: '%s' is not 1-6 digits of a "
                     "division code\n",
                     EscapeForDisplay(filter.region_prefix, 32).c_str());
        return 2;
      }
    } else if (a == "--kind" && has_value) {
      const std::string& k = args[++i];
      filter.kind = ParseDupKind(k);
      if (!filter.kind) {
        std::fprintf(
            err,
            "creditctl dups: --kind: unknown kind '%s' (duplicate_code, "
            "multi_code, erroneous_code, legacy_mismatch, "
            "repeated_subject, repeated_record)\n",
            EscapeForDisplay(k, 32).c_str());
        return 2;
      }
    } else if (a == "--bar" && has_value) {
      const std::string& v = args[++i];
      char* end = nullptr;
      const double bar = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0' || !(bar >= 0 && bar <= 1)) {
        std::fprintf(err,
                     "creditctl dups: --bar: '%s' is not a rate in 0..1 "
                     "(e.g. 0.0001)\n",
                     EscapeForDisplay(v, 32).c_str());
        return 2;
      }
      options.bar = bar;
    } else if (a == "--out" && has_value) {
      out_path = args[++i];
    } else {
      std::fprintf(err,
                   "creditctl dups: unknown option or missing value '%s'\n%s",
                   EscapeForDisplay(a, 32).c_str(), kUsage);
      return 2;
    }
  }
  if (data_dir.empty()) {
    std::fprintf(err, "creditctl dups: --data DIR is required\n%s", kUsage);
    return 2;
  }

  // The progress line goes to a terminal only, rewritten in place.
  const bool progress = !quiet && isatty(fileno(err));
  if (progress) std::fputs("loading registry...\r", err);
  auto registry = LoadRegistryReadOnly(data_dir);
  if (!registry.ok()) {
    std::fprintf(err, "creditctl dups: %s\n",
                 EscapeForDisplay(registry.status().ToString(), 256).c_str());
    return 2;
  }
  if (progress) {
    options.progress = [err](std::string_view phase, uint64_t done,
                             uint64_t total) {
      std::fprintf(err, "\r%-8s %12llu / %llu   ", std::string(phase).c_str(),
                   static_cast<unsigned long long>(done),
                   static_cast<unsigned long long>(total));
      std::fflush(err);
    };
  }
  const DupReport report = ScanDuplicatesWithNames(**registry, options);
  if (progress) std::fputs("\r\033[K", err);

  std::string text;
  if (format == "json") {
    text = RenderDupsJson(report, filter);
  } else if (format == "html") {
    text = RenderDupsHtml(report, filter);
  } else if (table == "rates") {
    text = RenderDupsRatesCsv(report, filter);
  } else {
    text = RenderDupsCsv(report, filter);
  }
  if (out_path.empty()) {
    std::fwrite(text.data(), 1, text.size(), out);
  } else {
    std::ofstream f(out_path, std::ios::binary | std::ios::trunc);
    f.write(text.data(), static_cast<std::streamsize>(text.size()));
    f.close();
    if (!f) {
      std::fprintf(err, "creditctl dups: --out: cannot write '%s'\n",
                   EscapeForDisplay(out_path, 128).c_str());
      return 2;
    }
  }

  bool over = false;
  for (const RegionRate& r : report.regions) {
    if (r.over_bar && RegionMatches(r, filter)) over = true;
  }
  if (filter.region_prefix.empty() && report.total.rate() > report.bar) {
    over = true;
  }
  if (!quiet) {
    size_t shown = 0;
    for (const DupFinding& f : report.findings) {
      if (FindingMatches(f, filter)) ++shown;
    }
    std::fprintf(err,
                 "dups: %llu subjects, %llu codes, %llu flagged (rate %.6f, "
                 "bar %.6f), %zu findings shown, %.2f s\n",
                 static_cast<unsigned long long>(report.stats.subjects),
                 static_cast<unsigned long long>(report.total.codes),
                 static_cast<unsigned long long>(report.total.flagged),
                 report.total.rate(), report.bar, shown, report.stats.seconds);
  }
  return over ? 1 : 0;
}

}  // namespace creditd
