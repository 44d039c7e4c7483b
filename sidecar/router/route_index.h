// First-path-segment index over a virtual host's routes, so a lookup in a table of thousands
// of routes tries only the routes that can match, in their configured order (the first
// match still wins).
//
// Each route gets a literal prefix every path it matches must start with: the prefix of a
// prefix route, the path of an exact route, and for a regex the common prefix of RE2's
// PossibleMatchRange (every anchored match lies between min and max, so it starts with their
// common prefix). When that literal fixes the first segment ("/api/..." or the whole
// exact path "/health"), the route is filed under the segment ("api", "health"); otherwise
// (e.g. prefix "/ap", a regex starting with a class, case-insensitive matching) it is tried
// for every request. A lookup merges the two ascending lists.
// Immutable after build; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace strait::proxy {

struct CompiledRoute;

class RouteIndex {
 public:
  void build(const std::vector<CompiledRoute>& routes);

  // Calls `try_route(index)` for every route that may match `path`, in ascending order,
  // until it returns true. Returns that index, or -1.
  template <typename F>
  int find(std::string_view path, F&& try_route) const {
    const std::vector<uint32_t>* keyed = nullptr;
    if (!path.empty() && path[0] == '/' && !by_segment_.empty()) {
      std::string_view seg = firstSegment(path);
      auto it = by_segment_.find(absl::string_view(seg.data(), seg.size()));
      if (it != by_segment_.end()) keyed = &it->second;
    } else if (path.empty() || path[0] != '/') {
      keyed = &all_others_;  // no first segment: every indexed route is a candidate
    }
    size_t a = 0, b = 0;
    size_t na = keyed ? keyed->size() : 0, nb = always_.size();
    while (a < na || b < nb) {
      uint32_t next = (b >= nb || (a < na && (*keyed)[a] < always_[b])) ? (*keyed)[a++] : always_[b++];
      if (try_route(next)) return static_cast<int>(next);
    }
    return -1;
  }

  // The first segment of an absolute path: "/a/b" -> "a", "/a" -> "a", "/" -> "".
  static std::string_view firstSegment(std::string_view path);

 private:
  absl::flat_hash_map<std::string, std::vector<uint32_t>> by_segment_;
  std::vector<uint32_t> always_;      // routes without a fixed first segment
  std::vector<uint32_t> all_others_;  // every indexed route (paths not starting with "/")
};

}  // namespace strait::proxy
