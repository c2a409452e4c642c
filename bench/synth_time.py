#!/usr/bin/env python3
"""Synth wall time (goal: full synth <= 8 s warm).

Runs ``benchling-webhook synth`` as a user would (a fresh process each time, so node and the CDK library
load every run) for the default profile, ``--runs`` times after one warm-up run that fills the OS
page cache, and prints each wall time plus the median. Also prints the in-process synth time the command
reports (CDK construction + ``app.synth()``), which excludes interpreter/node start-up.

Usage:
    python bench/synth_time.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        profile = home / "config" / "benchling-webhook" / "default" / "config.json"
        profile.parent.mkdir(parents=True)
        profile.write_text(json.dumps({
            "benchling": {"tenant": "acme", "clientId": "c", "appDefinitionId": "appdef_x",
                          "secretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:bw-abc"},
            "packages": {"bucket": "quilt-packages"}, "deployment": {"region": "us-east-1"}}))
        env = {**os.environ, "XDG_CONFIG_HOME": str(home / "config")}
        walls, inner = [], []
        for run in range(args.runs + 1):
            started = time.perf_counter()
            out = subprocess.run([sys.executable, "-m", "benchling_webhook", "synth", "--output", str(home / "out")],
                                 env=env, capture_output=True, text=True, check=True)
            wall = time.perf_counter() - started
            reported = float(re.search(r"synthesized in ([\d.]+) s", out.stderr).group(1))  # type: ignore[union-attr]
            label = "warm-up" if run == 0 else f"run {run}"
            print(f"{label:>8}: wall {wall:5.2f} s, in-process synth {reported:4.1f} s")
            if run:
                walls.append(wall)
                inner.append(reported)
    print(f"median wall {statistics.median(walls):.2f} s, median in-process {statistics.median(inner):.1f} s "
          f"(goal <= 8 s warm)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
