"""Helpers for Strait integration tests: real binaries on 127.0.0.1, ports chosen at run time.

Python 3 standard library only. A test case derives from StraitTestCase; every process it
starts is stopped (SIGTERM, then SIGKILL after a deadline) by a unittest cleanup, and the log
tails of every process are printed when the test fails. Nothing waits with a fixed sleep:
conditions are polled with wait_until(predicate, timeout).

Every timeout here only bounds a hang: none may decide pass or fail for a correct run that is
merely slow (the ASan+UBSan build, a machine busy with other work). The timeouts the harness
takes (wait_until, http_request, KeepAliveClient, start and stop deadlines, straitctl) are
multiplied by TIME_SCALE; tests scale their own (subprocess and client timeouts) with
scaled(). TIME_SCALE is $STRAIT_TEST_TIME_SCALE if set, else 4 for a sanitizer build
(STRAIT_SANITIZE=ON in $STRAIT_BUILD_DIR/CMakeCache.txt), else 2.

Binaries come from $STRAIT_BUILD_DIR (default <repo>/build):
  control/strait-control, control/straitctl, sidecar/strait-sidecar,
  tests/upstream/strait-test-upstream (override with $STRAIT_UPSTREAM_BIN).
"""

import atexit
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_DIR = os.environ.get("STRAIT_BUILD_DIR", os.path.join(REPO, "build"))



def _sanitized_build():
    try:
        with open(os.path.join(BUILD_DIR, "CMakeCache.txt")) as f:
            return re.search(r"^STRAIT_SANITIZE:BOOL=(ON|1|TRUE|YES)$", f.read(), re.M | re.I) is not None
    except OSError:
        return False


SANITIZED = _sanitized_build()
TIME_SCALE = float(os.environ.get("STRAIT_TEST_TIME_SCALE") or (4 if SANITIZED else 2))


def scaled(seconds):
    """`seconds` times TIME_SCALE: for timeouts that bound a hang (never a measurement)."""
    return seconds * TIME_SCALE


STOP_DEADLINE_S = 5.0      # SIGTERM grace before SIGKILL (scaled: ASan's exit checks take time)
START_TIMEOUT_S = 15.0     # a binary must be listening within this (scaled)
LOG_TAIL_LINES = 40        # per process, printed when a test fails


def binary(rel_path):
    """Absolute path of a built binary; fails the test with a clear message if missing."""
    if rel_path.endswith("strait-test-upstream") and os.environ.get("STRAIT_UPSTREAM_BIN"):
        path = os.environ["STRAIT_UPSTREAM_BIN"]
    else:
        path = os.path.join(BUILD_DIR, rel_path)
    if not os.access(path, os.X_OK):
        raise AssertionError("binary not built: %s (set STRAIT_BUILD_DIR)" % path)
    return path


_HANDED_OUT = set()
# Ports handed out are also reserved across processes (ctest runs test scripts in parallel):
# one file per port, created exclusively, holding the owner's PID, removed at exit. A file
# whose owner is dead (a killed run) is cleared when met.
_PORT_DIR = os.path.join(tempfile.gettempdir(), "strait-test-ports")
_RESERVED = []


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _reserve(port):
    """True if this process now holds the cross-process reservation of `port`."""
    os.makedirs(_PORT_DIR, exist_ok=True)
    path = os.path.join(_PORT_DIR, str(port))
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                with open(path) as f:
                    owner = int(f.read().strip() or "0")
            except (OSError, ValueError):
                return False
            if owner == 0 or _pid_alive(owner):
                return False  # held (or being written) by a live test process
            try:
                os.unlink(path)  # left by a run that was killed
            except OSError:
                return False
            continue
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        _RESERVED.append(path)
        return True
    return False


def _release_reservations():
    for path in _RESERVED:
        try:
            os.unlink(path)
        except OSError:
            pass


atexit.register(_release_reservations)


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
            return lo, hi
    except (OSError, ValueError):
        return 32768, 60999


