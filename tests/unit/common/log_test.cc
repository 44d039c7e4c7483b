#include "common/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace strait::common {
namespace {

// A pipe the logger writes to while a reader thread drains it (a pipe holds only 64 KiB).
class PipeLog {
 public:
  PipeLog() {
    EXPECT_EQ(pipe2(fds_, O_CLOEXEC), 0);
    reader_ = std::thread([this] {
      char buf[8192];
      for (;;) {
        ssize_t n = read(fds_[0], buf, sizeof buf);
        if (n <= 0) return;
        text_.append(buf, static_cast<size_t>(n));
      }
    });
    setLogFdForTesting(fds_[1]);
  }
  // Stops logging to the pipe and returns everything written to it.
  std::string finish() {
    setLogFdForTesting(-1);
    close(fds_[1]);
    reader_.join();
    close(fds_[0]);
    return text_;
  }

 private:
  int fds_[2] = {-1, -1};
  std::thread reader_;
  std::string text_;  // written by reader_ until finish() joins it
};

// The line thread `t` writes as its `i`th: its length varies (up to ~1.5 KiB, under
// PIPE_BUF) so that torn or interleaved writes could not go unnoticed.
std::string expectedLine(int t, int i) {
  return absl::StrCat("strait-sidecar: thread ", t, " line ", i, " ",
                      std::string(static_cast<size_t>((t * 131 + i * 17) % 1500), static_cast<char>('a' + t)),
                      " end");
}

TEST(Log, LinesFromManyThreadsNeverInterleave) {
  constexpr int kThreads = 8;
  constexpr int kLines = 1000;
  PipeLog pipe;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([t] {
      for (int i = 0; i < kLines; i++) logInfo("%s", expectedLine(t, i));
    });
  }
  for (auto& th : threads) th.join();
  std::string text = pipe.finish();

  ASSERT_FALSE(text.empty());
  ASSERT_EQ(text.back(), '\n');
  std::vector<std::string> lines = absl::StrSplit(text.substr(0, text.size() - 1), '\n');
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kLines));
  std::vector<int> next(kThreads, 0);  // each thread's lines arrive whole and in its order
  for (const std::string& line : lines) {
    int t = -1, i = -1;
    ASSERT_EQ(sscanf(line.c_str(), "strait-sidecar: thread %d line %d ", &t, &i), 2) << line.substr(0, 80);
    ASSERT_TRUE(t >= 0 && t < kThreads) << line.substr(0, 80);
    ASSERT_EQ(i, next[t]) << "thread " << t;
    ASSERT_EQ(line, expectedLine(t, i));
    next[t]++;
  }
}

TEST(Log, LevelGatesLines) {
  PipeLog pipe;
  setLogLevel(LogLevel::kInfo);
  logDebug("hidden %d", 1);
  logInfo("shown %d", 2);
  setLogLevel(LogLevel::kDebug);
  logDebug("shown %d", 3);
  setLogLevel(LogLevel::kError);
  logWarning("hidden %d", 4);
  logError("shown %s", "5");
  setLogLevel(LogLevel::kInfo);
  EXPECT_EQ(pipe.finish(), "shown 2\nshown 3\nshown 5\n");
}

TEST(Log, MultiLineMessageIsOneWrite) {
  PipeLog pipe;
  logWarning("generation %s rejected:\n%s", "v1", "listener 'a': bad");
  EXPECT_EQ(pipe.finish(), "generation v1 rejected:\nlistener 'a': bad\n");
}

TEST(Log, ParsesLevelNames) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarning, LogLevel::kError}) {
    auto parsed = parseLogLevel(logLevelName(l));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, l);
  }
  EXPECT_FALSE(parseLogLevel("DEBUG").ok());
  EXPECT_FALSE(parseLogLevel("").ok());
  EXPECT_FALSE(parseLogLevel("trace").ok());
  EXPECT_NE(parseLogLevel("verbose").status().message().find("debug, info, warning, error"), std::string::npos);
}

}  // namespace
}  // namespace strait::common
