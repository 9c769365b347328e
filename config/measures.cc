#include "config/measures.h"

#include "config/daemon_config_internal.h"
#include "config/limits.h"
#include "config/toml_internal.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"

#include <cstring>
#include <utility>

namespace creditd {

namespace embedded {
std::string_view MeasuresDefaultToml();  // generated from measures.default.toml
}  // namespace embedded

namespace {

using config_internal::LineOf;
using config_internal::Quote;
using config_internal::SortedEntries;
using config_internal::TypeName;

constexpr std::pair<Action, std::string_view> kActions[] = {
    {Action::kBlock, "block"},
    {Action::kWarn, "warn"},
    {Action::kInfo, "info"},
    {Action::kIncentive, "incentive"},
};

// Civil-date arithmetic on days since 1970-01-01 (H. Hinnant's algorithms),
// enough for "N years after a date" without a time zone library.
struct Ymd {
  int64_t y;
  unsigned m, d;
};

Ymd CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {m <= 2 ? y + 1 : y, m, d};
}

int64_t DaysFromCivil(Ymd c) {
  const int64_t y = c.m <= 2 ? c.y - 1 : c.y;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (c.m > 2 ? c.m - 3 : c.m + 9) + 2) / 5 + c.d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// The last day of a period of `years` years starting the day after `from`:
// the same month and day `years` later, or the month's last day when there is
// no such day (29 Feb -> 28 Feb). This is how
// 《民法典》第二百零一条、第二百零三条 count periods in years.
int64_t LastDayOfYearsAfter(int64_t from, int years) {
  Ymd c = CivilFromDays(from);
  c.y += years;
  if (c.m == 2 && c.d == 29 && !IsLeap(c.y)) c.d = 28;
  return DaysFromCivil(c);
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || s.size() > 64 || !(s[0] >= 'a' && s[0] <= 'z')) {
    return false;
  }
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

}  // namespace

std::string_view ActionName(Action action) {
  for (const auto& [a, name] : kActions) {
    if (a == action) return name;
  }
  return "clear";
}

absl::StatusOr<Action> ParseAction(std::string_view name) {
  for (const auto& [a, n] : kActions) {
    if (n == name) return a;
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("unknown action %s (allowed: block, warn, info, "
                      "incentive)",
                      Quote(name)));
}

std::string_view DispositionName(Disposition d) {
  switch (d) {
    case Disposition::kCounted:
      return "counted";
    case Disposition::kNotInForce:
      return "not_in_force";
    case Disposition::kNoRule:
      return "no_rule";
    case Disposition::kDisputedExcluded:
      return "disputed_excluded";
    case Disposition::kOutsideWindow:
      return "outside_window";
  }
  return "unknown";
}

// Builds a MeasuresList from a parsed TOML tree. Errors in file order within
// each pass: top-level keys, then [[list]] and [[scenario]] declarations (so a
// [[measure]] may use a list declared further down), then [[measure]] rows.
class MeasuresParser {
 public:
  explicit MeasuresParser(std::string_view file) : file_(file) {}

  absl::StatusOr<MeasuresList> Parse(const toml::value& root) {
    MeasuresList m;
    for (std::string_view l : kBuiltinLists) m.lists_.emplace_back(l);
    for (std::string_view s : kBuiltinScenarios) m.scenarios_.emplace_back(s);
    const toml::value* lists = nullptr;
    const toml::value* scenarios = nullptr;
    const toml::value* measures = nullptr;
    for (const auto& [key, value] : SortedEntries(root)) {
      if (key == "version" || key == "title") {
        if (!value->is_string()) {
          return Error(
              *value, key,
              absl::StrFormat("expected a string, got %s", TypeName(*value)));
        }
        if (key == "version") m.version_ = value->as_string().str;
      } else if (key == "list") {
        lists = value;
      } else if (key == "scenario") {
        scenarios = value;
      } else if (key == "measure") {
        measures = value;
      } else {
        return Error(*value, key,
                     "unknown key (allowed: version, title, [[list]], "
                     "[[scenario]], [[measure]])");
      }
    }
    absl::Status s = Declare(lists, "list", "lists", m.lists_);
    if (s.ok()) s = Declare(scenarios, "scenario", "scenarios", m.scenarios_);
    if (!s.ok()) return s;
    m.list_ids_.Build(m.lists_);
    m.scenario_ids_.Build(m.scenarios_);
    m.rule_of_.assign(m.lists_.size() * m.scenarios_.size(), -1);
    if (measures != nullptr) {
      s = ReadMeasures(*measures, m);
      if (!s.ok()) return s;
    }
    return m;
  }

