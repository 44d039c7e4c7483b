// `strait-sidecar wait-ready`: blocks until a sidecar's admin /ready answers 200 (a
// generation is live), so an application can start only once its sidecar can carry its
// traffic — a Kubernetes postStart hook on the sidecar container, a native sidecar's startup
// probe, or a line in a start script. Polls over plain HTTP/1.1 on loopback.
// THREADS: the calling thread; blocking by design (a CLI, never the data path).
#pragma once

#include <cstdint>
#include <string>

namespace strait::server {

// Polls http://<address>:<port>/ready every `interval_ms` until it answers 200 (returns 0) or
// `timeout_ms` passes (prints the last answer or error, returns 1).
int waitReady(const std::string& address, uint16_t port, int64_t timeout_ms, int64_t interval_ms = 100);

// Parses the arguments after "wait-ready": --admin HOST:PORT (default 127.0.0.1:9901),
// --timeout SECONDS (default 60). Returns the exit code.
int waitReadyMain(int argc, char** argv);

}  // namespace strait::server
