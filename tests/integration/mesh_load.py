#!/usr/bin/env python3
"""A client app for the mesh tests: requests http://<host>/ over keep-alive, one at a time,
until <stop file> exists (or a bound of 120 s); rewrites <progress file> after each request
with {"ok": n, "failed": [...], "bodies": {body: count}} (JSON, atomically). Runs inside a
pod (ip netns exec), so its connections are intercepted like any app's."""

import http.client
import json
import os
import sys
import time


def main():
    host, progress, stop = sys.argv[1], sys.argv[2], sys.argv[3]
    ok, failed, bodies = 0, [], {}
    conn = None
    deadline = time.monotonic() + 120  # bounds a hang only
    while not os.path.exists(stop) and time.monotonic() < deadline:
        try:
            if conn is None:
                conn = http.client.HTTPConnection(host, 80, timeout=10)
            conn.request("GET", "/load")
            resp = conn.getresponse()
            body = resp.read().decode("utf-8", "replace")
            if resp.status == 200:
                ok += 1
                bodies[body] = bodies.get(body, 0) + 1
            else:
                failed.append("%d %s" % (resp.status, resp.getheader("x-strait-local-reply", "")))
        except (OSError, http.client.HTTPException) as e:
            failed.append(repr(e))
            conn = None
        tmp = progress + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"ok": ok, "failed": failed, "bodies": bodies}, f)
        os.rename(tmp, progress)


if __name__ == "__main__":
    main()
