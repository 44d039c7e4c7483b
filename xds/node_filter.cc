// Per-service selection of resources (see node_filter.h). Resources keep their order.
#include "xds/node_filter.h"

#include <algorithm>
#include <set>

namespace strait::xds {
namespace {

bool listenerMatches(const strait::v1::Listener& l, const std::string& service) {
  return l.services().empty() ||
         std::find(l.services().begin(), l.services().end(), service) != l.services().end();
}

void collectClusters(const strait::v1::RouteConfiguration& rc, std::set<std::string>* out) {
  for (const auto& vh : rc.virtual_hosts()) {
    for (const auto& r : vh.routes()) {
      if (r.route().has_weighted_clusters()) {
        for (const auto& cw : r.route().weighted_clusters().clusters()) out->insert(cw.name());
      } else if (r.route().has_cluster()) {
        out->insert(r.route().cluster());
      }
      for (const auto& m : r.route().request_mirror_policies()) out->insert(m.cluster());
    }
  }
}

}  // namespace

strait::v1::Generation selectForService(const strait::v1::Generation& all,
                                        const std::string& service) {
  strait::v1::Generation out;
  std::set<std::string> route_configs;
  for (const auto& l : all.listeners()) {
    if (!listenerMatches(l, service)) continue;
    *out.add_listeners() = l;
    route_configs.insert(l.route_config());
  }
  std::set<std::string> clusters;
  for (const auto& l : out.listeners()) {
    clusters.insert(l.tcp_clusters().begin(), l.tcp_clusters().end());
    if (!l.tracing().collector_cluster().empty()) clusters.insert(l.tracing().collector_cluster());
  }
  for (const auto& rc : all.route_configs()) {
    if (route_configs.count(rc.name()) == 0) continue;
    *out.add_route_configs() = rc;
    collectClusters(rc, &clusters);
  }
  for (const auto& c : all.clusters()) {
    if (clusters.count(c.name()) != 0) *out.add_clusters() = c;
  }
  for (const auto& la : all.load_assignments()) {
    if (clusters.count(la.cluster_name()) != 0) *out.add_load_assignments() = la;
  }
  // Secrets referenced by the selected listeners' and clusters' TLS settings.
  std::set<std::string> secrets;
  for (const auto& l : out.listeners()) {
    for (const auto& c : l.tls().certificates()) secrets.insert(c.secret());
    secrets.insert(l.tls().client_ca_secret());
  }
  for (const auto& c : out.clusters()) {
    secrets.insert(c.tls().trusted_ca_secret());
    secrets.insert(c.tls().client_certificate_secret());
  }
  for (const auto& s : all.secrets()) {
    if (!s.name().empty() && secrets.count(s.name()) != 0) *out.add_secrets() = s;
  }
  return out;
}

}  // namespace strait::xds
