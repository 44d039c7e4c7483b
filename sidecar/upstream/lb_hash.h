// The request key of the consistent-hash policies (RING_HASH, MAGLEV): which part of a
// request Cluster.lb_config.hash_policy names, and its stable hash.
// THREADS: any (pure functions of their inputs; HashPolicy is immutable once built).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sidecar/http/h1_codec.h"
#include "strait/v1/cluster.pb.h"

namespace strait::proxy {

struct HashPolicy {
  enum class Kind { kNone, kHeader, kCookie, kSourceIp };
  Kind kind = Kind::kNone;  // kNone: the cluster does not hash requests
  std::string name;         // header name (lower-case) or cookie name

  static HashPolicy fromProto(const strait::v1::LbConfig::HashPolicy& proto);
};

// xxHash64 of the request's key, or nullopt when the policy is kNone or the request lacks
// the key (the balancer then picks at random). `client_ip` is the downstream peer's address
// without the port. Allocation-free.
std::optional<uint64_t> requestHash(const HashPolicy& policy, const http::RequestHead& head,
                                    std::string_view client_ip);


}  // namespace strait::proxy
