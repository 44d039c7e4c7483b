// /config_dump?resource=KIND[&name=NAME]: one kind of resource of the live generation, or
// one resource, in the same document shape as the full /config_dump (so one parser reads
// both): {"version", "applied_at", "generation": {KIND: [...]}}. KIND is a Generation field:
// listeners, route_configs, clusters, load_assignments, secrets. A resource's name is its
// `name` (load_assignments: `cluster_name`). Secrets' private keys are redacted as in the
// full dump.
//
// Cost: only the resources asked for are converted to JSON (a full dump of a 100k-route
// generation is megabytes; one cluster of it is a few hundred bytes); finding a named one
// is a linear scan of names, which is cheap next to any conversion.
// THREADS: any (reads an immutable snapshot).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "sidecar/core/snapshot.h"

namespace strait::server {

// `snap` may be null (nothing applied yet: every kind is empty). `name` empty: the whole
// kind. Errors: InvalidArgument for an unknown kind, NotFound for an unknown name.
absl::StatusOr<std::string> renderConfigDumpResource(const proxy::Snapshot* snap, const std::string& version,
                                                     const std::string& kind,
                                                     const std::string& name);

}  // namespace strait::server
