#include "bench/datagen.h"

#include "index/legacy_codes.h"
#include "index/subject.h"
#include "index/uscc.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "unicode/translit.h"
#include "unicode/unistr.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace creditd::datagen {
namespace {

using nlohmann::json;

// Everything one run produced, serialised as creditd-datagen writes it.
struct GenRun {
  std::vector<std::string> subject_lines;  // JSONL, without '\n'
  std::vector<std::string> record_lines;
  std::vector<Subject> subjects;  // by line (index = line - 1)
  std::vector<bool> has_id;
  std::vector<SubjectKind> kinds;
  std::vector<Record> records;
  std::vector<Fault> faults;
  std::vector<NameVariant> variants;
  std::string subjects_text, records_text, truth_text, variants_text;
  DatagenStats stats;
};

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    const size_t nl = text.find('\n', start);
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

GenRun Generate(const DatagenOptions& options) {
  GenRun run;
  DataGenerator gen(options);
  while (const Emission* e = gen.Next()) {
    if (e->has_subject) {
      EXPECT_EQ(e->subject_line, run.subjects.size() + 1);
      AppendSubjectJson(e->subject, e->has_id, run.subjects_text);
      run.subjects.push_back(e->subject);
      run.has_id.push_back(e->has_id);
      run.kinds.push_back(e->kind);
    }
    for (const Record& r : e->records) {
      AppendRecordJson(r, run.records_text);
      run.records.push_back(r);
    }
    for (const Fault& f : e->faults) {
      AppendFaultJson(f, run.truth_text);
      run.faults.push_back(f);
    }
    for (const NameVariant& v : e->variants) {
      AppendVariantJson(v, run.variants_text);
      run.variants.push_back(v);
    }
  }
  run.subject_lines = SplitLines(run.subjects_text);
  run.record_lines = SplitLines(run.records_text);
  run.stats = gen.stats();
  return run;
}

DatagenOptions SmallOptions() {
  DatagenOptions o;
  o.seed = 42;
  o.subjects = 20000;
  o.fault_rate = 0.03;
  o.variants = 500;
  return o;
}

const GenRun& SmallRun() {
  static const GenRun* run = new GenRun(Generate(SmallOptions()));
  return *run;
}

std::vector<std::string> Chars(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    out.push_back(s.substr(i, len));
    i += len;
  }
  return out;
}

bool IsSubsequence(const std::vector<std::string>& small,
                   const std::vector<std::string>& big) {
  size_t j = 0;
  for (const std::string& c : big) {
    if (j < small.size() && small[j] == c) ++j;
  }
  return j == small.size();
}

std::string Pinyin(const std::string& text) {
  static icu::Transliterator* t = [] {
    UErrorCode status = U_ZERO_ERROR;
    icu::Transliterator* tr = icu::Transliterator::createInstance(
        "Han-Latin; Latin-ASCII", UTRANS_FORWARD, status);
    EXPECT_TRUE(U_SUCCESS(status));
    return tr;
  }();
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(text);
  t->transliterate(u);
  std::string out;
  u.toUTF8String(out);
  return out;
}

TEST(DatagenTest, SameSeedSameBytes) {
  DatagenOptions o = SmallOptions();
  o.subjects = 3000;
  const GenRun a = Generate(o);
  const GenRun b = Generate(o);
  EXPECT_EQ(a.subjects_text, b.subjects_text);
  EXPECT_EQ(a.records_text, b.records_text);
  EXPECT_EQ(a.truth_text, b.truth_text);
  EXPECT_EQ(a.variants_text, b.variants_text);
  o.seed = 43;
  const GenRun c = Generate(o);
  EXPECT_NE(a.subjects_text, c.subjects_text);
}

TEST(DatagenTest, DateFormatMatchesFormatDate) {
  for (int32_t days = -25000; days < 90000; days += 7) {
    std::string out;
    AppendDate(Date{days}, out);
    ASSERT_EQ(out, FormatDate(Date{days}));
  }
}

