#include "index/line_reader.h"

#include "gtest/gtest.h"
#include <unistd.h>

#include <string>
#include <thread>

namespace creditd {
namespace {

// Feeds `data` through a real pipe, as a shell would.
std::vector<std::string> ReadAll(const std::string& data, size_t max,
                                 std::vector<uint64_t>* full) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  std::thread writer([&] {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = write(fds[1], data.data() + off, data.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    close(fds[1]);
  });
  LineReader reader(fds[0], max);
  std::vector<std::string> lines;
  std::string line;
  while (reader.Next(&line)) {
    lines.push_back(line);
    if (full) full->push_back(reader.full_bytes());
  }
  writer.join();
  close(fds[0]);
  EXPECT_TRUE(reader.status().ok());
  return lines;
}

TEST(LineReaderTest, TerminatorsAndBom) {
  auto lines = ReadAll("\xEF\xBB\xBFone\r\ntwo\n\nlast", 100, nullptr);
  EXPECT_EQ(lines, (std::vector<std::string>{"one", "two", "", "last"}));
  EXPECT_TRUE(ReadAll("", 100, nullptr).empty());
  EXPECT_EQ(ReadAll("\n", 100, nullptr), std::vector<std::string>{""});
}

TEST(LineReaderTest, LongLinesAreCutAndMeasured) {
  const std::string big(300000, 'a');  // spans several 64 KiB buffers
  std::vector<uint64_t> full;
  auto lines = ReadAll("short\n" + big + "\nafter\n", 10, &full);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1], std::string(10, 'a'));
  EXPECT_EQ(full[1], big.size());
  EXPECT_EQ(lines[2], "after");
}

}  // namespace
}  // namespace creditd
