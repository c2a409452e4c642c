#!/usr/bin/env python3
"""Coalescing: a burst of field-update events for one entry → how many exports and package revisions.

Usage: python bench/coalesce.py [--events 50] [--seconds 10] [--quiet 2] [--max 10] [--export-delay 2]

Runs the real inbox consumer and processor (default worker settings: 2 s quiet period, 10 s cap)
against the Benchling sandbox (HTTP, export task taking ``--export-delay`` seconds) and moto (SQS FIFO
inbox, S3, Secrets Manager; HTTP) on loopback, quilt3 direct mode. Each event follows a real field edit
in the sandbox, spread evenly over ``--seconds``, and is enqueued the way the web role does it (one
message per webhook, MessageGroupId = webhook id). Reports exports, revisions, Benchling API calls and
the time from the last event until every message was deleted, and checks the final revision holds the
last edit. Target: 50 events in 10 s → ≤ 2 exports, one final revision with the last state.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchling_webhook.sandbox.api import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, api_calls
from benchling_webhook.sandbox.benchling import SandboxServer
from benchling_webhook.sandbox.moto_server import MotoServer
from benchling_webhook.sandbox.signing import new_webhook_id
from benchling_webhook.server.events import InboxMessage
from benchling_webhook.server.settings import ServerSettings
from benchling_webhook.server.worker.processor import create_processor
from benchling_webhook.server.worker.runner import InboxConsumer

BUCKET, ENTRY, DISPLAY = "bench-packages", "etr_Ab12Cd34", "EXP26000042"


def _event(sandbox: SandboxServer) -> InboxMessage:
    message = {"type": "v2.entry.updated.fields", "id": "evt_" + new_webhook_id()[4:], "resourceId": ENTRY,
               "createdAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "updates": ["fields.Hypothesis"]}
    return InboxMessage.model_validate({"webhookId": new_webhook_id(), "receivedAt": time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "envelope": sandbox.state.envelope(message)})


async def _run(args: argparse.Namespace, moto: MotoServer, sandbox: SandboxServer) -> dict[str, object]:
    sqs, s3 = moto.client("sqs"), moto.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    inbox = sqs.create_queue(QueueName="inbox.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    dlq = sqs.create_queue(QueueName="inbox-dlq.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    moto.client("secretsmanager").create_secret(Name="bench", SecretString=json.dumps(
        {"tenant": "acme-bio", "client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET}))
    settings = ServerSettings(PACKAGE_BUCKET=BUCKET, AWS_ENDPOINT_URL=moto.endpoint_url, AWS_REGION="us-east-1",
                              BENCHLING_BASE_URL=sandbox.url, BenchlingSecret="bench", INBOX_QUEUE_URL=inbox,
                              INBOX_DLQ_URL=dlq, COALESCE_QUIET_SECONDS=args.quiet, COALESCE_MAX_SECONDS=args.max)
    sandbox.state.api.export_delay_seconds = args.export_delay
    consumer = InboxConsumer(create_processor(settings, canvas_hooks=None), settings, wait_time_seconds=1)
    task = asyncio.create_task(consumer.run())
    start = time.monotonic()
    gap = args.seconds / max(1, args.events - 1)
    for i in range(args.events):
        sandbox.state.api.update_field(ENTRY, "Hypothesis", f"edit {i + 1} of {args.events}")
        event = _event(sandbox)
        await asyncio.to_thread(sqs.send_message, QueueUrl=inbox, MessageBody=event.to_body(),
                                MessageGroupId=event.webhook_id, MessageDeduplicationId=event.webhook_id)
        if i < args.events - 1:
            await asyncio.sleep(max(0.0, start + (i + 1) * gap - time.monotonic()))
    last_event = time.monotonic()
    while consumer.stats["succeeded"] + consumer.stats["dead_lettered"] < args.events:
        await asyncio.sleep(0.05)
    done = time.monotonic()
    consumer.stop()
    await task
    meta = json.loads(s3.get_object(Bucket=BUCKET, Key=f"benchling/{DISPLAY}/entry.json")["Body"].read())
    pointers = s3.list_objects_v2(Bucket=BUCKET, Prefix=f".quilt/named_packages/benchling/{DISPLAY}/")
    revisions = [o["Key"] for o in pointers.get("Contents", []) if not o["Key"].endswith("/latest")]
    calls = Counter(path.split("/")[3] for _, path in api_calls(sandbox.state.requests))
    return {"events": args.events, "over_s": args.seconds, "exports": sandbox.state.api.export_count(ENTRY),
            "revisions": len(revisions), "final_state_is_last_edit":
                meta["fields"]["Hypothesis"]["value"] == f"edit {args.events} of {args.events}",
            "dead_lettered": consumer.stats["dead_lettered"], "benchling_calls": dict(calls),
            "last_event_to_all_deleted_s": round(done - last_event, 2), "total_s": round(done - start, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--quiet", type=float, default=2.0, help="COALESCE_QUIET_SECONDS")
    parser.add_argument("--max", type=float, default=10.0, help="COALESCE_MAX_SECONDS")
    parser.add_argument("--export-delay", type=float, default=2.0, help="seconds the sandbox export task runs")
    args = parser.parse_args()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # the emulator's fake credentials
        os.environ.setdefault(name, "testing")
    with MotoServer() as moto, SandboxServer() as sandbox:
        result = asyncio.run(_run(args, moto, sandbox))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
