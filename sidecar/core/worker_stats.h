// Per-worker counters. Written only by the owning worker (relaxed atomics, no contention),
// read by the admin thread, which sums all workers for /stats.
#pragma once

#include <atomic>
#include <cstdint>

namespace strait::proxy {

struct WorkerStats {
  using Counter = std::atomic<uint64_t>;
  Counter downstream_cx_total{0};
  Counter downstream_cx_active{0};
  Counter downstream_rq_total{0};
  Counter downstream_rq_active{0};         // gauge: requests being proxied (RouterStreams alive)
  Counter downstream_rq_by_class[6] = {};  // index = status / 100 (1..5)
  Counter downstream_rq_bad_request{0};    // refused by the HTTP/1.1 parser
  Counter downstream_rq_header_timeout{0}; // request head not complete in time (408)
  Counter downstream_h2_protocol_error{0}; // HTTP/2 connections ended by a protocol error
  Counter downstream_h2_flood{0};          // ... by a flood (rapid reset, CONTINUATION, PING, SETTINGS)
  Counter downstream_h2_connection_buffer_full{0};  // times a connection's upstreams paused for its total
  Counter downstream_cx_send_timeout{0};   // closed: waiting response bytes, no progress for send_timeout
  Counter downstream_cx_tcp_relay{0};       // intercepted connections relayed as TCP
  Counter downstream_cx_tcp_relay_failed{0};  // ... to a cluster: no endpoint, or no socket
  Counter downstream_cx_not_http{0};        // intercepted connections closed: not HTTP, no passthrough
  Counter downstream_cx_client_limit{0};   // closed at accept: max_connections_per_client
  Counter downstream_rq_body_timeout{0};   // request body slower than request_body_min_rate (408)
  Counter upstream_cx_total{0};
  Counter upstream_cx_active{0};
  Counter upstream_cx_connect_fail{0};
  Counter upstream_rq_total{0};
  Counter upstream_rq_timeout{0};
  Counter upstream_rq_reset{0};
  Counter outlier_ejections{0};           // endpoints ejected by outlier detection
  Counter outlier_ejections_overflow{0};  // ejections refused by max_ejection_percent
  Counter mirror_total{0};                // request copies sent to a shadow cluster
  Counter mirror_dropped{0};              // copies dropped: body over max_body_bytes

  static void inc(Counter& c, uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }
  static void dec(Counter& c) { c.fetch_sub(1, std::memory_order_relaxed); }
};

}  // namespace strait::proxy
