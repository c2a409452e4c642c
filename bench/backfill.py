#!/usr/bin/env python3
"""Backfill at a set API budget: budget used, 429s that became failures, peak RSS, live webhooks' speed.

Runs the demo's environment (moto server, Benchling sandbox, the real ``benchling-webhook serve --role all``
child process, whose worker drains the backfill queue) with a generated tenant of ``--entries`` entries.
The sandbox enforces the budget — ``--rate`` requests a second over fixed ``--window``-second windows,
429 with ``x-rate-limit-reset`` past it — and the server runs with ``BENCHLING_API_RATE=--rate`` (one task
holds the whole budget). Then:

1. **without backfill**: ``--live`` signed ``v2.entry.updated.fields`` webhooks, one after another; each
   edits entry EXP26000042 and is timed from its acknowledgement to its package revision (the package's
   ``latest`` top hash changes);
2. **with backfill**: ``benchling-webhook backfill`` runs as a user runs it (a profile, a stack whose
   ``BackfillQueueUrl`` output names the local backfill queue) over every generated entry, and while it
   runs the same ``--live`` webhooks are sent and timed, ``--gap`` seconds apart, from the moment the
   worker has packaged its first backfilled entries. (The CLI's start-up — imports, the first pages,
   the first batches — shares this machine's two cores with the worker here; a user runs it elsewhere.)

Reported: the share of the budget used while the backfill ran (API calls the sandbox served / (rate *
duration)), 429s and failures (entries failed, dead letters, the CLI's exit code), the peak RSS of the CLI
(``wait4`` in a small parent, see ``MEASURED``) and of the server process (``VmHWM``), and p50
ack-to-revision without and with the backfill.

Usage: python bench/backfill.py [--entries 2000] [--rate 5] [--window 10] [--live 10] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchling_webhook.constants import EnvVars, StackOutputs, stack_name_for
from benchling_webhook.sandbox.canvases import DEFAULT_APP_ID
from benchling_webhook.sandbox.demo import ENTRY_ID, DemoDriver
from benchling_webhook.sandbox.environment import LocalEnvironment
from benchling_webhook.sandbox.tenant import RateLimit, generate_tenant
from benchling_webhook.server.backfill import Outcome, iter_outcomes

PROFILE = "bench"
# Runs the CLI as its own child and reports that child's peak RSS. A child of this (large) process would
# not do: Linux keeps a process's peak RSS across fork and exec, so it would start at this process's size.
MEASURED = ("import os, subprocess, sys; p = subprocess.Popen(sys.argv[1:], stderr=subprocess.DEVNULL); "
            "_, status, usage = os.wait4(p.pid, 0); print(usage.ru_maxrss, file=sys.stderr); "
            "sys.exit(os.waitstatus_to_exitcode(status))")


def live_revision(driver: DemoDriver, env: LocalEnvironment, value: str) -> float:
    """Edit the demo entry, send its webhook, return seconds from the acknowledgement to the new revision."""
    assert env.sandbox is not None
    before = driver.top_hash()
    env.sandbox.state.api.update_field(ENTRY_ID, "Temperature (C)", value)
    delivery = driver.send({"type": "v2.entry.updated.fields", "resourceId": ENTRY_ID,
                            "updates": ["fields.Temperature (C)"]})
    acked = time.perf_counter()
    assert delivery.status < 300, delivery
    driver.wait("a new revision", lambda: driver.top_hash() not in (None, before))
    return time.perf_counter() - acked


def deploy_profile(env: LocalEnvironment, home: Path) -> None:
    """What ``setup`` and ``deploy`` would have left: a profile and a stack whose outputs name the queues."""
    assert env.aws is not None and env.sandbox is not None and env.moto is not None
    template = {"Resources": {"Placeholder": {"Type": "AWS::SQS::Queue"}},
                "Outputs": {StackOutputs.BACKFILL_QUEUE_URL: {"Value": env.aws.backfill_url}}}
    env.moto.client("cloudformation").create_stack(StackName=stack_name_for(PROFILE), TemplateBody=json.dumps(template))
    profile = {"benchling": {"tenant": env.sandbox.state.tenant, "clientId": env.sandbox.state.api.client_id,
                             "appDefinitionId": env.sandbox.state.app_definition_id, "secretArn": env.aws.secret_arn,
                             "baseUrl": env.sandbox.url},
               "packages": {"bucket": env.aws.bucket}, "deployment": {"region": "us-east-1"}}
    path = home / "benchling-webhook" / PROFILE / "config.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(profile))


def markers(driver: DemoDriver, env: LocalEnvironment) -> int:
    """Outcome markers the worker has written so far (this environment holds one backfill)."""
    assert env.aws is not None
    page = driver.s3.list_objects_v2(Bucket=env.aws.bucket, Prefix=".benchling-webhook/backfill/")
    return int(page.get("KeyCount", 0))


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, LocalEnvironment(
            log_dir=Path(tmp), inherited_env=os.environ, extra_env={
                EnvVars.BENCHLING_API_RATE: str(args.rate), EnvVars.WORKER_CONCURRENCY: str(args.concurrency),
                EnvVars.COALESCE_QUIET_SECONDS: "0", EnvVars.LOG_LEVEL: "WARNING"}) as env:
        env.start()
        assert env.sandbox is not None and env.server is not None and env.aws is not None and env.moto is not None
        api = env.sandbox.state.api
        generate_tenant(api, args.entries)
        driver = DemoDriver(env, timeout=120)
        driver.send({"type": "v2.entry.created", "resourceId": ENTRY_ID})  # warm-up: token, imports, first revision
        driver.wait("the first revision", lambda: driver.top_hash() is not None and driver.inbox_depth() == 0)
        api.rate_limit = RateLimit(limit=int(args.rate * args.window), window_seconds=args.window)
        alone = [live_revision(driver, env, f"{30 + i / 10:.1f}") for i in range(args.live)]

        config = Path(tmp) / "config"
        deploy_profile(env, config)
        limit = api.rate_limit = RateLimit(limit=int(args.rate * args.window), window_seconds=args.window)
        cli_env = {**os.environ, "XDG_CONFIG_HOME": str(config), EnvVars.AWS_ENDPOINT_URL: env.aws.endpoint_url,
                   EnvVars.AWS_ACCESS_KEY_ID: "local-emulator", EnvVars.AWS_SECRET_ACCESS_KEY: "local-emulator",
                   EnvVars.AWS_REGION: "us-east-1", "NO_COLOR": "1"}
        started = time.perf_counter()
        cli = subprocess.Popen([sys.executable, "-c", MEASURED, sys.executable, "-m", "benchling_webhook", "backfill",
                                "--profile", PROFILE, "--until", "2026-01-01", "--app-id", DEFAULT_APP_ID, "--json"],
                               env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        during: list[float] = []
        driver.wait("the first backfilled entries", lambda: cli.poll() is not None or markers(driver, env) >= 10)
        for i in range(args.live):
            if cli.poll() is not None:
                break
            during.append(live_revision(driver, env, f"{50 + i / 10:.1f}"))
            time.sleep(args.gap)
        out, err = cli.communicate()
        seconds = time.perf_counter() - started
        summary = json.loads(out) if out.strip() else {}
        outcomes = [o for _, o in iter_outcomes(driver.s3, env.aws.bucket, summary.get("run_id", "-"))]
        served, refused = limit.served, limit.refused
        worker_rss = peak_rss_mb(env.server.process.pid)
        dead = driver.dead_letters()
        driver.close()
    return {
        "cpus": os.cpu_count(), "entries": args.entries, "rate": args.rate, "window_s": args.window,
        "concurrency": args.concurrency, "seconds": round(seconds, 1),
        "packaged": outcomes.count(Outcome.PACKAGED), "unchanged": outcomes.count(Outcome.UNCHANGED),
        "skipped": outcomes.count(Outcome.SKIPPED), "failed": outcomes.count(Outcome.FAILED),
        "dead_letters": dead, "cli_exit": cli.returncode,
        "api_calls": served, "budget_used": round(served / (args.rate * seconds), 3), "http_429": refused,
        "cli_peak_rss_mb": round(int(err.split()[-1]) / 1024, 1) if err.strip() else None,
        "worker_peak_rss_mb": round(worker_rss, 1),
        "live_p50_alone_s": round(statistics.median(alone), 2),
        "live_p50_during_s": round(statistics.median(during), 2) if during else None,
        "live_during_samples": len(during),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=5.0, help="the budget: API requests per second")
    parser.add_argument("--window", type=float, default=10.0, help="seconds per rate-limit window")
    parser.add_argument("--concurrency", type=int, default=4, help="WORKER_CONCURRENCY of the server")
    parser.add_argument("--live", type=int, default=10, help="live webhooks timed without and with the backfill")
    parser.add_argument("--gap", type=float, default=2.0, help="seconds between live webhooks")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args)
    if args.json:
        print(json.dumps(result))
        return
    ratio = (result["live_p50_during_s"] or 0) / result["live_p50_alone_s"]
    print(f"cpus={result['cpus']} entries={args.entries} budget={args.rate:g}/s (windows of {args.window:g} s) "
          f"WORKER_CONCURRENCY={args.concurrency}")
    print(f"backfill: {result['packaged']} packaged, {result['unchanged']} unchanged, {result['skipped']} skipped, "
          f"{result['failed']} failed, {result['dead_letters']} dead letters, CLI exit {result['cli_exit']}, "
          f"{result['seconds']} s")
    print(f"budget used: {result['budget_used']:.1%} ({result['api_calls']} calls); 429s: {result['http_429']}")
    print(f"peak RSS: CLI {result['cli_peak_rss_mb']} MB, worker (server process) {result['worker_peak_rss_mb']} MB")
    print(f"live ack → revision p50: {result['live_p50_alone_s']} s alone, {result['live_p50_during_s']} s during "
          f"the backfill (x{ratio:.2f}, {result['live_during_samples']} samples)")


if __name__ == "__main__":
    main()
