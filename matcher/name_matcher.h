// The in-process company-name matcher (issue 5): Match() finds registered
// subjects by a name typed by hand, CompareNames() tells whether two names
// likely denote the same subject (the check engine's name-vs-code test).
//
// Pipeline: normalise once (normalizer.h), split into parts (name_parts.h),
// collect candidates from in-memory postings of the trade name + industry
// (whole trade name and its one-deletion variants, its syllable sequence,
// character unigrams and bigrams, pinyin syllable bigrams),
// then score the best candidates (scorer.h) and explain each score.
//
// Bounded cost: query keys are visited rarest first, keys posted for more
// than MatchOptions::max_key_fraction of all names are skipped, the total
// number of postings read is capped (MatchOptions::max_postings_scanned) and
// only the best MatchOptions::max_candidates are scored, ranked by summed
// key weight plus a region weight when the name's registered region agrees
// with the query's (names are ordered by region, so that test is free). Keys
// with more than NameIndexOptions::max_list_length postings are not kept at
// all. So the cost of a query does not grow with the registry for common words
// such as 科技 or 有限公司.
//
// Thread safety: a built NameIndex is immutable; Match() may be called from
// any number of threads at once without locking.
#ifndef CREDITD_MATCHER_NAME_MATCHER_H_
#define CREDITD_MATCHER_NAME_MATCHER_H_

#include "index/subject.h"
#include "matcher/name_parts.h"
#include "matcher/normalizer.h"
#include "matcher/postings.h"
#include "matcher/scorer.h"

#include "absl/status/statusor.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace creditd {

// One subject as the matcher sees it; independent of the registry's types.
struct NameEntry {
  uint32_t id = 0;  // the caller's id, returned in Candidate::id
  std::string name;
  std::vector<std::string> former_names;
  std::string region;  // six digits (a USCC's positions 3-8), or empty
  uint8_t kind = 0;    // caller-defined (e.g. SubjectKind), used by filters
  uint8_t status = 0;  // caller-defined (e.g. SubjectStatus)
};

// The entry for a registry subject: its names, region, kind (SubjectKind of
// its code) and status (SubjectStatus), under the caller's `id`.
NameEntry NameEntryFor(const Subject& subject, uint32_t id);

struct NameIndexOptions {
  // Posting lists longer than this are dropped at build time (see top).
  size_t max_list_length = 200000;
  // Former names kept per entry; more are ignored (counted in stats).
  size_t max_former_names = 16;
  // Keep a lookup from NameEntry::id to entries (4 bytes per entry), which
  // Match() with a CandidateSource needs. Off for the daemon, whose index
  // takes candidates from its own postings only.
  bool lookup_by_id = false;
};

struct NameIndexStats {
  size_t entries = 0;
  size_t names = 0;          // current + former names indexed
  size_t skipped_names = 0;  // names refused by the normaliser (see below)
  size_t keys = 0;
  size_t postings = 0;
  size_t dropped_keys = 0;  // keys over max_list_length
  size_t memory_bytes = 0;  // approximate heap bytes of the index
};

struct MatchOptions {
  // Ceilings for the per-query knobs below; Match() refuses larger values.
  static constexpr size_t kMaxTopK = 100;
  static constexpr size_t kMaxCandidatesCeiling = 1000;

  size_t top_k = 10;  // 1..kMaxTopK
  // Only subjects whose registered region starts with these digits ("35",
  // "3501", "350102"); empty = all.
  std::string region_prefix;
  std::optional<uint8_t> kind;    // only this NameEntry::kind
  std::optional<uint8_t> status;  // only this NameEntry::status
  double min_score = 0.0;         // drop candidates scoring below
  // Cost bounds (see top of file).
  size_t max_candidates = 64;  // scored per query, 1..kMaxCandidatesCeiling
  size_t max_postings_scanned = 4000;
  double max_key_fraction = 0.05;
};

struct Candidate {
  uint32_t id = 0;
  double score = 0;                  // in [0, 1]
  bool same_subject_likely = false;  // score >= kSameSubjectThreshold
  // The registered name that matched best: the current name, or a former
  // name when via_former_name.
  std::string matched_name;
  bool via_former_name = false;
  Explanation explanation;
};

// Another way to find candidates than the index's own postings: the Xapian
// store (matcher/xapian_candidates.h), so that one matcher test suite runs
// over both backends. The index still normalises, scores and explains.
class CandidateSource {
 public:
  virtual ~CandidateSource() = default;
  // Caller ids (NameEntry::id) of subjects whose names resemble `query`,
  // best first, at most `max`. Errors are the source's (e.g. Internal for a
  // store that fails); Match() returns them unchanged.
  virtual absl::StatusOr<std::vector<uint32_t>> Candidates(
      const NameParts& query, size_t max) const = 0;
};

class NameIndex {
 public:
  // Builds the index. Names the normaliser refuses (invalid UTF-8, too long,
  // only punctuation) are skipped and counted in stats().skipped_names: one
  // bad row must not stop a registry from loading. Returns Internal if the
  // normaliser cannot be created (OpenCC data missing), InvalidArgument for
  // options out of range or more than 2^32-1 names.
  static absl::StatusOr<std::unique_ptr<const NameIndex>> Build(
      std::vector<NameEntry> entries, NameIndexOptions options = {});

