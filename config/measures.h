// The measures list (联合奖惩措施清单): which action a credit record triggers
// in which scenario, on what legal basis, with what wording (DESIGN.md §1).
//
// File format (config/measures.default.toml is the national-practice default;
// docs/measures.md is the reference):
//   version = "2024.1"                 # optional, echoed in receipts
//   [[list]]     name = "..."  description = "..."   # operator-declared lists
//   [[scenario]] name = "..."  description = "..."   # operator-declared
//   [[measure]]
//   list = "serious_dishonesty"  scenario = "bidding"  action = "block"
//   basis = "..."  wording = "..."
//   within_years = 3          # optional: only records decided within 3 years
//   exclude_disputed = true   # optional: disputed records (异议处理) ignored
//
// Verdict semantics (Decide):
//   * Only records in force on the date count (Record::InForce: valid_from <=
//     date <= valid_until, and not repaired on or before the date).
//   * A (list, scenario) pair without a row never counts, so it never blocks
//     (过惩相当, 国办发〔2020〕49号): such records are reported as kNoRule.
//   * Strength: block > warn > incentive > info > clear. Block and warn are the
//     negative actions; an incentive is granted only when nothing negative
//     counts; info carries no consequence, so it neither outranks nor cancels
//     an incentive (an operator who wants a penalty to cancel incentives gives
//     that row `warn`).
//   * Ties go to the first record in input order.
//
// Thread-safety: a MeasuresList is immutable after loading; share it as
// std::shared_ptr<const MeasuresList> and call Decide from any thread. No
// sockets, no protobuf, no I/O outside Load().
#ifndef CREDITD_CONFIG_MEASURES_H_
#define CREDITD_CONFIG_MEASURES_H_

