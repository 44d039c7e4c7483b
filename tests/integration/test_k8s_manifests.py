#!/usr/bin/env python3
"""deploy/k8s/strait.yaml, checked without a cluster (none runs here):
- every document parses and has apiVersion, kind and metadata.name;
- the embedded mesh configuration passes `straitctl validate`, and the sidecar bootstrap
  passes `strait-sidecar --check` with the node id and workload address a pod gives it;
- the shape the mesh needs: the control plane on TLS (no --plaintext) with its CA from a
  Secret; the app pod's interception init container is the only one with a capability
  (NET_ADMIN), the sidecar is a native sidecar (restartPolicy Always) running as uid 1337
  (the uid strait-init exempts) with its node id and address from the Downward API, a
  startup probe waiting for it, a preStop drain and a grace period longer than drain_time;
- every document against the Kubernetes API's schemas, offline: tests/k8s-schema/validate.js
  with the schemas the npm package kubernetes-models bundles (Kubernetes 1.33; the exact
  versions in tests/k8s-schema/package-lock.json, installed by deploy/install-deps.sh). It
  checks types, required fields, enums and formats, and rejects unknown kinds and, as the API
  server does, unknown fields (see validate.js for how); a broken copy shows a wrong type, a
  misspelled field and an unknown kind are caught. What only the API server checks (value
  ranges, name syntax, cross-field rules) is not."""

import os
import shutil
import subprocess
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MANIFESTS = os.path.join(REPO, "deploy", "k8s", "strait.yaml")
SCHEMA_CHECK = os.path.join(REPO, "tests", "k8s-schema", "validate.js")


def check_schemas(path):
    """Runs the schema check on `path`; fails the test if its tooling is not installed."""
    node = shutil.which("node")
    if node is None or not os.path.isdir(os.path.join(os.path.dirname(SCHEMA_CHECK), "node_modules")):
        raise AssertionError("node or tests/k8s-schema/node_modules missing: run ./deploy/install-deps.sh")
    return subprocess.run([node, SCHEMA_CHECK, path], capture_output=True, text=True, timeout=harness.scaled(30))


class K8sManifestsTest(harness.StraitTestCase):

    def setUp(self):
        super().setUp()
        with open(MANIFESTS) as f:
            self.docs = [d for d in yaml.safe_load_all(f) if d]
        self.by = {(d["kind"], d["metadata"]["name"]): d for d in self.docs}

    def test_documents(self):
        for d in self.docs:
            self.assertIn("apiVersion", d)
            self.assertTrue(d["metadata"]["name"])
        kinds = {d["kind"] for d in self.docs}
        self.assertTrue({"Namespace", "ServiceAccount", "Role", "RoleBinding", "ConfigMap", "Deployment",
                         "Service"} <= kinds, kinds)

    def test_embedded_config_and_bootstrap_are_valid(self):
        config_dir = self.make_config_dir({"mesh.yaml": self.by[("ConfigMap", "strait-mesh-config")]["data"]["mesh.yaml"]})
        r = subprocess.run([harness.binary("control/straitctl"), "validate", config_dir], capture_output=True, text=True,
                           timeout=harness.scaled(30))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        bootstrap = self.path("bootstrap.yaml")
        harness.write_file(bootstrap, self.by[("ConfigMap", "api-sidecar-bootstrap")]["data"]["bootstrap.yaml"])
        r = subprocess.run([harness.binary("sidecar/strait-sidecar"), "--bootstrap", bootstrap, "--check",
                            "--node-id", "api-7d9f-x2", "--workload-address", "10.1.2.3"],
                           capture_output=True, text=True, timeout=harness.scaled(30))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # A bad address from the pod is refused, not run.
        r = subprocess.run([harness.binary("sidecar/strait-sidecar"), "--bootstrap", bootstrap, "--check",
                            "--workload-address", "not-an-ip"], capture_output=True, text=True,
                           timeout=harness.scaled(30))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)

    def test_control_plane(self):
        spec = self.by[("Deployment", "strait-control")]["spec"]["template"]["spec"]
        command = spec["containers"][0]["command"]
        self.assertNotIn("--plaintext", command)
        self.assertIn("--ca-key", command)
        secrets = {v["secret"]["secretName"] for v in spec["volumes"] if "secret" in v}
        self.assertIn("strait-ca", secrets)
        self.assertFalse(any("/tmp" in c for c in command), "the CA must not live in the container's temp dir")

    def test_app_pod(self):
        spec = self.by[("Deployment", "api")]["spec"]["template"]["spec"]
        init, sidecar = spec["initContainers"]
        self.assertEqual(init["command"][0], "strait-init")
        self.assertEqual(init["securityContext"]["capabilities"]["add"], ["NET_ADMIN"])
        for c in spec["initContainers"][1:] + spec["containers"]:
            self.assertNotIn("add", c.get("securityContext", {}).get("capabilities", {}), c["name"])
        self.assertEqual(sidecar.get("restartPolicy"), "Always")  # a native sidecar
        self.assertEqual(sidecar["securityContext"]["runAsUser"], 1337)
        self.assertIn("1337", init["command"])
        env = {e["name"]: e["valueFrom"]["fieldRef"]["fieldPath"] for e in sidecar["env"]}
        self.assertEqual(env, {"POD_NAME": "metadata.name", "POD_IP": "status.podIP"})
        self.assertIn("$(POD_IP)", sidecar["command"])
        self.assertIn("wait-ready", sidecar["startupProbe"]["exec"]["command"])
        app = spec["containers"][0]
        self.assertIn("/drain", " ".join(app["lifecycle"]["preStop"]["exec"]["command"]))
        bootstrap = yaml.safe_load(self.by[("ConfigMap", "api-sidecar-bootstrap")]["data"]["bootstrap.yaml"])
        drain_s = int(bootstrap["drain_time"].rstrip("s"))
        self.assertGreater(spec["terminationGracePeriodSeconds"], drain_s + 5)

    def test_schemas(self):
        r = check_schemas(MANIFESTS)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("%d documents valid" % len(self.docs), r.stdout)

    def test_schema_errors_are_caught(self):
        with open(MANIFESTS) as f:
            text = f.read()
        broken = [  # (what is replaced, by what, the error expected)
            ("  replicas: 2\n", "  replicas: \"two\"\n", "Deployment/api: spec.replicas: must be integer"),
            ("  periodSeconds: 5\n", "  periodSecond: 5\n",
             "Deployment/strait-control: spec.template.spec.containers[0].readinessProbe.periodSecond: unknown field"),
            ("kind: Service\nmetadata:\n  name: api\n", "kind: Servise\nmetadata:\n  name: api\n",
             "Servise/api: (document): unknown kind Servise in apiVersion v1"),
        ]
        for old, new, _ in broken:
            self.assertEqual(text.count(old), 1, old)
            text = text.replace(old, new)
        path = self.path("broken.yaml")
        harness.write_file(path, text)
        r = check_schemas(path)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        for _, _, error in broken:
            self.assertIn(": %s\n" % error, r.stdout)
        self.assertEqual(len(r.stdout.splitlines()), len(broken), r.stdout)


if __name__ == "__main__":
    harness.main()
