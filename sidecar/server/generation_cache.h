// The last applied generation, kept on disk so a sidecar restarted while the control plane
// is unreachable serves it instead of nothing (Bootstrap.generation_cache_file). Written after
// every generation that went live, atomically (a temporary file in the same directory, fsync,
// rename), mode 0600: it holds the generation's secrets. Read once at start.
// THREADS: the caller's (the ADS thread writes, the main thread reads at start); blocking
// file I/O, never on a worker.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "strait/v1/bootstrap.pb.h"
#include "strait/v1/generation.pb.h"

namespace strait::server {

absl::Status saveGeneration(const std::string& path, const std::string& version, const strait::v1::Generation& gen);
// NOT_FOUND when there is no file yet; DATA_LOSS when it cannot be parsed.
absl::StatusOr<strait::v1::CachedGeneration> loadGeneration(const std::string& path);

}  // namespace strait::server