TEST(DatagenTest, OutputParsesAsJsonWithDesignFields) {
  const GenRun& run = SmallRun();
  const std::set<std::string> subject_fields = {
      "id",        "code",   "name",          "former_names",
      "legal_rep", "region", "registered_on", "org_code",
      "reg_no",    "source", "status"};
  size_t with_id = 0;
  for (const std::string& line : run.subject_lines) {
    const json j = json::parse(line);
    for (auto it = j.begin(); it != j.end(); ++it) {
      EXPECT_TRUE(subject_fields.count(it.key())) << it.key();
    }
    ASSERT_TRUE(j.contains("code") && j.contains("name")) << line;
    with_id += j.contains("id");
    EXPECT_TRUE(ParseDate(j["registered_on"].get<std::string>()).ok());
    EXPECT_TRUE(ParseSubjectStatus(j["status"].get<std::string>()).ok());
    if (j.contains("former_names")) {
      EXPECT_TRUE(j["former_names"].is_array());
    }
  }
  EXPECT_GT(with_id, run.subject_lines.size() * 9 / 10);
  EXPECT_LT(with_id, run.subject_lines.size());
  for (const std::string& line : run.record_lines) {
    const json j = json::parse(line);
    for (const char* key : {"id", "code", "list", "name", "authority", "basis",
                            "doc_no", "decided_on", "valid_from"}) {
      EXPECT_TRUE(j.contains(key)) << key << " in " << line;
    }
    EXPECT_TRUE(j["disputed"].is_boolean());
    for (const char* key :
         {"decided_on", "valid_from", "valid_until", "repaired_on"}) {
      if (j.contains(key)) {
        EXPECT_TRUE(ParseDate(j[key].get<std::string>()).ok()) << line;
      }
    }
  }
  for (const std::string& line : SplitLines(run.truth_text)) {
    EXPECT_TRUE(json::parse(line)["subject_lines"].is_array());
  }
  for (const std::string& line : SplitLines(run.variants_text)) {
    EXPECT_TRUE(json::parse(line)["query"].is_string());
  }
}

TEST(DatagenTest, JsonEscapesHostileStrings) {
  Subject s;
  s.id = "S1";
  s.code = "91350100M000100Y43";
  s.name = "a\"b\\c\nd\x01e鑫";
  s.former_names = {"x\"y", ""};
  std::string line;
  AppendSubjectJson(s, true, line);
  ASSERT_EQ(line.back(), '\n');
  const json j = json::parse(line);
  EXPECT_EQ(j["name"].get<std::string>(), s.name);
  EXPECT_EQ(j["former_names"][0].get<std::string>(), "x\"y");
  std::string csv;
  AppendSubjectCsv(s, true, csv);
  EXPECT_NE(csv.find("\"a\"\"b"), std::string::npos) << csv;
}

TEST(DatagenTest, CsvHasHeaderColumns) {
  const GenRun& run = SmallRun();
  auto columns = [](const std::string& line) {
    size_t n = 1;
    bool quoted = false;
    for (char c : line) {
      if (c == '"') quoted = !quoted;
      if (c == ',' && !quoted) ++n;
    }
    return n;
  };
  const size_t subject_cols = columns(std::string(kSubjectCsvHeader));
  const size_t record_cols = columns(std::string(kRecordCsvHeader));
  for (size_t i = 0; i < 2000; ++i) {
    std::string s, r;
    AppendSubjectCsv(run.subjects[i], run.has_id[i], s);
    ASSERT_EQ(columns(s.substr(0, s.size() - 1)), subject_cols) << s;
    AppendRecordCsv(run.records[i], r);
    ASSERT_EQ(columns(r.substr(0, r.size() - 1)), record_cols) << r;
  }
}

