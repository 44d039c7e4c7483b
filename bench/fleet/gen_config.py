#!/usr/bin/env python3
"""Writes a big generation for the stall probe (bench/fleet/stall.sh): CLUSTERS clusters, each
with one endpoint (the origin), and ROUTES routes (/r<i> to cluster i % CLUSTERS) plus a
catch-all route to cluster c0, on one listener. VARIANT changes one cluster's connect timeout,
so that each call with another VARIANT is a new version that leaves every other cluster as it
was (what an endpoint or policy change looks like to the sidecar).

usage: gen_config.py OUT_FILE LISTEN_PORT ORIGIN_PORT CLUSTERS ROUTES VARIANT"""

import json
import os
import sys


def main():
    out, port, origin, clusters, routes, variant = sys.argv[1:7]
    port, origin, clusters, routes, variant = int(port), int(origin), int(clusters), int(routes), int(variant)
    gen = {
        "listeners": [{"name": "bench", "address": "127.0.0.1", "port": port, "route_config": "bench"}],
        "route_configs": [{"name": "bench", "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [
            {"match": {"prefix": "/r%d/" % i}, "route": {"cluster": "c%d" % (i % clusters)}} for i in range(routes)
        ] + [{"match": {"prefix": "/"}, "route": {"cluster": "c0"}}]}]}],
        "clusters": [{"name": "c%d" % i, "connect_timeout": "%ds" % (2 if i == 1 + variant % max(1, clusters - 1) else 1)}
                     for i in range(clusters)],
        "load_assignments": [{"cluster_name": "c%d" % i, "endpoints": [{"address": "127.0.0.1", "port": origin}]}
                             for i in range(clusters)],
    }
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(gen, f)
    os.rename(tmp, out)  # the control plane sees the whole file or none of it


if __name__ == "__main__":
    main()
