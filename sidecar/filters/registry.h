// Compiles an HttpFilter config into its factory (one function per filter, in its folder).
// Runs while a snapshot is built; errors name the field (they should have been refused by
// validation already).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "sidecar/filters/filter.h"
#include "sidecar/filters/shared_state.h"
#include "strait/v1/filter.pb.h"

namespace strait::filters {

struct FactoryContext {
  SharedState* shared = nullptr;  // never null
  std::string scope;              // "<route config>/<vhost>[/<route index or name>]"
};

absl::StatusOr<std::shared_ptr<const FilterFactory>> createFilterFactory(const strait::v1::HttpFilter& config,
                                                                         const FactoryContext& context);

}  // namespace strait::filters
