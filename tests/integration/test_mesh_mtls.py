#!/usr/bin/env python3
"""Automatic mTLS between sidecars in the pod test bed (netns.py), with the control plane on
TLS and every sidecar holding a mesh identity from a bootstrap token:
- web's SERVICE cluster api has no `tls`: its sidecar speaks mTLS with its mesh certificate
  and accepts only api's identity (spiffe://strait.local/ns/shop/sa/api); api's inbound
  listener is strict mTLS and allows only web's identity; the app sees the verified caller
  in x-strait-peer-identity.
- An unmodified gRPC client in web calls api:50051 (HTTP/2 end to end, over the same mTLS).
- A TCP client in web (neither HTTP nor TLS) calls api:9000: web's sidecar relays it to one of
  api's pods (tcp_clusters: by the service address the control plane assigned from
  --service-cidr, which `straitctl hosts` wrote into web's /etc/hosts), over mTLS; api's
  strict inbound listener relays the bytes to the app. A server-first protocol (api:9100,
  the inbound listener's tcp_ports) gets its greeting at once.
- A client outside the mesh (no sidecar) reaching api's pod directly is refused: the
  inbound listener takes no plaintext.
- A pod whose sidecar claims to front api with another service account's certificate is
  refused by the control plane: it never becomes an endpoint.
Needs root (network namespaces, nftables), as CI has."""

import os
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import netns  # noqa: E402
from harness import write_file  # noqa: E402

OUTBOUND, INBOUND, APP_PORT, GRPC_PORT, TCP_PORT, GREET_PORT = 15001, 15006, 8080, 50051, 9000, 9100
TD = "spiffe://strait.local/ns/shop/sa/"
TOKENS = {"web": "tok-web-1", "api": "tok-api-1", "cache": "tok-cache-1"}

MESH = {
    "listeners": [
        {"name": "outbound", "address": "0.0.0.0", "port": OUTBOUND, "route_config": "outbound",
         "services": ["web"], "use_original_dst": True, "tcp_clusters": ["api-tcp", "api-greet"]},
        {"name": "inbound", "address": "0.0.0.0", "port": INBOUND, "route_config": "inbound",
         "services": ["api"], "use_original_dst": True, "passthrough_tcp": True,
         # The app's server-first port is TCP from the first byte; a silent client on another
         # port would wait a minute before being taken for one.
         "tcp_ports": [GREET_PORT], "protocol_detection_timeout": "60s",
         "tls": {"use_mesh_certificate": True, "mtls_mode": "MTLS_STRICT"},
         "authorization": {"rules": [{"name": "web-only", "action": "ALLOW", "principals": [TD + "web"]}]}},
    ],
    "route_configs": [
        # Virtual hosts match the name without its port: calls to api:50051 are told apart by
        # the port the app connected to (its original destination).
        {"name": "outbound", "virtual_hosts": [
            {"name": "api", "domains": ["api"], "routes": [
                {"match": {"prefix": "/", "destination_port": GRPC_PORT}, "route": {"cluster": "api-grpc"}},
                {"match": {"prefix": "/"}, "route": {"cluster": "api"}}]}]},
        # gRPC goes to the app over HTTP/2, everything else over HTTP/1.1.
        {"name": "inbound", "virtual_hosts": [{"name": "local-app", "domains": ["*"], "routes": [
            {"match": {"prefix": "/", "headers": [{"name": "content-type", "safe_regex_match": "application/grpc.*"}]},
             "route": {"cluster": "inbound-h2"}},
            {"match": {"prefix": "/"}, "route": {"cluster": "inbound"}}]}]},
    ],
    "clusters": [{"name": "api", "type": "SERVICE", "service": "api", "service_port": APP_PORT,
                  "connect_timeout": "2s"},
                 {"name": "api-grpc", "type": "SERVICE", "service": "api", "service_port": GRPC_PORT,
                  "protocol": "HTTP2", "connect_timeout": "2s"},
                 {"name": "api-tcp", "type": "SERVICE", "service": "api", "service_port": TCP_PORT,
                  "connect_timeout": "2s"},
                 {"name": "api-greet", "type": "SERVICE", "service": "api", "service_port": GREET_PORT,
                  "connect_timeout": "2s"},
                 {"name": "inbound", "type": "ORIGINAL_DST"},
                 {"name": "inbound-h2", "type": "ORIGINAL_DST", "protocol": "HTTP2"}],
}