#include "index/subject.h"

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace creditd {

// Built-in scenarios (DESIGN.md §1). Operators may declare more.
inline constexpr std::string_view kBuiltinScenarios[] = {
    "government_procurement",  // 政府采购
    "bidding",                 // 招标投标
    "admin_approval",          // 行政审批
    "market_access",           // 市场准入
    "qualification_review",    // 资质审核
    "honours",                 // 评优评先、荣誉授予
    "fiscal_support",          // 财政资金支持、政府补贴
};

// Ordered by strength: a larger value wins. kClear is the verdict when nothing
// counts and cannot appear in a rule.
//
// When adding an action: update ActionName/ParseAction in measures.cc, the
// ordering note at the top of this file, docs/measures.md, and
// tests/config/measures_test.cc.
enum class Action : uint8_t {
  kClear = 0,
  kInfo = 1,       // shown for reference, no consequence
  kIncentive = 2,  // 守信激励: only when nothing negative counts
  kWarn = 3,       // 重点审查: a person must look before proceeding
  kBlock = 4,      // 限制/禁止: the subject may not pass this scenario
};
std::string_view ActionName(Action action);  // "block", ..., "clear"
// Accepts block, warn, info, incentive (not clear). InvalidArgument
// "unknown action 'x' (allowed: block, warn, info, incentive)".
absl::StatusOr<Action> ParseAction(std::string_view name);

// One row of the list.
struct MeasureRule {
  std::string list;
  std::string scenario;
  Action action = Action::kInfo;
  std::string basis;  // legal basis, cited (e.g. 《政府采购法》第二十二条)
  std::string wording;   // the measure as shown to the caller
  int within_years = 0;  // 0 = no condition; else count only records decided
                         // (decided_on, else valid_from) within N years
  bool exclude_disputed = false;  // true = disputed records do not count
  int line = 0;                   // line of the [[measure]] in the file
};

// Why a record did or did not count.
enum class Disposition : uint8_t {
  kCounted,           // in force, rule found, conditions met
  kNotInForce,        // not yet valid, expired, or repaired on/before date
  kNoRule,            // the list names no action for (list, scenario)
  kDisputedExcluded,  // disputed and the rule has exclude_disputed
  kOutsideWindow,     // within_years not met (or no decision date to test)
};
std::string_view DispositionName(Disposition d);  // "counted", ...

struct RecordOutcome {
  size_t index = 0;  // position of the record in the span given to Decide
  Disposition disposition = Disposition::kNoRule;
  // The row for (list, scenario), when there is one (also for records that
  // did not count because of a condition). Points into the MeasuresList.
  const MeasureRule* rule = nullptr;
};

struct Decision {
  Action verdict = Action::kClear;
  // One per input record, in input order (inline for the usual few records:
  // a check decides without allocating).
  absl::InlinedVector<RecordOutcome, 8> outcomes;
  // Index into `outcomes` of the record whose rule fixed the verdict; none
  // when the verdict is kClear.
  std::optional<size_t> fired;

  const MeasureRule* fired_rule() const {
    return fired ? outcomes[*fired].rule : nullptr;
  }
};

class MeasuresList {
 public:
  // Reads and parses a measures file (at most limits::kMaxMeasuresFileBytes).
  // Errors: NotFound / PermissionDenied / FailedPrecondition "path: cannot
  // read (...)"; InvalidArgument "path:line: key: reason", e.g.
  //   "m.toml:12: measure[3].action: unknown action 'deny' (allowed: block,
  //    warn, info, incentive)".
  static absl::StatusOr<MeasuresList> Load(const std::string& path);
  // Parses TOML text; `name_for_errors` is put in front of every message.
  static absl::StatusOr<MeasuresList> Parse(std::string_view text,
                                            std::string_view name_for_errors);
  // The shipped config/measures.default.toml, compiled into the binary. Used
  // when server.measures_file is empty.
  static absl::StatusOr<MeasuresList> BuiltinDefault();

  // The verdict for a subject with `records` in `scenario` on `date`; see the
  // semantics at the top of this file. Records whose list the measures list
  // does not know are kNoRule. InvalidArgument when the scenario is unknown
  // ("unknown scenario 'x' (allowed: ...)") or the date has no value.
  // The result points into *this: keep the list alive while using it.
  absl::StatusOr<Decision> Decide(std::span<const Record> records,
                                  std::string_view scenario, Date date) const;
  // The same over registry views (the check path, index/registry.h).
  absl::StatusOr<Decision> Decide(std::span<const RecordView> records,
                                  std::string_view scenario, Date date) const;

  // The row for (list, scenario), or nullptr.
  const MeasureRule* Find(std::string_view list,
                          std::string_view scenario) const;

  // Every known name: the built-ins first, then those declared in the file in
  // file order. For error messages of ingest ("unknown list 'x' (allowed:
  // ...)") and for listing.
  const std::vector<std::string>& Lists() const { return lists_; }
  const std::vector<std::string>& Scenarios() const { return scenarios_; }
  bool HasList(std::string_view name) const;
  bool HasScenario(std::string_view name) const;
  // The list's own copy of scenario `name` (valid while *this lives), or an
  // empty view when the scenario is unknown.
  std::string_view ScenarioName(std::string_view name) const;

  const std::vector<MeasureRule>& Rules() const { return rules_; }
  const std::string& version() const { return version_; }

 private:
  friend class MeasuresParser;
  MeasuresList() = default;

  // Decide for Record and RecordView (the same fields).
  template <typename R>
  absl::StatusOr<Decision> DecideImpl(std::span<const R> records,
                                      std::string_view scenario,
                                      Date date) const;

  int ListId(std::string_view name) const;      // -1 when unknown
  int ScenarioId(std::string_view name) const;  // -1 when unknown

  std::string version_;
  std::vector<std::string> lists_;
  std::vector<std::string> scenarios_;
  // Name -> id for the lists or the scenarios. A check looks up its scenario
  // and every record's list, so this is on the hot path: an open-addressed
  // table whose slots hold each name's length and first and last eight
  // bytes, which tell names of up to 16 bytes apart without reading their
  // text (longer ones compare only their middle).
  class NameIds {
   public:
    void Build(const std::vector<std::string>& names);
    // -1 when unknown; `names` is what Build was given.
    int Find(const std::vector<std::string>& names,
             std::string_view name) const;

   private:
    struct Slot {
      uint64_t head = 0;
      uint64_t tail = 0;
      uint32_t size = 0;
      int32_t id = -1;  // -1: empty
    };
    std::vector<Slot> slots_;  // a power of two, over twice the names
  };
  NameIds list_ids_;
  NameIds scenario_ids_;
  std::vector<MeasureRule> rules_;
  // rule_of_[list_id * scenarios_.size() + scenario_id] = index into rules_,
  // or -1: Decide does two hash lookups per record and no string compares.
  std::vector<int> rule_of_;
};

}  // namespace creditd

#endif  // CREDITD_CONFIG_MEASURES_H_
