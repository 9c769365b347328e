// BM_ValidateUscc_*: cost of ValidateUscc per code, over a pool of generated
// codes larger than the L1 cache so that branch predictors do not learn one
// input.
#include "index/legacy_codes.h"
#include "index/regions.h"
#include "index/uscc.h"

#include "benchmark/benchmark.h"

#include <random>
#include <string>
#include <vector>

namespace creditd {
namespace {

std::vector<std::string> MakeCodes(size_t n, bool valid) {
  std::mt19937_64 rng(12345);
  const auto& counties = RegionTable::Default().county_codes();
  std::vector<std::string> out;
  out.reserve(n);
  const char* pairs[] = {"91", "92", "93", "12", "52", "11", "31"};
  while (out.size() < n) {
    std::string code = pairs[rng() % 7];
    code += std::to_string(counties[rng() % counties.size()]);
    std::string body;
    for (int i = 0; i < 8; ++i) body.push_back(kUsccAlphabet[rng() % 31]);
    code += body;
    code.push_back(OrgCodeCheckCharacter(body));
    code.push_back(UsccCheckCharacter(code));
    if (!valid) {  // one substituted character: the common data-entry fault
      const size_t pos = 8 + rng() % 10;
      code[pos] = code[pos] == '1' ? '2' : '1';
    }
    out.push_back(std::move(code));
  }
  return out;
}

void BM_ValidateUscc_Valid(benchmark::State& state) {
  const auto codes = MakeCodes(4096, true);
  size_t i = 0;
  for (auto _ : state) {
    UsccResult r = ValidateUscc(codes[i++ & 4095]);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ValidateUscc_Valid);

void BM_ValidateUscc_Invalid(benchmark::State& state) {
  const auto codes = MakeCodes(4096, false);
  size_t i = 0;
  for (auto _ : state) {
    UsccResult r = ValidateUscc(codes[i++ & 4095]);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ValidateUscc_Invalid);

void BM_ValidateUscc_Folded(benchmark::State& state) {
  auto codes = MakeCodes(4096, true);
  for (auto& c : codes)
    c = "  " + c + " ";  // pasted with spaces: the folding path
  size_t i = 0;
  for (auto _ : state) {
    UsccResult r = ValidateUscc(codes[i++ & 4095]);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ValidateUscc_Folded);

void BM_CheckCharacter(benchmark::State& state) {
  const auto codes = MakeCodes(4096, true);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(UsccCheckCharacter(codes[i++ & 4095]));
  }
}
BENCHMARK(BM_CheckCharacter);

void BM_PackUscc(benchmark::State& state) {
  const auto codes = MakeCodes(4096, true);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(PackUscc(codes[i++ & 4095]));
  }
}
BENCHMARK(BM_PackUscc);

void BM_ValidateRegistrationNumber(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(ValidateRegistrationNumber("110108000000016"));
  }
}
BENCHMARK(BM_ValidateRegistrationNumber);

}  // namespace
}  // namespace creditd

BENCHMARK_MAIN();
