#include "client/audit_command.h"

#include "absl/strings/numbers.h"
#include "check/audit_log.h"

#include <string_view>

namespace creditd {
namespace {

constexpr char kUsage[] =
    "usage: creditctl audit verify --dir DIR [--anchor SEQ:SHA256]\n"
    "  Checks the hash chain of the audit log in DIR, across rotated files.\n"
    "  --anchor SEQ:SHA256  a head recorded earlier (the 'head seq N sha256 "
    "H'\n"
    "                       of a previous run): also detects entries cut from "
    "the end\n"
    "  exit status: 0 the chain is sound, 1 it is broken (the first broken\n"
    "  entry is named: file, line, receipt, kind, reason), 2 usage or I/O "
    "error\n";

bool IsHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

int RunAuditCommand(const std::vector<std::string>& args, FILE* out,
                    FILE* err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUsage, args.empty() ? err : out);
    return args.empty() ? 2 : 0;
  }
  if (args[0] != "verify") {
    std::fprintf(err, "creditctl audit: unknown subcommand '%.64s'\n%s",
                 args[0].c_str(), kUsage);
    return 2;
  }
  std::string dir;
  AuditVerifyOptions options;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, out);
      return 0;
    }
    if ((a == "--dir" || a == "--anchor") && i + 1 >= args.size()) {
      std::fprintf(err, "creditctl audit verify: %s needs a value\n%s",
                   a.c_str(), kUsage);
      return 2;
    }
    if (a == "--dir") {
      dir = args[++i];
    } else if (a == "--anchor") {
      const std::string& v = args[++i];
      const size_t colon = v.find(':');
      AuditHead head;
      if (colon == std::string::npos ||
          !absl::SimpleAtoi(v.substr(0, colon), &head.seq) || head.seq == 0 ||
          !IsHex64(std::string_view(v).substr(colon + 1))) {
        std::fprintf(err,
                     "creditctl audit verify: --anchor: '%.100s' is not "
                     "SEQ:SHA256 (seq >= 1, 64 lowercase hex digits)\n",
                     v.c_str());
        return 2;
      }
      head.sha256 = v.substr(colon + 1);
      options.anchor = head;
    } else {
      std::fprintf(err, "creditctl audit verify: unknown option '%.64s'\n%s",
                   a.c_str(), kUsage);
      return 2;
    }
  }
  if (dir.empty()) {
    std::fprintf(err, "creditctl audit verify: --dir is required\n%s", kUsage);
    return 2;
  }
  absl::StatusOr<AuditVerifyResult> r = VerifyAuditDir(dir, options);
  if (!r.ok()) {
    std::fprintf(err, "creditctl audit verify: %s\n",
                 std::string(r.status().message()).c_str());
    return 2;
  }
  if (r->broken) {
    std::fprintf(out, "broken: %s\n", r->broken->ToString().c_str());
    std::fprintf(out,
                 "checked before the break: %zu files, %llu entries, last "
                 "good seq %llu\n",
                 r->report.files,
                 static_cast<unsigned long long>(r->report.entries),
                 static_cast<unsigned long long>(r->report.head.seq));
    return 1;
  }
  const AuditVerifyReport& rep = r->report;
  std::fprintf(out, "ok: %zu files, %llu entries, head seq %llu sha256 %s",
               rep.files, static_cast<unsigned long long>(rep.entries),
               static_cast<unsigned long long>(rep.head.seq),
               rep.head.sha256.c_str());
  if (!rep.head.file.empty()) std::fprintf(out, " (%s)", rep.head.file.c_str());
  std::fputc('\n', out);
  if (!rep.first_file.empty()) {
    std::fprintf(out,
                 "note: older files are absent (retention); the chain was "
                 "checked from %s, seq %llu\n",
                 rep.first_file.c_str(),
                 static_cast<unsigned long long>(rep.first_seq));
  }
  return 0;
}

}  // namespace creditd
