// The cors filter (proto Cors): answers preflight requests from allowed origins itself and
// adds the CORS headers to the responses of actual requests (see filter_cors.proto for the
// behaviour). CorsPolicy is compiled once per generation (origin regexes compiled, header
// values joined); per request the filter only compares and copies the Origin value.
// THREADS: CorsPolicy and the factory are immutable and shared by the workers.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "re2/re2.h"
#include "sidecar/filters/registry.h"
#include "strait/v1/filter_cors.pb.h"

namespace strait::filters {

class CorsPolicy {
 public:
  static absl::StatusOr<std::unique_ptr<const CorsPolicy>> compile(const strait::v1::Cors& config);

  bool originAllowed(std::string_view origin) const;
  // access-control-allow-origin for an allowed origin: "*" or the origin itself.
  std::string_view allowOriginValue(std::string_view origin) const;
  // The complete answer to a preflight from an allowed origin.
  void fillPreflight(std::string_view origin, http::ResponseHead* head) const;
  // Adds the headers of an actual response (allowed: the request's origin was allowed).
  void fillActual(std::string_view origin, bool allowed, http::HeaderMap* headers) const;
  // Adds "origin" to the response's vary header unless it is already covered.
  static void addVaryOrigin(http::HeaderMap* headers);

 private:
  std::vector<std::string> origins_;
  std::vector<std::unique_ptr<RE2>> origin_regexes_;
  bool any_origin_ = false;
  bool credentials_ = false;
  std::string allow_methods_;   // joined ", "
  std::string allow_headers_;   // joined ", "; "" = not sent
  std::string expose_headers_;  // joined ", "; "" = not sent
  std::string max_age_;         // "" = not sent
};

absl::StatusOr<std::shared_ptr<const FilterFactory>> createCorsFactory(const strait::v1::Cors& config,
                                                                       const FactoryContext& context);

}  // namespace strait::filters
