// A seeded, streaming generator of realistic market subjects, credit records,
// planted faults (with their truth labels) and labelled name variants, for
// tests, benches and the demo (issue 3 item 7, issue 5 item 5, issue 6).
//
// Determinism: the whole output is a pure function of DatagenOptions. Two
// generators built from equal options yield equal emissions in equal order, on
// any platform (the generator uses its own PRNG and bounded draws, never
// <random>'s distributions, whose results are implementation-defined).
//
// Streaming: memory is bounded independently of `subjects`: a few thousand
// per-region name counters, a small ring of recent parents (for branch
// offices) and a queue of deferred partner lines (the second line of a planted
// duplicate is emitted up to kMaxDeferral subjects later, so that a detector
// that only compares neighbours is not rewarded).
//
// Thread safety: a DataGenerator is a single-threaded object; separate
// generators may run in separate threads.
#ifndef CREDITD_BENCH_DATAGEN_H_
#define CREDITD_BENCH_DATAGEN_H_

#include "index/subject.h"

#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace creditd::datagen {

struct DatagenOptions {
  uint64_t seed = 1;
  // Number of base subjects. Planted faults add partner lines on top (a 重码
  // partner, a repeated line, ...), so the subjects file has slightly more.
  uint64_t subjects = 1000;
  // Mean number of credit records per subject (Poisson, weighted by kind).
  double records_per_subject = 0.6;
  // Share of base subjects that carry one planted fault (see FaultKind).
  double fault_rate = 0.005;
  // Number of labelled name variants to draw (from enterprises, spread evenly
  // over the whole run); fewer when there are not enough eligible subjects.
  uint64_t variants = 1000;
  // Share of subjects with an `id` on their line (the rest rely on the
  // registry's derived id). Subjects involved in faults or variants always
  // carry one.
  double id_share = 0.95;
  // The "today" of the generated world: no date lies after it.
  Date today{19904};  // 2024-06-30
  // Data lines before the first subject/record line (1 for a CSV header), so
  // that the truth file's line numbers are file line numbers.
  uint32_t header_lines = 0;
};

// Planted faults, each written as one truth line.
//
// When adding a kind: add its name to FaultKindName() and a weight to
// kFaultWeights in datagen.cc, a check to tests/bench/datagen_test.cc
// (PlantedFaultsAreDetectable), and a row to bench/README.md.
enum class FaultKind : uint8_t {
  kDuplicateCode,      // 重码: two different subjects, one code
  kMultiCodeSameName,  // 一主体多码: same name and region, two valid codes
  kMultiCodeSameOrgCode,  // 一主体多码: same organisation code (body), two
                          // codes
  kCheckCharacter,        // position 18 wrong (only fault)
  kOrgCodeCheck,          // position 17 wrong, position 18 consistent
  kUnknownAuthorityType,  // positions 1-2 unassigned, checks consistent
  kExcelTruncated,        // all-digit code as a spreadsheet float
  kLegacyNumber,  // a 15-digit 注册号 or 9-char 组织机构代码 as the code
  kPlaceholder,          // 无, N/A, 91350100XXXXXXXXXX ...
  kOrgCodeMismatch,      // org_code on file differs from the code's body
  kRegNoRegionMismatch,  // reg_no's division differs from the code's region
  kRepeatedLine,         // the same subject line twice (重复报送)
  kRepeatedRecord,       // the same record twice (same line, or new id)
  kBranchOffice,         // NOT a fault: a near miss (分公司 sharing a trade
                         // name) that detectors must not flag
  kCount,
};
std::string_view FaultKindName(FaultKind kind);  // "duplicate_code", ...

// One truth label. Line numbers are 1-based file lines (header included).
struct Fault {
  FaultKind kind = FaultKind::kDuplicateCode;
  bool is_fault = true;  // false for near misses (kBranchOffice)
  // ValidateUscc's fault name for code faults ("check_character"), or empty.
  std::string expected_uscc_fault;
  std::vector<std::string> codes;
  std::vector<std::string> subject_ids;
  std::vector<uint64_t> subject_lines;
  std::vector<std::string> record_ids;
  std::vector<uint64_t> record_lines;
  std::string detail;  // e.g. the original code before corruption
};

