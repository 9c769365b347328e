#include "client/dups_report.h"

#include "index/regions.h"
#include "index/uscc.h"

#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

#include <algorithm>
#include <vector>

namespace creditd {
namespace {

std::string Code6(uint32_t code) { return absl::StrFormat("%06u", code); }

std::string AuthorityLabel(char a) {
  const std::string_view name = AuthorityName(a);
  return name.empty() ? "未知" : std::string(name);
}

std::string CsvCell(std::string_view v) {
  std::string s(v);
  if (!s.empty() &&
      (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')) {
    s.insert(s.begin(), '\'');
  }
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

void CsvRow(std::string& out, const std::vector<std::string>& cells) {
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out += ',';
    out += CsvCell(cells[i]);
  }
  out += "\r\n";
}

std::string Html(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out.append(sep.data(), sep.size());
    out += v[i];
  }
  return out;
}

std::string Rate(double r) { return absl::StrFormat("%.6f", r); }
// Per ten thousand, the unit of the plans (万分之).
std::string PerTenThousand(double r) {
  return absl::StrFormat("%.2f‱", r * 10000);
}

nlohmann::json BucketJson(const DupBucket& b) {
  nlohmann::json kinds = nlohmann::json::object();
  for (int k = 0; k < static_cast<int>(DupKind::kCount); ++k) {
    kinds[std::string(DupKindName(static_cast<DupKind>(k)))] = b.by_kind[k];
  }
  return {{"codes", b.codes},
          {"flagged", b.flagged},
          {"rate", b.rate()},
          {"findings_by_kind", kinds}};
}

}  // namespace

// The region rule is index/duplicates.h's, shared with the daemon's
// duplicate_report so that --data and --connect select the same rows.
bool FindingMatches(const DupFinding& f, const DupsFilter& filter) {
  if (filter.kind && f.kind != *filter.kind) return false;
  return FindingInRegion(f, filter.region_prefix);
}

bool RegionMatches(const RegionRate& r, const DupsFilter& filter) {
  return RegionRateInPrefix(r, filter.region_prefix);
}

std::string RenderDupsCsv(const DupReport& report, const DupsFilter& filter) {
  std::string out = "\xEF\xBB\xBF";  // BOM: Excel then reads UTF-8
  CsvRow(out,
         {"kind", "code", "codes", "fault", "counted", "known_legacy_exception",
          "region", "region_name", "authority", "authority_name", "subject_id",
          "subject_name", "subject_region", "record_id", "source", "reason"});
  for (const DupFinding& f : report.findings) {
    if (!FindingMatches(f, filter)) continue;
    const std::string region_name =
        f.region == 0
            ? "未知"
            : RegionTable::Default().Lookup(Code6(f.region)).FullName();
    auto row = [&](const std::string& code, const std::string& id,
                   const std::string& name, const std::string& sregion,
                   const std::string& record_id, const std::string& source) {
      CsvRow(out, {std::string(DupKindName(f.kind)), code, Join(f.codes, "|"),
                   f.fault, f.counted ? "1" : "0",
                   f.known_legacy_exception ? "1" : "0", Code6(f.region),
                   region_name, std::string(1, f.authority),
                   AuthorityLabel(f.authority), id, name, sregion, record_id,
                   source, f.reason});
    };
    if (!f.records.empty()) {
      for (const DupRecordRef& r : f.records) {
        row(r.code, "", "", "", r.id, r.source);
      }
    } else {
      for (const DupSubjectRef& s : f.subjects) {
        row(s.code, s.id, s.name, s.region, "", s.source);
      }
    }
  }
  return out;
}

std::string RenderDupsRatesCsv(const DupReport& report,
                               const DupsFilter& filter) {
  std::string out = "\xEF\xBB\xBF";
  std::vector<std::string> header = {"level",   "region", "name",    "codes",
                                     "flagged", "rate",   "over_bar"};
  for (int k = 0; k < static_cast<int>(DupKind::kCount); ++k) {
    header.emplace_back(DupKindName(static_cast<DupKind>(k)));
  }
  CsvRow(out, header);
  auto row = [&](std::string level, std::string code, std::string name,
                 const DupBucket& b, bool over) {
    std::vector<std::string> cells = {
        std::move(level),        std::move(code),           std::move(name),
        std::to_string(b.codes), std::to_string(b.flagged), Rate(b.rate()),
        over ? "1" : "0"};
    for (int k = 0; k < static_cast<int>(DupKind::kCount); ++k) {
      cells.push_back(std::to_string(b.by_kind[k]));
    }
    CsvRow(out, cells);
  };
  row("total", "", "全部", report.total, report.total.rate() > report.bar);
  for (const RegionRate& r : report.regions) {
    if (!RegionMatches(r, filter)) continue;
    row(std::string(RegionLevelName(r.level)), Code6(r.code), r.name, r.counts,
        r.over_bar);
  }
  for (const AuthorityRate& a : report.authorities) {
    row("authority", std::string(1, a.authority), a.name, a.counts, a.over_bar);
  }
  return out;
}

std::string RenderDupsJson(const DupReport& report, const DupsFilter& filter) {
  nlohmann::json j;
  j["bar"] = report.bar;
  j["total"] = BucketJson(report.total);
  j["total"]["over_bar"] = report.total.rate() > report.bar;
  j["stats"] = {{"subjects", report.stats.subjects},
                {"records", report.stats.records},
                {"candidates", report.stats.candidates},
                {"table_bytes", report.stats.table_bytes},
                {"seconds", report.stats.seconds}};
  nlohmann::json regions = nlohmann::json::array();
  for (const RegionRate& r : report.regions) {
    if (!RegionMatches(r, filter)) continue;
    nlohmann::json row = BucketJson(r.counts);
    row["level"] = RegionLevelName(r.level);
    row["region"] = Code6(r.code);
    row["name"] = r.name;
    row["over_bar"] = r.over_bar;
    regions.push_back(std::move(row));
  }
  j["regions"] = std::move(regions);
  nlohmann::json authorities = nlohmann::json::array();
  for (const AuthorityRate& a : report.authorities) {
    nlohmann::json row = BucketJson(a.counts);
    row["authority"] = std::string(1, a.authority);
    row["name"] = a.name;
    row["over_bar"] = a.over_bar;
    authorities.push_back(std::move(row));
  }
  j["authorities"] = std::move(authorities);
  nlohmann::json findings = nlohmann::json::array();
  for (const DupFinding& f : report.findings) {
    if (!FindingMatches(f, filter)) continue;
    nlohmann::json subjects = nlohmann::json::array();
    for (const DupSubjectRef& s : f.subjects) {
      subjects.push_back({{"id", s.id},
                          {"code", s.code},
                          {"name", s.name},
                          {"region", s.region},
                          {"source", s.source}});
    }
    nlohmann::json records = nlohmann::json::array();
    for (const DupRecordRef& r : f.records) {
      records.push_back({{"id", r.id},
                         {"code", r.code},
                         {"list", r.list},
                         {"doc_no", r.doc_no},
                         {"source", r.source}});
    }
    findings.push_back({{"kind", DupKindName(f.kind)},
                        {"codes", f.codes},
                        {"fault", f.fault},
                        {"reason", f.reason},
                        {"counted", f.counted},
                        {"known_legacy_exception", f.known_legacy_exception},
                        {"region", Code6(f.region)},
                        {"authority", std::string(1, f.authority)},
                        {"subjects", std::move(subjects)},
                        {"records", std::move(records)}});
  }
  j["findings"] = std::move(findings);
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string RenderDupsHtml(const DupReport& report, const DupsFilter& filter) {
  // The chart shows one level: provinces, or below the filter's prefix the
  // next level down.
  RegionLevel level = RegionLevel::kProvince;
  if (filter.region_prefix.size() >= 4) {
    level = RegionLevel::kCounty;
  } else if (filter.region_prefix.size() >= 2) {
    level = RegionLevel::kCity;
  }
  std::vector<const RegionRate*> rows;
  for (const RegionRate& r : report.regions) {
    if (r.level == level && RegionMatches(r, filter)) rows.push_back(&r);
  }
  std::sort(
      rows.begin(), rows.end(), [](const RegionRate* a, const RegionRate* b) {
        return a->counts.rate() > b->counts.rate() ||
               (a->counts.rate() == b->counts.rate() && a->code < b->code);
      });
  double max_rate = report.bar * 1.5;
  for (const RegionRate* r : rows)
    max_rate = std::max(max_rate, r->counts.rate());

  std::string h;
  h +=
      "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
      "<title>重错码报告 duplicate and erroneous codes</title>\n<style>"
      "body{font-family:sans-serif;margin:1.5em;color:#222}"
      "table{border-collapse:collapse;margin:.5em 0}"
      "td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px;"
      "text-align:left}th{background:#f0f0f0}.over{color:#b00;font-weight:bold}"
      ".num{text-align:right}</style></head><body>\n";
  h += "<h1>重错码报告 · duplicate and erroneous codes</h1>\n";
  h += absl::StrFormat(
      "<p>%d subjects, %d records, %d distinct codes; %d codes duplicated or "
      "erroneous: rate <b class=\"%s\">%s</b> (bar %s).%s</p>\n",
      report.stats.subjects, report.stats.records, report.total.codes,
      report.total.flagged, report.total.rate() > report.bar ? "over" : "",
      PerTenThousand(report.total.rate()), PerTenThousand(report.bar),
      filter.region_prefix.empty()
          ? std::string()
          : " Filter: region " + Html(filter.region_prefix) + ".");
  h += "<table><tr><th>kind</th><th>种类</th><th>findings</th><th>in "
       "rate</th></tr>\n";
  for (int k = 0; k < static_cast<int>(DupKind::kCount); ++k) {
    const auto kind = static_cast<DupKind>(k);
    h += absl::StrFormat(
        "<tr><td>%s</td><td>%s</td><td class=\"num\">%d</td><td>%s</td></tr>\n",
        DupKindName(kind), DupKindLabel(kind), report.total.by_kind[k],
        CountsTowardRate(kind) ? "yes" : "no");
  }
  h += "</table>\n";

  // The bar chart: one bar per division, a dashed line at the bar.
  h += absl::StrFormat("<h2>Rate per %s (‱)</h2>\n", RegionLevelName(level));
  const int row_h = 18, label_w = 190, chart_w = 520;
  const int height = static_cast<int>(rows.size()) * row_h + 30;
  h += absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
      "font-size=\"12\" role=\"img\" aria-label=\"rates per region\">\n",
      label_w + chart_w + 90, height);
  for (size_t i = 0; i < rows.size(); ++i) {
    const RegionRate& r = *rows[i];
    const int y = static_cast<int>(i) * row_h + 4;
    const double w = r.counts.rate() / max_rate * chart_w;
    h += absl::StrFormat(
        "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>"
        "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>"
        "<text x=\"%.1f\" y=\"%d\">%s (%d/%d)</text>\n",
        label_w - 6, y + 12, Html(r.name), label_w, y, w, row_h - 4,
        r.over_bar ? "#c0392b" : "#2e86c1", label_w + w + 4, y + 12,
        PerTenThousand(r.counts.rate()), r.counts.flagged, r.counts.codes);
  }
  const double bar_x = label_w + report.bar / max_rate * chart_w;
  h += absl::StrFormat(
      "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%d\" stroke=\"#000\" "
      "stroke-dasharray=\"4 3\"/><text x=\"%.1f\" y=\"%d\">bar %s</text>\n",
      bar_x, bar_x, height - 14, bar_x + 3, height - 2,
      PerTenThousand(report.bar));
  h += "</svg>\n";

  h += "<h2>Per registration authority</h2>\n<table><tr><th>authority</th>"
       "<th>name</th><th>codes</th><th>flagged</th><th>rate</th></tr>\n";
  for (const AuthorityRate& a : report.authorities) {
    h += absl::StrFormat(
        "<tr><td>%s</td><td>%s</td><td class=\"num\">%d</td>"
        "<td class=\"num\">%d</td><td class=\"num %s\">%s</td></tr>\n",
        Html(std::string(1, a.authority)), Html(a.name), a.counts.codes,
        a.counts.flagged, a.over_bar ? "over" : "",
        PerTenThousand(a.counts.rate()));
  }
  h += "</table>\n";

  size_t shown = 0, matching = 0;
  std::string list;
  for (const DupFinding& f : report.findings) {
    if (!FindingMatches(f, filter)) continue;
    ++matching;
    if (shown >= filter.html_max_findings) continue;
    ++shown;
    std::vector<std::string> who;
    for (const DupSubjectRef& s : f.subjects) {
      who.push_back(
          Html(s.id + " " + s.name + " (" + s.region + ", " + s.source + ")"));
    }
    for (const DupRecordRef& r : f.records) {
      who.push_back(Html("record " + r.id + " (" + r.source + ")"));
    }
    list += absl::StrFormat(
        "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
        DupKindName(f.kind), Html(Join(f.codes, " ")), Html(f.reason),
        Join(who, "<br>"));
  }
  h += absl::StrFormat("<h2>Findings (%d of %d shown)</h2>\n", shown, matching);
  h += "<table><tr><th>kind</th><th>codes</th><th>reason</th><th>subjects "
       "(id name (region, source))</th></tr>\n";
  h += list;
  h += "</table>\n<p>Counting rules: docs/duplicates.md. CSV and JSON list "
       "every "
       "finding.</p>\n</body></html>\n";
  return h;
}

}  // namespace creditd
