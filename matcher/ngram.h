// The one CJK n-gram generator: unigrams and bigrams over code points. The
// in-memory postings (matcher/postings.h) and the Xapian terms (index/, later)
// both use it, so a name is cut the same way everywhere (Xapian 1.4.22's
// FLAG_CJK_NGRAM also makes unigrams and bigrams).
//
// Pure functions; safe from any thread.
#ifndef CREDITD_MATCHER_NGRAM_H_
#define CREDITD_MATCHER_NGRAM_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace creditd {

// Calls fn(gram) for every unigram and bigram of `text`, in text order:
// t[0], t[0..1], t[1], t[1..2], ..., t[n-1]. Brackets '(' and ')' are not
// part of any gram (a bigram never spans one). `gram` views into `text`.
template <typename Fn>
void ForEachNgram(std::u32string_view text, Fn&& fn) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == U'(' || text[i] == U')') continue;
    fn(text.substr(i, 1));
    if (i + 1 < text.size() && text[i + 1] != U'(' && text[i + 1] != U')') {
      fn(text.substr(i, 2));
    }
  }
}

// The n-grams of `text` as UTF-8 strings (for Xapian terms), duplicates kept,
// in ForEachNgram order.
std::vector<std::string> NgramTerms(std::u32string_view text);

// A 64-bit key for a unigram or bigram, unique per gram and distinct from the
// keys of other families (see postings.h). REQUIRES: gram.size() is 1 or 2.
uint64_t NgramKey(std::u32string_view gram);

}  // namespace creditd

#endif  // CREDITD_MATCHER_NGRAM_H_