def free_port():
    """A port that was free a moment ago, for config values that must be known upfront (the
    binaries themselves bind port 0 and report it through port files). Chosen OUTSIDE the
    kernel's ephemeral range, so a process binding port 0 later (a control plane, an upstream,
    an outgoing connection) can never be given the same port before the config uses it; never
    the same port twice in one test process, nor in two test processes running at once (each
    port is reserved by a file under $TMPDIR/strait-test-ports until the process exits)."""
    lo, hi = _ephemeral_range()
    candidates = list(range(10000, lo)) if lo > 11000 else list(range(hi + 1, 65535))
    random.shuffle(candidates)
    for port in candidates:
        if port in _HANDED_OUT:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        if not _reserve(port):
            continue
        _HANDED_OUT.add(port)
        return port
    raise AssertionError("no free port outside the ephemeral range")


def wait_until(predicate, timeout=10.0, interval=0.02, message=None):
    """Polls predicate() until it returns a truthy value (returned) or the deadline passes
    (AssertionError naming `message` and the last value or exception). The deadline is
    scaled(timeout): it bounds a hang, it does not measure anything."""
    timeout = scaled(timeout)
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            value = predicate()
            if value:
                return value
            last = value
        except Exception as e:  # noqa: BLE001 - the predicate may race with start-up
            last = e
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1fs waiting for %s (last: %r)"
                                 % (timeout, message or predicate, last))
        time.sleep(interval)


def read_port_file(path):
    """The port written to `path`, or None while it does not exist yet."""
    try:
        with open(path) as f:
            text = f.read().strip()
        return int(text) if text else None
    except (FileNotFoundError, ValueError):
        return None


def write_file(path, text):
    """Writes atomically (temp file + rename): a watcher never sees a half-written file.
    The temp name starts with '.' and ends in .tmp, so it is never read as config."""
    d, base = os.path.split(path)
    tmp = os.path.join(d, ".%s.%d.tmp" % (base, os.getpid()))
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def http_request(port, path="/", method="GET", headers=None, host=None, body=None,
                 timeout=5.0):
    """One request on a fresh connection. Returns (status, headers dict with lower-case
    names, body text). Raises on connection errors. `timeout` is scaled."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=scaled(timeout))
    try:
        hdrs = dict(headers or {})
        if host is not None:
            hdrs["Host"] = host
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read().decode("utf-8", "replace")
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def http_get(port, path="/", headers=None, host=None, timeout=5.0):
    return http_request(port, path, headers=headers, host=host, timeout=timeout)


class KeepAliveClient:
    """Requests over one persistent connection (reconnects only if asked to). `timeout` is
    scaled."""

    def __init__(self, port, timeout=5.0):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=scaled(timeout))

    def get(self, path="/", headers=None):
        self.conn.request("GET", path, headers=dict(headers or {}))
        resp = self.conn.getresponse()
        data = resp.read().decode("utf-8", "replace")
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data

    def reconnect(self):
        self.conn.close()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.conn.timeout)

    def close(self):
        self.conn.close()


def admin_json(admin_port, path="/config_dump"):
    status, _, body = http_get(admin_port, path)
    if status != 200:
        raise AssertionError("GET %s -> %d: %s" % (path, status, body[:200]))
    return json.loads(body)


def live_version(admin_port):
    """Version of the generation live on a sidecar (from /config_dump), or None."""
    try:
        return admin_json(admin_port).get("version") or None
    except (OSError, AssertionError, ValueError, http.client.HTTPException):
        return None


_STATUS_LINE = re.compile(r'^(\S+) service=(\S*) connected=(yes|no) sent=(\S+) acked=(\S+) '
                          r'nacked=(\S+) nack="(.*?)" identity=(\S+)(?: refused="(.*)")?$')


def parse_status(text):
    """Parses `straitctl status` output into {"version": V, "sidecars": {node_id: {...}}};
    a "-" field becomes ""."""
    out = {"version": None, "sidecars": {}}
    for line in text.splitlines():
        if line.startswith("serving version "):
            out["version"] = line[len("serving version "):].strip()
            continue
        m = _STATUS_LINE.match(line.strip())
        if not m:
            continue
        fields = [("" if v in ("-", None) else v) for v in m.groups()]
        node, service, connected, sent, acked, nacked, nack, identity, refused = fields
        out["sidecars"][node] = {"service": service, "connected": connected == "yes",
                                 "sent": sent, "acked": acked, "nacked": nacked, "nack": nack,
                                 "identity": identity, "refused": refused}
    return out


# Control port -> the operator token file of the control plane started on it (start_control).
OPERATOR_TOKEN_FILES = {}


def straitctl_status(control_port, timeout=10.0, ca_file=None):
    """Runs `straitctl --control 127.0.0.1:PORT status` (over TLS verified with `ca_file` if
    given, else plaintext); returns parse_status() of its output, or None if straitctl failed
    (control plane down)."""
    tls = ["--ca-file", ca_file] if ca_file else []
    if control_port in OPERATOR_TOKEN_FILES:
        tls += ["--token-file", OPERATOR_TOKEN_FILES[control_port]]
    r = subprocess.run([binary("control/straitctl"), "--control", "127.0.0.1:%d" % control_port]
                       + tls + ["status"], capture_output=True, text=True, timeout=scaled(timeout))
    if r.returncode != 0:
        return None
    return parse_status(r.stdout)


class Process:
    """A started binary: output to a log file, stopped by PID (SIGTERM, SIGKILL after a
    deadline). Use StraitTestCase.spawn() so it is always stopped by a cleanup."""

    def __init__(self, name, args, log_dir):
        self.name = name
        self.args = args
        self.log_path = os.path.join(log_dir, "%s.log" % name)
        self._log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL)
        self.pid = self.popen.pid
        self.killed = False

    def alive(self):
        return self.popen.poll() is None

    def stop(self, deadline=STOP_DEADLINE_S):
        """Stops the process; returns its exit code. Safe to call more than once. `deadline`
        is scaled."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=scaled(deadline))
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._log.close()
        return self.popen.returncode

    def kill(self):
        """SIGKILL, no grace: simulates a crash."""
        self.killed = True
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines=LOG_TAIL_LINES):
        return "\n".join(self.log().splitlines()[-lines:])


