#!/usr/bin/env python3
"""Service discovery in the pod test bed (netns.py): the api pods' sidecars report their
workload (pod address) to the control plane, which makes them the endpoints of the SERVICE
cluster api that web's sidecar calls; no endpoint is written in the configuration.
- Endpoints appear as api pods' sidecars connect: web's unmodified client reaches every pod.
- Scaling api from 2 to 3 pods and back under load fails no request: the new pod gets
  traffic once its sidecar is up; a pod whose sidecar gets SIGTERM first has its endpoint
  withdrawn from web's sidecar (the control plane confirms web ACKed it), and only then
  stops accepting.
- A pod whose sidecar is SIGKILLed leaves web's endpoints once the control plane's
  --endpoint-grace (1 s here) has passed.
- web's sidecar restarted while the control plane is down serves its last generation (its
  generation_cache_file), marked stale in /ready, and web still reaches api.
Needs root (network namespaces, nftables), as CI has."""

import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import netns  # noqa: E402

OUTBOUND, INBOUND, APP_PORT = 15001, 15006, 8080
SERVICE_VIP = "198.19.0.1"
API_PODS = {"api-1": 3, "api-2": 4, "api-3": 5}

MESH = {
    "listeners": [
        {"name": "outbound", "address": "0.0.0.0", "port": OUTBOUND, "route_config": "outbound",
         "services": ["web"], "use_original_dst": True},
        {"name": "inbound", "address": "0.0.0.0", "port": INBOUND, "route_config": "inbound",
         "services": ["api"], "use_original_dst": True},
    ],
    "route_configs": [
        {"name": "outbound", "virtual_hosts": [{"name": "api", "domains": ["api", "api:80"], "routes": [
            {"match": {"prefix": "/"}, "route": {"cluster": "api"}}]}]},
        {"name": "inbound", "virtual_hosts": [{"name": "local-app", "domains": ["*"], "routes": [
            {"match": {"prefix": "/"}, "route": {"cluster": "inbound"}}]}]},
    ],
    "clusters": [{"name": "api", "type": "SERVICE", "service": "api", "service_port": APP_PORT},
                 {"name": "inbound", "type": "ORIGINAL_DST"}],
}


