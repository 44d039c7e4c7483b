// /stats: per-listener counters of the live generation's listeners (core/listener_counters.h):
// strait_listener_cx_total{listener}, strait_listener_tls_handshake_total{listener} and
// strait_listener_tls_handshake_failure_total{listener,reason}.
// THREADS: the admin thread.
#pragma once

#include <string>

#include "sidecar/core/snapshot.h"

namespace strait::server {

void renderListenerStats(const proxy::Snapshot& snap, std::string* out);

}  // namespace strait::server
