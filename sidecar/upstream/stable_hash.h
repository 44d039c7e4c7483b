// xxHash64 (Yann Collet's XXH64, seed 0 by default): the hash of consistent-hashing load
// balancers, for both the ring/table points and the request keys.
//
// Why not absl::Hash or std::hash: both may differ between processes (absl::Hash is salted
// per process by design) and between library versions, while consistent hashing needs every
// worker, every sidecar and every restart to map a key to the same endpoint. xxHash64's
// output is specified and stable; this is a plain re-implementation (the Debian package
// ships the library but not its headers), checked against the reference test vectors.
// Thread-safe (pure function).
#pragma once

#include <cstdint>
#include <string_view>

namespace strait::proxy {

uint64_t xxHash64(std::string_view data, uint64_t seed = 0);

}  // namespace strait::proxy
