#include "matcher/xapian_candidates.h"

#include "matcher/ngram.h"
#include "matcher/normalizer.h"

#include <algorithm>
#include <utility>

namespace creditd {

std::vector<std::string> XapianNameTerms(const NameParts& parts) {
  // A generic-only name (科技有限公司) has no core; its whole text still
  // finds names like it, which the scorer then caps.
  return NgramTerms(parts.generic_only() ? parts.normalized : parts.Core());
}

void AppendXapianNameTerms(std::string_view name,
                           std::vector<std::string>* terms) {
  absl::StatusOr<const Normalizer*> normalizer = Normalizer::Shared();
  if (!normalizer.ok()) return;
  absl::StatusOr<std::u32string> norm = (*normalizer)->Normalize(name);
  if (!norm.ok()) return;
  std::vector<std::string> grams = XapianNameTerms(SplitName(*norm));
  terms->insert(terms->end(), std::make_move_iterator(grams.begin()),
                std::make_move_iterator(grams.end()));
}

XapianCandidateSource::XapianCandidateSource(
    const XapianStore* store, absl::flat_hash_map<std::string, uint32_t> ids)
    : store_(store), ids_(std::move(ids)) {}

absl::StatusOr<std::vector<uint32_t>> XapianCandidateSource::Candidates(
    const NameParts& query, size_t max) const {
  std::vector<std::string> terms = XapianNameTerms(query);
  const size_t limit = std::clamp<size_t>(max, 1, XapianStore::kMaxNameResults);
  absl::StatusOr<std::vector<std::string>> found =
      store_->FindSubjectsByNameTerms(terms, limit);
  if (!found.ok()) return found.status();
  std::vector<uint32_t> out;
  out.reserve(found->size());
  for (const std::string& id : *found) {
    auto it = ids_.find(id);
    if (it != ids_.end()) out.push_back(it->second);
  }
  return out;
}

}  // namespace creditd
