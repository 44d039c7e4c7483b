"""curl --http2-prior-knowledge as a test client: one request, parsed like harness.http_request."""

import subprocess

from harness import scaled


def h2_request(port, path="/", method="GET", headers=None, host=None, body=None, timeout=20):
    """(status, headers dict with lower-case names, body text) of one HTTP/2 (h2c, prior
    knowledge) request to 127.0.0.1:port. The path is sent as given (--path-as-is).
    `timeout` is scaled (harness.scaled)."""
    timeout = scaled(timeout)
    args = ["curl", "-sS", "-i", "--http2-prior-knowledge", "--path-as-is", "--max-time", str(timeout)]
    args += ["-I"] if method == "HEAD" else ["-X", method]  # -X HEAD would wait for a body
    for k, v in (headers or {}).items():
        args += ["-H", "%s: %s" % (k, v)]
    if host is not None:
        args += ["-H", "host: %s" % host]
    if body is not None:
        args += ["--data-binary", body]
    args.append("http://127.0.0.1:%d%s" % (port, path))
    out = subprocess.run(args, capture_output=True, timeout=timeout + 5)
    if out.returncode != 0:
        raise AssertionError("curl failed: %s" % out.stderr.decode(errors="replace"))
    text = out.stdout.decode("utf-8", "replace")
    head, _, data = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return status, hdrs, data
