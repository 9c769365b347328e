// Candidates from the durable Xapian store (index/xapian_store.h) instead of
// the in-memory postings: the second backend of the matcher, so that one
// matcher test suite runs over both (tests/matcher/name_matcher_test.cc,
// TYPED_TEST). The daemon keeps the in-memory postings: they are bounded
// and sub-millisecond, where an OR query over a B-tree on disk is not.
//
// The store indexes, per subject, the unigrams and bigrams (ngram.h, the one
// generator the postings use too) of each name's trade name + industry, via
// XapianStore::set_term_fn(AppendXapianNameTerms). A query's candidates are
// the subjects sharing any of its n-grams, ranked by summed IDF
// (XapianStore::FindSubjectsByNameTerms); NameIndex then scores them.
//
// Thread safety: as the store's readers, which the caller serialises
// (XapianStore is not thread-safe); so is a Match() that uses this source.
#ifndef CREDITD_MATCHER_XAPIAN_CANDIDATES_H_
#define CREDITD_MATCHER_XAPIAN_CANDIDATES_H_

#include "index/xapian_store.h"
#include "matcher/name_matcher.h"
#include "matcher/name_parts.h"

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace creditd {

// The name terms of `name` for XapianStore::set_term_fn: the UTF-8 unigrams
// and bigrams of its normalised trade name + industry (the whole normalised
// name when it is generic words only). Appends nothing when the normaliser
// refuses the name (the store then simply has no name terms for it).
void AppendXapianNameTerms(std::string_view name,
                           std::vector<std::string>* terms);

// The same terms for a name already split (the query side).
std::vector<std::string> XapianNameTerms(const NameParts& parts);

class XapianCandidateSource final : public CandidateSource {
 public:
  // `store` must outlive this source. `ids` maps the store's subject ids
  // (Subject::id) to the NameEntry ids the NameIndex was built with;
  // subjects missing from it are skipped.
  XapianCandidateSource(const XapianStore* store,
                        absl::flat_hash_map<std::string, uint32_t> ids);

  // Up to `max` entry ids, best first. Internal when the store fails;
  // InvalidArgument from the store for a query with too many terms.
  absl::StatusOr<std::vector<uint32_t>> Candidates(const NameParts& query,
                                                   size_t max) const override;

 private:
  const XapianStore* store_;
  absl::flat_hash_map<std::string, uint32_t> ids_;
};

}  // namespace creditd

#endif  // CREDITD_MATCHER_XAPIAN_CANDIDATES_H_
