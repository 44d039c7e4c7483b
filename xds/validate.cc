// Validation of a whole generation (see validate.h). Route configurations are checked in
// validate_routes.cc; everything else is here.
#include "xds/validate.h"

#include <arpa/inet.h>

#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "re2/re2.h"
#include "sidecar/accesslog/access_log_config.h"
#include "xds/validate_internal.h"

namespace strait::xds {
namespace internal {

void Problems::add(const std::string& kind, const std::string& name, const std::string& field,
                   const std::string& reason) {
  lines_.push_back(absl::StrCat(kind, " '", name, "': ", field, ": ", reason));
}

std::string Problems::joined() const { return absl::StrJoin(lines_, "\n"); }

}  // namespace internal

namespace {

using internal::NameIndex;
using internal::Problems;

// Records a duplicate or empty name of `kind`; `index` locates unnamed entries.
void checkName(const std::string& kind, const std::string& name, const std::string& field,
               int index, std::set<std::string>* seen, Problems* p) {
  if (name.empty()) {
    p->add(kind, name, field, absl::StrCat("required (entry ", index, ")"));
  } else if (!seen->insert(name).second) {
    p->add(kind, name, field, "duplicate name");
  }
}

// Listener.tcp_clusters: SERVICE clusters, at most one per service and port.
void checkTcpClusters(const strait::v1::Generation& gen, const strait::v1::Listener& l, Problems* p) {
  const std::string& n = l.name();
  for (uint32_t port : l.tcp_ports()) {
    if (port == 0 || port > 65535) p->add("listener", n, "tcp_ports", absl::StrCat("port ", port, " out of range 1..65535"));
  }
  if (!l.tcp_ports().empty() && !l.use_original_dst()) {
    p->add("listener", n, "tcp_ports", "needs use_original_dst (connections are matched by it)");
  }
  if (l.tcp_clusters().empty()) return;
  if (!l.use_original_dst()) p->add("listener", n, "tcp_clusters", "needs use_original_dst (connections are matched by it)");
  std::map<std::tuple<std::string, std::string, uint32_t>, std::string> by_port;
  for (const std::string& name : l.tcp_clusters()) {
    const strait::v1::Cluster* cluster = nullptr;
    for (const auto& c : gen.clusters()) {
      if (c.name() == name) cluster = &c;
    }
    if (cluster == nullptr) {
      p->add("listener", n, "tcp_clusters", "unknown cluster '" + name + "'");
    } else if (cluster->type() != strait::v1::Cluster::SERVICE) {
      p->add("listener", n, "tcp_clusters", "cluster '" + name + "' is not a SERVICE cluster (it has no service address)");
    } else {
      auto key = std::make_tuple(cluster->service_namespace(), cluster->service(), cluster->service_port());
      auto [it, inserted] = by_port.emplace(key, name);
      if (!inserted && it->second != name) {
        p->add("listener", n, "tcp_clusters",
               absl::StrCat("clusters '", it->second, "' and '", name, "' are both service '", cluster->service(),
                            "' port ", cluster->service_port()));
      }
    }
  }
}

void checkListeners(const strait::v1::Generation& gen, const NameIndex& names, Problems* p) {
  std::set<std::string> seen;
  std::map<std::pair<std::string, uint32_t>, std::string> bound;
  for (int i = 0; i < gen.listeners_size(); ++i) {
    const auto& l = gen.listeners(i);
    const std::string& n = l.name();
    checkName("listener", n, "name", i, &seen, p);
    if (!internal::isIpLiteral(l.address())) {
      p->add("listener", n, "address", "'" + l.address() + "' is not an IP address literal");
    }
    if (l.port() < 1 || l.port() > 65535) {
      p->add("listener", n, "port", absl::StrCat("port ", l.port(), " out of range 1..65535"));
    }
    auto [it, inserted] = bound.emplace(std::make_pair(l.address(), l.port()), n);
    if (!inserted) {
      p->add("listener", n, "port", absl::StrCat(l.address(), ":", l.port(),
                                                 " already used by listener '", it->second, "'"));
    }
    if (l.route_config().empty()) {
      p->add("listener", n, "route_config", "required");
    } else if (names.route_configs.count(l.route_config()) == 0) {
      p->add("listener", n, "route_config", "unknown route_config '" + l.route_config() + "'");
    }
    if (l.http_options().http2_max_control_frames() > 1000000) {
      p->add("listener", n, "http_options.http2_max_control_frames", "must be at most 1000000");
    }
    uint32_t conn_buffer = l.http_options().http2_max_connection_buffer_bytes();
    if (conn_buffer != 0 && (conn_buffer < (64u << 10) || conn_buffer > (1u << 30))) {
      p->add("listener", n, "http_options.http2_max_connection_buffer_bytes", "must be 64 KiB to 1 GiB (0: 4 MiB)");
    }
    if (l.http_options().http2_max_refused_header_blocks() > 10000) {
      p->add("listener", n, "http_options.http2_max_refused_header_blocks", "must be at most 10000");
    }
    if (l.has_protocol_detection_timeout()) {
      const auto& t = l.protocol_detection_timeout();
      int64_t ns = internal::isValidDuration(t) ? internal::toNanos(t) : -1;
      if (ns < 10000000 || ns > 60LL * 1000000000) p->add("listener", n, "protocol_detection_timeout", "must be 10ms to 1m");
    }
    if (l.passthrough_tcp() && !l.use_original_dst()) {
      p->add("listener", n, "passthrough_tcp", "needs use_original_dst (the destination to relay to)");
    }
    checkTcpClusters(gen, l, p);
    if (l.has_tracing()) {
      const auto& t = l.tracing();
      if (t.collector_cluster().empty()) {
        p->add("listener", n, "tracing.collector_cluster", "required");
      } else if (names.clusters.count(t.collector_cluster()) == 0) {
        p->add("listener", n, "tracing.collector_cluster", "unknown cluster '" + t.collector_cluster() + "'");
      }
      if (!(t.sample_rate() >= 0 && t.sample_rate() <= 1)) p->add("listener", n, "tracing.sample_rate", "must be in [0, 1]");
    }
    for (int j = 0; j < l.access_logs_size(); j++) {
      absl::Status st = accesslog::checkAccessLog(l.access_logs(j));
      if (st.ok()) continue;
      std::string msg(st.message());
      size_t colon = msg.find(": ");
      std::string field = absl::StrCat("access_logs[", j, "]");
      if (colon != std::string::npos) absl::StrAppend(&field, ".", msg.substr(0, colon));
      p->add("listener", n, field, colon == std::string::npos ? msg : msg.substr(colon + 2));
    }
    if (l.http_options().max_connections_per_client() > 1000000) {
      p->add("listener", n, "http_options.max_connections_per_client", "must be at most 1000000");
    }
    if (l.http_options().xff_num_trusted_hops() > 10) {
      p->add("listener", n, "http_options.xff_num_trusted_hops", "must be at most 10");
    }
    auto checkRange = [&](bool present, const google::protobuf::Duration& t, int64_t min_ns, const char* field,
                          const char* range) {
      if (!present) return;
      int64_t ns = internal::isValidDuration(t) ? internal::toNanos(t) : -1;
      if (ns < min_ns || ns > 3600LL * 1000000000) p->add("listener", n, field, range);
    };
    const auto& opts = l.http_options();
    checkRange(opts.has_request_headers_timeout(), opts.request_headers_timeout(), 1000000,
               "http_options.request_headers_timeout", "must be 1ms to 1h");
    checkRange(opts.has_send_timeout(), opts.send_timeout(), 1000000, "http_options.send_timeout",
               "must be 1ms to 1h");
    checkRange(opts.request_body_min_rate().has_window(), opts.request_body_min_rate().window(), 100000000,
               "http_options.request_body_min_rate.window", "must be 100ms to 1h");
    const auto& idle = l.http_options().idle_timeout();
    if (!internal::isValidDuration(idle) || internal::toNanos(idle) < 0) {
      p->add("listener", n, "http_options.idle_timeout", "must be a valid duration >= 0");
    }
  }
}

void checkClusters(const strait::v1::Generation& gen, Problems* p) {
  std::set<std::string> seen;
  std::map<std::string, int> assignments;
  for (const auto& la : gen.load_assignments()) ++assignments[la.cluster_name()];
  for (int i = 0; i < gen.clusters_size(); ++i) {
    const auto& c = gen.clusters(i);
    checkName("cluster", c.name(), "name", i, &seen, p);
    if (!strait::v1::Cluster::LbPolicy_IsValid(c.lb_policy())) {
      p->add("cluster", c.name(), "lb_policy", absl::StrCat("unknown policy ", c.lb_policy()));
    }
    if (c.has_connect_timeout()) {
      int64_t ns = internal::toNanos(c.connect_timeout());
      if (!internal::isValidDuration(c.connect_timeout()) || ns < 1000000 ||
          ns > int64_t{60} * 1000000000) {
        p->add("cluster", c.name(), "connect_timeout", "must be between 1ms and 60s");
      }
    }
    const auto& idle = c.idle_timeout();
    if (!internal::isValidDuration(idle) || internal::toNanos(idle) < 0) {
      p->add("cluster", c.name(), "idle_timeout", "must be a valid duration >= 0");
    }
    const auto& budget = c.circuit_breakers().retry_budget();
    if (budget.budget_percent() > 100) {
      p->add("cluster", c.name(), "circuit_breakers.retry_budget.budget_percent", "must be at most 100");
    }
    internal::validateClusterHealth(c, p);
    if (c.type() == strait::v1::Cluster::ORIGINAL_DST) {
      if (assignments[c.name()] > 0) p->add("cluster", c.name(), "type", "ORIGINAL_DST takes no load_assignment");
      if (c.has_health_check()) p->add("cluster", c.name(), "type", "ORIGINAL_DST takes no health_check");
      if (c.has_outlier_detection()) p->add("cluster", c.name(), "type", "ORIGINAL_DST takes no outlier_detection");
      if (c.lb_policy() != strait::v1::Cluster::ROUND_ROBIN || c.has_lb_config()) {
        p->add("cluster", c.name(), "type", "ORIGINAL_DST takes no lb_policy or lb_config");
      }
    } else if (c.type() == strait::v1::Cluster::SERVICE) {
      if (c.service().empty()) p->add("cluster", c.name(), "service", "required for a SERVICE cluster");
      if (c.service_port() == 0 || c.service_port() > 65535) {
        p->add("cluster", c.name(), "service_port", "required for a SERVICE cluster, 1..65535");
      }
      if (!c.service_vip().empty() && !internal::isIpLiteral(c.service_vip())) {
        p->add("cluster", c.name(), "service_vip", "'" + c.service_vip() + "' is not an IP address literal");
      }
    } else if (!c.service().empty() || c.service_port() != 0 || !c.service_namespace().empty() ||
               !c.service_vip().empty()) {
      p->add("cluster", c.name(), "service", "service, service_port and service_vip belong to SERVICE clusters");
    } else if (!strait::v1::Cluster::DiscoveryType_IsValid(c.type())) {
      p->add("cluster", c.name(), "type", absl::StrCat("unknown type ", c.type()));
    } else if (!c.name().empty() && assignments[c.name()] == 0) {
      p->add("cluster", c.name(), "name", "no load_assignment for this cluster");
    }
  }
}

// service_vip: one address per service, one service per address.
void checkServiceVips(const strait::v1::Generation& gen, Problems* p) {
  std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> vip_of;  // service -> (vip, cluster)
  std::map<std::string, std::pair<std::string, std::string>> service_at;                     // vip -> (service, cluster)
  for (const auto& c : gen.clusters()) {
    if (c.type() != strait::v1::Cluster::SERVICE || c.service_vip().empty()) continue;
    auto [v, new_service] = vip_of.emplace(std::make_pair(c.service_namespace(), c.service()),
                                           std::make_pair(c.service_vip(), c.name()));
    if (!new_service && v->second.first != c.service_vip()) {
      p->add("cluster", c.name(), "service_vip",
             absl::StrCat("service '", c.service(), "' already has address ", v->second.first, " (cluster '",
                          v->second.second, "')"));
    }
    auto [s, new_vip] = service_at.emplace(c.service_vip(), std::make_pair(c.service(), c.name()));
    if (!new_vip && s->second.first != c.service()) {
      p->add("cluster", c.name(), "service_vip",
             absl::StrCat(c.service_vip(), " is already service '", s->second.first, "' (cluster '",
                          s->second.second, "')"));
    }
  }
}

void checkLoadAssignments(const strait::v1::Generation& gen, const NameIndex& names,
                          Problems* p) {
  std::set<std::string> seen;
  for (int i = 0; i < gen.load_assignments_size(); ++i) {
    const auto& la = gen.load_assignments(i);
    const std::string& n = la.cluster_name();
    checkName("load_assignment", n, "cluster_name", i, &seen, p);
    if (!n.empty() && names.clusters.count(n) == 0) {
      p->add("load_assignment", n, "cluster_name", "unknown cluster '" + n + "'");
    }
    for (int j = 0; j < la.endpoints_size(); ++j) {
      const auto& e = la.endpoints(j);
      const std::string path = absl::StrCat("endpoints[", j, "]");
      if (!internal::isIpLiteral(e.address())) {
        p->add("load_assignment", n, path + ".address",
               "'" + e.address() + "' is not an IP address literal");
      }
      if (e.port() < 1 || e.port() > 65535) {
        p->add("load_assignment", n, path + ".port",
               absl::StrCat("port ", e.port(), " out of range 1..65535"));
      }
      if (e.weight() > 1000) {
        p->add("load_assignment", n, path + ".weight",
               absl::StrCat("weight ", e.weight(), " out of range 1..1000"));
      }
    }
  }
}

void checkPem(const std::string& name, const std::string& field, const std::string& value,
              Problems* p) {
  if (!value.empty() && value.find("-----BEGIN") == std::string::npos) {
    p->add("secret", name, field, "not PEM data (no '-----BEGIN')");
  }
}

void checkSecrets(const strait::v1::Generation& gen, Problems* p) {
  std::set<std::string> seen;
  for (int i = 0; i < gen.secrets_size(); ++i) {
    const auto& s = gen.secrets(i);
    checkName("secret", s.name(), "name", i, &seen, p);
    checkPem(s.name(), "certificate_chain", s.certificate_chain(), p);
    checkPem(s.name(), "private_key", s.private_key(), p);
    checkPem(s.name(), "trusted_ca", s.trusted_ca(), p);
  }
}

}  // namespace

absl::Status validateGeneration(const strait::v1::Generation& gen) {
  NameIndex names;
  for (const auto& rc : gen.route_configs()) names.route_configs.insert(rc.name());
  for (const auto& c : gen.clusters()) {
    names.clusters.insert(c.name());
    if (c.protocol() == strait::v1::Cluster::HTTP2) names.http2_clusters.insert(c.name());
  }
  Problems problems;
  if (size_t bytes = gen.ByteSizeLong(); bytes > kMaxGenerationBytes) {
    problems.add("generation", "all", "size",
                 absl::StrCat(bytes, " bytes serialised, over the limit of ", kMaxGenerationBytes,
                              " (64 MiB) that the control plane delivers"));
  }
  checkListeners(gen, names, &problems);
  std::set<std::string> rc_seen;
  for (int i = 0; i < gen.route_configs_size(); ++i) {
    checkName("route_config", gen.route_configs(i).name(), "name", i, &rc_seen, &problems);
    internal::validateRouteConfig(gen.route_configs(i), names, &problems);
  }
  checkClusters(gen, &problems);
  checkServiceVips(gen, &problems);
  internal::validateLoadBalancing(gen, &problems);
  checkLoadAssignments(gen, names, &problems);
  checkSecrets(gen, &problems);
  internal::validateTls(gen, &problems);
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(problems.joined());
}

}  // namespace strait::xds
