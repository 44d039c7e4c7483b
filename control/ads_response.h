// What the ADS service writes, encoded once and shared: a DiscoveryResponse is its small
// per-stream fields (version, type_url, nonce) followed by a body (the `generation` or the
// `delta` field, tag and length included) that every stream of the same selection shares
// as one reference-counted grpc::Slice. Protobuf parses fields in any order, so the two
// pieces concatenated are a valid DiscoveryResponse; serialising a 10,000-route generation
// once per selection instead of once per stream is what makes fan-out cheap.
//
// ResponseCache keeps the bodies of the newest served version only (by sidecar service, and
// deltas by (base version, service)); asking for an older version (a stream racing a newer
// publication) builds the body without caching it.
// THREADS: every method from any thread (one absl::Mutex; a body is built under it, so many
// streams asking at once for the same body build it once).
#pragma once

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "control/mesh_state.h"
#include "strait/v1/discovery.pb.h"

namespace strait::control {

// A DiscoveryResponse: version_info, type_url (the Generation type), nonce, then `body`.
grpc::ByteBuffer encodeResponse(const std::string& version, const std::string& nonce, const grpc::Slice& body);
// The answer to a draining sidecar (endpoint_withdrawn, nothing else).
grpc::ByteBuffer encodeWithdrawn();
// False if the bytes are not a DiscoveryRequest.
bool decodeRequest(grpc::ByteBuffer* buffer, strait::v1::DiscoveryRequest* out);

class ResponseCache {
 public:
  // The `generation` field serving `snap` to the sidecars of `service`.
  grpc::Slice full(const std::shared_ptr<const ServedSnapshot>& snap, const std::string& service)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The `delta` field taking a sidecar of `service` from `base` to `snap`; nullopt if the
  // two differ in more than load assignments (another config version).
  std::optional<grpc::Slice> delta(const ServedSnapshot& base, const std::shared_ptr<const ServedSnapshot>& snap,
                                   const std::string& service) ABSL_LOCKS_EXCLUDED(mu_);

  // Bodies built so far (for tests and the fleet benchmark: they count serialisations).
  uint64_t fullBuilt() const ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t deltasBuilt() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // The cluster names a sidecar of `service` receives under `snap`'s config version.
  const std::set<std::string>& selectedClusters(const ServedSnapshot& snap, const std::string& service)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether entries for `snap` may be cached (it is the newest seen); resets them when it
  // is newer than the cached version.
  bool cacheable(const ServedSnapshot& snap) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::string version_ ABSL_GUARDED_BY(mu_);  // what full_ and deltas_ serve
  std::map<std::string, grpc::Slice> full_ ABSL_GUARDED_BY(mu_);                         // by service
  std::map<std::pair<std::string, std::string>, grpc::Slice> deltas_ ABSL_GUARDED_BY(mu_);  // (base, service)
  std::string selected_config_ ABSL_GUARDED_BY(mu_);  // the config version selected_ is for
  std::map<std::string, std::set<std::string>> selected_ ABSL_GUARDED_BY(mu_);  // by service
  uint64_t full_built_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t deltas_built_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace strait::control