class MeshDiscoveryTest(harness.StraitTestCase):

    def setUp(self):
        # Before the base class's cleanups: the pods' network goes only after every process
        # in them has stopped (a draining sidecar still talks to the control plane).
        self.pods = netns.Pods(self)
        super().setUp()
        os.chmod(self.tmp, 0o777)  # the sidecars (uid 1337) write their port files here
        self.ctl_ip = self.pods.add("ctl", 10)
        self.pods.add("web", 2, hosts={"api": SERVICE_VIP})
        config_dir = self.make_config_dir()
        os.chmod(config_dir, 0o755)
        self.write_config(config_dir, "mesh.yaml", MESH)
        self.control_port = self.start_control(config_dir, address=self.ctl_ip, wrap=self.pods.enter("ctl"),
                                          extra_args=["--endpoint-grace", "1s", "--withdraw-timeout", "10s"])
        self.admin, self.sidecars = {}, {}
        self.web_cache = self.path("web-generation.cache")
        self.start_pod_sidecar("web")
        for pod in ("api-1", "api-2"):
            self.start_api_pod(pod)

    def start_pod_sidecar(self, pod, workload=None):
        service = "web" if pod == "web" else "api"
        # web keeps its last generation on disk (for a restart while the control plane is down).
        extra = "generation_cache_file: %s\n" % self.web_cache if pod == "web" else ""
        self.admin[pod] = self.pods.start_sidecar(pod, pod, service, self.control_port, self.ctl_ip,
                                                  workload=workload, drain_time="20s", extra_bootstrap=extra)
        self.sidecars[pod] = [p for p in self.procs if p.name == "sidecar-" + pod][-1]

    def start_api_pod(self, pod):
        ip = self.pods.add(pod, API_PODS[pod])
        self.start_upstream(pod, reply=pod, listen="0.0.0.0:%d" % APP_PORT, wrap=self.pods.enter(pod))
        self.start_pod_sidecar(pod, workload=ip)

    def web_endpoints(self):
        """The api endpoints in web's live generation."""
        dump = json.loads(self.pods.curl("web", "http://127.0.0.1:%d/config_dump" % self.admin["web"])[1])
        for la in dump["generation"].get("load_assignments", []):
            if la["cluster_name"] == "api":
                return sorted(ep["address"] for ep in la.get("endpoints", []))
        return []

    def web_stat(self, name):
        body = self.pods.curl("web", "http://127.0.0.1:%d/stats" % self.admin["web"])[1]
        for line in body.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return 0.0

    def wait_endpoints(self, pods):
        want = sorted("%s.%d" % (netns.SUBNET, API_PODS[p]) for p in pods)
        harness.wait_until(lambda: self.web_endpoints() == want, 20, message="web's api endpoints %s" % want)

    def answers(self, n):
        """Which pods answered n requests from web's client."""
        seen = set()
        for _ in range(n):
            status, body = self.pods.curl("web", "http://api/x")
            self.assertEqual(status, 200, body)
            seen.add(body)
        return seen

    def start_load(self):
        progress, stop = self.path(self.unique("load") + ".json"), self.path(self.unique("stop"))
        proc = self.spawn(self.unique("load"), self.pods.enter("web") + [
            sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "mesh_load.py"),
            "api", progress, stop])
        return proc, progress, stop

    @staticmethod
    def read_progress(progress):
        try:
            with open(progress) as f:
                return json.load(f)
        except (FileNotFoundError, ValueError):
            return {"ok": 0, "failed": [], "bodies": {}}

    def wait_more(self, progress, n, message):
        start = self.read_progress(progress)["ok"]
        harness.wait_until(lambda: self.read_progress(progress)["ok"] >= start + n, 30, message=message)

    def test_endpoints_come_from_the_pods_that_are_up(self):
        self.wait_endpoints(["api-1", "api-2"])
        self.assertEqual(self.answers(8), {"api-1", "api-2"})

    def test_scaling_up_and_down_under_load_fails_no_request(self):
        self.wait_endpoints(["api-1", "api-2"])
        load, progress, stop = self.start_load()
        self.wait_more(progress, 20, "load running")
        deltas = self.web_stat("strait_ads_deltas_applied_total")
        self.start_api_pod("api-3")  # up: 3 pods
        self.wait_endpoints(["api-1", "api-2", "api-3"])
        # Only api's endpoints changed: web got the version as a delta, applied as a whole.
        self.assertGreater(self.web_stat("strait_ads_deltas_applied_total"), deltas)
        harness.wait_until(lambda: self.read_progress(progress)["bodies"].get("api-3", 0) > 0, 30,
                           message="api-3 serving")
        # Down again: api-1's sidecar drains (SIGTERM) while the load goes on.
        self.assertEqual(self.sidecars["api-1"].stop(deadline=30), 0)
        self.wait_endpoints(["api-2", "api-3"])
        # The client sends one request at a time: a few answers after api-1's sidecar exited,
        # api-1's count is final (a request it took before it stopped may still be counted
        # just after the exit).
        self.wait_more(progress, 5, "load after the drain")
        before = self.read_progress(progress)["bodies"].get("api-1", 0)
        self.assertGreater(before, 0, "api-1 served before it drained")
        self.wait_more(progress, 30, "more load after the drain")
        with open(stop, "w"):
            pass
        load.popen.wait(timeout=harness.scaled(30))
        result = self.read_progress(progress)
        self.assertEqual(result["failed"], [], "requests failed while scaling")
        self.assertEqual(result["bodies"].get("api-1", 0), before, "api-1 answered after it drained")
        self.assertIn("withdrew this workload's endpoint", self.sidecars["api-1"].log())

    def test_a_killed_pod_leaves_within_the_grace_period(self):
        self.wait_endpoints(["api-1", "api-2"])
        self.sidecars["api-2"].kill()  # SIGKILL: no drain, no report
        self.wait_endpoints(["api-1"])
        self.assertIn("gone for the grace period", self.control.log())
        self.assertEqual(self.answers(4), {"api-1"})

    def test_a_sidecar_restarted_with_the_control_plane_down_serves_its_last_generation(self):
        self.wait_endpoints(["api-1", "api-2"])

        def cached():  # the generation on disk has both endpoints (saved before web ACKs it)
            try:
                with open(self.web_cache, "rb") as f:
                    data = f.read()
            except FileNotFoundError:
                return False
            return all(("%s.%d" % (netns.SUBNET, API_PODS[p])).encode() in data for p in ("api-1", "api-2"))
        harness.wait_until(cached, 20, message="web's generation cache with both endpoints")
        self.assertEqual(self.sidecars["web"].stop(), 0)
        self.assertEqual(self.control.stop(), 0)
        self.start_pod_sidecar("web")  # waits for /ready 200: the cached generation is live
        status, body = self.pods.curl("web", "http://127.0.0.1:%d/ready" % self.admin["web"])
        self.assertEqual(status, 200)
        self.assertIn("stale", body)
        self.assertTrue(self.answers(4) <= {"api-1", "api-2"})


if __name__ == "__main__":
    harness.main()
