#!/usr/bin/env python3
"""Many tasks through bursts, replays and outages: events lost, dead letters, duplicate revisions, exports.

Runs ``sandbox/tasks.py: LocalTasks`` — the real ``serve --role web`` and ``--workers`` ``serve --role
worker`` processes on one moto inbox and state table, the Benchling sandbox as the tenant — with time
compressed through the container's settings (``COMPRESSED_TIME``: 3 s leases, 6 s visibility, retries
every 0.5 to 2 s; give-up after ``--max-age`` seconds). Scenarios, in order, on entry EXP26000042:

* **burst**: ``--burst`` field edits, one signed ``v2.entry.updated.fields`` webhook each, as fast as the
  web task acknowledges them;
* **replays**: ``--burst`` edits sent from 8 threads at once (so the web task packs them into shared SQS
  messages) plus 5 of their deliveries sent again, as Benchling re-delivers;
* **outage**: the sandbox answers 503 to every call for ``--outage`` seconds while ``--outage-events``
  edits arrive, then recovers.

Reported per scenario: events acknowledged; events lost (acknowledged, but no "processed" record in the
state table once the inbox drained); dead letters; exports (Benchling export tasks started); revisions
created and duplicate revisions (a revision whose entry record equals an earlier one's); whether the
package ends with the newest state; re-deliveries skipped; seconds until settled.

Usage: python bench/many_tasks.py [--workers 2] [--burst 50] [--outage 60] [--outage-events 10] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from benchling_webhook.constants import EnvVars
from benchling_webhook.sandbox.demo import ENTRY_ID, DemoDriver, package_field
from benchling_webhook.sandbox.environment import LocalEnvironment
from benchling_webhook.sandbox.tasks import COMPRESSED_TIME, LocalTasks

FIELD = "Temperature (C)"


class Scenario:
    """Counts what one scenario did, from the outside: the sandbox, S3, SQS and the state table."""

    def __init__(self, tasks: LocalTasks, driver: DemoDriver, name: str) -> None:
        self.tasks, self.d, self.name = tasks, driver, name
        self.webhooks: list[str] = []
        self.acknowledged = 0
        self.exports = driver.exports()
        self.revisions = set(self._revisions())
        self.dead = driver.dead_letters()
        self.skipped = tasks.log_lines("duplicate delivery skipped")
        self.started = time.monotonic()

    def edit(self, value: str, webhook_id: str | None = None) -> None:
        if webhook_id is None:
            self.d.sandbox.api.update_field(ENTRY_ID, FIELD, value)
        webhook_id = webhook_id or f"msg_{uuid.uuid4().hex[:20]}"
        delivery = self.d.send({"type": "v2.entry.updated.fields", "deprecated": False, "excludedProperties": [],
                                "id": f"evt_{uuid.uuid4().hex[:8]}", "createdAt": "2026-11-20T14:07:44Z",
                                "resourceId": ENTRY_ID, "updates": [f"fields.{FIELD}"]}, webhook_id=webhook_id)
        self.webhooks.append(webhook_id)
        self.acknowledged += delivery.status == 202

    def settle(self, newest: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not (
                self.d.inbox_depth() == 0 and package_field(self.d, FIELD) == newest):
            time.sleep(0.2)
        seconds = time.monotonic() - self.started
        new = [h for h in self._revisions() if h not in self.revisions]
        records = [self._record(h) for h in new]
        return {
            "scenario": self.name, "acknowledged": self.acknowledged,
            "lost": sum(1 for w in set(self.webhooks) if not self._processed(w)),
            "dead_letters": self.d.dead_letters() - self.dead, "exports": self.d.exports() - self.exports,
            "revisions": len(new), "duplicate_revisions": len(records) - len(set(records)),
            "newest_state_packaged": package_field(self.d, FIELD) == newest,
            "redeliveries_skipped": self.tasks.log_lines("duplicate delivery skipped") - self.skipped,
            "seconds": round(seconds, 1),
        }

    def _processed(self, webhook_id: str) -> bool:
        assert self.tasks.env.moto is not None and self.tasks.env.aws is not None
        item = self.tasks.env.moto.client("dynamodb").get_item(
            TableName=self.tasks.env.aws.state_table or "", Key={"pk": {"S": f"webhook#{webhook_id}"}},
            ConsistentRead=True)
        return "Item" in item

    def _revisions(self) -> list[str]:
        prefix = f".quilt/named_packages/{self.d.package_name}/"
        pages = self.d.s3.get_paginator("list_objects_v2").paginate(Bucket=self.d.aws.bucket, Prefix=prefix)
        return [self.d.s3.get_object(Bucket=self.d.aws.bucket, Key=o["Key"])["Body"].read().decode().strip()
                for page in pages for o in page.get("Contents", []) if not o["Key"].endswith("/latest")]

    def _record(self, top_hash: str) -> str:
        body = self.d.s3.get_object(Bucket=self.d.aws.bucket, Key=f".quilt/packages/{top_hash}")["Body"].read()
        meta = json.loads(body.splitlines()[0]).get("user_meta") or {}
        return json.dumps(meta.get("fields"), sort_keys=True)


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    settings = {**COMPRESSED_TIME, EnvVars.INBOX_MAX_AGE_SECONDS: str(args.max_age)}
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-many-tasks-") as tmp, \
            LocalTasks(LocalEnvironment(log_dir=Path(tmp)), workers=args.workers, settings=settings) as tasks:
        d = DemoDriver(tasks.env, timeout=args.timeout)
        try:
            first = Scenario(tasks, d, "first revision")
            first.edit("30.0")
            first.settle("30.0", args.timeout)

            burst = Scenario(tasks, d, "burst")
            values = [f"{40 + i / 10:.1f}" for i in range(args.burst)]
            for value in values:
                burst.edit(value)
            results.append(burst.settle(values[-1], args.timeout))

            replays = Scenario(tasks, d, "replays")
            values = [f"{50 + i / 10:.1f}" for i in range(args.burst)]
            for value in values[:-1]:
                d.sandbox.api.update_field(ENTRY_ID, FIELD, value)
            d.sandbox.api.update_field(ENTRY_ID, FIELD, values[-1])
            ids = [f"msg_{uuid.uuid4().hex[:20]}" for _ in values]
            with ThreadPoolExecutor(8) as pool:  # concurrent requests: the web task packs them
                list(pool.map(lambda w: replays.edit("", webhook_id=w), ids + ids[:5]))
            results.append(replays.settle(values[-1], args.timeout))

            outage = Scenario(tasks, d, "outage")
            d.sandbox.api.outage(args.outage)
            values = [f"{60 + i / 10:.1f}" for i in range(args.outage_events)]
            gap = args.outage * 0.8 / max(1, len(values))
            for value in values:
                outage.edit(value)
                time.sleep(gap)  # events keep arriving through the outage
            result = outage.settle(values[-1], args.outage + args.timeout)
            result["outage_seconds"] = args.outage
            results.append(result)
        finally:
            d.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--outage", type=float, default=60.0, help="seconds of 503s")
    parser.add_argument("--outage-events", type=int, default=10)
    parser.add_argument("--max-age", type=float, default=300.0, help="INBOX_MAX_AGE_SECONDS of the workers")
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = run(args)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        keys = list(results[0])
        print(" | ".join(keys))
        for row in results:
            print(" | ".join(str(row.get(k, "")) for k in keys))
    bad = [r for r in results if r["lost"] or r["dead_letters"] or r["duplicate_revisions"]
           or not r["newest_state_packaged"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
