#!/usr/bin/env python3
"""CLI start-up: median wall time of ``benchling-webhook --help`` and ``--version`` (goal ≤ 0.3 s).

Usage: python bench/cli_startup.py [--runs 20]
Runs the installed console script as a user would, in fresh processes. Prints the machine's CPU count and
PYTHONDONTWRITEBYTECODE (which roughly doubles import times when our own modules have no .pyc files).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time


def _time(cmd: list[str], runs: int) -> list[float]:
    subprocess.run(cmd, capture_output=True, check=True)  # warm the page cache
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    exe = shutil.which("benchling-webhook") or sys.exit("benchling-webhook is not on PATH (pip install .)")
    print(f"cpus={os.cpu_count()} PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')}")
    baseline = _time([sys.executable, "-c", "pass"], args.runs)
    print(f"python -c pass            median {statistics.median(baseline) * 1000:6.0f} ms")
    for flag in ("--help", "--version"):
        samples = _time([exe, flag], args.runs)
        print(f"benchling-webhook {flag:<9} median {statistics.median(samples) * 1000:6.0f} ms"
              f"  p90 {sorted(samples)[int(0.9 * len(samples)) - 1] * 1000:6.0f} ms  (goal ≤ 300 ms)")


if __name__ == "__main__":
    main()
