"""The worker with a state table (``STATE_TABLE``): an entry leased by another task is deferred, a run that
loses its lease writes nothing more, and a webhook id is processed once (moto, the sandbox)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from benchling_webhook.aws.state_table import create_state_table
from benchling_webhook.errors import EntryBusy, LeaseLost
from benchling_webhook.sandbox.benchling import SandboxServer
from benchling_webhook.sandbox.moto_server import MotoServer
from benchling_webhook.server.settings import ServerSettings
from benchling_webhook.server.worker.state import StateTable, lease_key
from tests.functional.worker.conftest import BUCKET, ENTRY_ID, PREFIX, entry_event, handle, keys, revisions
from tests.helpers import wait_for

TABLE = "benchling-webhook-state"


@pytest.fixture
def shared(aws: MotoServer, settings: ServerSettings) -> tuple[ServerSettings, StateTable]:
    """This worker's settings with the table, and another task's view of it."""
    create_state_table(aws.client("dynamodb"), TABLE)
    return (settings.model_copy(update={"state_table": TABLE, "lease_seconds": 1.5}),
            StateTable(aws.client("dynamodb"), TABLE, owner="other-task"))


def test_an_entry_leased_by_another_task_is_deferred_then_packaged(
        sandbox: SandboxServer, shared: tuple[ServerSettings, StateTable], s3: Any) -> None:
    settings, other = shared
    assert other.acquire(lease_key(ENTRY_ID), 60) is None
    taken = time.time()
    [busy] = handle(settings, entry_event(sandbox))
    elapsed = time.time() - taken
    # retry when the holder's 60 s lease ends: 60 s less the time since it was taken (+1 s of clock rounding)
    assert isinstance(busy, EntryBusy) and 60 - elapsed - 1 <= busy.retry_after <= 60
    assert sandbox.state.api.export_count() == 0 and revisions(s3) == []

    other.release(lease_key(ENTRY_ID))
    assert handle(settings, entry_event(sandbox)) == [None]
    assert len(revisions(s3)) == 1 and other.holder(lease_key(ENTRY_ID)) is None  # released after the run


def test_a_run_that_lost_its_lease_neither_prunes_nor_publishes(
        aws: MotoServer, sandbox: SandboxServer, shared: tuple[ServerSettings, StateTable], s3: Any) -> None:
    settings, other = shared
    s3.put_object(Bucket=BUCKET, Key=PREFIX + "stale/leftover.txt", Body=b"old")
    sandbox.state.api.export_delay_seconds = 2.0  # the run is mid-export when the lease moves on

    def take_over() -> None:  # as if this task had stalled past its lease and another took it
        wait_for(lambda: other.holder(lease_key(ENTRY_ID)) is not None, "the run's lease")
        aws.client("dynamodb").put_item(TableName=TABLE, Item={
            "pk": {"S": lease_key(ENTRY_ID)}, "owner": {"S": other.owner}, "until": {"N": "9999999999"},
            "expires_at": {"N": "9999999999"}})

    thief = threading.Thread(target=take_over)
    thief.start()
    [lost] = handle(settings, entry_event(sandbox))
    thief.join()
    assert isinstance(lost, LeaseLost)
    assert "stale/leftover.txt" in keys(s3) and revisions(s3) == []


def test_a_webhook_id_is_processed_once_whichever_task_receives_it(
        sandbox: SandboxServer, shared: tuple[ServerSettings, StateTable], s3: Any) -> None:
    settings, other = shared
    event = entry_event(sandbox)
    assert handle(settings, event) == [None]
    assert other.done(event.webhook_id)
    sandbox.state.api.update_field(ENTRY_ID, "Hypothesis", "changed after the first delivery")
    assert handle(settings, event) == [None]  # the re-delivery: skipped, not re-processed
    assert sandbox.state.api.export_count() == 1 and len(revisions(s3)) == 1
