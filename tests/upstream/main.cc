// strait-test-upstream: a small, fast HTTP/1.1 origin for integration tests and benchmarks.
// main() only parses flags, binds the listeners and starts the workers.
#include <arpa/inet.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "tests/upstream/server.h"

namespace {

constexpr char kUsage[] =
    "usage: strait-test-upstream [--listen HOST:PORT] [--port-file F] [--name NAME]\n"
    "                            [--threads N] [--reply TEXT | --size N]\n"
    "                            [--status NNN] [--fail-first N]\n"
    "Replies to every request with an echo (request line, headers, blank line, body),\n"
    "or with --reply TEXT, or with N bytes of 'x' (--size). Per-request knobs (query\n"
    "parameter or request header): status=NNN / x-upstream-status, delay_ms=N /\n"
    "x-upstream-delay-ms, size=N / x-upstream-size, close=1 / x-upstream-close,\n"
    "reset=1 / x-upstream-reset (close without a reply), abort_after=N /\n"
    "x-upstream-abort-after (send the head and N body bytes, then close; with delay_ms,\n"
    "close that long after). --status sets the default\n"
    "status; --fail-first N answers 503 to the first N requests.\n"
    "set_status=NNN / x-upstream-set-status: every later request without a status knob\n"
    "answers NNN (all threads; 0 restores the default), e.g. to fail a health check.\n";

[[noreturn]] void usageError(const std::string& msg) {
  std::fprintf(stderr, "strait-test-upstream: %s\n%s", msg.c_str(), kUsage);
  std::exit(2);
}

long parseNumber(const char* flag, const std::string& v, long lo, long hi) {
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < lo || n > hi) usageError(std::string("bad ") + flag);
  return n;
}

void parseListen(const std::string& v, strait::upstream::Options* opts) {
  size_t colon = v.rfind(':');
  if (colon == std::string::npos) usageError("--listen wants HOST:PORT");
  opts->host = v.substr(0, colon);
  opts->port = static_cast<uint16_t>(parseNumber("--listen port", v.substr(colon + 1), 0, 65535));
}

strait::upstream::Options parseFlags(int argc, char** argv) {
  strait::upstream::Options opts;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) usageError("missing value for " + flag);
    std::string v = argv[++i];
    if (flag == "--listen") parseListen(v, &opts);
    else if (flag == "--port-file") opts.port_file = v;
    else if (flag == "--name") opts.name = v;
    else if (flag == "--threads") opts.threads = static_cast<int>(parseNumber("--threads", v, 1, 256));
    else if (flag == "--reply") opts.reply = v;
    else if (flag == "--size") opts.size = static_cast<size_t>(parseNumber("--size", v, 0, 1L << 30));
    else if (flag == "--status") opts.status = static_cast<int>(parseNumber("--status", v, 200, 599));
    else if (flag == "--fail-first") opts.fail_first = static_cast<int>(parseNumber("--fail-first", v, 0, 1 << 30));
    else usageError("unknown flag " + flag);
  }
  if (opts.reply && opts.size) usageError("--reply and --size are exclusive");
  return opts;
}

// Written to a temporary name and renamed so a reader never sees a partial port.
void writePortFile(const std::string& path, uint16_t port) {
  std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) usageError("cannot write " + tmp + ": " + std::strerror(errno));
  std::fprintf(f, "%u\n", port);
  std::fclose(f);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) usageError("cannot rename to " + path);
}

}  // namespace

int main(int argc, char** argv) {
  strait::upstream::Options opts = parseFlags(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  std::vector<int> fds;
  uint16_t port = opts.port;
  for (int i = 0; i < opts.threads; ++i) {
    std::string error;
    int fd = strait::upstream::bindListener(opts.host, port, &error);
    if (fd < 0) {
      std::fprintf(stderr, "strait-test-upstream: %s\n", error.c_str());
      return 1;
    }
    port = strait::upstream::boundPort(fd);  // later sockets join the same port
    fds.push_back(fd);
  }
  if (!opts.port_file.empty()) writePortFile(opts.port_file, port);
  std::fprintf(stderr, "strait-test-upstream %s listening on %s:%u (%d threads)\n",
               opts.name.c_str(), opts.host.c_str(), port, opts.threads);
  std::vector<std::thread> threads;
  for (size_t i = 1; i < fds.size(); ++i) {
    threads.emplace_back([fd = fds[i], &opts] { strait::upstream::runWorker(fd, opts); });
  }
  strait::upstream::runWorker(fds[0], opts);
  for (auto& t : threads) t.join();
  return 0;
}