// Codes of subjects not involved in a code fault are valid, carry the
// subject's region and kind, and agree with the legacy numbers on file.
TEST(DatagenTest, UnfaultedCodesAreValidAndConsistent) {
  const GenRun& run = SmallRun();
  std::set<uint64_t> faulted_lines;
  for (const Fault& f : run.faults) {
    if (f.is_fault) {
      faulted_lines.insert(f.subject_lines.begin(), f.subject_lines.end());
    }
  }
  size_t checked = 0, with_org = 0, with_reg = 0;
  for (size_t i = 0; i < run.subjects.size(); ++i) {
    if (faulted_lines.count(i + 1)) continue;
    const Subject& s = run.subjects[i];
    const UsccResult r = ValidateUscc(s.code);
    ASSERT_TRUE(r.ok()) << s.code << ": " << r.Describe();
    EXPECT_EQ(r.warnings(), 0) << s.code;
    EXPECT_EQ(s.code.substr(2, 6), s.region);
    EXPECT_EQ(KindOfCode(s.code), run.kinds[i]) << s.code;
    if (!s.org_code.empty()) {
      ++with_org;
      EXPECT_TRUE(ValidateOrgCode(s.org_code).ok()) << s.org_code;
    }
    if (!s.reg_no.empty()) {
      ++with_reg;
      EXPECT_TRUE(ValidateRegistrationNumber(s.reg_no).ok()) << s.reg_no;
    }
    EXPECT_TRUE(CrossCheckLegacy(s.code, s.org_code, s.reg_no).empty())
        << s.code << " " << s.org_code << " " << s.reg_no;
    ++checked;
  }
  EXPECT_GT(checked, run.subjects.size() * 9 / 10);
  EXPECT_GT(with_org, checked / 10);
  EXPECT_GT(with_reg, checked / 10);
}

// Apart from planted duplicates, no two subjects share a code, nor a name in
// the same region.
TEST(DatagenTest, NoAccidentalDuplicates) {
  const GenRun& run = SmallRun();
  std::set<uint64_t> planted;
  for (const Fault& f : run.faults) {
    if (f.kind == FaultKind::kDuplicateCode ||
        f.kind == FaultKind::kMultiCodeSameName ||
        f.kind == FaultKind::kMultiCodeSameOrgCode ||
        f.kind == FaultKind::kRepeatedLine) {
      planted.insert(f.subject_lines.back());  // the partner line
    }
  }
  std::set<std::string> codes, names;
  for (size_t i = 0; i < run.subjects.size(); ++i) {
    if (planted.count(i + 1)) continue;
    const Subject& s = run.subjects[i];
    // Placeholders (无, N/A) repeat by nature; they are 错码, not 重码.
    if (ValidateUscc(s.code).ok()) {
      EXPECT_TRUE(codes.insert(s.code).second) << s.code;
    }
    EXPECT_TRUE(names.insert(s.region + " " + s.name).second) << s.name;
  }
}

