// Rendering of a duplicate/erroneous-code report (index/duplicates.h) for data
// teams: CSV for the spreadsheet, JSON for programs, and a one-page HTML
// summary with an inline SVG bar chart (no scripts, no network fetches).
//
// The report lives in client/ because it is presentation only: the daemon
// answers with protobuf, and nothing below client/ knows these formats.
//
// Pure functions of (report, filter); thread-safe.
#ifndef CREDITD_CLIENT_DUPS_REPORT_H_
#define CREDITD_CLIENT_DUPS_REPORT_H_

#include "index/duplicates.h"

#include <optional>
#include <string>
#include <string_view>

namespace creditd {

struct DupsFilter {
  // Keeps findings attributed to (or with a subject in) a division whose six
  // digits start with this prefix, and the rate rows of those divisions and
  // their ancestors. Empty: everything.
  std::string region_prefix;
  std::optional<DupKind> kind;  // keep only findings of this kind
  // The HTML page lists at most this many findings (the CSV and JSON list all).
  size_t html_max_findings = 200;
};

bool FindingMatches(const DupFinding& f, const DupsFilter& filter);
bool RegionMatches(const RegionRate& r, const DupsFilter& filter);

// Findings as CSV, one row per (finding, subject) or (finding, record), with a
// header row and a UTF-8 BOM (so that Excel reads the Chinese names). Columns:
// kind, code, codes, fault, counted, known_legacy_exception, region,
// region_name, authority, authority_name, subject_id, subject_name,
// subject_region, record_id, source, reason. Cells that a spreadsheet would
// run as a formula (=, +, -, @ first) are prefixed with "'".
std::string RenderDupsCsv(const DupReport& report, const DupsFilter& filter);
// Rates as CSV: level, region, name, codes, flagged, rate, over_bar, then one
// column per kind; authority rows use level "authority".
std::string RenderDupsRatesCsv(const DupReport& report,
                               const DupsFilter& filter);
// Everything as one JSON object (docs/duplicates.md "JSON").
std::string RenderDupsJson(const DupReport& report, const DupsFilter& filter);
// The one-page summary.
std::string RenderDupsHtml(const DupReport& report, const DupsFilter& filter);

}  // namespace creditd

#endif  // CREDITD_CLIENT_DUPS_REPORT_H_