CONFIG_TEMPLATE_NOTE = "# written by a Strait integration test\n"


# ----- config builders: YAML is a superset of JSON, so configs are dicts dumped as JSON -----

def route(prefix, cluster, **extra):
    """A route dict: prefix match to `cluster`; extra keys (e.g. response_headers_to_add)
    are merged into the route, except the RouteAction fields (prefix_rewrite, timeout,
    retry_policy, idle_timeout, max_stream_duration) which go to the action."""
    action = {"cluster": cluster}
    for k in ("prefix_rewrite", "timeout", "retry_policy", "idle_timeout", "max_stream_duration"):
        if k in extra:
            action[k] = extra.pop(k)
    r = {"match": {"prefix": prefix}, "route": action}
    r.update(extra)
    return r


def listener(name, port, route_config, service):
    """A Listener dict on 127.0.0.1:port for the sidecars of `service`."""
    return {"name": name, "address": "127.0.0.1", "port": port, "route_config": route_config,
            "services": [service]}


def header(key, value):
    return {"key": key, "value": str(value)}


def generation(listener_port, vhosts, endpoints, listener_name="ingress",
               route_config="main", services=None, extra_listeners=()):
    """A Generation dict with one listener on 127.0.0.1:listener_port serving route config
    `route_config` made of `vhosts` ({domain or tuple of domains: [routes]}), and one cluster
    per key of `endpoints` ({cluster: [ports on 127.0.0.1]})."""
    listener = {"name": listener_name, "address": "127.0.0.1", "port": listener_port,
                "route_config": route_config}
    if services:
        listener["services"] = list(services)
    virtual_hosts = []
    for i, (domains, routes) in enumerate(vhosts.items()):
        domains = [domains] if isinstance(domains, str) else list(domains)
        virtual_hosts.append({"name": "vh%d" % i, "domains": domains, "routes": routes})
    return {
        "listeners": [listener] + list(extra_listeners),
        "route_configs": [{"name": route_config, "virtual_hosts": virtual_hosts}],
        # 5s: a loopback connect is instant, but a busy upstream's full accept queue can make
        # one wait for a SYN retransmission (1s); no test here relies on the connect timeout.
        "clusters": [{"name": c, "connect_timeout": "5s"} for c in endpoints],
        "load_assignments": [
            {"cluster_name": c, "endpoints": [{"address": "127.0.0.1", "port": p} for p in ports]}
            for c, ports in endpoints.items()],
    }


def service_generation(listener_port, service, service_port, services=("web",)):
    """A generation whose one listener (for the sidecars of `services` only) routes everything
    to cluster `service`, of type SERVICE: its endpoints are the live workloads of that
    service, at `service_port`."""
    gen = generation(listener_port, {"*": [route("/", service)]}, {}, services=list(services))
    gen["clusters"] = [{"name": service, "type": "SERVICE", "service": service, "service_port": service_port,
                        "connect_timeout": "5s"}]
    return gen