TEST(DatagenTest, PlantedFaultsAreDetectable) {
  const GenRun& run = SmallRun();
  auto subject = [&](uint64_t line) -> const Subject& {
    return run.subjects.at(line - 1);
  };
  std::map<FaultKind, int> seen;
  for (const Fault& f : run.faults) {
    ++seen[f.kind];
    ASSERT_EQ(f.subject_ids.size(), f.subject_lines.size());
    for (size_t i = 0; i < f.subject_lines.size(); ++i) {
      const Subject& s = subject(f.subject_lines[i]);
      EXPECT_EQ(s.id, f.subject_ids[i]);
      EXPECT_TRUE(run.has_id[f.subject_lines[i] - 1]);
    }
    const std::string kind(FaultKindName(f.kind));
    SCOPED_TRACE(kind + " " + f.codes.at(0));
    if (!f.expected_uscc_fault.empty()) {
      ASSERT_EQ(f.subject_lines.size(), 1u);
      const Subject& s = subject(f.subject_lines[0]);
      EXPECT_EQ(s.code, f.codes[0]);
      const UsccResult r = ValidateUscc(s.code);
      EXPECT_EQ(UsccFaultName(r.fault()), f.expected_uscc_fault) << s.code;
      if (f.kind == FaultKind::kCheckCharacter ||
          f.kind == FaultKind::kOrgCodeCheck ||
          f.kind == FaultKind::kUnknownAuthorityType) {
        const uint8_t only =
            f.kind == FaultKind::kCheckCharacter ? kFaultBitCheckCharacter
            : f.kind == FaultKind::kOrgCodeCheck ? kFaultBitOrgCodeCheck
                                                 : kFaultBitAuthorityType;
        EXPECT_EQ(r.structural_faults(), only) << s.code;
      }
      continue;
    }
    switch (f.kind) {
      case FaultKind::kDuplicateCode: {
        ASSERT_EQ(f.subject_lines.size(), 2u);
        const Subject& a = subject(f.subject_lines[0]);
        const Subject& b = subject(f.subject_lines[1]);
        EXPECT_EQ(a.code, b.code);
        EXPECT_NE(a.name, b.name);
        EXPECT_NE(a.id, b.id);
        EXPECT_TRUE(ValidateUscc(a.code).ok());
        break;
      }
      case FaultKind::kMultiCodeSameName:
      case FaultKind::kMultiCodeSameOrgCode: {
        ASSERT_EQ(f.subject_lines.size(), 2u);
        const Subject& a = subject(f.subject_lines[0]);
        const Subject& b = subject(f.subject_lines[1]);
        EXPECT_NE(a.code, b.code);
        EXPECT_NE(a.id, b.id);
        EXPECT_EQ(a.name, b.name);
        EXPECT_TRUE(ValidateUscc(a.code).ok());
        EXPECT_TRUE(ValidateUscc(b.code).ok());
        EXPECT_EQ(f.codes, (std::vector<std::string>{a.code, b.code}));
        if (f.kind == FaultKind::kMultiCodeSameName) {
          EXPECT_EQ(a.region, b.region);
        } else {
          EXPECT_EQ(a.code.substr(8, 9), b.code.substr(8, 9));
        }
        break;
      }
      case FaultKind::kOrgCodeMismatch:
      case FaultKind::kRegNoRegionMismatch: {
        const Subject& s = subject(f.subject_lines[0]);
        EXPECT_TRUE(ValidateUscc(s.code).ok());
        const auto mismatches = CrossCheckLegacy(s.code, s.org_code, s.reg_no);
        ASSERT_EQ(mismatches.size(), 1u);
        if (f.kind == FaultKind::kOrgCodeMismatch) {
          EXPECT_TRUE(ValidateOrgCode(s.org_code).ok());
          EXPECT_EQ(mismatches[0].kind, LegacyMismatch::kOrgCodeBody);
        } else {
          EXPECT_TRUE(ValidateRegistrationNumber(s.reg_no).ok());
          EXPECT_EQ(mismatches[0].kind, LegacyMismatch::kRegistrationRegion);
        }
        break;
      }
      case FaultKind::kRepeatedLine:
        ASSERT_EQ(f.subject_lines.size(), 2u);
        EXPECT_LT(f.subject_lines[0], f.subject_lines[1]);
        EXPECT_EQ(run.subject_lines.at(f.subject_lines[0] - 1),
                  run.subject_lines.at(f.subject_lines[1] - 1));
        break;
      case FaultKind::kRepeatedRecord: {
        ASSERT_EQ(f.record_lines.size(), 2u);
        ASSERT_EQ(f.record_ids.size(), 2u);
        const Record& a = run.records.at(f.record_lines[0] - 1);
        const Record& b = run.records.at(f.record_lines[1] - 1);
        EXPECT_EQ(a.id, f.record_ids[0]);
        EXPECT_EQ(b.id, f.record_ids[1]);
        EXPECT_EQ(a.code, b.code);
        EXPECT_EQ(a.code, subject(f.subject_lines[0]).code);
        EXPECT_EQ(a.list, b.list);
        EXPECT_EQ(a.doc_no, b.doc_no);
        EXPECT_EQ(a.decided_on, b.decided_on);
        if (a.id == b.id) {
          EXPECT_EQ(run.record_lines.at(f.record_lines[0] - 1),
                    run.record_lines.at(f.record_lines[1] - 1));
        }
        break;
      }
      case FaultKind::kBranchOffice: {
        EXPECT_FALSE(f.is_fault);
        ASSERT_EQ(f.subject_lines.size(), 2u);
        const Subject& parent = subject(f.subject_lines[0]);
        const Subject& branch = subject(f.subject_lines[1]);
        EXPECT_EQ(branch.name.rfind(parent.name, 0), 0u) << branch.name;
        EXPECT_TRUE(branch.name.ends_with("分公司"));
        EXPECT_NE(parent.code, branch.code);
        break;
      }
      default:
        ADD_FAILURE() << "unchecked fault kind " << kind;
    }
  }
  for (int k = 0; k < static_cast<int>(FaultKind::kCount); ++k) {
    EXPECT_GT(seen[static_cast<FaultKind>(k)], 0)
        << FaultKindName(static_cast<FaultKind>(k));
    EXPECT_EQ(run.stats.by_fault[k],
              static_cast<uint64_t>(seen[static_cast<FaultKind>(k)]));
  }
  // The fault rate is honoured (3% of 20000, binomial spread).
  int planted = 0;
  for (const auto& [kind, n] : seen) {
    if (kind != FaultKind::kBranchOffice) planted += n;
  }
  EXPECT_NEAR(planted, 600, 100);
}

