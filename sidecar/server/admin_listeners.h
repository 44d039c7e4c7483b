// /listeners: what the live generation has bound, as JSON:
//   {"version": V, "listeners": [{"name", "address": "ip:port" (the port as bound, read from
//    the socket), "version": V (the generation it belongs to), "tls": bool,
//    "use_original_dst": bool}, ...]}
// in the generation's order. Nothing applied yet: version "" and no listeners.
// THREADS: any (reads an immutable snapshot and getsockname()).
#pragma once

#include <string>

#include "sidecar/core/snapshot.h"

namespace strait::server {

// `version`: the live version's label (ConfigPublisher::liveVersion).
std::string renderListeners(const proxy::Snapshot* snap, const std::string& version);

}  // namespace strait::server
