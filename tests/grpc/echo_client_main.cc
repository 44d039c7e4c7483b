// strait-grpc-echo-client: one call to strait.testing.Echo, its replies and final status on
// stdout; exit 0 if the status is the one expected for the call kind. main() parses flags only.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/grpc/echo_calls.h"
#include "tests/grpc/status_names.h"

namespace {

using strait::grpctest::CallMode;
using strait::grpctest::CallOptions;

constexpr char kUsage[] =
    "usage: strait-grpc-echo-client --target HOST:PORT\n"
    "         --call unary|client_stream|server_stream|bidi|deadline|fail\n"
    "         [--count N] [--messages N] [--deadline-ms N] [--delay-ms N] [--message TEXT]\n"
    "         [--fail-code NAME|N] [--expect-code NAME|N] [--authority A] [--metadata K=V]...\n"
    "Prints one line per reply, then: status=<CODE_NAME> message=<msg> trailer=<value>\n"
    "Exit 0 if the status is the expected one: OK for unary, client_stream, server_stream,\n"
    "bidi; DEADLINE_EXCEEDED for deadline (server asked to sleep past the deadline, default\n"
    "deadline 200 ms); the --fail-code (default PERMISSION_DENIED) for fail. --expect-code\n"
    "overrides. Exit 1 on any other status, 2 on bad flags.\n";

[[noreturn]] void usageError(const std::string& msg) {
  std::fprintf(stderr, "strait-grpc-echo-client: %s\n%s", msg.c_str(), kUsage);
  std::exit(2);
}

int parseInt(const std::string& flag, const std::string& v, int lo, int hi) {
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < lo || n > hi) usageError("bad " + flag + ": " + v);
  return static_cast<int>(n);
}

grpc::StatusCode parseCode(const std::string& flag, const std::string& v) {
  auto code = strait::grpctest::parseStatusCode(v);
  if (!code) usageError("bad " + flag + ": " + v);
  return *code;
}

CallMode parseMode(const std::string& v) {
  if (v == "unary") return CallMode::kUnary;
  if (v == "client_stream") return CallMode::kClientStream;
  if (v == "server_stream") return CallMode::kServerStream;
  if (v == "bidi") return CallMode::kBidi;
  if (v == "deadline") return CallMode::kDeadline;
  if (v == "fail") return CallMode::kFail;
  usageError("bad --call: " + v);
}

void addMetadata(const std::string& v, CallOptions* opts) {
  size_t eq = v.find('=');
  if (eq == std::string::npos || eq == 0) usageError("--metadata wants KEY=VALUE");
  opts->metadata.emplace_back(v.substr(0, eq), v.substr(eq + 1));
}

struct Parsed {
  CallOptions opts;               // the call
  bool deadline_given = false;    // --deadline-ms seen (deadline mode defaults to 200)
  bool mode_given = false;        // --call seen
  std::string expect;             // --expect-code text, empty = the mode's default
};

void applyFlag(const std::string& flag, const std::string& v, Parsed* p) {
  CallOptions& o = p->opts;
  if (flag == "--target") o.target = v;
  else if (flag == "--call") { o.mode = parseMode(v); p->mode_given = true; }
  else if (flag == "--count") o.count = parseInt(flag, v, 1, 10000);
  else if (flag == "--messages") o.messages = parseInt(flag, v, 0, 100000);
  else if (flag == "--deadline-ms") {
    o.deadline_ms = parseInt(flag, v, 1, 3600000);
    p->deadline_given = true;
  }
  else if (flag == "--delay-ms") o.delay_ms = parseInt(flag, v, 0, 10000);
  else if (flag == "--message") o.message = v;
  else if (flag == "--fail-code") o.fail_code = parseCode(flag, v);
  else if (flag == "--expect-code") p->expect = v;
  else if (flag == "--authority") o.authority = v;
  else if (flag == "--metadata") addMetadata(v, &o);
  else usageError("unknown flag " + flag);
}

Parsed parseFlags(int argc, char** argv) {
  Parsed p;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) usageError("missing value for " + flag);
    applyFlag(flag, argv[++i], &p);
  }
  if (p.opts.target.empty()) usageError("--target is required");
  if (!p.mode_given) usageError("--call is required");
  if (p.opts.mode == CallMode::kFail && p.opts.fail_code == grpc::StatusCode::OK) {
    usageError("--fail-code must not be OK");
  }
  if (p.opts.mode == CallMode::kDeadline && !p.deadline_given) p.opts.deadline_ms = 200;
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  Parsed p = parseFlags(argc, argv);
  grpc::StatusCode expected = p.expect.empty() ? strait::grpctest::expectedCode(p.opts)
                                               : parseCode("--expect-code", p.expect);
  strait::grpctest::CallResult r = strait::grpctest::runCall(p.opts, stdout);
  std::printf("status=%s message=%s trailer=%s\n",
              strait::grpctest::statusCodeName(r.status.error_code()).c_str(),
              r.status.error_message().c_str(), r.trailer.c_str());
  if (r.status.error_code() == expected) return 0;
  std::fprintf(stderr, "strait-grpc-echo-client: expected %s\n",
               strait::grpctest::statusCodeName(expected).c_str());
  return 1;
}
