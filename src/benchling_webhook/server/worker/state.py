"""What the worker tasks share: entry leases, webhook dedupe records and canvas claims (``STATE_TABLE``).

The stack runs 2 to 10 tasks on one inbox. Each SQS message is its own message group (server/inbox.py),
so any task may receive any event, and coalescing (``coalesce.py``) only joins events inside one process.
The DynamoDB table the stack creates makes the tasks agree, with one conditional write per decision:

* ``lease#<entry id>`` — one writer per entry. A run takes the lease before it reads the entry and holds
  it through export, prune and publish; ``EntryLeases`` renews it every third of its duration and deletes
  it after. A holder that dies stops renewing, so its lease expires (``until``) and the next task takes
  it over. A task that finds the lease held defers the event (``EntryBusy``): the event returns to the
  inbox shortly and runs after the holder, re-reading the entry, so the newest state always wins.
* ``webhook#<webhook id>`` — written once the event is done. A re-delivered webhook (Benchling retries,
  a replay that SQS's 5-minute deduplication did not catch, a copy inside a pack) is then skipped on any
  task: a webhook id is processed at most once while its record lives (``DEDUPE_SECONDS``).
* ``canvas#<entry id>#<feature id>`` — the entry's canvas. The first ``canvas.initialized`` claims the
  key (a short claim, so a crashed creator's claim lapses), creates the canvas and records its id; every
  later one, on whichever task, renders that canvas instead of creating another.

Items carry ``expires_at`` (whole epoch seconds) for DynamoDB's TTL, which deletes expired items within
days, not at once; every read therefore also checks ``until`` (epoch seconds, fractional) itself.
Without ``STATE_TABLE`` (unit tests, one process) there is no table and the process's own coalescing is
all there is.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from benchling_webhook.aws.errors import error_code
from benchling_webhook.aws.state_table import PARTITION_KEY, TTL_ATTRIBUTE
from benchling_webhook.errors import EntryBusy, LeaseLost

log = logging.getLogger(__name__)

DEDUPE_SECONDS = 7 * 24 * 3600  # longer than Benchling keeps re-delivering a webhook
CANVAS_CLAIM_SECONDS = 60.0  # time to create a canvas before another task may try
CANVAS_RECORD_SECONDS = 90 * 24 * 3600
_CONDITION_FAILED = "ConditionalCheckFailedException"


def task_owner() -> str:
    """This process's name in leases and claims: host, pid and a random part (pids repeat across tasks)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Holder:
    """Who holds a lease or claim, and until when (epoch seconds)."""

    owner: str
    until: float