def to_yaml(gen):
    return json.dumps(gen, indent=1) + "\n"


class StraitTestCase(unittest.TestCase):
    """Base class: a private temp dir, process start helpers, logs printed on failure."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="strait-it-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.procs = []
        self._log_tails = {}
        self.addCleanup(self._stop_all)  # runs before rmtree (cleanups are LIFO)
        self._counter = 0
        self.ctl_ca_file = None  # set by start_control(tls=True)

    def run(self, result=None):
        result = result if result is not None else self.defaultTestResult()
        before = len(result.failures) + len(result.errors)
        super().run(result)
        if len(result.failures) + len(result.errors) > before and self._log_tails_available():
            for name, tail in self._log_tails.items():
                sys.stderr.write("\n----- %s (last %d lines) -----\n%s\n"
                                 % (name, LOG_TAIL_LINES, tail))
        return result

    def _log_tails_available(self):
        return bool(getattr(self, "_log_tails", None))

    def _stop_all(self):
        """Stops every process; each one not killed on purpose must exit 0 on SIGTERM with no
        sanitizer report (so ASan/UBSan builds of the suite catch shutdown bugs too)."""
        problems = []
        for p in reversed(self.procs):
            code = p.stop()
            self._log_tails[p.name] = p.log_tail()
            if p.killed:
                continue
            log = p.log()
            # The test upstream has no signal handler: dying of SIGTERM is its clean exit.
            clean = code == 0 or (p.name.startswith("upstream") and code == -signal.SIGTERM)
            if not clean or "Sanitizer" in log or "runtime error:" in log:
                problems.append("%s exited %s:\n%s" % (p.name, code, p.log_tail()))
        if problems:
            raise AssertionError("unclean exit:\n" + "\n".join(problems))

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def unique(self, prefix):
        self._counter += 1
        return "%s-%d" % (prefix, self._counter)

    def spawn(self, name, args):
        p = Process(name, args, self.tmp)
        self.procs.append(p)
        return p

    def wait_port_file(self, proc, port_file, timeout=START_TIMEOUT_S):
        def ready():
            if not proc.alive():
                raise AssertionError("%s exited (%s):\n%s"
                                     % (proc.name, proc.popen.returncode, proc.log_tail()))
            return read_port_file(port_file)
        try:
            return wait_until(ready, timeout, message="%s port file" % proc.name)
        except AssertionError:
            # surface the exit reason rather than the timeout
            if not proc.alive():
                raise AssertionError("%s exited:\n%s" % (proc.name, proc.log_tail()))
            raise

    # ----- config -----

    def make_config_dir(self, files=None):
        """A new config dir under the temp dir, with {file name: YAML text}."""
        d = self.path(self.unique("config"))
        os.mkdir(d)
        for name, text in (files or {}).items():
            write_file(os.path.join(d, name), text)
        return d

    def write_config(self, config_dir, name, text_or_generation):
        """Writes one config file (YAML text, or a generation dict) atomically."""
        text = text_or_generation
        if not isinstance(text, str):
            text = to_yaml(text)
        write_file(os.path.join(config_dir, name), CONFIG_TEMPLATE_NOTE + text)

    # ----- binaries -----

    def start_upstream(self, name, reply=None, size=None, threads=1, extra_args=(), listen="127.0.0.1:0", wrap=()):
        """Starts strait-test-upstream on `listen` (127.0.0.1:0); returns its port. extra_args:
        more flags (e.g. ["--status", "503"], ["--fail-first", "2"]). `wrap`: a command prefix
        (e.g. netns.Pods.enter(): run it in a network namespace)."""
        port_file = self.path("%s.port" % self.unique("upstream"))
        args = list(wrap) + [binary("tests/upstream/strait-test-upstream"), "--listen", listen,
                "--port-file", port_file, "--name", name, "--threads", str(threads)]
        if reply is not None:
            args += ["--reply", str(reply)]
        if size is not None:
            args += ["--size", str(size)]
        args += list(extra_args)
        proc = self.spawn(self.unique("upstream-" + name), args)
        return self.wait_port_file(proc, port_file)

    def start_control(self, config_dir, port=0, tls=False, extra_args=(), address="127.0.0.1", wrap=()):
        """Starts strait-control on address:port (0 = any); returns the bound port. `wrap`: a
        command prefix, as for start_upstream.
        The Process is in self.control afterwards (to kill and restart it). Plaintext unless
        tls=True; the CA lives in self.ca_dir (the same for every start in a test, so a restart
        keeps the root) and its root in self.ca_root; with tls=True, straitctl calls from this
        test case verify the control plane with it."""
        port_file = self.path("%s.port" % self.unique("control"))
        self.ca_dir = self.path("strait-ca")
        self.ca_root = os.path.join(self.ca_dir, "root.pem")
        args = list(wrap) + [binary("control/strait-control"), "--config-dir", config_dir,
                "--listen", "%s:%d" % (address, port), "--port-file", port_file,
                "--ca-dir", self.ca_dir] + list(extra_args)
        if not tls:
            args.append("--plaintext")
        self.ctl_ca_file = self.ca_root if tls else None
        self.control = self.spawn(self.unique("control"), args)
        bound = self.wait_port_file(self.control, port_file)
        OPERATOR_TOKEN_FILES[bound] = os.path.join(self.ca_dir, "operator.token")
        return bound

    def start_sidecar(self, node_id, service, control_port, workers=2, wait_ready=True,
                      tls=False, token=None, ttl_seconds=0, drain_time=None, extra_bootstrap="",
                      control_address="127.0.0.1", wrap=(), workload=None):
        """Starts strait-sidecar with a generated bootstrap; returns its admin port.
        With wait_ready, waits until GET /ready answers 200 (a generation is live).
        tls=True: TLS to the control plane verified with self.ca_root; `token` (written to a
        token file) enables the mesh identity, requesting `ttl_seconds` (0 = default)."""
        port_file = self.path("%s.admin.port" % node_id)
        if os.path.exists(port_file):
            os.remove(port_file)  # a restart with the same node id: wait for the new port
        bootstrap = self.path("%s.bootstrap.yaml" % node_id)
        if tls:
            control_plane = "{address: \"%s:%d\", ca_file: %s}" % (control_address, control_port, self.ca_root)
        else:
            control_plane = "{address: \"%s:%d\", plaintext: true}" % (control_address, control_port)
        identity = ""
        if token is not None:
            token_file = self.path("%s.token" % node_id)
            write_file(token_file, token + "\n")
            identity = "identity: {token_file: %s, ttl_seconds: %d}\n" % (token_file, ttl_seconds)
        node_extra = ", workload: {address: \"%s\"}" % workload if workload else ""
        write_file(bootstrap, (
            "node: {id: %s, service: %s" + node_extra + "}\n"
            "control_plane: %s\n"
            "admin: {address: 127.0.0.1, port: 0, port_file: %s}\n"
            "workers: %d\n%s%s") % (node_id, service, control_plane, port_file, workers, identity,
                                    ("drain_time: %s\n" % drain_time if drain_time else "") + extra_bootstrap))
        proc = self.spawn("sidecar-" + node_id,
                          list(wrap) + [binary("sidecar/strait-sidecar"), "--bootstrap", bootstrap])
        admin = self.wait_port_file(proc, port_file)
        if wait_ready:
            self.wait_ready(admin, proc)
        return admin

    def wait_ready(self, admin_port, proc=None, timeout=START_TIMEOUT_S):
        def ready():
            if proc is not None and not proc.alive():
                raise AssertionError("%s exited:\n%s" % (proc.name, proc.log_tail()))
            return http_get(admin_port, "/ready")[0] == 200
        wait_until(ready, timeout, message="sidecar /ready == 200")

    def wait_acked(self, control_port, node_id, version, timeout=10.0):
        """Waits until straitctl status shows node_id connected with acked == version."""
        def acked():
            st = straitctl_status(control_port, ca_file=self.ctl_ca_file)
            s = st and st["sidecars"].get(node_id)
            return s if s and s["connected"] and s["acked"] == version else None
        return wait_until(acked, timeout,
                          message="%s to ACK version %s" % (node_id, version))

    def wait_serving_version(self, control_port, predicate, timeout=10.0):
        """Waits until the control plane serves a version v with predicate(v); returns v."""
        def serving():
            st = straitctl_status(control_port, ca_file=self.ctl_ca_file)
            v = st and st["version"]
            return v if v and predicate(v) else None
        return wait_until(serving, timeout, message="control plane version change")


def main():
    unittest.main(verbosity=2)
