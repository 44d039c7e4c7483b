#!/usr/bin/env python3
"""Idle keep-alive connection memory of a proxy.

  idle_conns.py PORT COUNT PID [PID...]

Sums VmRSS of the given PIDs, opens COUNT connections to 127.0.0.1:PORT (non-blocking,
in batches), sends one GET per connection and reads its whole response, so every
connection has been through a full request and now sits idle with keep-alive. Then it
sums VmRSS again and prints one line:

  conns=N rss_before_kib=A rss_after_kib=B per_conn_bytes=C

and closes everything. Bounded: gives up after 60 s. Needs RLIMIT_NOFILE > COUNT
(run.sh raises it).
"""

import os
import re
import selectors
import socket
import sys
import time

DEADLINE_S = 60.0
BATCH = 500          # connects in flight at once
REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: idle-conns\r\n\r\n"


def rss_kib(pids):
    total = 0
    for pid in pids:
        with open("/proc/%d/status" % pid) as f:
            m = re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M)
            total += int(m.group(1)) if m else 0
    return total


def response_complete(buf):
    """True once buf holds a whole response with Content-Length framing."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return False
    m = re.search(rb"(?im)^content-length:\s*(\d+)", buf[:end])
    length = int(m.group(1)) if m else 0
    return len(buf) >= end + 4 + length


def open_idle(port, count, deadline):
    sel = selectors.DefaultSelector()
    done, started, socks = 0, 0, []
    bufs = {}

    def start_one():
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        socks.append(s)
        bufs[s] = b""
        sel.register(s, selectors.EVENT_WRITE)

    while done < count:
        while started < count and started - done < BATCH:
            start_one()
            started += 1
        if time.monotonic() > deadline:
            raise SystemExit("idle_conns: only %d of %d connections completed" % (done, count))
        for key, events in sel.select(timeout=1.0):
            s = key.fileobj
            if events & selectors.EVENT_WRITE:
                s.send(REQUEST)  # small enough to fit the socket buffer at once
                sel.modify(s, selectors.EVENT_READ)
                continue
            data = s.recv(65536)
            if not data:
                raise SystemExit("idle_conns: connection closed by the proxy")
            bufs[s] += data
            if response_complete(bufs[s]):
                sel.unregister(s)
                bufs[s] = b""
                done += 1
    return socks


def main():
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    port, count = int(sys.argv[1]), int(sys.argv[2])
    pids = [int(p) for p in sys.argv[3:]]
    before = rss_kib(pids)
    socks = open_idle(port, count, time.monotonic() + DEADLINE_S)
    time.sleep(1.0)  # let the proxy finish any per-connection work after the response
    after = rss_kib(pids)
    print("conns=%d rss_before_kib=%d rss_after_kib=%d per_conn_bytes=%d"
          % (count, before, after, (after - before) * 1024 // count))
    sys.stdout.flush()
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