TEST(DatagenTest, VariantsDifferAsTheirKindSays) {
  const GenRun& run = SmallRun();
  std::map<std::string, const Subject*> by_id;
  for (const Subject& s : run.subjects) by_id[s.id] = &s;
  std::map<VariantKind, int> seen;
  auto strip = [](std::string s, std::initializer_list<const char*> drop) {
    for (const char* d : drop) {
      for (size_t at; (at = s.find(d)) != std::string::npos;) {
        s.erase(at, std::string_view(d).size());
      }
    }
    return s;
  };
  for (const NameVariant& v : run.variants) {
    ++seen[v.kind];
    SCOPED_TRACE(std::string(VariantKindName(v.kind)) + ": " + v.original +
                 " -> " + v.query);
    ASSERT_TRUE(by_id.count(v.expected_id));
    EXPECT_EQ(by_id[v.expected_id]->name, v.original);
    EXPECT_EQ(by_id[v.expected_id]->code, v.expected_code);
    EXPECT_NE(v.query, v.original);
    const auto q = Chars(v.query);
    const auto o = Chars(v.original);
    auto diff_positions = [&] {
      std::vector<size_t> d;
      for (size_t i = 0; i < q.size(); ++i) {
        if (q[i] != o[i]) d.push_back(i);
      }
      return d;
    };
    switch (v.kind) {
      case VariantKind::kTypo:
      case VariantKind::kHomophone: {
        ASSERT_EQ(q.size(), o.size());
        const auto d = diff_positions();
        ASSERT_EQ(d.size(), 1u);
        const bool same_sound = Pinyin(q[d[0]]) == Pinyin(o[d[0]]);
        EXPECT_EQ(same_sound, v.kind == VariantKind::kHomophone)
            << Pinyin(q[d[0]]) << " vs " << Pinyin(o[d[0]]);
        break;
      }
      case VariantKind::kTraditional: {
        ASSERT_EQ(q.size(), o.size());
        EXPECT_FALSE(diff_positions().empty());
        break;
      }
      case VariantKind::kWidthSpace:
        EXPECT_EQ(strip(v.query, {" ", "\u3000", "(", ")"}),
                  strip(v.original, {"（", "）"}));
        break;
      case VariantKind::kSuffixVariant: {
        auto stem = [&](const std::string& s) {
          for (const char* form : {"集团有限公司", "集团公司", "股份有限公司",
                                   "股份公司", "有限责任公司", "有限公司"}) {
            if (s.ends_with(form)) return s.substr(0, s.size() - strlen(form));
          }
          return std::string("?");
        };
        EXPECT_EQ(stem(v.query), stem(v.original));
        break;
      }
      case VariantKind::kRegionMoved: {
        auto sorted = [&](const std::string& s) {
          auto c = Chars(strip(s, {"(", ")", "（", "）"}));
          std::sort(c.begin(), c.end());
          return c;
        };
        EXPECT_EQ(sorted(v.query), sorted(v.original));
        EXPECT_NE(strip(v.query, {"(", ")"}), strip(v.original, {"（", "）"}));
        break;
      }
      case VariantKind::kRegionDropped:
        EXPECT_LE(q.size() + 2, o.size());
        EXPECT_TRUE(IsSubsequence(q, o));
        break;
      case VariantKind::kCharDropped:
        EXPECT_EQ(q.size() + 1, o.size());
        EXPECT_TRUE(IsSubsequence(q, o));
        break;
      case VariantKind::kCharsTransposed: {
        ASSERT_EQ(q.size(), o.size());
        const auto d = diff_positions();
        ASSERT_EQ(d.size(), 2u);
        EXPECT_EQ(d[0] + 1, d[1]);
        EXPECT_EQ(q[d[0]], o[d[1]]);
        EXPECT_EQ(q[d[1]], o[d[0]]);
        break;
      }
      case VariantKind::kShortForm:
        EXPECT_NE(v.original.find(v.query), std::string::npos);
        EXPECT_FALSE(v.query.ends_with("公司"));
        break;
      case VariantKind::kCount:
        break;
    }
  }
  EXPECT_EQ(run.variants.size(), 500u);
  for (int k = 0; k < static_cast<int>(VariantKind::kCount); ++k) {
    EXPECT_GE(seen[static_cast<VariantKind>(k)], 40)
        << VariantKindName(static_cast<VariantKind>(k));
  }
}

