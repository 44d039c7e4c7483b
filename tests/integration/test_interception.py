#!/usr/bin/env python3
"""Transparent interception in real network namespaces (tests/integration/netns.py): pods
web, api and ext on a bridge, the control plane in a pod of its own. strait-init installs the
nftables rules in web and api; their sidecars run as uid 1337 (which the rules exempt) and
listen on 15001 (outbound) and 15006 (inbound), both with use_original_dst.
- An unmodified curl in web calls http://api/... (api resolves to a service address in web's
  /etc/hosts): web's sidecar intercepts it, routes it by Host to cluster api (api's pod
  address), api's sidecar intercepts that on arrival and hands it to the app through an
  ORIGINAL_DST cluster, at the port the caller meant.
- A destination outside the mesh follows the passthrough policy: with a "*" virtual host to
  an ORIGINAL_DST cluster it goes through, and once a generation drops that virtual host it
  is refused (404).
- A connection made to the outbound listener directly has no original destination: 503.
Needs root (network namespaces, nftables), as CI has."""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import netns  # noqa: E402

OUTBOUND, INBOUND, APP_PORT, EXT_PORT, TLS_PORT, GREETING_PORT, EOF_PORT = 15001, 15006, 8080, 9090, 8443, 2525, 7070

TCP_PEERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tcp_peers.py")
SERVICE_VIP = "198.19.0.1"


def mesh(passthrough=True):
    outbound_vhosts = [{"name": "api", "domains": ["api", "api:80"],
                        "routes": [{"match": {"prefix": "/"}, "route": {"cluster": "api"}}]}]
    if passthrough:
        outbound_vhosts.append({"name": "passthrough", "domains": ["*"],
                                "routes": [{"match": {"prefix": "/"}, "route": {"cluster": "passthrough"}}]})
    return {
        "listeners": [
            {"name": "outbound", "address": "0.0.0.0", "port": OUTBOUND, "route_config": "outbound",
             "services": ["web"], "use_original_dst": True, "passthrough_tcp": passthrough,
             "protocol_detection_timeout": "0.2s"},
            {"name": "inbound", "address": "0.0.0.0", "port": INBOUND, "route_config": "inbound",
             "services": ["api"], "use_original_dst": True},
        ],
        "route_configs": [
            {"name": "outbound", "virtual_hosts": outbound_vhosts},
            {"name": "inbound", "virtual_hosts": [{"name": "local-app", "domains": ["*"], "routes": [
                {"match": {"prefix": "/"}, "route": {"cluster": "inbound"}}]}]},
        ],
        "clusters": [{"name": "api"}, {"name": "passthrough", "type": "ORIGINAL_DST"},
                     {"name": "inbound", "type": "ORIGINAL_DST"}],
        "load_assignments": [{"cluster_name": "api", "endpoints": [
            {"address": netns.SUBNET + ".3", "port": APP_PORT}]}],
    }


