#include "client/match_command.h"

#include "index/display.h"
#include "index/registry.h"
#include "matcher/name_matcher.h"

#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

#include <cstring>
#include <memory>
#include <string_view>
#include <utility>

namespace creditd {
namespace {

constexpr char kMatchUsage[] =
    "usage: creditctl match --data DIR [options] NAME...\n"
    "       creditctl match --data DIR [options] --file FILE\n"
    "  Finds registered subjects by company name (fuzzy: typos, homophones,\n"
    "  traditional characters, full-width forms, region moved or dropped,\n"
    "  organisation-form variants), with a score in [0, 1] and an "
    "explanation.\n"
    "options:\n"
    "  --file FILE            one name per line ('-' reads standard input); "
    "blank\n"
    "                         lines are skipped\n"
    "  --top K                candidates per name, 1..100 (default 10)\n"
    "  --region PREFIX        only subjects whose registered region starts "
    "with\n"
    "                         these 1-6 digits (35, 3501, 350102)\n"
    "  --min-score S          drop candidates scoring below S (default 0)\n"
    "  --format table|jsonl   output (default table); jsonl is one object per "
    "name\n"
    "Exit status: 0 every name matched (no candidates counts), 1 some names "
    "refused\n"
    "(empty, too long, invalid UTF-8), 2 usage or fatal.\n";

// Lines longer than this in --file are refused without being read into
// memory whole (the matcher itself refuses names over 1024 bytes).
constexpr size_t kMaxLineBytes = 64 * 1024;

struct Subjects {
  std::vector<std::string> ids;
  std::vector<std::string> codes;
  std::vector<std::string> names;
  std::unique_ptr<const NameIndex> index;
};

std::string Utf8Safe(std::string_view s, size_t max_bytes = 256) {
  return EscapeForDisplay(s, max_bytes);
}

nlohmann::json CandidateJson(const Candidate& c, size_t rank,
                             const Subjects& s) {
  nlohmann::json parts = nlohmann::json::array();
  for (const PartComparison& p : c.explanation.parts) {
    parts.push_back({{"part", p.part},
                     {"verdict", std::string(PartVerdictName(p.verdict))},
                     {"a", p.a},
                     {"b", p.b},
                     {"detail", p.detail},
                     {"factor", p.factor}});
  }
  return {{"rank", rank},
          {"id", s.ids[c.id]},
          {"code", s.codes[c.id]},
          {"name", s.names[c.id]},
          {"matched_name", c.matched_name},
          {"via_former_name", c.via_former_name},
          {"score", static_cast<double>(static_cast<int>(c.score * 1e4)) / 1e4},
          {"same_subject_likely", c.same_subject_likely},
          {"explanation", c.explanation.ToString()},
          {"parts", std::move(parts)}};
}

// Matches one name and prints it. Returns false when the matcher refused it.
bool MatchOne(std::string_view query, const Subjects& s,
              const MatchOptions& options, bool jsonl, FILE* out) {
  absl::StatusOr<std::vector<Candidate>> r = s.index->Match(query, options);
  if (jsonl) {
    nlohmann::json line = {{"query", std::string(query)}};
    if (!r.ok()) {
      line["error"] = std::string(r.status().message());
    } else {
      nlohmann::json cands = nlohmann::json::array();
      for (size_t i = 0; i < r->size(); ++i) {
        cands.push_back(CandidateJson((*r)[i], i + 1, s));
      }
      line["candidates"] = std::move(cands);
    }
    // The query may be invalid UTF-8 (that is why it was refused): replace
    // bad bytes rather than throw.
    std::fprintf(
        out, "%s\n",
        line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
            .c_str());
    return r.ok();
  }
  std::fprintf(out, "query: %s\n", Utf8Safe(query).c_str());
  if (!r.ok()) {
    std::fprintf(out, "  error: %s\n\n",
                 Utf8Safe(std::string(r.status().message()), 512).c_str());
    return false;
  }
  if (r->empty()) {
    std::fprintf(out, "  (no candidates)\n\n");
    return true;
  }
  std::fprintf(out, "  %4s  %5s  %-6s  %-18s  %s\n", "rank", "score", "likely",
               "code", "registered name / explanation");
  for (size_t i = 0; i < r->size(); ++i) {
    const Candidate& c = (*r)[i];
    std::fprintf(
        out, "  %4zu  %5.3f  %-6s  %-18s  %s%s\n", i + 1, c.score,
        c.same_subject_likely ? "yes" : "no",
        Utf8Safe(s.codes[c.id], 32).c_str(), Utf8Safe(s.names[c.id]).c_str(),
        c.via_former_name
            ? absl::StrFormat(" (former name %s)", Utf8Safe(c.matched_name))
                  .c_str()
            : "");
    std::fprintf(out, "  %4s  %5s  %-6s  %-18s    %s\n", "", "", "", "",
                 Utf8Safe(c.explanation.ToString(), 1024).c_str());
  }
  std::fprintf(out, "\n");
  return true;
}

bool IsDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

int RunMatchCommand(const std::vector<std::string>& args, FILE* out,
                    FILE* err) {
  std::string data_dir, file;
  std::vector<std::string> names;
  MatchOptions options;
  bool jsonl = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--help" || a == "-h") {
      std::fputs(kMatchUsage, out);
      return 0;
    } else if (a == "--data" && has_value) {
      data_dir = args[++i];
    } else if (a == "--file" && has_value) {
      file = args[++i];
    } else if (a == "--top" && has_value) {
      const std::string& v = args[++i];
      const long k = v.size() <= 3 && IsDigits(v) && !v.empty()
                         ? std::strtol(v.c_str(), nullptr, 10)
                         : 0;
      if (k < 1 || k > static_cast<long>(MatchOptions::kMaxTopK)) {
        std::fprintf(err, "creditctl match: --top: '%s' not in 1..%zu\n",
                     Utf8Safe(v, 16).c_str(), MatchOptions::kMaxTopK);
        return 2;
      }
      options.top_k = static_cast<size_t>(k);
    } else if (a == "--region" && has_value) {
      const std::string& v = args[++i];
      if (v.empty() || v.size() > 6 || !IsDigits(v)) {
        std::fprintf(err, "creditctl match: --region: '%s' is not 1-6 digits\n",
                     Utf8Safe(v, 16).c_str());
        return 2;
      }
      options.region_prefix = v;
    } else if (a == "--min-score" && has_value) {
      const std::string& v = args[++i];
      char* end = nullptr;
      const double d = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0' || !(d >= 0.0 && d <= 1.0)) {
        std::fprintf(err, "creditctl match: --min-score: '%s' not in [0, 1]\n",
                     Utf8Safe(v, 16).c_str());
        return 2;
      }
      options.min_score = d;
    } else if (a == "--format" && has_value) {
      const std::string& v = args[++i];
      if (v != "table" && v != "jsonl") {
        std::fprintf(err,
                     "creditctl match: --format: '%s' unknown (table, "
                     "jsonl)\n",
                     Utf8Safe(v, 16).c_str());
        return 2;
      }
      jsonl = v == "jsonl";
    } else if (a.size() > 1 && a[0] == '-' && a[1] == '-') {
      std::fprintf(err,
                   "creditctl match: unknown option or missing value "
                   "'%s'\n%s",
                   Utf8Safe(a, 32).c_str(), kMatchUsage);
      return 2;
    } else {
      names.push_back(a);
    }
  }
  if (data_dir.empty()) {
    std::fprintf(err, "creditctl match: --data DIR is required\n%s",
                 kMatchUsage);
    return 2;
  }
  if (names.empty() == file.empty()) {
    std::fprintf(err,
                 "creditctl match: give either names as arguments or --file "
                 "FILE\n%s",
                 kMatchUsage);
    return 2;
  }

  FILE* in = nullptr;
  if (!file.empty()) {
    in = file == "-" ? stdin : std::fopen(file.c_str(), "rb");
    if (in == nullptr) {
      std::fprintf(err, "creditctl match: --file: cannot open %s: %s\n",
                   Utf8Safe(file).c_str(), std::strerror(errno));
      return 2;
    }
  }
  // Close the file on every return below.
  std::unique_ptr<FILE, int (*)(FILE*)> in_closer(
      in != nullptr && in != stdin ? in : nullptr,
      [](FILE* f) { return f == nullptr ? 0 : std::fclose(f); });

  absl::StatusOr<std::shared_ptr<const Registry>> reg =
      LoadRegistryReadOnly(data_dir);
  if (!reg.ok()) {
    std::fprintf(err, "creditctl match: %s\n",
                 std::string(reg.status().message()).c_str());
    return 2;
  }
  Subjects subjects;
  std::vector<NameEntry> entries;
  (*reg)->ForEachSubject([&](const Subject& s) {
    entries.push_back(NameEntryFor(s, static_cast<uint32_t>(entries.size())));
    subjects.ids.push_back(s.id);
    subjects.codes.push_back(s.code);
    subjects.names.push_back(s.name);
  });
  reg->reset();
  absl::StatusOr<std::unique_ptr<const NameIndex>> index =
      NameIndex::Build(std::move(entries));
  if (!index.ok()) {
    std::fprintf(err, "creditctl match: building the name index: %s\n",
                 std::string(index.status().message()).c_str());
    return 2;
  }
  subjects.index = std::move(*index);

  size_t refused = 0;
  if (in == nullptr) {
    for (const std::string& name : names) {
      if (!MatchOne(name, subjects, options, jsonl, out)) ++refused;
    }
  } else {
    // Bounded line reading: a line longer than kMaxLineBytes is refused and
    // its rest skipped, so one runaway line cannot exhaust memory.
    std::string line;
    size_t line_no = 0;
    bool too_long = false;
    int c;
    const auto finish_line = [&]() {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (too_long) {
        ++refused;
        std::fprintf(err,
                     "creditctl match: %s:%zu: line longer than %zu bytes "
                     "skipped\n",
                     Utf8Safe(file).c_str(), line_no, kMaxLineBytes);
      } else if (!line.empty()) {
        if (!MatchOne(line, subjects, options, jsonl, out)) ++refused;
      }
      line.clear();
      too_long = false;
    };
    while ((c = std::fgetc(in)) != EOF) {
      if (c == '\n') {
        finish_line();
      } else if (line.size() < kMaxLineBytes) {
        line.push_back(static_cast<char>(c));
      } else {
        too_long = true;
      }
    }
    if (!line.empty() || too_long) finish_line();
    if (std::ferror(in)) {
      std::fprintf(err, "creditctl match: --file: read error on %s\n",
                   Utf8Safe(file).c_str());
      return 2;
    }
  }
  std::fflush(out);
  return refused == 0 ? 0 : 1;
}

}  // namespace creditd
