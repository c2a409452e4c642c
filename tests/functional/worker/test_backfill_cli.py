"""``benchling-webhook backfill`` end to end: the CLI, moto (stack outputs, queue, secret, bucket), the sandbox
over HTTP, and for full runs the real worker in a thread."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from benchling_webhook.backfill.listing import parse_time
from benchling_webhook.sandbox.benchling import SandboxServer
from benchling_webhook.sandbox.moto_server import MotoServer
from benchling_webhook.sandbox.tenant import GeneratedTenant
from tests.functional.worker.backfill_support import BUCKET, Deployed, WorkerThread, queued_entries
from tests.functional.worker.test_backfill_listing import expected
from tests.helpers import CLI, wait_for

SINCE = "2024-01-01"


def everything(sandbox: SandboxServer) -> set[str]:
    """What a backfill without filters covers: every unarchived entry modified before it started (now)."""
    return expected(sandbox, until=datetime.now(UTC))


def since(sandbox: SandboxServer) -> set[str]:
    return expected(sandbox, lambda e: parse_time(e["modifiedAt"]) >= parse_time(SINCE), until=datetime.now(UTC))


def objects(s3: Any, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def test_a_dry_run_counts_and_samples_and_writes_nothing(  # type: ignore[no-untyped-def]
        cli, deployed: Deployed, tenant: GeneratedTenant, sandbox: SandboxServer, s3: Any) -> None:
    result = cli("backfill", "--profile", "dev", "--since", SINCE, "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    wanted = since(sandbox)
    assert summary["dry_run"] and summary["listed"] == summary["queued"] == len(wanted)
    assert len(summary["sample"]) == 10 and {row["entry_id"] for row in summary["sample"]} <= wanted
    assert queued_entries(deployed) == []
    assert not deployed.checkpoints.exists() and objects(s3, ".benchling-webhook/") == []


def test_queued_once_and_a_re_run_queues_nothing_more(  # type: ignore[no-untyped-def]
        cli, deployed: Deployed, tenant: GeneratedTenant, sandbox: SandboxServer) -> None:
    first = cli("backfill", "--profile", "dev", "--since", SINCE, "--no-wait", "--json")
    assert first.exit_code == 0, first.output
    again = cli("backfill", "--profile", "dev", "--since", SINCE, "--no-wait", "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["resumed"] and json.loads(again.stdout)["queued"] == len(since(sandbox))
    assert Counter(queued_entries(deployed)) == Counter(since(sandbox))


def test_interrupted_then_resumed_queues_every_entry_exactly_once(  # type: ignore[no-untyped-def]
        cli, deployed: Deployed, tenant: GeneratedTenant, sandbox: SandboxServer, aws: MotoServer) -> None:
    env = {**os.environ, "AWS_ENDPOINT_URL": aws.endpoint_url}
    process = subprocess.Popen([*CLI, "backfill", "--profile", "dev", "--no-wait", "--rate", "10"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        def some_queued() -> bool:
            attrs = deployed.sqs.get_queue_attributes(QueueUrl=deployed.queue_url,
                                                      AttributeNames=["ApproximateNumberOfMessages"])
            return int(attrs["Attributes"]["ApproximateNumberOfMessages"]) >= 20  # of ~250: ~20 s left

        wait_for(some_queued, "the first batches", timeout=60)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    checkpoint = json.loads(next(deployed.checkpoints.glob("*.json")).read_text())
    assert 20 <= checkpoint["queued"] < len(everything(sandbox)) and not checkpoint["listing_done"]

    resumed = cli("backfill", "--profile", "dev", "--no-wait", "--json")
    assert resumed.exit_code == 0, resumed.output
    summary = json.loads(resumed.stdout)
    assert summary["resumed"] and summary["queued"] == len(everything(sandbox))
    assert Counter(queued_entries(deployed)) == Counter(everything(sandbox))  # every entry, each once


def test_a_full_run_packages_every_entry_and_follows_the_outcomes(  # type: ignore[no-untyped-def]
        cli, deployed: Deployed, tenant: GeneratedTenant, sandbox: SandboxServer, s3: Any) -> None:
    project = tenant.projects[0]
    with WorkerThread(deployed.settings):
        result = cli("backfill", "--profile", "dev", "--project", project, "--since", "2025-01-01",
                     "--app-id", "app_Zf3kQ8wLm2Xv", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["done"] and summary["queued"] > 0
    assert summary["packaged"] == summary["queued"] and summary["failed"] == summary["skipped"] == 0
    packages = {k.split("/")[1] for k in objects(s3, "benchling/") if k.endswith("/entry.json")}
    assert len(packages) == summary["packaged"]

    again = cli("backfill", "--profile", "dev", "--project", project, "--since", "2025-01-01",
                "--app-id", "app_Zf3kQ8wLm2Xv")
    assert again.exit_code == 0 and "(resumed)" in again.stderr
