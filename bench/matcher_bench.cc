// Micro benchmarks of the name matcher (issue 5): normalisation, bounded edit
// distance, and Match top-10 over synthetic registries of growing size.
//
//   matcher_bench --benchmark_filter=BM_Match
//
// Synthetic names: region + 2-4 trade characters from a pool of common trade
// characters + industry word + organisation form, so that trade-name
// characters and generic words are as common as in real registries. Queries
// are registered names with one character changed (a typo), the common case.
#include "matcher/edit_distance.h"
#include "matcher/internal/utf8.h"
#include "matcher/name_matcher.h"
#include "matcher/normalizer.h"

#include "benchmark/benchmark.h"

#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace creditd {
namespace {

const std::u32string kTradeChars =
    U"鑫盛达华泰宏源祥瑞丰恒通利兴隆昌嘉和德信诚明辉金鼎旺顺安康宇航博远腾飞"
    U"凯锦晟铭海天正大中元东方佳美新光启荣盈聚益成永富贵发鸿伟创智联合众星"
    U"龙凤云峰山水林森立新科华振亚欧美邦泽润沃尔特普斯卡万千百佰仟亿";
const std::u32string kIndustries[] = {U"科技",     U"贸易",     U"建筑工程",
                                      U"信息技术", U"餐饮管理", U"物流",
                                      U"文化传媒", U"电子商务", U"实业"};
const std::u32string kForms[] = {U"有限公司", U"股份有限公司", U"有限责任公司",
                                 U"商行"};
const std::u32string kPlaces[] = {U"福州", U"厦门市", U"泉州",   U"深圳市",
                                  U"杭州", U"南京",   U"成都市", U""};

// The matcher's own encoder (also handles code points above U+FFFF).
std::string U8(std::u32string_view s) {
  return matcher_internal::EncodeUtf8(s);
}

std::u32string SyntheticName(std::mt19937& rng, std::u32string* trade_out) {
  std::uniform_int_distribution<size_t> ch(0, kTradeChars.size() - 1);
  std::u32string trade;
  const int len = 2 + static_cast<int>(rng() % 3);
  for (int i = 0; i < len; ++i) trade.push_back(kTradeChars[ch(rng)]);
  if (trade_out != nullptr) *trade_out = trade;
  return kPlaces[rng() % std::size(kPlaces)] + trade +
         kIndustries[rng() % std::size(kIndustries)] +
         kForms[rng() % std::size(kForms)];
}

void PrintWarnings() {
#ifndef NDEBUG
  std::fprintf(stderr,
               "WARNING: assertions are enabled; benchmarks are slow\n");
#endif
#if !defined(__OPTIMIZE__)
  std::fprintf(stderr, "WARNING: built without optimisation\n");
#endif
}

void BM_Normalize(benchmark::State& state) {
  const Normalizer* n = *Normalizer::Shared();
  const std::string name = "福建省福州市鑫盛達貿易（集团）有限責任公司　ＡＢＣ";
  for (auto _ : state) {
    auto r = n->Normalize(name);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_Normalize);

void BM_EditDistance_Bounded(benchmark::State& state) {
  std::mt19937 rng(7);
  std::vector<std::u32string> names;
  for (int i = 0; i < 1024; ++i) names.push_back(SyntheticName(rng, nullptr));
  const int max_d = static_cast<int>(state.range(0));
  size_t i = 0;
  for (auto _ : state) {
    const int d =
        BoundedEditDistance(names[i % 1024], names[(i + 1) % 1024], max_d);
    benchmark::DoNotOptimize(d);
    ++i;
  }
}
BENCHMARK(BM_EditDistance_Bounded)->Arg(1)->Arg(2)->Arg(4);

// One index per size, built once and kept for the process.
const NameIndex& IndexOfSize(size_t size) {
  static auto* indexes =
      new std::map<size_t, std::unique_ptr<const NameIndex>>();
  auto it = indexes->find(size);
  if (it != indexes->end()) return *it->second;
  std::mt19937 rng(42);
  std::vector<NameEntry> entries;
  entries.reserve(size);
  for (size_t i = 0; i < size; ++i) {
    NameEntry e;
    e.id = static_cast<uint32_t>(i);
    e.name = U8(SyntheticName(rng, nullptr));
    e.region = "350102";
    entries.push_back(std::move(e));
  }
  auto built = NameIndex::Build(std::move(entries));
  if (!built.ok()) std::abort();
  auto& slot = (*indexes)[size];
  slot = std::move(*built);
  return *slot;
}

void BM_Match_TopK(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  const NameIndex& index = IndexOfSize(size);
  // Queries: names of the same generator (same seed) with one trade typo.
  std::mt19937 rng(42);
  std::vector<std::string> queries;
  for (int i = 0; i < 256 && static_cast<size_t>(i) < size; ++i) {
    std::u32string trade;
    std::u32string name = SyntheticName(rng, &trade);
    const size_t at = name.find(trade);
    name[at + 1] = U'码';
    queries.push_back(U8(name));
  }
  MatchOptions options;
  options.top_k = 10;
  size_t i = 0;
  for (auto _ : state) {
    auto r = index.Match(queries[i % queries.size()], options);
    benchmark::DoNotOptimize(r);
    ++i;
  }
  state.counters["bytes_per_name"] =
      static_cast<double>(index.stats().memory_bytes) /
      static_cast<double>(size);
}
BENCHMARK(BM_Match_TopK)
    ->RangeMultiplier(10)
    ->Range(1000, 100000)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace creditd

int main(int argc, char** argv) {
  creditd::PrintWarnings();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
