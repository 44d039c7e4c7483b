// The test upstream's event loop: one Worker per thread, each with its own epoll instance
// and its own SO_REUSEPORT listening socket (the kernel spreads connections), so workers
// share nothing but the read-only Options.
//
// Reply rules (see README in main.cc's --help): echo by default, or a fixed --reply /
// --size body; --status and --fail-first N (503 for the first N requests); per-request
// knobs status / delay_ms / size / close / reset (close without replying) / abort_after=N (the
// head and N body bytes, then close: a response cut midway; with delay_ms, the close comes
// that long after the cut response instead of the response being delayed) from the query string
// or from x-upstream-* request headers (a header wins over the query). One knob changes the
// upstream itself: set_status=NNN (x-upstream-set-status) makes every later request without
// a status knob answer NNN, on every thread (set_status=0: the default again); the request
// that sets it is answered normally. Caching knobs (headers only): x-upstream-header-NAME: V
// adds "NAME: V" to the response; x-upstream-etag / x-upstream-last-modified add those fields
// and answer 304 to a matching if-none-match / if-modified-since. Every response carries
// x-upstream-request-count (requests so far, all threads); GET /__count returns that number
// without counting itself. Delays never block
// the thread: the reply waits in a timer list that bounds epoll_wait's timeout.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace strait::upstream {

struct Options {
  std::string host = "127.0.0.1";    // address to listen on
  uint16_t port = 0;                 // port to listen on; 0 picks one
  std::string port_file;             // if set, the bound port is written here
  std::string name = "upstream";     // value of the x-upstream-name response header
  int threads = 1;                   // worker threads (one epoll + listener each)
  std::optional<std::string> reply;  // fixed body instead of the echo
  std::optional<size_t> size;        // fixed body of this many 'x' instead of the echo
  int status = 200;                  // status of every reply unless a knob says otherwise
  int fail_first = 0;                // the first N requests (all threads) get 503
};

// Opens a non-blocking SO_REUSEPORT listening socket on host:port. Returns the fd, or -1
// with *error set.
int bindListener(const std::string& host, uint16_t port, std::string* error);

// Returns the local port of a bound socket, or 0.
uint16_t boundPort(int fd);

// Runs the event loop for `listen_fd` on the calling thread, forever. `opts` must outlive it.
void runWorker(int listen_fd, const Options& opts);

}  // namespace strait::upstream
