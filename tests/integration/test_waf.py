#!/usr/bin/env python3
"""The waf filter (libmodsecurity + OWASP CRS) through the real sidecar, with curl over
HTTP/1.1 and HTTP/2 (prior knowledge):
- every request of the attack corpus (waf_corpus/attacks.jsonl: SQL injection, XSS, path
  traversal, remote file inclusion, command injection, PHP/Node/Java injection, response
  splitting, scanners, a PHP upload; in query strings, form, JSON and multipart bodies,
  headers and cookies) is answered 403 with x-strait-local-reply: waf:<rule ids> in BLOCK
  mode, and passes in DETECT mode while counted in /stats and written to the audit log;
- every request of the benign corpus (waf_corpus/benign.jsonl: forms, JSON APIs, uploads,
  non-English text, long cookies) passes at paranoia level 1; the false positives at levels
  2 to 4 are counted and printed, not asserted (they are expected);
- exclusions silence exactly what they name;
- request bodies past the inspection limit are refused (413) or inspected in part;
- a rule that does not compile is refused by straitctl validate and by the control plane,
  and a missing rule file is NACKed by the sidecar, naming the filter, while the last good
  generation keeps serving."""

import json
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, generation, route, wait_until  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
HOST = "app.example"


def corpus(name):
    with open(os.path.join(HERE, "waf_corpus", name), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def curl(port, entry, prefix="", h2=False):
    """Sends one corpus entry with curl; returns (status, headers, body)."""
    args = ["curl", "-s", "-i", "--max-time", str(harness.scaled(20)), "-X", entry["method"],
            "-H", "Host: " + HOST]
    if h2:
        args.append("--http2-prior-knowledge")
    headers = dict(entry.get("headers", {}))
    headers.setdefault("User-Agent", "strait-waf-test/1.0")
    headers.setdefault("Accept", "*/*")
    for k, v in headers.items():
        args += ["-H", "%s: %s" % (k, v)]
    body = entry.get("body")
    if body is not None:
        args += ["--data-binary", "@-"]
    args.append("http://127.0.0.1:%d%s%s" % (port, prefix, entry["path"]))
    out = subprocess.run(args, input=body.encode("utf-8") if body is not None else None,
                         capture_output=True, check=False)
    text = out.stdout.decode("utf-8", "replace")
    head, _, rest = text.partition("\r\n\r\n")
    while re.match(r"HTTP/\S+ 100", head):  # an interim 100 Continue
        head, _, rest = rest.partition("\r\n\r\n")
    lines = head.split("\r\n")
    m = re.match(r"HTTP/\S+ (\d+)", lines[0]) if lines else None
    if not m:
        raise AssertionError("curl failed for %s (rc %d): %r %r" % (entry["name"], out.returncode, text,
                                                                    out.stderr))
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return int(m.group(1)), hdrs, rest


def waf(**fields):
    return {"waf": fields}


class WafTest(harness.StraitTestCase):

    def setUp(self):
        super().setUp()
        self.backend = self.start_upstream("backend")
        self.port = free_port()
        self.audit = self.path("waf-audit.log")
        self.config_dir = self.make_config_dir()
        self.write_config(self.config_dir, "mesh.yaml", self.gen())
        self.control = self.start_control(self.config_dir)
        self.admin = self.start_sidecar(
            "web-1", "web", self.control, workers=2,
            extra_bootstrap="waf_audit_log: {path: %s}\n" % self.audit)

    def gen(self, extra_routes=(), vhost_waf=None):
        routes = list(extra_routes) + [
            route("/detect/", "backend", filters=[waf(mode="DETECT")]),
            route("/pl/2/", "backend", filters=[waf(paranoia_level=2)]),
            route("/pl/3/", "backend", filters=[waf(paranoia_level=3)]),
            route("/pl/4/", "backend", filters=[waf(paranoia_level=4)]),
            route("/excl/", "backend", filters=[waf(exclusions=[
                {"rule_ids": [942100], "target": "ARGS:q"},
                {"tag": "attack-xss"}])]),
            route("/small/", "backend", filters=[waf(max_request_body_bytes=1024)]),
            route("/partial/", "backend", filters=[waf(max_request_body_bytes=1024,
                                                       request_body_over_limit="INSPECT_PARTIAL")]),
            route("/", "backend"),
        ]
        gen = generation(self.port, {"*": routes}, {"backend": [self.backend]})
        gen["route_configs"][0]["virtual_hosts"][0]["filters"] = [vhost_waf or waf()]
        return gen

    def wait_stats(self, pattern):
        """Waits until /stats matches `pattern` (counters are updated as transactions end,
        just after the response the test saw)."""
        wait_until(lambda: re.search(pattern, self.stats()), message=pattern)

    def stats(self):
        return harness.http_get(self.admin, "/stats")[2]

    def audit_lines(self):
        if not os.path.exists(self.audit):
            return []
        with open(self.audit, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def test_attacks_blocked_over_http1_and_http2(self):
        attacks = corpus("attacks.jsonl")
        missed = []
        for h2 in (False, True):
            for entry in attacks:
                status, headers, _ = curl(self.port, entry, h2=h2)
                if status != 403:
                    missed.append("%s (%s): %d" % (entry["name"], "h2" if h2 else "h1", status))
                    continue
                self.assertRegex(headers.get("x-strait-local-reply", ""), r"^waf:\d+(,\d+)*$", entry["name"])
        self.assertEqual(missed, [], "attacks not blocked")
        # The backend saw none of them.
        # A transaction is counted when it ends, just after its response: wait for the last.
        self.wait_stats(r'strait_waf_blocked_total\{scope="[^"]*"\} %d' % (2 * len(attacks)))
        self.wait_stats(r'strait_waf_rule_matches_total\{scope="[^"]*",rule="942100",action="blocked"\} [1-9]')
        # Each blocked request has its audit line, with the rules that matched.
        wait_until(lambda: len(self.audit_lines()) >= 2 * len(attacks), message="audit log lines")
        lines = self.audit_lines()
        self.assertTrue(all(entry["action"] == "blocked" and entry["rules"] for entry in lines))
        self.assertTrue(any(r["id"] == 942100 for entry in lines for r in entry["rules"]))

    def test_benign_traffic_passes_at_paranoia_1(self):
        refused = []
        for h2 in (False, True):
            for entry in corpus("benign.jsonl"):
                status, headers, _ = curl(self.port, entry, h2=h2)
                if status != 200:
                    refused.append("%s (%s): %d %s" % (entry["name"], "h2" if h2 else "h1", status,
                                                       headers.get("x-strait-local-reply")))
        self.assertEqual(refused, [], "benign requests refused at paranoia level 1")
        # False positives at the higher paranoia levels: reported, not asserted.
        report = []
        for level in (2, 3, 4):
            refused = [e["name"] for e in corpus("benign.jsonl")
                       if curl(self.port, e, prefix="/pl/%d" % level)[0] == 403]
            report.append("PL%d: %d of %d refused %s" % (level, len(refused), len(corpus("benign.jsonl")),
                                                          refused))
        sys.stderr.write("waf false positives on the benign corpus: %s\n" % "; ".join(report))

    def test_detect_mode_passes_counts_and_logs(self):
        attacks = corpus("attacks.jsonl")
        for entry in attacks:
            status, _, _ = curl(self.port, entry, prefix="/detect")
            self.assertEqual(status, 200, entry["name"])
        self.wait_stats(r'strait_waf_detected_total\{scope="[^"]*#0"\} %d' % len(attacks))
        self.wait_stats(r'strait_waf_rule_matches_total\{scope="[^"]*#0",rule="\d+",action="detected"\} [1-9]')
        wait_until(lambda: len(self.audit_lines()) >= len(attacks), message="audit log lines")
        lines = self.audit_lines()
        self.assertTrue(all(e["mode"] == "detect" and e["action"] == "detected" for e in lines))
        self.assertEqual(sorted(e["path"] for e in lines), sorted("/detect" + a["path"] for a in attacks))

    def test_exclusions_silence_exactly_what_they_name(self):
        sqli = "1%27%20OR%20%271%27%3D%271"
        # Rule 942100 no longer looks at ARGS:q ...
        self.assertEqual(curl(self.port, {"name": "q", "method": "GET", "path": "/excl/s?q=" + sqli})[0], 200)
        # ... but still at any other argument, and the XSS rules are gone from this route only.
        status, headers, _ = curl(self.port, {"name": "p", "method": "GET", "path": "/excl/s?p=" + sqli})
        self.assertEqual(status, 403)
        self.assertIn("942100", headers["x-strait-local-reply"])
        xss = "/s?c=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
        self.assertEqual(curl(self.port, {"name": "x", "method": "GET", "path": "/excl" + xss})[0], 200)
        self.assertEqual(curl(self.port, {"name": "x", "method": "GET", "path": xss})[0], 403)

    def test_body_limit(self):
        big = {"name": "big", "method": "POST", "path": "/x", "headers": {
            "Content-Type": "application/x-www-form-urlencoded"},
            "body": "a=" + "b" * 4000 + "&q=1%27%20OR%20%271%27%3D%271"}
        status, headers, _ = curl(self.port, big, prefix="/small")
        self.assertEqual((status, headers.get("x-strait-local-reply")), (413, "waf_body_too_large"))
        # Inspected in part: the attack past the limit is not seen, the request goes through
        # whole (the backend echoes the body length).
        status, headers, _ = curl(self.port, big, prefix="/partial")
        self.assertEqual(status, 200)
        # Within the default limit the same body is inspected and refused.
        self.assertEqual(curl(self.port, big)[0], 403)
        self.wait_stats(r'strait_waf_body_too_large_total\{scope="[^"]*#5"\} 1')

    def test_response_inspection_stops_a_leaking_response(self):
        leak = self.start_upstream("leaky", reply="Warning: You have an error in your SQL syntax; check the manual "
                                   "that corresponds to your MySQL server version for the right syntax to use")
        gen = self.gen(extra_routes=[
            route("/leak/", "leaky", filters=[waf(inspect_response=True)]),
            route("/leak-detect/", "leaky", filters=[waf(inspect_response=True, mode="DETECT")]),
            route("/leak-off/", "leaky")])
        gen["load_assignments"].append({"cluster_name": "leaky", "endpoints": [{"address": "127.0.0.1", "port": leak}]})
        gen["clusters"].append({"name": "leaky", "connect_timeout": "5s"})
        live = harness.live_version(self.admin)
        self.write_config(self.config_dir, "mesh.yaml", gen)
        wait_until(lambda: harness.live_version(self.admin) != live, message="the new generation is live")
        for h2 in (False, True):
            # The response never arrives complete: the stream is reset after the inspection.
            out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                                  "--max-time", str(harness.scaled(20)), "-H", "Host: " + HOST]
                                 + (["--http2-prior-knowledge"] if h2 else [])
                                 + ["http://127.0.0.1:%d/leak/x" % self.port], capture_output=True, text=True)
            self.assertNotEqual(out.returncode, 0, "curl got a complete leaking response: %s" % out.stdout)
            self.assertNotIn("SQL syntax", out.stdout)
        # In DETECT mode it passes and is logged; without the filter it passes untouched.
        self.assertEqual(curl(self.port, {"name": "d", "method": "GET", "path": "/leak-detect/x"})[0], 200)
        self.assertEqual(curl(self.port, {"name": "o", "method": "GET", "path": "/leak-off/x"})[0], 200)
        wait_until(lambda: any(e["path"] == "/leak-detect/x" for e in self.audit_lines()), message="audit line")
        entry = [e for e in self.audit_lines() if e["path"] == "/leak-detect/x"][0]
        self.assertTrue(any(str(r["id"]).startswith("951") for r in entry["rules"]), entry)

    def compiled(self):
        return int(re.search(r"^strait_waf_rule_sets_compiled_total (\d+)$", self.stats(), re.M).group(1))

    def test_a_new_generation_reuses_unchanged_rule_sets(self):
        # One rule set per distinct rule text of gen(): 7 (the vhost's and 7 routes', /small/ and
        # /partial/ differing only in what the filter does past the body limit).
        self.assertEqual(self.compiled(), 7)
        live = harness.live_version(self.admin)
        self.write_config(self.config_dir, "mesh.yaml",
                          self.gen(extra_routes=[route("/new/", "backend", filters=[waf(paranoia_level=2)])]))
        wait_until(lambda: harness.live_version(self.admin) != live, message="the new generation is live")
        self.assertEqual(self.compiled(), 7)  # /new/ shares /pl/2/'s rule set; nothing recompiled
        self.assertEqual(curl(self.port, corpus("attacks.jsonl")[0], prefix="/new")[0], 403)

    def test_bad_rules_are_refused_and_the_last_good_generation_serves(self):
        live = harness.live_version(self.admin)
        bad = self.gen(vhost_waf=waf(rules='SecRule ARGS "@rx foo" "id:1,phase:2,deny,nosuchaction"'))
        bad_dir = self.make_config_dir()
        self.write_config(bad_dir, "mesh.yaml", bad)
        out = subprocess.run([harness.binary("control/straitctl"), "validate", bad_dir], capture_output=True, text=True)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("filters[0].waf.rules", out.stdout + out.stderr)
        # A rule file missing on the sidecar's host: the control plane cannot see it, the
        # sidecar NACKs the generation naming the filter.
        missing = self.gen(vhost_waf=waf(rule_files=[self.path("no-such-rules.conf")]))
        self.write_config(self.config_dir, "mesh.yaml", missing)
        sidecar = [p for p in self.procs if p.name.startswith("sidecar-")][0]
        wait_until(lambda: re.search(r"NACK .*filters\[0\].*no-such-rules\.conf", sidecar.log()), timeout=20,
                   message="the sidecar NACKs the generation, naming the filter")
        self.assertEqual(harness.live_version(self.admin), live)
        attack = corpus("attacks.jsonl")[0]
        self.assertEqual(curl(self.port, attack)[0], 403)  # the last good generation still guards


if __name__ == "__main__":
    harness.main()
