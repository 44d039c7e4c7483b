"""Pods on one machine for the mesh tests: each pod is a network namespace with one veth
into a bridge that lives in a namespace of its own; addresses come from 198.18.0.0/15 (set
aside for network test beds). Nothing is attached to the host's interfaces and no traffic
leaves these namespaces. Namespace names carry the test's PID and a counter, so parallel
tests never share one; everything is deleted by a cleanup, also when the test fails.

`ip netns exec NS cmd` runs cmd in NS (iproute2 execs it: the PID is cmd's own) with the
files of /etc/netns/NS/ mounted over /etc/: a pod's /etc/hosts is written there."""

import itertools
import os
import shutil
import subprocess

import harness

SUBNET = "198.18.0"       # the pods' /24 on the bridge
SERVICE_RANGE = "198.19.0.0/16"  # virtual service addresses: routed to the bridge, never assigned
PROXY_UID = 1337          # the sidecars run as this uid (strait-init exempts it)
_ids = itertools.count(1)


def _ip(*args):
    subprocess.run(["ip"] + list(args), check=True, capture_output=True, timeout=harness.scaled(20))


class Pods:
    """Creates the bridge namespace on construction; add() makes pods. `test` is the
    StraitTestCase whose cleanups tear everything down: make the Pods before calling the
    base class's setUp, so that (cleanups run last-in first-out) the network is deleted
    after the processes have stopped."""

    def __init__(self, test):
        self.prefix = "st%d-%d" % (os.getpid() % 100000, next(_ids))
        self.bridge_ns = self.prefix + "-br"
        self.names = {}
        self.test = test
        test.addCleanup(self.teardown)
        _ip("netns", "add", self.bridge_ns)
        _ip("-n", self.bridge_ns, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.bridge_ns, "link", "set", "br0", "up")
        _ip("-n", self.bridge_ns, "link", "set", "lo", "up")

    def ns(self, pod):
        return self.names[pod]

    def add(self, pod, host, hosts=None):
        """A pod at SUBNET.host; `hosts`: {name: address} for its /etc/hosts."""
        ns = "%s-%s" % (self.prefix, pod)
        self.names[pod] = ns
        _ip("netns", "add", ns)
        if hosts:
            self.write_hosts(pod, "".join("%s %s\n" % (address, name) for name, address in hosts.items()))
        veth = "v%d" % host
        _ip("-n", self.bridge_ns, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
        _ip("-n", self.bridge_ns, "link", "set", veth, "master", "br0", "up")
        _ip("-n", ns, "link", "set", "lo", "up")
        _ip("-n", ns, "addr", "add", "%s.%d/24" % (SUBNET, host), "dev", "eth0")
        _ip("-n", ns, "link", "set", "eth0", "up")
        # Service addresses are never assigned: a connection to one is redirected to the
        # sidecar before it leaves, but the kernel needs a route to pick the interface.
        _ip("-n", ns, "route", "add", SERVICE_RANGE, "dev", "eth0")
        return "%s.%d" % (SUBNET, host)

    def write_hosts(self, pod, lines):
        """The pod's /etc/hosts: localhost and `lines` (read by every later command in the pod)."""
        etc = "/etc/netns/%s" % self.names[pod]
        os.makedirs(etc, exist_ok=True)
        with open(os.path.join(etc, "hosts"), "w") as f:
            f.write("127.0.0.1 localhost\n::1 localhost\n" + lines)

    def mesh_hosts(self, pod, ctl_pod, control_address, control_port):
        """Writes the mesh services' names and addresses (`straitctl hosts`, run in ctl_pod
        against the test's TLS control plane) into the pod's /etc/hosts; returns them."""
        r = self.run(ctl_pod, [harness.binary("control/straitctl"), "--control",
                               "%s:%d" % (control_address, control_port), "--ca-file", self.test.ca_root,
                               "--token-file", harness.OPERATOR_TOKEN_FILES[control_port], "hosts"])
        self.write_hosts(pod, r.stdout)
        return r.stdout

    def enter(self, pod, uid=None):
        """The command prefix that runs a command in the pod (as `uid` if given)."""
        prefix = ["ip", "netns", "exec", self.names[pod]]
        if uid is not None:
            prefix += ["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups"]
        return prefix

    def start_sidecar(self, pod, node_id, service, control_port, control_address, wait_ready=True, **kwargs):
        """Runs strait-init in the pod, then the pod's sidecar as PROXY_UID (through the test's
        start_sidecar; kwargs go there); returns its admin port (on the pod's loopback). With
        wait_ready, waits until its /ready answers 200."""
        self.run(pod, [harness.binary("sidecar/strait-init")])
        admin = self.test.start_sidecar(node_id, service, control_port, wait_ready=False,
                                        control_address=control_address, wrap=self.enter(pod, uid=PROXY_UID),
                                        **kwargs)
        if wait_ready:
            harness.wait_until(lambda: self.curl(pod, "http://127.0.0.1:%d/ready" % admin)[0] == 200, 20,
                               message="%s's sidecar ready" % pod)
        return admin

    def run(self, pod, args, timeout=20, check=True):
        """Runs a command in the pod to completion; returns the CompletedProcess."""
        return subprocess.run(self.enter(pod) + list(args), capture_output=True, text=True,
                              timeout=harness.scaled(timeout), check=check)

    def curl(self, pod, url, *extra):
        """(status, body) of `url` fetched by curl in the pod (status 0: no response)."""
        r = self.run(pod, ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "--max-time", str(harness.scaled(15))]
                     + list(extra) + [url], check=False)
        body, _, code = r.stdout.rpartition("\n")
        return int(code or 0), body

    def teardown(self):
        for ns in list(self.names.values()) + [self.bridge_ns]:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=harness.scaled(20))
            shutil.rmtree("/etc/netns/%s" % ns, ignore_errors=True)
