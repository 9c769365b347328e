// Bounded edit distance over code points (Xapian api/editdistance.h, with
// lower bounds first).
//
// The distance is the optimal string alignment distance: insertions,
// deletions, substitutions and transpositions of two adjacent characters, each
// costing 1, no substring edited twice. It works on UTF-32 code points, never
// bytes, so one Chinese character typo costs 1.
//
// Pure; safe from any thread.
#ifndef CREDITD_MATCHER_EDIT_DISTANCE_H_
#define CREDITD_MATCHER_EDIT_DISTANCE_H_

#include <cstdint>
#include <string_view>

namespace creditd {

// Returns the distance between `a` and `b` if it is at most `max_distance`,
// otherwise any value greater than `max_distance` (callers compare, they do
// not use the excess). Cost is O(1) when a cheap lower bound already exceeds
// max_distance (length difference, character-set bitmap), otherwise
// O(min(|a|,|b|) * (2 * max_distance + 1)) after stripping the common prefix
// and suffix. REQUIRES: max_distance >= 0.
int BoundedEditDistance(std::u32string_view a, std::u32string_view b,
                        int max_distance);

// A 64-bit bitmap of the characters of `text` (bit cp % 64). Two strings at
// distance d differ in at most d bits each way, which gives the lower bound
// used above; callers comparing one string with many may precompute it.
uint64_t CharBitmap(std::u32string_view text);

}  // namespace creditd

#endif  // CREDITD_MATCHER_EDIT_DISTANCE_H_
