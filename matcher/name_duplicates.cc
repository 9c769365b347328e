#include "matcher/name_duplicates.h"

#include "matcher/normalizer.h"

#include <utility>
#include <vector>

namespace creditd {
namespace {

// The normalised form, or the cheap fold's hash as text when normalisation
// fails (so that two unnormalisable names still compare by their folded
// bytes, never equal to a normalisable one).
std::string Key(std::string_view name) {
  auto normalizer = Normalizer::Shared();
  if (normalizer.ok()) {
    auto n = (*normalizer)->NormalizeUtf8(name);
    if (n.ok()) return *std::move(n);
  }
  return "\x01" + std::to_string(FoldedNameHash(name));
}

}  // namespace

std::optional<std::string> SameSubjectByNames(const Subject& a,
                                              const Subject& b) {
  const std::string ka = Key(a.name), kb = Key(b.name);
  if (ka == kb) return "same name after normalisation '" + ka + "'";
  for (const std::string& f : a.former_names) {
    if (Key(f) == kb) {
      return "former name '" + f + "' of " + a.id + " is the name of " + b.id;
    }
  }
  for (const std::string& f : b.former_names) {
    if (Key(f) == ka) {
      return "former name '" + f + "' of " + b.id + " is the name of " + a.id;
    }
  }
  return std::nullopt;
}

DupReport ScanDuplicatesWithNames(const Registry& registry,
                                  ScanOptions options) {
  if (!options.same_subject) options.same_subject = SameSubjectByNames;
  return ScanDuplicates(registry, options);
}

}  // namespace creditd
