#include "client/validate_command.h"

#include "index/display.h"
#include "index/line_reader.h"
#include "index/regions.h"
#include "index/uscc.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace creditd {
namespace {

// A line longer than this cannot be a code; it is reported, not read whole.
constexpr size_t kMaxLineBytes = 4096;

constexpr char kUsage[] =
    "usage: creditctl validate [--format tsv|jsonl] [--header] [--file PATH|-] "
    "[CODE...]\n"
    "  Validates Unified Social Credit Codes (GB 32100-2015): one output line "
    "per code.\n"
    "  Codes come from the arguments, from --file (one per line; '-' is "
    "standard input),\n"
    "  or from standard input when neither is given.\n"
    "  TSV columns: input status fault canonical folds warnings region detail\n"
    "  Exit status: 0 all valid, 1 any invalid, 2 usage error.\n";

enum class Format { kTsv, kJsonl };

std::vector<std::string> Split(const std::string& csv) {
  std::vector<std::string> out;
  if (csv.empty()) return out;
  size_t start = 0;
  while (true) {
    const size_t comma = csv.find(',', start);
    out.push_back(csv.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

class Printer {
 public:
  Printer(Format format, FILE* out) : format_(format), out_(out) {}

  void Header() {
    if (format_ == Format::kTsv) {
      std::fputs(
          "input\tstatus\tfault\tcanonical\tfolds\twarnings\tregion\tdetail\n",
          out_);
    }
  }

  // Prints the result for one input; `line_bytes` > kMaxLineBytes marks an
  // over-long line.
  bool Print(uint64_t line, const std::string& input, uint64_t line_bytes) {
    const bool too_long = line_bytes > kMaxLineBytes;
    const UsccResult r = ValidateUscc(input);
    std::string fault(too_long ? "wrong_length" : UsccFaultName(r.fault()));
    std::string detail =
        too_long
            ? absl::StrCat("wrong length: line of ", line_bytes,
                           " bytes, far beyond the 18 characters of a code")
            : (r.ok() ? std::string() : r.Describe());
    const bool valid = !too_long && r.ok();
    std::string canonical(r.fault() == UsccFault::kNotUtf8 ? std::string_view()
                                                           : r.canonical());
    std::string region_name, region_code, region_status;
    if (r.fault() != UsccFault::kNotUtf8 &&
        r.canonical().size() == kUsccLength) {
      region_code = std::string(r.canonical().substr(2, 6));
      const RegionInfo info = RegionTable::Default().Lookup(region_code);
      region_status = std::string(RegionStatusName(info.status));
      region_name = info.FullName();
    }
    if (valid && (r.warnings() & kWarnRegionNotCurrent)) {
      detail = absl::StrCat(
          "region ", region_code,
          " is not in the current GB/T 2260 table (retired or unknown division "
          "of ",
          region_name, ")");
    } else if (valid && (r.warnings() & kWarnUnknownRegion)) {
      detail = absl::StrCat("region ", region_code, " names no known province");
    }
    if (format_ == Format::kTsv) {
      std::string row = absl::StrCat(
          EscapeForDisplay(input, 80), "\t", valid ? "valid" : "invalid", "\t",
          valid ? "" : fault, "\t", EscapeForDisplay(canonical, 80), "\t",
          FoldNames(r.folds()), "\t", WarningNames(r.warnings()), "\t",
          EscapeForDisplay(region_name), "\t", EscapeForDisplay(detail, 512),
          "\n");
      std::fputs(row.c_str(), out_);
    } else {
      nlohmann::json j;
      j["line"] = line;
      j["input"] = EscapeForDisplay(input, 80);
      j["status"] = valid ? "valid" : "invalid";
      j["fault"] = valid ? nlohmann::json(nullptr) : nlohmann::json(fault);
      j["detail"] = detail;
      j["canonical"] = EscapeForDisplay(canonical, 80);
      j["folds"] = Split(FoldNames(r.folds()));
      j["warnings"] = Split(WarningNames(r.warnings()));
      if (!region_code.empty()) {
        j["region"] = {{"code", region_code},
                       {"status", region_status},
                       {"name", region_name}};
        const std::string_view type =
            AuthorityTypeName(r.canonical()[0], r.canonical()[1]);
        if (!type.empty()) {
          j["authority"] = AuthorityName(r.canonical()[0]);
          j["type"] = type;
        }
      }
      if (r.known_legacy_exception()) j["known_legacy_exception"] = true;
      std::string text =
          j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      text.push_back('\n');
      std::fputs(text.c_str(), out_);
    }
    return valid;
  }

 private:
  Format format_;
  FILE* out_;
};

}  // namespace

int RunValidateCommand(const std::vector<std::string>& args, FILE* out,
                       FILE* err) {
  Format format = Format::kTsv;
  bool header = false;
  std::string file;
  std::vector<std::string> codes;
  bool only_codes = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (only_codes || a.empty() || a[0] != '-' || a == "-") {
      if (a == "-" && !only_codes) {
        file = "-";
      } else {
        codes.push_back(a);
      }
    } else if (a == "--") {
      only_codes = true;
    } else if (a == "--help" || a == "-h") {
      std::fputs(kUsage, out);
      return 0;
    } else if (a == "--header") {
      header = true;
    } else if (a == "--format" || a == "--file") {
      if (i + 1 >= args.size()) {
        std::fprintf(err, "creditctl validate: %s needs a value\n%s", a.c_str(),
                     kUsage);
        return 2;
      }
      const std::string& v = args[++i];
      if (a == "--file") {
        file = v;
      } else if (v == "tsv") {
        format = Format::kTsv;
      } else if (v == "jsonl" || v == "json") {
        format = Format::kJsonl;
      } else {
        std::fprintf(err,
                     "creditctl validate: --format: unknown format '%s' (tsv "
                     "or jsonl)\n",
                     EscapeForDisplay(v, 32).c_str());
        return 2;
      }
    } else {
      std::fprintf(err, "creditctl validate: unknown option '%s'\n%s",
                   EscapeForDisplay(a, 32).c_str(), kUsage);
      return 2;
    }
  }
  if (!file.empty() && !codes.empty()) {
    std::fprintf(
        err,
        "creditctl validate: give codes as arguments or --file, not both\n");
    return 2;
  }

  Printer printer(format, out);
  if (header) printer.Header();
  bool all_valid = true;
  if (!codes.empty()) {
    uint64_t n = 0;
    for (const std::string& code : codes) {
      all_valid &= printer.Print(++n, code, code.size());
    }
    return all_valid ? 0 : 1;
  }

  int fd = STDIN_FILENO;
  if (!file.empty() && file != "-") {
    fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::fprintf(err, "creditctl validate: --file %s: %s\n",
                   EscapeForDisplay(file, 256).c_str(), std::strerror(errno));
      return 2;
    }
  }
  LineReader reader(fd, kMaxLineBytes);
  std::string line;
  while (reader.Next(&line)) {
    all_valid &= printer.Print(reader.line_number(), line, reader.full_bytes());
  }
  if (fd != STDIN_FILENO) ::close(fd);
  if (!reader.status().ok()) {
    std::fprintf(err, "creditctl validate: %s\n",
                 reader.status().ToString().c_str());
    return 2;
  }
  return all_valid ? 0 : 1;
}

}  // namespace creditd
