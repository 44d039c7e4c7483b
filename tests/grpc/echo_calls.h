// Client side of the Echo service: one function per call kind of strait-grpc-echo-client.
// Blocking (synchronous gRPC API), one call per run, the calling thread only.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace strait::grpctest {

// The call kinds (--call).
enum class CallMode { kUnary, kClientStream, kServerStream, kBidi, kDeadline, kFail };

// What one run asks for; filled from flags by the client's main.
struct CallOptions {
  std::string target;                 // HOST:PORT, plaintext h2c
  std::string authority;              // :authority override; empty = the target
  CallMode mode = CallMode::kUnary;   // which method and what to expect
  std::string message = "hello";      // EchoRequest.message (client_stream/bidi add "-<i>")
  int count = 5;                      // server_stream: replies asked for
  int messages = 3;                   // client_stream/bidi: requests sent
  int delay_ms = 0;                   // EchoRequest.delay_ms (deadline mode: deadline + 1000)
  int deadline_ms = 30000;            // whole-call deadline
  grpc::StatusCode fail_code = grpc::StatusCode::PERMISSION_DENIED;  // fail mode only
  std::vector<std::pair<std::string, std::string>> metadata;  // extra request metadata
};

// How the call ended.
struct CallResult {
  grpc::Status status;   // final status as the client saw it
  std::string trailer;   // value of x-echo-trailer, empty if absent
};

// Performs the call, printing one line per received message to `out` (flushed per line):
//   reply index=<i> t_ms=<ms since the call started> message=<m> peer_headers=<h>
CallResult runCall(const CallOptions& opts, FILE* out);

// The status a mode expects: OK, DEADLINE_EXCEEDED (deadline) or opts.fail_code (fail).
grpc::StatusCode expectedCode(const CallOptions& opts);

}  // namespace strait::grpctest
