#!/usr/bin/env python3
"""Writes a big generation for the stall probe (bench/fleet/stall.sh) and the simulated fleet
(bench/fleet/fleet.sh): CLUSTERS clusters, each with one endpoint (the origin), and ROUTES
routes (/r<i> to cluster i % CLUSTERS) plus a catch-all route to cluster c0, on one listener.
VARIANT changes one cluster's connect timeout, so that each call with another VARIANT is a new
version that leaves every other cluster as it was (what an endpoint or policy change looks
like to the sidecar). SERVICE_CLUSTERS (default 0) makes clusters c<C-S>..c<C-1> SERVICE
clusters of services svc0..svc<S-1> (port 8080; their endpoints are the connected workloads of
that service, so they come and go with them: the fleet's churn).

usage: gen_config.py OUT_FILE LISTEN_PORT ORIGIN_PORT CLUSTERS ROUTES VARIANT [SERVICE_CLUSTERS]"""

import json
import os
import sys


def cluster(i, variant, clusters, service):
    c = {"name": "c%d" % i, "connect_timeout": "%ds" % (2 if i == 1 + variant % max(1, clusters - 1) else 1)}
    if service >= 0:
        c.update({"type": "SERVICE", "service": "svc%d" % service, "service_port": 8080})
    return c


def main():
    out, port, origin, clusters, routes, variant = sys.argv[1:7]
    port, origin, clusters, routes, variant = int(port), int(origin), int(clusters), int(routes), int(variant)
    services = int(sys.argv[7]) if len(sys.argv) > 7 else 0
    first_service = clusters - services  # c0 (the catch-all) stays a static cluster unless all are
    gen = {
        "listeners": [{"name": "bench", "address": "127.0.0.1", "port": port, "route_config": "bench"}],
        "route_configs": [{"name": "bench", "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [
            {"match": {"prefix": "/r%d/" % i}, "route": {"cluster": "c%d" % (i % clusters)}} for i in range(routes)
        ] + [{"match": {"prefix": "/"}, "route": {"cluster": "c0"}}]}]}],
        "clusters": [cluster(i, variant, clusters, i - first_service) for i in range(clusters)],
        "load_assignments": [{"cluster_name": "c%d" % i, "endpoints": [{"address": "127.0.0.1", "port": origin}]}
                             for i in range(first_service)],
    }
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(gen, f)
    os.rename(tmp, out)  # the control plane sees the whole file or none of it


if __name__ == "__main__":
    main()
