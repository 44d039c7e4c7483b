#!/usr/bin/env python3
"""Writes a big generation for the fleet benchmarks (bench/fleet/stall.sh, apply.sh, fleet.sh):
CLUSTERS clusters, each with ENDPOINTS endpoints (the first is the origin; the others
127.0.<k>.2 on the origin's port, never dialled by the benchmarks), and ROUTES routes (/r<i> to
cluster i % CLUSTERS) plus a catch-all route to cluster c0, on one listener.

VARIANT makes each call a new version that changes one thing and leaves the rest as it was:
with CHANGE=cluster (the default) one cluster's connect timeout (a policy change); with
CHANGE=endpoint one endpoint's weight in one cluster's load assignment (what a rollout or a
scaling event looks like to the sidecar).

SERVICE_CLUSTERS (default 0) makes clusters c<C-S>..c<C-1> SERVICE clusters of services
svc0..svc<S-1> (port 8080; their endpoints are the connected workloads of that service, so
they come and go with them: the fleet's churn).

ACCESS_LOG_PATH (environment; default none): the listener writes a JSON access log there
(the stall probe reads each request's duration_ms from it).

LISTENER_SERVICES (environment, comma-separated; default none): the listener's `services`,
so that only sidecars of those services receive it and what it references (the fleet's
sidecars are "web"; its churning workloads, of another service, then receive nothing).

usage: gen_config.py OUT_FILE LISTEN_PORT ORIGIN_PORT CLUSTERS ROUTES VARIANT [ENDPOINTS [CHANGE [SERVICE_CLUSTERS]]]"""

import json
import os
import sys


def endpoints(n, origin, weighted):
    eps = [{"address": "127.0.0.1" if k == 0 else "127.0.%d.%d" % (k // 250, 2 + k % 250), "port": origin}
           for k in range(n)]
    if weighted:
        eps[0]["weight"] = 2
    return eps


def main():
    out, port, origin, clusters, routes, variant = sys.argv[1:7]
    port, origin, clusters, routes, variant = int(port), int(origin), int(clusters), int(routes), int(variant)
    per_cluster = int(sys.argv[7]) if len(sys.argv) > 7 else 1
    change = sys.argv[8] if len(sys.argv) > 8 else "cluster"
    services = int(sys.argv[9]) if len(sys.argv) > 9 else 0
    if change not in ("cluster", "endpoint"):
        sys.exit("CHANGE must be cluster or endpoint")
    changed = 1 + variant % max(1, clusters - 1)  # never c0: the stall probe's route
    first_service = clusters - services  # c0 (the catch-all) stays a static cluster unless all are

    def cluster(i):
        c = {"name": "c%d" % i, "connect_timeout": "2s" if change == "cluster" and i == changed else "1s"}
        if i >= first_service:
            c.update({"type": "SERVICE", "service": "svc%d" % (i - first_service), "service_port": 8080})
        return c

    listener = {"name": "bench", "address": "127.0.0.1", "port": port, "route_config": "bench"}
    if os.environ.get("ACCESS_LOG_PATH"):
        listener["access_logs"] = [{"path": os.environ["ACCESS_LOG_PATH"]}]
    if os.environ.get("LISTENER_SERVICES"):
        listener["services"] = os.environ["LISTENER_SERVICES"].split(",")
    gen = {
        "listeners": [listener],
        "route_configs": [{"name": "bench", "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [
            {"match": {"prefix": "/r%d/" % i}, "route": {"cluster": "c%d" % (i % clusters)}} for i in range(routes)
        ] + [{"match": {"prefix": "/"}, "route": {"cluster": "c0"}}]}]}],
        "clusters": [cluster(i) for i in range(clusters)],
        "load_assignments": [{"cluster_name": "c%d" % i,
                              "endpoints": endpoints(per_cluster, origin, change == "endpoint" and i == changed)}
                             for i in range(first_service)],
    }
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(gen, f)
    os.rename(tmp, out)  # the control plane sees the whole file or none of it


if __name__ == "__main__":
    main()
