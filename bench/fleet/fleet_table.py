#!/usr/bin/env python3
"""Renders the JSON lines of bench/fleet/fleet.sh (strait-fleet-sim's phases, each tagged with
its run's label) as Markdown tables: connect and pushes per run, then churn.

usage: fleet_table.py RESULTS.jsonl"""

import json
import sys


def fmt(v, digits=2):
    if v is None or (isinstance(v, (int, float)) and v < 0):
        return "-"
    if isinstance(v, float):
        return "%.*f" % (digits, v)
    return str(v)


def kib(v):
    return "-" if v is None or v < 0 else "%.1f KiB" % (v / 1024)


def main():
    runs = {}
    for line in open(sys.argv[1]):
        line = line.strip()
        if not line:
            continue
        r = json.loads(line)
        run = runs.setdefault(r["label"], {"push": []})
        if r["phase"] == "push":
            run["push"].append(r)
        else:
            run[r["phase"]] = r
    print()
    print("| run | connected | connect: all ACKed | pushes: all ACKed after the file changed | control CPU per push "
          "| other work's CPU per push | received per sidecar per push (full / delta) | control RSS, peak "
          "| control threads | errors |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for label, run in runs.items():
        c = run.get("connect", {})
        pushes = run["push"]
        acked = ", ".join(fmt(p["all_acked_s"]) + ("" if p["moved"] == p["streams"] else
                                                   " (%d/%d)" % (p["moved"], p["streams"])) for p in pushes)
        cpu = ", ".join(fmt(p.get("control_cpu_s")) for p in pushes)
        other = ", ".join(fmt(max(0.0, p.get("other_cpu_s", -1))) for p in pushes)
        sent = ", ".join("%s / %s" % (kib(p["full_bytes_per_sidecar"]), kib(p["delta_bytes_per_sidecar"])) for p in pushes)
        last = pushes[-1] if pushes else c
        end = run.get("end", {})
        errors = "; ".join("%s x%d" % (k, v) for k, v in end.get("errors", {}).items()) or "-"
        if "control_died" in run:
            errors = "CONTROL PLANE DIED; " + errors
        if end.get("timed_out") or c.get("timed_out"):
            errors = "timed out; " + errors
        print("| %s | %s/%s | %s s | %s s | %s s | %s s | %s | %s MiB, %s MiB | %s | %s |" % (
            label, fmt(c.get("connected")), fmt(c.get("sidecars")), fmt(c.get("all_acked_s")), acked or "-",
            cpu or "-", other or "-", sent or "-", fmt(last.get("control_rss_mib"), 0), fmt(last.get("control_hwm_mib"), 0),
            fmt(last.get("control_threads")), errors))
    churns = [(label, run) for label, run in runs.items() if "churn" in run]
    if not churns:
        return
    print()
    print("| run | endpoint changes/s | versions/s | per sidecar per s: responses (full / delta) | bytes (full / delta) "
          "| bytes per full response | control CPU s/s | other work's CPU s/s | one full push before the churn: "
          "bytes per sidecar, control CPU | control RSS, peak |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for label, run in churns:
        ch = run["churn"]
        print("| %s | %s | %s | %s / %s | %s / %s | %s | %s | %s | %s, %s s | %s MiB, %s MiB |" % (
            label, fmt(ch["endpoint_changes_per_s"], 1), fmt(ch["versions"] / ch["window_s"], 1),
            fmt(ch["full_responses_per_sidecar_s"], 1), fmt(ch["delta_responses_per_sidecar_s"], 1),
            kib(ch["full_bytes_per_sidecar_s"]), kib(ch["delta_bytes_per_sidecar_s"]),
            kib(ch.get("full_bytes_per_response", -1)), fmt(ch.get("control_cpu_s_per_s")),
            fmt(max(0.0, ch.get("other_cpu_s", 0)) / ch["window_s"]), kib(ch.get("push_bytes_per_sidecar", -1)), fmt(ch.get("push_cpu_s")),
            fmt(ch.get("control_rss_mib"), 0), fmt(ch.get("control_hwm_mib"), 0)))


if __name__ == "__main__":
    main()