 private:
  absl::Status Error(const toml::value& at, std::string_view key,
                     std::string_view reason) const {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s:%d: %s: %s", file_, LineOf(at), key, reason));
  }

  // Checks that `v` is an array of at most `max` tables.
  absl::Status ArrayOfTables(const toml::value& v, std::string_view key,
                             int64_t max) const {
    if (!v.is_array()) {
      return Error(v, key,
                   absl::StrFormat("expected an array of tables ([[%s]]), got "
                                   "%s",
                                   key, TypeName(v)));
    }
    if (static_cast<int64_t>(v.as_array().size()) > max) {
      return Error(v, key,
                   absl::StrFormat("%d entries is out of range (allowed range "
                                   "0..%d)",
                                   v.as_array().size(), max));
    }
    for (const toml::value& e : v.as_array()) {
      if (!e.is_table()) {
        return Error(e, key,
                     absl::StrFormat("expected a table, got %s", TypeName(e)));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> GetString(const toml::value& v,
                                        const std::string& key) const {
    if (!v.is_string()) {
      return Error(v, key,
                   absl::StrFormat("expected a string, got %s", TypeName(v)));
    }
    return v.as_string().str;
  }

  // [[list]] / [[scenario]]: name (required), description (optional).
  absl::Status Declare(const toml::value* decls, std::string_view key,
                       std::string_view plural,
                       std::vector<std::string>& names) {
    if (decls == nullptr) return absl::OkStatus();
    absl::Status s = ArrayOfTables(*decls, key, limits::kMaxDeclaredNames);
    if (!s.ok()) return s;
    const size_t builtins = names.size();
    absl::flat_hash_map<std::string, int> declared_at;
    const auto& entries = decls->as_array();
    for (size_t i = 0; i < entries.size(); ++i) {
      const std::string entry_key = absl::StrFormat("%s[%d]", key, i + 1);
      std::optional<std::string> name;
      for (const auto& [field, value] : SortedEntries(entries[i])) {
        const std::string field_key =
            absl::StrFormat("%s.%s", entry_key, field);
        if (field != "name" && field != "description") {
          return Error(*value, field_key,
                       "unknown key (allowed: name, description)");
        }
        auto text = GetString(*value, field_key);
        if (!text.ok()) return text.status();
        if (field != "name") continue;
        if (!IsIdentifier(*text)) {
          return Error(*value, field_key,
                       absl::StrFormat("%s is not a valid name (1..64 "
                                       "characters a-z 0-9 _, starting with "
                                       "a letter)",
                                       Quote(*text)));
        }
        for (size_t b = 0; b < builtins; ++b) {
          if (names[b] == *text) {
            return Error(*value, field_key,
                         absl::StrFormat("%s is a built-in %s (declare only "
                                         "new %s)",
                                         Quote(*text), key, plural));
          }
        }
        auto [it, fresh] = declared_at.emplace(*text, LineOf(*value));
        if (!fresh) {
          return Error(*value, field_key,
                       absl::StrFormat("%s is already declared at line %d",
                                       Quote(*text), it->second));
        }
        name = *text;
      }
      if (!name) {
        return Error(entries[i], absl::StrFormat("%s.name", entry_key),
                     "missing");
      }
      names.push_back(*name);
    }
    return absl::OkStatus();
  }

  absl::Status ReadMeasures(const toml::value& rows, MeasuresList& m) {
    absl::Status s = ArrayOfTables(rows, "measure", limits::kMaxMeasureRules);
    if (!s.ok()) return s;
    const auto& entries = rows.as_array();
    m.rules_.reserve(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      s = ReadRule(i, entries[i], m);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status ReadRule(size_t i, const toml::value& row, MeasuresList& m) {
    const std::string key = absl::StrFormat("measure[%d]", i + 1);
    MeasureRule rule;
    rule.line = LineOf(row);
    int list_id = -1, scenario_id = -1;
    bool has_action = false;
    for (const auto& [field, value] : SortedEntries(row)) {
      const std::string fk = absl::StrFormat("%s.%s", key, field);
      if (field == "within_years") {
        if (!value->is_integer()) {
          return Error(
              *value, fk,
              absl::StrFormat("expected an integer, got %s", TypeName(*value)));
        }
        int64_t n = value->as_integer();
        if (n < 1 || n > limits::kMaxWithinYears) {
          return Error(*value, fk,
                       absl::StrFormat("%d is out of range (allowed range "
                                       "1..%d)",
                                       n, limits::kMaxWithinYears));
        }
        rule.within_years = static_cast<int>(n);
        continue;
      }
      if (field == "exclude_disputed") {
        if (!value->is_boolean()) {
          return Error(*value, fk,
                       absl::StrFormat("expected a boolean (true or false), "
                                       "got %s",
                                       TypeName(*value)));
        }
        rule.exclude_disputed = value->as_boolean();
        continue;
      }
      if (field != "list" && field != "scenario" && field != "action" &&
          field != "basis" && field != "wording") {
        return Error(*value, fk,
                     "unknown key (allowed: list, scenario, action, basis, "
                     "wording, within_years, exclude_disputed)");
      }
      auto text = GetString(*value, fk);
      if (!text.ok()) return text.status();
      if (field == "list") {
        list_id = m.ListId(*text);
        if (list_id < 0) {
          return Error(*value, fk,
                       absl::StrFormat("unknown list %s (allowed: %s; declare "
                                       "others with [[list]])",
                                       Quote(*text), JoinNames(m.lists_)));
        }
        rule.list = *text;
      } else if (field == "scenario") {
        scenario_id = m.ScenarioId(*text);
        if (scenario_id < 0) {
          return Error(*value, fk,
                       absl::StrFormat("unknown scenario %s (allowed: %s; "
                                       "declare others with [[scenario]])",
                                       Quote(*text), JoinNames(m.scenarios_)));
        }
        rule.scenario = *text;
      } else if (field == "action") {
        auto action = ParseAction(*text);
        if (!action.ok()) {
          return Error(*value, fk, std::string(action.status().message()));
        }
        rule.action = *action;
        has_action = true;
      } else {
        if (text->empty()) {
          return Error(*value, fk,
                       field == "basis"
                           ? "must cite the legal basis of the measure"
                           : "must give the wording shown to callers");
        }
        (field == "basis" ? rule.basis : rule.wording) = std::move(*text);
      }
    }
    std::string_view missing = list_id < 0            ? "list"
                               : scenario_id < 0      ? "scenario"
                               : !has_action          ? "action"
                               : rule.basis.empty()   ? "basis"
                               : rule.wording.empty() ? "wording"
                                                      : "";
    if (!missing.empty()) {
      return Error(row, absl::StrFormat("%s.%s", key, missing),
                   "missing (every measure needs list, scenario, action, "
                   "basis and wording)");
    }
    int& slot = m.rule_of_[static_cast<size_t>(list_id) * m.scenarios_.size() +
                           static_cast<size_t>(scenario_id)];
    if (slot >= 0) {
      return Error(
          row, key,
          absl::StrFormat("(%s, %s) already has a measure at line %d",
                          rule.list, rule.scenario, m.rules_[slot].line));
    }
    slot = static_cast<int>(m.rules_.size());
    m.rules_.push_back(std::move(rule));
    return absl::OkStatus();
  }

  std::string file_;
};

absl::StatusOr<MeasuresList> MeasuresList::Parse(
    std::string_view text, std::string_view name_for_errors) {
  if (static_cast<int64_t>(text.size()) > limits::kMaxMeasuresFileBytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: file is %d bytes (allowed at most %d)", name_for_errors,
        text.size(), limits::kMaxMeasuresFileBytes));
  }
  auto root = config_internal::ParseToml(text, name_for_errors);
  if (!root.ok()) return root.status();
  // Only checked accessors are used, but no toml11 exception may leave this
  // file whatever happens.
  try {
    return MeasuresParser(name_for_errors).Parse(*root);
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrFormat("%s: unexpected error reading the measures list: %s",
                        name_for_errors, std::string(e.what()).substr(0, 200)));
  }
}

absl::StatusOr<MeasuresList> MeasuresList::Load(const std::string& path) {
  auto text =
      config_internal::ReadSmallFile(path, limits::kMaxMeasuresFileBytes);
  if (!text.ok()) return text.status();
  return Parse(*text, path);
}

absl::StatusOr<MeasuresList> MeasuresList::BuiltinDefault() {
  return Parse(embedded::MeasuresDefaultToml(), "measures.default.toml");
}

namespace {

// A name's first and last eight bytes (overlapping when shorter than 16; the
// bytes themselves when shorter than 8, with `tail` zero).
struct NameWords {
  uint64_t head = 0;
  uint64_t tail = 0;
};

NameWords WordsOf(std::string_view name) {
  NameWords w;
  if (name.size() >= 8) {
    std::memcpy(&w.head, name.data(), 8);  // fixed sizes: single loads
    std::memcpy(&w.tail, name.data() + name.size() - 8, 8);
  } else {
    for (size_t i = 0; i < name.size(); ++i) {
      w.head |= uint64_t{static_cast<uint8_t>(name[i])} << (8 * i);
    }
  }
  return w;
}

size_t SlotHash(const NameWords& w, size_t size) {
  uint64_t h = w.head ^ (w.tail * 0x9E3779B97F4A7C15ull) ^ size;
  h *= 0xBF58476D1CE4E5B9ull;
  return static_cast<size_t>(h ^ (h >> 31));
}

}  // namespace

void MeasuresList::NameIds::Build(const std::vector<std::string>& names) {
  size_t capacity = 8;
  while (capacity < 2 * names.size() + 1) capacity *= 2;
  slots_.assign(capacity, Slot{});
  for (size_t i = 0; i < names.size(); ++i) {
    const NameWords w = WordsOf(names[i]);
    size_t at = SlotHash(w, names[i].size()) & (capacity - 1);
    while (slots_[at].id >= 0) at = (at + 1) & (capacity - 1);
    slots_[at] = {w.head, w.tail, static_cast<uint32_t>(names[i].size()),
                  static_cast<int32_t>(i)};
  }
}

int MeasuresList::NameIds::Find(const std::vector<std::string>& names,
                                std::string_view name) const {
  if (slots_.empty()) return -1;
  const NameWords w = WordsOf(name);
  const size_t mask = slots_.size() - 1;
  for (size_t at = SlotHash(w, name.size()) & mask;; at = (at + 1) & mask) {
    const Slot& slot = slots_[at];
    if (slot.id < 0) return -1;
    if (slot.head != w.head || slot.tail != w.tail ||
        slot.size != name.size()) {
      continue;
    }
    // Head, tail and length cover every byte of a name of up to 16 bytes;
    // up to 32, two more overlapping words cover the middle (inline: the
    // memcmp call was half of a lookup, and list names are 10-30 bytes).
    if (name.size() <= 16) return slot.id;
    const char* have = names[static_cast<size_t>(slot.id)].data();
    if (have == name.data()) return slot.id;  // the list's own copy
    if (name.size() <= 32) {
      uint64_t a[2], b[2];
      std::memcpy(&a[0], have + 8, 8);
      std::memcpy(&a[1], have + name.size() - 16, 8);
      std::memcpy(&b[0], name.data() + 8, 8);
      std::memcpy(&b[1], name.data() + name.size() - 16, 8);
      if (((a[0] ^ b[0]) | (a[1] ^ b[1])) == 0) return slot.id;
    } else if (std::memcmp(have + 8, name.data() + 8, name.size() - 16) == 0) {
      return slot.id;
    }
  }
}

int MeasuresList::ListId(std::string_view name) const {
  return list_ids_.Find(lists_, name);
}

int MeasuresList::ScenarioId(std::string_view name) const {
  return scenario_ids_.Find(scenarios_, name);
}

std::string_view MeasuresList::ScenarioName(std::string_view name) const {
  const int id = ScenarioId(name);
  return id < 0 ? std::string_view() : scenarios_[static_cast<size_t>(id)];
}

bool MeasuresList::HasList(std::string_view name) const {
  return ListId(name) >= 0;
}

bool MeasuresList::HasScenario(std::string_view name) const {
  return ScenarioId(name) >= 0;
}

const MeasureRule* MeasuresList::Find(std::string_view list,
                                      std::string_view scenario) const {
  int l = ListId(list), s = ScenarioId(scenario);
  if (l < 0 || s < 0) return nullptr;
  int r = rule_of_[static_cast<size_t>(l) * scenarios_.size() +
                   static_cast<size_t>(s)];
  return r < 0 ? nullptr : &rules_[static_cast<size_t>(r)];
}

template <typename R>
absl::StatusOr<Decision> MeasuresList::DecideImpl(std::span<const R> records,
                                                  std::string_view scenario,
                                                  Date date) const {
  const int s = ScenarioId(scenario);
  if (s < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("unknown scenario %s (allowed: %s)", Quote(scenario),
                        JoinNames(scenarios_)));
  }
  if (!date.has_value()) {
    return absl::InvalidArgumentError("date: not given");
  }
  Decision d;
  d.outcomes.reserve(records.size());
  // A subject's records often share a list, and a registry's records share
  // its text (the base interns list names): the last lookup is kept by
  // address.
  std::string_view last_list;
  int last_id = -1;
  for (size_t i = 0; i < records.size(); ++i) {
    const R& r = records[i];
    RecordOutcome o;
    o.index = i;
    const std::string_view list = r.list;
    if (list.data() != last_list.data() || list.size() != last_list.size()) {
      last_list = list;
      last_id = ListId(list);
    }
    const int l = last_id;
    if (l >= 0) {
      int idx = rule_of_[static_cast<size_t>(l) * scenarios_.size() +
                         static_cast<size_t>(s)];
      if (idx >= 0) o.rule = &rules_[static_cast<size_t>(idx)];
    }
    if (!r.InForce(date)) {
      o.disposition = Disposition::kNotInForce;
    } else if (o.rule == nullptr) {
      // 过惩相当: a pair the operator did not name has no consequence.
      o.disposition = Disposition::kNoRule;
    } else if (o.rule->exclude_disputed && r.disputed) {
      o.disposition = Disposition::kDisputedExcluded;
    } else if (o.rule->within_years > 0) {
      // The decision date, else the start of validity. A record with neither
      // cannot be shown to fall inside the window, and a condition that cannot
      // be verified is not held against the subject.
      Date from = r.decided_on.has_value() ? r.decided_on : r.valid_from;
      bool inside =
          from.has_value() &&
          date.days <= LastDayOfYearsAfter(from.days, o.rule->within_years);
      o.disposition =
          inside ? Disposition::kCounted : Disposition::kOutsideWindow;
    } else {
      o.disposition = Disposition::kCounted;
    }
    if (o.disposition == Disposition::kCounted && o.rule->action > d.verdict) {
      d.verdict = o.rule->action;
      d.fired = i;
    }
    d.outcomes.push_back(o);
  }
  return d;
}

absl::StatusOr<Decision> MeasuresList::Decide(std::span<const Record> records,
                                              std::string_view scenario,
                                              Date date) const {
  return DecideImpl(records, scenario, date);
}

absl::StatusOr<Decision> MeasuresList::Decide(
    std::span<const RecordView> records, std::string_view scenario,
    Date date) const {
  return DecideImpl(records, scenario, date);
}

}  // namespace creditd
