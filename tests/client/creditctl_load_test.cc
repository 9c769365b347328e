// creditctl load and stats as an operator runs them: the real binary, a real
// database, and a load killed with SIGKILL half-way.
#include "index/registry.h"
#include "index/uscc.h"
#include "index/xapian_store.h"
#include "tests/testutil.h"

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

namespace creditd {
namespace {

using ::creditd::testing::RunProcess;
using ::creditd::testing::TempDir;
using ::testing::HasSubstr;

// A valid code for sequence number i (region 350100, numeric organisation-code
// body).
std::string CodeFor(int i) {
  std::string body = absl::StrFormat("%08d", i);
  std::string code = "91350100" + body;
  code.push_back(OrgCodeCheckCharacter(body));
  code.push_back(UsccCheckCharacter(code));
  return code;
}

std::string WriteSubjects(const TempDir& dir, int n) {
  const std::string path = dir.path() + "/subjects.jsonl";
  std::ofstream f(path);
  for (int i = 0; i < n; ++i) {
    f << absl::StrFormat(
        R"({"id":"S%d","code":"%s","name":"福州测试%d科技有限公司","status":"active"})"
        "\n",
        i, CodeFor(i), i);
  }
  return path;
}

TEST(CreditctlLoadTest, LoadRejectsAndStats) {
  TempDir dir;
  const std::string good = WriteSubjects(dir, 50);
  const std::string bad = dir.WriteFile(
      "records.jsonl", R"({"id":"r1","code":")" + CodeFor(1) +
                           R"(","list":"serious_dishonesty"})"
                           "\n"
                           R"({"id":"r2","code":")" +
                           CodeFor(2) +
                           R"(","list":"nope"})"
                           "\n"
                           R"({"id":"r3","code":")" +
                           CodeFor(3) +
                           R"(","list":"red_list","valid_from":"2024-02-30"})"
                           "\n");
  const std::string db = dir.path() + "/db";
  const std::string rejects = dir.path() + "/rejects.jsonl";
  auto r = RunProcess(
      {CREDITCTL_PATH, "load", "--data", db, "--rejects", rejects, good, bad});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.out, HasSubstr("subjects: 50 new"));
  EXPECT_THAT(r.out, HasSubstr("records:  1 new"));
  EXPECT_THAT(r.out, HasSubstr("rejected: 2"));
  EXPECT_THAT(
      r.err,
      HasSubstr(bad + ":2: list: unknown list 'nope' (configured lists:"));
  EXPECT_THAT(r.err,
              HasSubstr(bad + ":3: valid_from: no such day '2024-02-30'"));
  std::ifstream rf(rejects);
  std::string all((std::istreambuf_iterator<char>(rf)),
                  std::istreambuf_iterator<char>());
  EXPECT_EQ(testing::Lines(all).size(), 2u);
  EXPECT_THAT(all, HasSubstr(R"("field":"list")"));

  auto stats = RunProcess({CREDITCTL_PATH, "stats", "--data", db});
  EXPECT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_THAT(stats.out, HasSubstr("subjects 50\n"));
  EXPECT_THAT(stats.out, HasSubstr("serious_dishonesty"));
  EXPECT_EQ(RunProcess({CREDITCTL_PATH, "load", "--data", db}).exit_code, 2);
  EXPECT_EQ(RunProcess({CREDITCTL_PATH, "stats"}).exit_code, 2);
  EXPECT_EQ(
      RunProcess({CREDITCTL_PATH, "load", "--data", db, "/nonexistent.jsonl"})
          .exit_code,
      2);
}

// A load killed with SIGKILL leaves the database at its last commit (whole
// batches only), and running the same load again converges to the full state.
TEST(CreditctlLoadTest, KilledLoadKeepsWholeBatchesAndRerunConverges) {
  TempDir dir;
  constexpr int kSubjects = 60000;
  constexpr int kBatch = 500;
  const std::string input = WriteSubjects(dir, kSubjects);
  const std::string db = dir.path() + "/db";
  const std::vector<std::string> load = {
      CREDITCTL_PATH,         "load",   "--quiet", "--batch",
      std::to_string(kBatch), "--data", db,        input};
  const int pid = testing::StartProcess(load, dir.path() + "/load.log");
  // Wait for the first commits, then kill without warning.
  uint64_t seen = 0;
  for (int i = 0; i < 400 && seen < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto store = XapianStore::Open(db, XapianStore::Mode::kReadOnly);
    if (store.ok()) seen = (*store)->version();
  }
  kill(pid, SIGKILL);
  const int status = testing::WaitProcess(pid);
  {
    auto store = XapianStore::Open(db, XapianStore::Mode::kReadOnly);
    ASSERT_TRUE(store.ok()) << store.status();
    const uint64_t version = (*store)->version();
    EXPECT_EQ((*store)->document_count(), version * kBatch)
        << "a commit holds whole batches only (exit " << status << ")";
    if (status == 128 + SIGKILL) {
      EXPECT_LT((*store)->document_count(), static_cast<uint64_t>(kSubjects));
    }
  }
  auto rerun = RunProcess(load);
  EXPECT_EQ(rerun.exit_code, 0) << rerun.err;
  auto reg = LoadRegistryReadOnly(db);
  ASSERT_TRUE(reg.ok()) << reg.status();
  EXPECT_EQ((*reg)->subject_count(), static_cast<size_t>(kSubjects));
  EXPECT_EQ((*reg)->SubjectById("S59999")->code, CodeFor(59999));
  // And once more: nothing left to do.
  auto again = RunProcess(load);
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_THAT(again.out,
              HasSubstr(absl::StrFormat(
                  "subjects: 0 new, 0 replaced, %d repeated", kSubjects)));
}

}  // namespace
}  // namespace creditd
