// Validation of the HTTP filters of virtual hosts and routes (see filter*.proto): each filter
// folder owns the checks of its config (sidecar/filters/<name>/<name>_validate.cc), listed in
// sidecar/filters/filter_kinds.h; this file only walks the filters and names the route
// configuration, e.g. "route_config 'main': virtual_hosts[0].filters[1].access_control.rules[2]
// .source_cidrs[0]: '10.0.0.0/33': prefix length must be 0 to 32".
#include "absl/strings/str_cat.h"
#include "sidecar/filters/filter_kinds.h"
#include "xds/validate_internal.h"

namespace strait::xds::internal {
namespace {

// The filter's problems, as route-configuration problems.
class RouteConfigProblems final : public FieldProblems {
 public:
  RouteConfigProblems(const std::string& route_config, Problems* problems)
      : route_config_(route_config), problems_(problems) {}
  void add(const std::string& field, const std::string& reason) override {
    problems_->add("route_config", route_config_, field, reason);
  }

 private:
  const std::string& route_config_;
  Problems* problems_;
};

}  // namespace

void validateHttpFilters(const std::string& route_config, const std::string& base,
                         const google::protobuf::RepeatedPtrField<strait::v1::HttpFilter>& filters,
                         Problems* problems) {
  RouteConfigProblems p(route_config, problems);
  for (int i = 0; i < filters.size(); ++i) {
    const std::string path = absl::StrCat(base, "[", i, "]");
    const filters::FilterKind* kind = filters::findFilterKind(filters[i].config_case());
    if (kind == nullptr) {
      p.add(path, "one of " + filters::filterKindNames() + " is required");
      continue;
    }
    kind->validate(filters[i], path + "." + std::string(kind->name), p);
  }
}

}  // namespace strait::xds::internal
