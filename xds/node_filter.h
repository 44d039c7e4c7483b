// Selecting the resources of one sidecar from the whole desired configuration.
//
// A sidecar whose bootstrap node has service S receives every Listener whose `services` is
// empty or contains S, plus, transitively, the RouteConfigurations those listeners name, the
// Clusters those routes name, the ClusterLoadAssignments of those clusters and the Secrets
// referenced by any of them. Input must be valid (validateGeneration OK); output is then
// valid too.
#pragma once

#include <string>

#include "strait/v1/generation.pb.h"

namespace strait::xds {

strait::v1::Generation selectForService(const strait::v1::Generation& all,
                                        const std::string& service);

}  // namespace strait::xds
