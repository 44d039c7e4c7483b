#!/usr/bin/env python3
"""One apply measurement for bench/fleet/apply.sh: writes a generation (gen_config.py's
format) into the control plane's config file, then polls the sidecar's admin /version every
2 ms until the version changes (the sidecar reports a version only once it is live on every
worker). Prints one line: "<seconds from the file's rename to live> <new version> <Unix time
of the rename>".

The sidecar's own per-phase figures, when it exports them, are read by apply.sh from /stats.

usage: apply_probe.py ADMIN_URL CONFIG_FILE TIMEOUT_S -- GEN_CONFIG_ARGS... (after OUT_FILE)"""

import os
import subprocess
import sys
import time
import urllib.request


def version(admin):
    try:
        with urllib.request.urlopen(admin + "/version", timeout=1) as r:
            return r.read().decode().split("\n", 1)[0]
    except OSError:
        return ""


def main():
    admin, config, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
    gen_args = sys.argv[sys.argv.index("--") + 1:]
    here = os.path.dirname(os.path.abspath(__file__))
    # Written next to the config directory (same file system), then renamed in: the control
    # plane sees one change, the rename, and nothing while the file is being written.
    staged = os.path.join(os.path.dirname(os.path.dirname(config)), "staged.yaml")
    subprocess.run([sys.executable, os.path.join(here, "gen_config.py"), staged] + gen_args, check=True)
    before = version(admin)
    t0 = time.time()
    os.rename(staged, config)
    deadline = t0 + timeout
    while time.time() < deadline:
        v = version(admin)
        if v and v != before:
            print("%.4f %s %.6f" % (time.time() - t0, v, t0))
            return
        time.sleep(0.002)
    print("timeout - -")


if __name__ == "__main__":
    main()