TEST(DatagenTest, RecordsCoverEveryListWithSaneWindows) {
  const GenRun& run = SmallRun();
  std::set<std::string> codes;
  for (const Subject& s : run.subjects) codes.insert(s.code);
  std::map<std::string, int> per_list;
  int repaired = 0, disputed = 0;
  const Date today = SmallOptions().today;
  for (const Record& r : run.records) {
    ++per_list[r.list];
    EXPECT_TRUE(codes.count(r.code)) << r.code;
    EXPECT_FALSE(today < r.decided_on);
    if (r.valid_until.has_value()) {
      EXPECT_LT(r.valid_from, r.valid_until) << r.id;
    }
    if (r.repaired_on.has_value()) {
      ++repaired;
      EXPECT_LT(r.valid_from, r.repaired_on);
      EXPECT_FALSE(today < r.repaired_on);
    }
    disputed += r.disputed;
    if (r.list == "a_level_taxpayer") {
      EXPECT_NEAR(r.valid_until.days - r.valid_from.days, 365, 1);
    }
    if (r.list == "abnormal_operation") {
      EXPECT_FALSE(r.valid_until.has_value());
    }
    if (r.list == "serious_dishonesty") {
      EXPECT_NEAR(r.valid_until.days - r.valid_from.days, 3 * 365, 2);
    }
  }
  for (std::string_view list : kBuiltinLists) {
    EXPECT_GT(per_list[std::string(list)], 10) << list;
  }
  EXPECT_GT(repaired, 100);
  EXPECT_GT(disputed, 10);
  EXPECT_NEAR(static_cast<double>(run.records.size()) / 20000, 0.6, 0.1);
}

TEST(DatagenTest, KindMixIsRealistic) {
  const DatagenStats& s = SmallRun().stats;
  auto share = [&](SubjectKind k) {
    return static_cast<double>(s.by_kind[static_cast<int>(k)]) /
           static_cast<double>(s.subject_lines);
  };
  EXPECT_NEAR(share(SubjectKind::kEnterprise), 0.55, 0.03);
  EXPECT_NEAR(share(SubjectKind::kIndividualBusiness), 0.38, 0.03);
  EXPECT_GT(share(SubjectKind::kCooperative), 0.01);
  EXPECT_GT(share(SubjectKind::kSocialOrganisation), 0.005);
  EXPECT_GT(share(SubjectKind::kPublicInstitution), 0.005);
  EXPECT_GT(share(SubjectKind::kAgency), 0.002);
  EXPECT_GT(s.by_status[static_cast<int>(SubjectStatus::kRevoked)], 0u);
  EXPECT_GT(s.by_status[static_cast<int>(SubjectStatus::kDeregistered)], 0u);
}

}  // namespace
}  // namespace creditd::datagen
