// The name-aware half of duplicate detection (issue 6): whether two subjects
// are "the same subject", by normalised name or a former-name link, plugged
// into the scan of index/duplicates.h.
//
// Same subject (SameSubjectByNames) when, after Normalizer::Normalize (NFKC,
// traditional -> simplified, punctuation and brackets unified):
//   - the current names are equal, or
//   - a former name of one equals the current name of the other.
// Deliberately NOT the same subject (near misses, see docs/duplicates.md):
//   - a branch office (分公司) and its parent: their names differ by the
//     branch's place and form even though the trade name is shared;
//   - the same trade name in another region: names with different region
//     words differ; equal names in different divisions are never grouped as
//     一主体多码 because the scan requires the same division for a name link;
//   - a renamed subject under one code: one subject, nothing to report.
// Names that fail normalisation (empty, too long) are compared by their
// bytes after the scan's cheap fold instead.
//
// Thread safety: pure; the shared normaliser is thread-safe.
#ifndef CREDITD_MATCHER_NAME_DUPLICATES_H_
#define CREDITD_MATCHER_NAME_DUPLICATES_H_

#include "index/duplicates.h"
#include "index/registry.h"
#include "index/subject.h"

#include <optional>
#include <string>

namespace creditd {

// The evidence ("same name after normalisation '鑫盛达科技有限公司'", "former
// name 'X' of A is the name of B"), or nullopt when the names say these are
// different subjects. Regions are not compared here (the scan does that for
// 一主体多码; a shared code needs no region).
std::optional<std::string> SameSubjectByNames(const Subject& a,
                                              const Subject& b);

// ScanDuplicates with SameSubjectByNames as options.same_subject (unless the
// caller set one). This is the entry point for creditctl dups and the daemon.
DupReport ScanDuplicatesWithNames(const Registry& registry,
                                  ScanOptions options);

}  // namespace creditd

#endif  // CREDITD_MATCHER_NAME_DUPLICATES_H_
