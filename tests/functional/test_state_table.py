"""The state table on the emulator: the stack's schema, and the leases, dedupe records and canvas claims the
worker tasks share through it (``server/worker/state.py``)."""

from __future__ import annotations

import pytest

from benchling_webhook.errors import EntryBusy, LeaseLost
from benchling_webhook.sandbox.benchling import SandboxState
from benchling_webhook.sandbox.environment import DEMO_STATE_TABLE, seed_aws
from benchling_webhook.sandbox.moto_server import MotoServer
from benchling_webhook.server.worker.state import EntryLeases, Holder, StateTable
from tests.helpers import wait_for


def test_seeded_emulator_has_the_state_table_on_demand_with_ttl(aws: MotoServer) -> None:
    resources = seed_aws(aws, SandboxState())
    dynamodb = aws.client("dynamodb")

    table = dynamodb.describe_table(TableName=DEMO_STATE_TABLE)["Table"]
    ttl = dynamodb.describe_time_to_live(TableName=DEMO_STATE_TABLE)["TimeToLiveDescription"]

    assert resources.state_table == DEMO_STATE_TABLE == "benchling-webhook-state"
    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "pk", "AttributeType": "S"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at")


@pytest.fixture
def tables(aws: MotoServer) -> tuple[StateTable, StateTable, list[float]]:
    """Two tasks' views of the seeded table, on one clock the test moves."""
    seed_aws(aws, SandboxState())
    now = [1_800_000_000.0]
    dynamodb = aws.client("dynamodb")
    return (StateTable(dynamodb, DEMO_STATE_TABLE, owner="task-a", clock=lambda: now[0]),
            StateTable(dynamodb, DEMO_STATE_TABLE, owner="task-b", clock=lambda: now[0]), now)


def test_one_holder_per_lease_until_it_expires_or_is_released(
        tables: tuple[StateTable, StateTable, list[float]]) -> None:
    a, b, now = tables
    assert a.acquire("lease#etr_1", 60) is None
    assert b.acquire("lease#etr_1", 60) == Holder("task-a", now[0] + 60)
    assert a.acquire("lease#etr_2", 60) is None  # another entry is another lease
    now[0] += 30
    assert a.renew("lease#etr_1", 60)
    now[0] += 45
    assert b.acquire("lease#etr_1", 60) is not None  # renewed: still held
    now[0] += 16
    assert b.acquire("lease#etr_1", 60) is None  # expired (its holder stopped renewing): taken over
    assert not a.renew("lease#etr_1", 60)  # the old holder learns it lost the lease
    a.release("lease#etr_1")  # and cannot release the new holder's
    assert a.holder("lease#etr_1") == Holder("task-b", now[0] + 60)
    b.release("lease#etr_1")
    assert a.holder("lease#etr_1") is None and a.acquire("lease#etr_1", 60) is None


def test_a_processed_webhook_is_known_to_every_task(tables: tuple[StateTable, StateTable, list[float]]) -> None:
    a, b, _ = tables
    assert not b.done("wh_1")
    a.mark_done("wh_1")
    assert b.done("wh_1") and not b.done("wh_2")


def test_one_canvas_per_entry_and_feature_across_tasks(tables: tuple[StateTable, StateTable, list[float]]) -> None:
    a, b, now = tables
    assert a.claim_canvas("etr_1", "quilt_entry") is None
    assert b.claim_canvas("etr_1", "quilt_entry") is not None  # a is creating it
    assert b.canvas_for("etr_1", "quilt_entry") is None
    a.record_canvas("etr_1", "quilt_entry", "cnvs_1")
    assert b.canvas_for("etr_1", "quilt_entry") == "cnvs_1"
    assert b.claim_canvas("etr_1", "quilt_entry") is not None  # recorded: nobody creates another
    assert b.claim_canvas("etr_1", "quilt_entry", replace="cnvs_1") is None  # unless that canvas is gone
    now[0] += 61
    assert a.claim_canvas("etr_2", "quilt_entry") is None


def test_a_held_lease_is_renewed_and_a_lost_one_stops_the_run(aws: MotoServer) -> None:
    seed_aws(aws, SandboxState())
    dynamodb = aws.client("dynamodb")
    mine, theirs = StateTable(dynamodb, DEMO_STATE_TABLE), StateTable(dynamodb, DEMO_STATE_TABLE)
    leases = EntryLeases(mine, seconds=1.5)  # renewed every 0.5 s
    try:
        with leases.hold("etr_1") as still_ours:
            first = mine.holder("lease#etr_1")
            assert first is not None
            wait_for(lambda: (mine.holder("lease#etr_1") or first).until > first.until, "a renewal")
            with pytest.raises(EntryBusy) as busy, EntryLeases(theirs, seconds=1.5).hold("etr_1"):
                pass
            assert 0 < busy.value.retry_after <= 1.5
            still_ours()  # nothing lost yet
            # The lease moves on as if this task had stalled past it and another took over.
            dynamodb.put_item(TableName=DEMO_STATE_TABLE, Item={
                "pk": {"S": "lease#etr_1"}, "owner": {"S": theirs.owner}, "until": {"N": "9999999999"},
                "expires_at": {"N": "9999999999"}})
            with pytest.raises(LeaseLost):
                wait_for(lambda: still_ours() and False, "the renewer noticing the loss", timeout=5)
        assert mine.holder("lease#etr_1") == Holder(theirs.owner, 9999999999.0)  # not released: not ours
    finally:
        leases.close()
