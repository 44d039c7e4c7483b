// Validation of a whole generation. One implementation serves strait-control (before a
// config version is accepted), `straitctl validate` (offline) and strait-sidecar (before a
// generation is built), so a config that passes one passes all.
//
// Thread-safe (pure function).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "strait/v1/generation.pb.h"

namespace strait::xds {

// Checks: names present and unique per kind; every reference resolves (listener ->
// route config, route -> cluster(s), load assignment -> cluster; every cluster has exactly
// one load assignment); values in range (ports 1..65535, weights, durations); addresses are
// IP literals; every regex compiles with RE2; exactly one path matcher per route;
// prefix_rewrite only with a prefix match; header names/values legal; listener
// address:port pairs unique; domains unique within a route configuration.
//
// Returns OK, or INVALID_ARGUMENT whose message has one line per problem, each of the form
//   <kind> '<name>': <field path>: <reason>
// e.g. "route_config 'main': virtual_hosts[0].routes[2].match.safe_regex: invalid regex: ...".
// <kind> is one of listener, route_config, cluster, load_assignment, secret.
absl::Status validateGeneration(const strait::v1::Generation& gen);

// The largest generation delivered, serialised (also refused by validateGeneration, with the
// size, so straitctl validate and the control plane say it before a sidecar would fail to
// receive it). gRPC's default message limit (4 MiB, about 146k simple routes) is raised to
// this on both ends of the ADS stream; kAdsMessageLimit adds room for the response envelope.
inline constexpr size_t kMaxGenerationBytes = size_t{64} << 20;
inline constexpr int kAdsMessageLimit = static_cast<int>(kMaxGenerationBytes + (size_t{1} << 20));

}  // namespace strait::xds
