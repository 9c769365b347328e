#include "matcher/ngram.h"

#include "matcher/internal/utf8.h"

namespace creditd {

std::vector<std::string> NgramTerms(std::u32string_view text) {
  std::vector<std::string> terms;
  terms.reserve(text.size() * 2);
  ForEachNgram(text, [&](std::u32string_view gram) {
    terms.push_back(matcher_internal::EncodeUtf8(gram));
  });
  return terms;
}

uint64_t NgramKey(std::u32string_view gram) {
  // Code points take 21 bits. Unigram: family 1 in bits 56..63, cp in the low
  // bits. Bigram: family 2, first cp in bits 21..41, second in 0..20.
  if (gram.size() == 1) return (uint64_t{1} << 56) | gram[0];
  return (uint64_t{2} << 56) | (uint64_t{gram[0]} << 21) | gram[1];
}

}  // namespace creditd