TCP_PEERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tcp_peers.py")


class MeshMtlsTest(harness.StraitTestCase):

    def setUp(self):
        self.pods = netns.Pods(self)  # before the base class's cleanups (see netns.Pods)
        super().setUp()
        os.chmod(self.tmp, 0o777)  # the sidecars (uid 1337) write their port files here
        self.ctl_ip = self.pods.add("ctl", 10)
        self.pods.add("web", 2)
        tokens = self.path("tokens.yaml")
        write_file(tokens, "tokens:\n" + "".join(
            "- {token: %s, namespace: shop, service_account: %s}\n" % (t, sa) for sa, t in TOKENS.items()))
        config_dir = self.make_config_dir()
        os.chmod(config_dir, 0o755)
        self.write_config(config_dir, "mesh.yaml", MESH)
        self.control_port = self.start_control(config_dir, tls=True, address=self.ctl_ip,
                                               wrap=self.pods.enter("ctl"),
                                               extra_args=["--tokens", tokens, "--service-cidr", netns.SERVICE_RANGE])
        # The sidecars (uid 1337) read the CA's root certificate; its key stays private.
        os.chmod(self.ca_dir, 0o755)
        os.chmod(self.ca_root, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)
        # web's app calls api by name: the address the control plane gave the service.
        self.hosts = self.pods.mesh_hosts("web", "ctl", self.ctl_ip, self.control_port)
        self.admin = {}
        self.start_pod("web", None, "web")
        self.api_ip = self.start_pod("api-1", 3, "api")

    def start_pod(self, pod, host, service, token_of=None, wait_ready=True):
        ip = None
        if host is not None:
            ip = self.pods.add(pod, host)
            self.start_upstream(pod, reply=None, listen="0.0.0.0:%d" % APP_PORT, wrap=self.pods.enter(pod))
            port_file = self.path(self.unique("grpc") + ".port")
            grpc = self.spawn(self.unique("upstream-grpc"), self.pods.enter(pod) + [
                harness.binary("tests/grpc/strait-grpc-echo-server"), "--listen", "0.0.0.0:%d" % GRPC_PORT,
                "--port-file", port_file])
            self.wait_port_file(grpc, port_file)
            self.spawn(self.unique("upstream-tcp"), self.pods.enter(pod) + [
                sys.executable, TCP_PEERS, "echo-server", str(TCP_PORT), pod])
            self.spawn(self.unique("upstream-greet"), self.pods.enter(pod) + [
                sys.executable, TCP_PEERS, "greet-server", str(GREET_PORT), pod])
        self.admin[pod] = self.pods.start_sidecar(pod, pod, service, self.control_port, self.ctl_ip,
                                                  wait_ready=wait_ready, tls=True, token=TOKENS[token_of or service],
                                                  workload=ip)
        return ip

    def web_has_endpoints(self, n):
        dump = self.pods.curl("web", "http://127.0.0.1:%d/config_dump" % self.admin["web"])[1]
        return dump.count('"port": %d' % APP_PORT) == n or dump.count('"port":%d' % APP_PORT) == n

    def test_sidecars_speak_mtls_with_verified_identities(self):
        harness.wait_until(lambda: self.web_has_endpoints(1), 20, message="api's endpoint at web")
        status, body = self.pods.curl("web", "http://api/who")
        self.assertEqual(status, 200, body)
        # The app's echo shows the caller its sidecar verified.
        self.assertIn("x-strait-peer-identity: %sweb" % TD, body.lower())

    def test_a_grpc_client_calls_api_50051(self):
        harness.wait_until(lambda: self.web_has_endpoints(1), 20, message="api's endpoint at web")
        for call in ("unary", "bidi"):
            r = self.pods.run("web", [harness.binary("tests/grpc/strait-grpc-echo-client"), "--target",
                                      "api:%d" % GRPC_PORT, "--call", call], check=False)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_a_tcp_client_calls_a_service_by_its_address(self):
        harness.wait_until(lambda: self.web_has_endpoints(1), 20, message="api's endpoint at web")
        vip = self.hosts.split()[self.hosts.split().index("api") - 1]
        self.assertTrue(vip.startswith("198.19."), self.hosts)
        # The echo server may still be starting: the first connection can find nothing there.
        def call():
            r = self.pods.run("web", [sys.executable, TCP_PEERS, "lines-client", "api", str(TCP_PORT), "ping", "again"],
                              check=False)
            return r.returncode == 0 and r.stdout == "api-1 ping\napi-1 again\n"
        harness.wait_until(call, 20, message="api-1's TCP echo through both sidecars")
        stats = self.pods.curl("web", "http://127.0.0.1:%d/stats" % self.admin["web"])[1]
        self.assertRegex(stats, r"strait_downstream_cx_tcp_relay_total [1-9]")
        # A client that half-closes gets every answer, then the end of the stream.
        r = self.pods.run("web", [sys.executable, TCP_PEERS, "lines-client", "api", str(TCP_PORT), "--half-close", "one",
                                  "two"], check=False)
        self.assertEqual(r.stdout, "api-1 one\napi-1 two\n", r.stderr)
        # Another port of the service's address is not a tcp_clusters route: what is not HTTP
        # there is closed (this outbound listener has no passthrough_tcp), nothing reaches api.
        r = self.pods.run("web", [sys.executable, TCP_PEERS, "lines-client", vip, str(TCP_PORT + 1), "ping"], check=False)
        self.assertNotIn("api-1", r.stdout)
        harness.wait_until(lambda: "strait_downstream_cx_not_http_total 1" in self.pods.curl(
            "web", "http://127.0.0.1:%d/stats" % self.admin["web"])[1], 10, message="the connection refused")

    def test_a_server_first_protocol_through_the_mesh(self):
        # web's sidecar relays by address (tcp_clusters), api's by port (tcp_ports): the
        # greeting comes at once, through both sidecars' mTLS, although the client sends
        # nothing first (api's inbound would otherwise wait its detection timeout, 60 s).
        harness.wait_until(lambda: self.web_has_endpoints(1), 20, message="api's endpoint at web")

        def greeted():
            r = self.pods.run("web", [sys.executable, TCP_PEERS, "greet-client", "api", str(GREET_PORT)], check=False)
            return r.returncode == 0 and r.stdout.strip() == "220 api-1 ready / 250 ok"
        harness.wait_until(greeted, 20, message="api-1's greeting through both sidecars")

    def test_a_client_outside_the_mesh_is_refused(self):
        # From the control plane's pod (no sidecar, no certificate) straight at api's pod: the
        # connection is intercepted by api's strict inbound listener, which takes no plaintext.
        status, _ = self.pods.curl("ctl", "http://%s:%d/x" % (self.api_ip, APP_PORT))
        self.assertEqual(status, 0)

    def test_a_workload_claiming_another_service_is_refused(self):
        harness.wait_until(lambda: self.web_has_endpoints(1), 20, message="api's endpoint at web")
        # A pod whose sidecar says it fronts api but holds cache's certificate: the control
        # plane refuses its stream (the node's service must be its certificate's), so it
        # never becomes an endpoint and gets none of api's configuration.
        self.start_pod("api-2", 4, "api", token_of="cache", wait_ready=False)
        harness.wait_until(lambda: "is not the client certificate's identity" in self.control.log(), 20,
                           message="the impostor refused")
        self.assertTrue(self.web_has_endpoints(1))
        self.assertEqual(self.pods.curl("api-2", "http://127.0.0.1:%d/ready" % self.admin["api-2"])[0], 503)

if __name__ == "__main__":
    harness.main()