class StateTable:
    """Conditional reads and writes of the shared table (see the module docstring); blocking (boto3).

    Args:
        client: a boto3 DynamoDB client.
        table: the table's name (``STATE_TABLE``).
        owner: this process (``task_owner()``).
        clock: epoch seconds (leases are compared across tasks, so wall-clock time, not monotonic).
    """

    def __init__(self, client: Any, table: str, *, owner: str | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._db = client
        self.table = table
        self.owner = owner or task_owner()
        self._clock = clock

    # -- leases --------------------------------------------------------------------------------------
    def acquire(self, key: str, seconds: float) -> Holder | None:
        """Take (or take over an expired) lease on ``key``; ``None`` when taken, else the current holder."""
        now = self._clock()
        try:
            self._db.put_item(
                TableName=self.table, Item=self._item(key, now + seconds),
                ConditionExpression="attribute_not_exists(pk) OR #until < :now OR #owner = :me",
                ExpressionAttributeNames={"#until": "until", "#owner": "owner"},
                ExpressionAttributeValues={":now": _n(now), ":me": {"S": self.owner}})
            return None
        except Exception as exc:
            if error_code(exc) != _CONDITION_FAILED:
                raise
        holder = self.holder(key)
        return holder or Holder("unknown", now + 1.0)  # released meanwhile: try again soon

    def renew(self, key: str, seconds: float) -> bool:
        """Extend our lease on ``key``; ``False`` when it is no longer ours (it expired and was taken)."""
        until = self._clock() + seconds
        try:
            self._db.update_item(
                TableName=self.table, Key={PARTITION_KEY: {"S": key}},
                UpdateExpression="SET #until = :until, #ttl = :ttl",
                ConditionExpression="#owner = :me",
                ExpressionAttributeNames={"#until": "until", "#ttl": TTL_ATTRIBUTE, "#owner": "owner"},
                ExpressionAttributeValues={":until": _n(until), ":ttl": _ttl(until), ":me": {"S": self.owner}})
            return True
        except Exception as exc:
            if error_code(exc) == _CONDITION_FAILED:
                return False
            raise

    def release(self, key: str) -> None:
        """Delete our lease on ``key`` (nothing happens when it is no longer ours)."""
        try:
            self._db.delete_item(TableName=self.table, Key={PARTITION_KEY: {"S": key}},
                                 ConditionExpression="#owner = :me",
                                 ExpressionAttributeNames={"#owner": "owner"},
                                 ExpressionAttributeValues={":me": {"S": self.owner}})
        except Exception as exc:
            if error_code(exc) != _CONDITION_FAILED:
                raise

    def holder(self, key: str) -> Holder | None:
        """The live holder of ``key``, or ``None`` when nobody holds it."""
        item = self._get(key)
        if item is None or "owner" not in item:
            return None
        until = float(item.get("until", {}).get("N", "0"))
        return Holder(item["owner"]["S"], until) if until >= self._clock() else None

    # -- webhook dedupe ------------------------------------------------------------------------------
    def done(self, webhook_id: str) -> bool:
        """Whether an event with this webhook id was already processed (by any task)."""
        item = self._get(f"webhook#{webhook_id}")
        return item is not None and float(item.get("until", {}).get("N", "0")) >= self._clock()

    def mark_done(self, webhook_id: str) -> None:
        now = self._clock()
        self._db.put_item(TableName=self.table, Item=self._item(f"webhook#{webhook_id}", now + DEDUPE_SECONDS))

    # -- canvas claims -------------------------------------------------------------------------------
    def canvas_for(self, entry_id: str, feature_id: str) -> str | None:
        """The canvas recorded for this entry and feature."""
        item = self._get(_canvas_key(entry_id, feature_id))
        if item is None or float(item.get("until", {}).get("N", "0")) < self._clock():
            return None
        canvas = item.get("canvas_id", {}).get("S")
        return canvas if isinstance(canvas, str) else None

    def claim_canvas(self, entry_id: str, feature_id: str, *, replace: str | None = None) -> Holder | None:
        """Claim the right to create the canvas; ``None`` when claimed, else who is creating it.

        ``replace`` is a recorded canvas that turned out to be gone: the claim may overwrite its record.
        """
        now = self._clock()
        values: dict[str, Any] = {":now": _n(now), ":me": {"S": self.owner}}
        condition = "attribute_not_exists(pk) OR #until < :now OR #owner = :me"
        if replace is not None:
            condition += " OR canvas_id = :gone"
            values[":gone"] = {"S": replace}
        try:
            self._db.put_item(TableName=self.table, Item=self._item(_canvas_key(entry_id, feature_id),
                                                                   now + CANVAS_CLAIM_SECONDS),
                              ConditionExpression=condition,
                              ExpressionAttributeNames={"#until": "until", "#owner": "owner"},
                              ExpressionAttributeValues=values)
            return None
        except Exception as exc:
            if error_code(exc) != _CONDITION_FAILED:
                raise
        item = self._get(_canvas_key(entry_id, feature_id)) or {}
        return Holder(item.get("owner", {}).get("S", "unknown"), float(item.get("until", {}).get("N", now + 1)))

    def record_canvas(self, entry_id: str, feature_id: str, canvas_id: str) -> None:
        until = self._clock() + CANVAS_RECORD_SECONDS
        item = self._item(_canvas_key(entry_id, feature_id), until)
        item["canvas_id"] = {"S": canvas_id}
        self._db.put_item(TableName=self.table, Item=item)

    # -- plumbing ------------------------------------------------------------------------------------
    def _item(self, key: str, until: float) -> dict[str, Any]:
        return {PARTITION_KEY: {"S": key}, "owner": {"S": self.owner}, "until": _n(until),
                TTL_ATTRIBUTE: _ttl(until)}

    def _get(self, key: str) -> dict[str, Any] | None:
        answer = self._db.get_item(TableName=self.table, Key={PARTITION_KEY: {"S": key}}, ConsistentRead=True)
        item: dict[str, Any] | None = answer.get("Item")
        return item


class EntryLeases:
    """One writer per entry across tasks: ``with leases.hold(entry_id) as check: ...`` (module docstring).

    ``hold`` raises ``EntryBusy`` when another task holds the entry. ``check()`` raises ``LeaseLost`` once
    the lease could not be renewed (this task stalled past its lease and another took over): the run must
    not prune or publish after that. One thread renews every held lease every ``seconds / 3``.
    """

    def __init__(self, table: StateTable, seconds: float) -> None:
        self.table = table
        self.seconds = seconds
        self._held: dict[str, threading.Event] = {}  # entry id -> set when the lease was lost
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._renewer: threading.Thread | None = None

    @contextmanager
    def hold(self, entry_id: str) -> Iterator[Callable[[], None]]:
        key = lease_key(entry_id)
        holder = self.table.acquire(key, self.seconds)
        if holder is not None:
            raise EntryBusy(entry_id, retry_after=max(0.5, holder.until - time.time()))
        lost = threading.Event()
        with self._lock:
            self._held[key] = lost
            self._start_renewer()

        def check() -> None:
            if lost.is_set():
                raise LeaseLost(entry_id)

        try:
            yield check
        finally:
            with self._lock:
                self._held.pop(key, None)
            if not lost.is_set():
                try:
                    self.table.release(key)
                except Exception:  # it expires on its own
                    log.warning("could not release a lease", extra={"entry_id": entry_id}, exc_info=True)

    def close(self) -> None:
        self._closed = True
        self._wake.set()

    def _start_renewer(self) -> None:
        if self._renewer is None or not self._renewer.is_alive():
            self._renewer = threading.Thread(target=self._renew_loop, name="lease-renewer", daemon=True)
            self._renewer.start()

    def _renew_loop(self) -> None:
        while not self._closed:
            self._wake.wait(self.seconds / 3)
            with self._lock:
                held = list(self._held.items())
            for key, lost in held:
                try:
                    if not self.table.renew(key, self.seconds):
                        lost.set()
                        log.warning("lease lost to another task", extra={"lease": key})
                except Exception:  # a failed renewal is retried; the lease still has two thirds to run
                    log.warning("could not renew a lease", extra={"lease": key}, exc_info=True)


def lease_key(entry_id: str) -> str:
    """The item of the entry's lease."""
    return f"lease#{entry_id}"


def _canvas_key(entry_id: str, feature_id: str) -> str:
    return f"canvas#{entry_id}#{feature_id}"


def _n(value: float) -> dict[str, str]:
    return {"N": f"{value:.3f}"}


def _ttl(until: float) -> dict[str, str]:
    """DynamoDB's TTL reads whole epoch seconds."""
    return {"N": str(math.ceil(until))}
