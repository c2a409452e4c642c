#!/usr/bin/env python3
"""End to end: signed webhook → package revision visible in S3, p50 over N runs.

Runs the demo's environment (moto server, Benchling sandbox with export delay 0, and the real
``benchling-webhook serve --role all`` child process). Each run edits a field of entry EXP26000042 in
the sandbox, posts one signed ``v2.entry.updated.fields`` webhook and polls the package's ``latest``
pointer until its top hash changes. ``--quiet-seconds`` is the worker's coalescing quiet period
(COALESCE_QUIET_SECONDS): 0 measures the pipeline itself; the production default (2 s) adds that wait
on purpose, so a burst of edits becomes one export.

Usage: python bench/e2e_latency.py [--runs 20] [--quiet-seconds 0]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from benchling_webhook.sandbox.demo import ENTRY_ID, DemoDriver
from benchling_webhook.sandbox.environment import LocalEnvironment


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--quiet-seconds", type=float, default=0.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, LocalEnvironment(
            log_dir=Path(tmp), extra_env={"COALESCE_QUIET_SECONDS": str(args.quiet_seconds),
                                          "LOG_LEVEL": "WARNING"}, inherited_env=os.environ) as env:
        env.start()
        assert env.sandbox is not None
        env.sandbox.state.api.export_delay_seconds = 0.0
        driver = DemoDriver(env, timeout=60)
        # Warm-up: the first revision (token, imports, first manifest).
        driver.send({"type": "v2.entry.created", "resourceId": ENTRY_ID})
        driver.wait("the first revision", lambda: driver.top_hash() is not None and driver.inbox_depth() == 0)
        samples, acks = [], []
        for i in range(args.runs):
            before = driver.top_hash()
            env.sandbox.state.api.update_field(ENTRY_ID, "Temperature (C)", f"{40 + i / 10:.1f}")
            start = time.perf_counter()
            delivery = driver.send({"type": "v2.entry.updated.fields", "resourceId": ENTRY_ID,
                                    "updates": ["fields.Temperature (C)"]})
            assert delivery.status < 300, delivery
            acks.append(delivery.latency_ms)
            driver.wait("a new revision", lambda b=before: driver.top_hash() not in (None, b))
            samples.append((time.perf_counter() - start) * 1000)
            driver.wait_idle()
        driver.close()
    result = {
        "cpus": os.cpu_count(), "runs": args.runs, "quiet_seconds": args.quiet_seconds,
        "webhook_to_revision_ms": {"p50": round(statistics.median(samples), 1),
                                   "p90": round(sorted(samples)[int(0.9 * len(samples)) - 1], 1),
                                   "max": round(max(samples), 1)},
        "ack_ms_p50": round(statistics.median(acks), 1),
    }
    if args.json:
        print(json.dumps(result))
    else:
        r = result["webhook_to_revision_ms"]
        print(f"cpus={result['cpus']} runs={args.runs} COALESCE_QUIET_SECONDS={args.quiet_seconds}")
        print(f"webhook → revision visible: p50 {r['p50']} ms, p90 {r['p90']} ms, max {r['max']} ms "
              f"(ack p50 {result['ack_ms_p50']} ms)")


if __name__ == "__main__":
    main()