// Name variants for the matcher evaluation.
//
// When adding a kind: add its name to VariantKindName(), a case to
// MakeVariant() in datagen.cc and to the variant test in datagen_test.cc.
enum class VariantKind : uint8_t {
  kTypo,         // one trade-name character replaced by another common one
  kHomophone,    // one character replaced by a same-pinyin character
  kTraditional,  // simplified -> traditional (OpenCC s2t)
  kWidthSpace,   // full-width brackets/digits, inserted spaces
  kSuffixVariant,  // 有限公司 <-> 有限责任公司, 股份有限公司 -> 股份公司 ...
  kRegionMoved,  // 福州鑫盛达科技有限公司 -> 鑫盛达科技(福州)有限公司
  kRegionDropped,    // 鑫盛达科技有限公司
  kCharDropped,      // one character of trade name or industry dropped
  kCharsTransposed,  // two adjacent characters swapped
  kShortForm,        // trade name + industry only: 鑫盛达科技
  kCount,
};
std::string_view VariantKindName(VariantKind kind);  // "typo", ...

struct NameVariant {
  VariantKind kind = VariantKind::kTypo;
  std::string query;
  std::string original;
  std::string expected_id;
  std::string expected_code;
};

// One subject line with the record lines, truth labels and variants that
// complete with it. Views into the generator: valid until the next Next().
struct Emission {
  // False only at the very end, when deferred repeated records remain and
  // there is no subject line left to carry them.
  bool has_subject = true;
  Subject subject;
  bool has_id = true;  // whether the subject line carries subject.id
  SubjectKind kind = SubjectKind::kOther;  // from the (uncorrupted) code
  uint64_t subject_line = 0;
  std::vector<Record> records;
  uint64_t first_record_line = 0;  // line of records[0]
  std::vector<Fault> faults;       // labels whose last line is in here
  std::vector<NameVariant> variants;
};

// Running counts, for the summary line.
struct DatagenStats {
  uint64_t subject_lines = 0;
  uint64_t record_lines = 0;
  uint64_t variants = 0;
  uint64_t by_kind[static_cast<int>(SubjectKind::kOther) + 1] = {};
  uint64_t by_status[4] = {};
  uint64_t by_list[std::size(kBuiltinLists)] = {};
  uint64_t by_fault[static_cast<int>(FaultKind::kCount)] = {};
  uint64_t by_variant[static_cast<int>(VariantKind::kCount)] = {};
};

class DataGenerator {
 public:
  explicit DataGenerator(const DatagenOptions& options);
  ~DataGenerator();
  DataGenerator(const DataGenerator&) = delete;
  DataGenerator& operator=(const DataGenerator&) = delete;

  // The next subject line, or nullptr when the run is complete. The pointee
  // stays valid until the next call.
  const Emission* Next();

  const DatagenStats& stats() const;
  const DatagenOptions& options() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Serialisation used by creditd-datagen; exposed for tests and benches.
// Each appends one line (with '\n') to `out`. JSON field names are those of
// DESIGN.md §4; absent optional fields are omitted.
void AppendSubjectJson(const Subject& s, bool with_id, std::string& out);
void AppendRecordJson(const Record& r, std::string& out);
void AppendFaultJson(const Fault& f, std::string& out);
void AppendVariantJson(const NameVariant& v, std::string& out);
// CSV with the headers below; former_names joined with '|'.
extern const std::string_view kSubjectCsvHeader;
extern const std::string_view kRecordCsvHeader;
void AppendSubjectCsv(const Subject& s, bool with_id, std::string& out);
void AppendRecordCsv(const Record& r, std::string& out);

// "YYYY-MM-DD" without allocation beyond `out` (FormatDate's format, faster).
void AppendDate(Date date, std::string& out);

}  // namespace creditd::datagen

#endif  // CREDITD_BENCH_DATAGEN_H_
