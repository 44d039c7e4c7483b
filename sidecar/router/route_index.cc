#include "sidecar/router/route_index.h"

#include <algorithm>
#include <optional>

#include "sidecar/router/route_table.h"

namespace strait::proxy {
namespace {

// The literal every matching path starts with, and whether it is the whole path.
std::string literalPrefix(const CompiledRoute& r, bool* whole) {
  *whole = false;
  if (r.case_insensitive) return "";
  switch (r.path_kind) {
    case CompiledRoute::PathKind::kPrefix: return r.path;
    case CompiledRoute::PathKind::kExact: *whole = true; return r.path;
    case CompiledRoute::PathKind::kRegex: {
      std::string min, max;
      if (!r.path_regex->PossibleMatchRange(&min, &max, 128)) return "";
      size_t n = 0;
      while (n < min.size() && n < max.size() && min[n] == max[n]) n++;
      return min.substr(0, n);
    }
  }
  return "";
}

// The first segment the literal fixes, or nullopt if it does not fix one.
std::optional<std::string> fixedSegment(const CompiledRoute& r) {
  bool whole = false;
  std::string lit = literalPrefix(r, &whole);
  if (lit.empty() || lit[0] != '/') return std::nullopt;
  size_t slash = lit.find('/', 1);
  if (slash != std::string::npos) return lit.substr(1, slash - 1);
  if (whole) return lit.substr(1);
  return std::nullopt;
}

}  // namespace

std::string_view RouteIndex::firstSegment(std::string_view path) {
  size_t slash = path.find('/', 1);
  return path.substr(1, slash == std::string_view::npos ? std::string_view::npos : slash - 1);
}

void RouteIndex::build(const std::vector<CompiledRoute>& routes) {
  for (uint32_t i = 0; i < routes.size(); i++) {
    std::optional<std::string> seg = fixedSegment(routes[i]);
    if (seg) {
      by_segment_[*seg].push_back(i);
      all_others_.push_back(i);
    } else {
      always_.push_back(i);
    }
  }
}

}  // namespace strait::proxy