class InterceptionTest(harness.StraitTestCase):

    def setUp(self):
        # Before the base class's cleanups: the pods' network goes only after every process
        # in them has stopped (a draining sidecar still talks to the control plane).
        self.pods = netns.Pods(self)
        super().setUp()
        os.chmod(self.tmp, 0o777)  # the sidecars (uid 1337) write their port files here
        ctl_ip = self.pods.add("ctl", 10)
        self.pods.add("web", 2, hosts={"api": SERVICE_VIP})
        self.pods.add("api", 3)
        self.ext_ip = self.pods.add("ext", 4)
        self.config_dir = self.make_config_dir()
        os.chmod(self.config_dir, 0o755)
        self.write_config(self.config_dir, "mesh.yaml", mesh())
        control = self.start_control(self.config_dir, address=ctl_ip, wrap=self.pods.enter("ctl"))
        self.start_upstream("api-app", listen="0.0.0.0:%d" % APP_PORT, wrap=self.pods.enter("api"))
        self.start_upstream("ext", reply="outside the mesh", listen="0.0.0.0:%d" % EXT_PORT,
                            wrap=self.pods.enter("ext"))
        # A TLS server outside the mesh: web's app speaks TLS to it itself (not HTTP to the sidecar).
        key, cert = self.path("ext.key"), self.path("ext.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=ext.test"],
                       check=True, capture_output=True, timeout=harness.scaled(30))
        self.spawn(self.unique("upstream-tls"), self.pods.enter("ext") + [
            "openssl", "s_server", "-quiet", "-www", "-accept", str(TLS_PORT), "-key", key, "-cert", cert])
        harness.wait_until(lambda: self.pods.run("ext", ["sh", "-c", "ss -ltn | grep -q :%d" % TLS_PORT],
                                                 check=False).returncode == 0, 20, message="ext's TLS server")
        self.spawn(self.unique("upstream-greeting"), self.pods.enter("ext") + [
            sys.executable, TCP_PEERS, "greet-server", str(GREETING_PORT), "ext"])
        self.spawn(self.unique("upstream-eof"), self.pods.enter("ext") + [
            sys.executable, TCP_PEERS, "eof-server", str(EOF_PORT)])
        harness.wait_until(lambda: self.pods.run("ext", ["sh", "-c", "ss -ltn | grep -q :%d" % EOF_PORT],
                                                 check=False).returncode == 0, 20, message="ext's EOF server")
        harness.wait_until(lambda: self.pods.run("ext", ["sh", "-c", "ss -ltn | grep -q :%d" % GREETING_PORT],
                                                 check=False).returncode == 0, 20, message="ext's greeting server")
        self.admin = {}
        for pod in ("web", "api"):
            self.admin[pod] = self.pods.start_sidecar(pod, "%s-1" % pod, pod, control, ctl_ip)

    def admin_get(self, pod, path):
        return self.pods.curl(pod, "http://127.0.0.1:%d%s" % (self.admin[pod], path))

    def stat(self, pod, name):
        m = re.search(r"^%s (\d+)$" % re.escape(name), self.admin_get(pod, "/stats")[1], re.M)
        return int(m.group(1)) if m else 0

    def test_an_app_calls_a_service_by_name_through_both_sidecars(self):
        status, body = self.pods.curl("web", "http://api/hello?x=1")
        self.assertEqual(status, 200, body)
        # The app's echo: the request as it arrived, through web's sidecar (x-request-id,
        # x-forwarded-proto) and api's.
        self.assertTrue(body.startswith("GET /hello?x=1 HTTP/1.1"), body)
        self.assertIn("host: api", body.lower())
        self.assertIn("x-request-id:", body.lower())
        self.assertEqual(self.stat("web", 'strait_cluster_rq_active{cluster="api"}'), 0)
        self.assertGreaterEqual(self.stat("web", "strait_upstream_rq_total"), 1)
        self.assertGreaterEqual(self.stat("api", "strait_downstream_rq_started_total"), 1)
        # HTTP/2 with prior knowledge is intercepted the same way.
        status, body = self.pods.curl("web", "http://api/h2", "--http2-prior-knowledge")
        self.assertEqual(status, 200, body)

    def test_passthrough_policy(self):
        url = "http://%s:%d/out" % (self.ext_ip, EXT_PORT)
        self.assertEqual(self.pods.curl("web", url), (200, "outside the mesh"))
        # The policy changes: destinations outside the mesh are refused.
        self.write_config(self.config_dir, "mesh.yaml", mesh(passthrough=False))
        harness.wait_until(lambda: self.pods.curl("web", url)[0] == 404, 20, message="passthrough refused")
        status, _ = self.pods.curl("web", "http://api/still-served")
        self.assertEqual(status, 200)

    def test_tls_the_app_originates_is_relayed_as_tcp(self):
        # Not HTTP (a TLS ClientHello): web's sidecar relays the bytes to where the app meant
        # to connect; the handshake and the page are end to end between curl and the server.
        url = "https://%s:%d/" % (self.ext_ip, TLS_PORT)
        status, body = self.pods.curl("web", url, "-k")
        self.assertEqual(status, 200, body)
        self.assertIn("s_server", body)
        self.assertGreaterEqual(self.stat("web", "strait_downstream_cx_tcp_relay_total"), 1)
        # With passthrough_tcp off, such connections are closed.
        self.write_config(self.config_dir, "mesh.yaml", mesh(passthrough=False))
        harness.wait_until(lambda: self.pods.curl("web", url, "-k")[0] == 0, 20, message="TCP refused")
        self.assertGreaterEqual(self.stat("web", "strait_downstream_cx_not_http_total"), 1)

    def test_a_protocol_where_the_server_speaks_first_is_relayed(self):
        # The client sends nothing until it has the greeting: after protocol_detection_timeout
        # (0.2 s here) web's sidecar takes the silent connection for such a protocol.
        r = self.pods.run("web", [sys.executable, TCP_PEERS, "greet-client", self.ext_ip, str(GREETING_PORT)])
        self.assertEqual(r.stdout.strip(), "220 ext ready / 250 ok")

    def test_a_half_close_is_passed_on(self):
        # The client sends its request, shuts down writing and waits for the answer: the
        # relay passes the FIN on and keeps the other direction open for the answer.
        r = self.pods.run("web", [sys.executable, TCP_PEERS, "eof-client", self.ext_ip, str(EOF_PORT)])
        self.assertEqual(r.stdout.strip(), "got 100015 bytes starting b'\\x00'", r.stderr)

    def test_a_direct_connection_has_no_original_destination(self):
        status, _ = self.pods.curl("web", "http://127.0.0.1:%d/" % OUTBOUND, "-H", "Host: elsewhere",
                                   "-D", "/dev/stderr")
        self.assertEqual(status, 503)


if __name__ == "__main__":
    harness.main()