  // Top candidates for `query`, best first (ties by ascending id), at most
  // one per subject. An empty vector means nothing resembled the query.
  // InvalidArgument: the query fails normalisation (message from
  // Normalizer::Normalize) or options are out of range ("top_k: 0 not in
  // 1..100", "region_prefix: 'x' is not 1-6 digits").
  absl::StatusOr<std::vector<Candidate>> Match(
      std::string_view query, const MatchOptions& options = {}) const;

  // The same, with candidates from `source` instead of the postings: the
  // first max_candidates ids it returns that pass the filters are scored
  // (all of each subject's names). FailedPrecondition when the index was
  // built without NameIndexOptions::lookup_by_id; the source's own errors
  // are passed on. Thread-safe if `source` is.
  absl::StatusOr<std::vector<Candidate>> Match(
      std::string_view query, const MatchOptions& options,
      const CandidateSource& source) const;

  NameIndex(const NameIndex&) = delete;
  NameIndex& operator=(const NameIndex&) = delete;

  const NameIndexStats& stats() const { return stats_; }
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    uint32_t id;
    uint32_t region_code;  // 0 when absent or malformed
    uint8_t kind;
    uint8_t status;
  };
  // One indexed name (current or former). Its parts live in `parts_`, its
  // original text in `text_` (see EncodeParts in name_matcher.cc): one slot
  // costs 16 bytes plus about 4 bytes per code point instead of a NameParts
  // with six heap strings.
  struct Slot {
    uint32_t entry;
    uint32_t parts_offset;  // into parts_
    uint32_t text_offset;   // into text_
    uint16_t text_size;
    uint8_t name_index;  // 0 = current name, k = former_names[k-1]
  };

  NameIndex() = default;
  absl::StatusOr<std::vector<Candidate>> MatchImpl(
      std::string_view query, const MatchOptions& options,
      const CandidateSource* source) const;
  // The slots to score, from the postings (bounded as described at the top)
  // or from a CandidateSource.
  std::vector<uint32_t> PostingsCandidates(const NameParts& qparts,
                                           const MatchOptions& options,
                                           bool filtered, uint32_t prefix_value,
                                           uint32_t prefix_divisor) const;
  absl::StatusOr<std::vector<uint32_t>> SourceCandidates(
      const NameParts& qparts, const MatchOptions& options,
      const CandidateSource& source, bool filtered, uint32_t prefix_value,
      uint32_t prefix_divisor) const;
  // Slot ranges [begin, end) whose registered region agrees with one of
  // `refs` (see region_dir_).
  std::vector<std::pair<uint32_t, uint32_t>> RegionSlots(
      const std::vector<matcher_internal::RegionRef>& refs) const;
  bool Passes(const Entry& e, const MatchOptions& options,
              uint32_t prefix_value, uint32_t prefix_divisor) const;

  const Normalizer* normalizer_ = nullptr;  // process-wide, never freed
  std::vector<Entry> entries_;
  std::vector<Slot> slots_;
  std::vector<char32_t> parts_;  // encoded NameParts of every slot
  std::string text_;             // original UTF-8 names of every slot
  Postings postings_;
  // Entries (and so slots) are ordered by registered region code: one
  // (code, first slot) per distinct code, then (UINT32_MAX, slot count).
  std::vector<std::pair<uint32_t, uint32_t>> region_dir_;
  // Entry indices sorted by Entry::id; empty unless lookup_by_id.
  std::vector<uint32_t> id_order_;
  NameIndexStats stats_;
};

// Trade names longer than this get no deletion-variant keys.
inline constexpr size_t kMaxDeletionTrade = 8;
// Trade name + industry ("core") of 3 to this many characters gets
// one-deletion keys of the whole core (see NameKeys); longer cores fall back
// to deletion keys of the trade name alone.
inline constexpr size_t kMaxDeletionCore = 10;

// The keys a normalised, split name is posted under (and queried with), in
// order: whole trade name, the one-deletion variants of trade name +
// industry (or of the trade name alone when that is too long), the trade name's
// syllable sequence, character unigrams and bigrams of trade name + industry,
// pinyin syllable bigrams of the same.
std::vector<uint64_t> NameKeys(const NameParts& parts);

struct Comparison {
  double score = 0;  // in [0, 1]
  bool same_subject_likely = false;
  Explanation explanation;
};

// Compares the name a caller gave (`given`) with a registered name. Pass the
// registered six-digit region as `registered_region` when known (else "").
// InvalidArgument when either name fails normalisation ("given: ..." or
// "registered: ..." prefixes the normaliser's message).
absl::StatusOr<Comparison> CompareNames(
    std::string_view given, std::string_view registered,
    std::string_view registered_region = "");

}  // namespace creditd

#endif  // CREDITD_MATCHER_NAME_MATCHER_H_
