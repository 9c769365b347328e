// libFuzzer target: the name normaliser, the name splitter and name comparison.
#include "matcher/name_matcher.h"
#include "matcher/name_parts.h"
#include "matcher/normalizer.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto normalizer = creditd::Normalizer::Shared();
  if (!normalizer.ok()) return 0;
  auto normalized = (*normalizer)->Normalize(input);
  if (normalized.ok()) (void)creditd::SplitName(*normalized);
  const size_t half = size / 2;
  (void)creditd::CompareNames(input.substr(0, half), input.substr(half));
  return 0;
}
