#include "sidecar/filters/cors/cors_validate.h"

#include "absl/strings/str_cat.h"

namespace strait::filters {

using xds::checkHeaderNames;
using xds::checkMethods;
using xds::checkRegex;
using xds::isHeaderValue;

void validateCors(const strait::v1::Cors& c, const std::string& base, xds::FieldProblems& p) {
  if (c.allow_origins_size() == 0 && c.allow_origin_regexes_size() == 0) {
    p.add(base, "at least one of allow_origins, allow_origin_regexes is required");
  }
  for (int i = 0; i < c.allow_origins_size(); ++i) {
    const std::string& o = c.allow_origins(i);
    if (o.empty() || !isHeaderValue(o) || o.find(',') != std::string::npos) {
      p.add(absl::StrCat(base, ".allow_origins[", i, "]"), "invalid origin '" + o + "'");
    }
  }
  for (int i = 0; i < c.allow_origin_regexes_size(); ++i) {
    checkRegex(p, absl::StrCat(base, ".allow_origin_regexes[", i, "]"), c.allow_origin_regexes(i));
  }
  checkMethods(p, base + ".allow_methods", c.allow_methods());
  checkHeaderNames(p, base + ".allow_headers", c.allow_headers());
  checkHeaderNames(p, base + ".expose_headers", c.expose_headers());
  if (c.max_age_seconds() > 86400) p.add(base + ".max_age_seconds", "must be at most 86400");
}

}  // namespace strait::filters
