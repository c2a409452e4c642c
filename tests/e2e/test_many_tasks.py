"""Two worker tasks on one inbox and state table, as the stack runs them, with the sandbox as Benchling.

Real processes (``serve --role web`` and two ``serve --role worker``) on moto and the sandbox; time is
compressed through the container's settings (``sandbox/tasks.py: COMPRESSED_TIME``: 3 s leases, 6 s
visibility, retries every 0.5 to 2 s, give-up after 120 s). The scenarios share the tasks and run in order;
the last one kills a worker.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from benchling_webhook.sandbox.demo import DISPLAY_ID, ENTRY_ID, FEATURE_ID, DemoDriver, package_field
from benchling_webhook.sandbox.environment import DEMO_SECRET_NAME, LocalEnvironment
from benchling_webhook.sandbox.tasks import LocalTasks, missing_objects
from benchling_webhook.server.benchling.client import SECRET_REREAD
from benchling_webhook.server.events import Envelope, InboxMessage

FIELD = "Temperature (C)"


@pytest.fixture(scope="module")
def tasks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTasks]:
    with LocalTasks(LocalEnvironment(log_dir=tmp_path_factory.mktemp("tasks"))) as running:
        yield running


@pytest.fixture(scope="module")
def driver(tasks: LocalTasks) -> Iterator[DemoDriver]:
    d = DemoDriver(tasks.env, timeout=120)
    yield d
    d.close()


def update(d: DemoDriver, value: str, webhook_id: str | None = None) -> None:
    d.sandbox.api.update_field(ENTRY_ID, FIELD, value)
    delivery = d.send({"type": "v2.entry.updated.fields", "deprecated": False, "excludedProperties": [],
                       "id": f"evt_{uuid.uuid4().hex[:8]}", "createdAt": "2026-11-20T14:07:44Z",
                       "resourceId": ENTRY_ID, "updates": [f"fields.{FIELD}"]}, webhook_id=webhook_id)
    assert delivery.status == 202, delivery


def settled_on(d: DemoDriver, value: str) -> bool:
    return d.inbox_depth() == 0 and package_field(d, FIELD) == value


def test_a_burst_on_both_workers_packages_exactly_the_newest_state(tasks: LocalTasks, driver: DemoDriver) -> None:
    exports_before = driver.exports()
    for i in range(50):
        update(driver, f"{40 + i / 10:.1f}")
    driver.wait("the newest state packaged", lambda: settled_on(driver, "44.9"))
    assert driver.exports() - exports_before <= 2
    assert missing_objects(driver.s3, driver.aws.bucket, driver.package_name) == []
    assert driver.dead_letters() == 0
    handled = [log.count('"event done"') + log.count("event deferred") for log in tasks.logs()]
    assert len(handled) == 2 and all(handled), handled  # both workers took part


def test_a_replayed_canvas_initialized_on_both_workers_makes_one_canvas(tasks: LocalTasks,
                                                                        driver: DemoDriver) -> None:
    message = {"type": "v2.canvas.initialized", "deprecated": False, "excludedProperties": [],
               "featureId": FEATURE_ID, "resourceId": ENTRY_ID, "userId": "ent_Yw2Kp0Rd"}
    webhook_id = f"msg_{uuid.uuid4().hex[:20]}"
    assert driver.send(message, path="/canvas", webhook_id=webhook_id).status == 202
    # The same delivery replayed past SQS's 5-minute de-duplication, twice, plus a second insertion of the
    # same canvas (a new webhook id): one canvas however they are spread over the workers.
    replay = InboxMessage(webhook_id=webhook_id, received_at=datetime.now(UTC),
                          envelope=Envelope.model_validate(driver.sandbox.envelope(message))).to_body()
    for copy in range(2):
        driver.sqs.send_message(QueueUrl=driver.aws.inbox_url, MessageBody=replay,
                                MessageGroupId=f"replay-{copy}", MessageDeduplicationId=f"replay-{copy}")
    assert driver.send(message, path="/canvas").status == 202
    driver.wait("the canvas events handled", lambda: driver.inbox_depth() == 0 and driver.canvas_settled())
    assert len(entry_canvases(driver)) == 1
    # Once processed, the webhook id is known to every task: one more replay is skipped wherever it lands.
    skipped = tasks.log_lines("duplicate delivery skipped")
    driver.sqs.send_message(QueueUrl=driver.aws.inbox_url, MessageBody=replay,
                            MessageGroupId="replay-late", MessageDeduplicationId="replay-late")
    driver.wait("the late replay skipped", lambda: tasks.log_lines("duplicate delivery skipped") > skipped)
    assert len(entry_canvases(driver)) == 1
    assert driver.dead_letters() == 0


def entry_canvases(d: DemoDriver) -> list[dict[str, object]]:
    with d.sandbox.canvases.lock:
        return [c for c in d.sandbox.canvases.canvases.values() if c.get("resourceId") == ENTRY_ID]


def test_a_secret_rotated_while_events_are_in_flight_dead_letters_nothing(tasks: LocalTasks,
                                                                          driver: DemoDriver) -> None:
    rereads = tasks.log_lines(SECRET_REREAD)
    for i in range(3):
        update(driver, f"50.{i}")
    # The admin rotates the client secret in Benchling and updates the app's secret in AWS; the workers
    # still cache the old one (and a token Benchling no longer accepts).
    new_secret = driver.sandbox.api.rotate_client_secret()
    secrets = tasks.env.moto.client("secretsmanager")  # type: ignore[union-attr]
    value = json.loads(secrets.get_secret_value(SecretId=DEMO_SECRET_NAME)["SecretString"])
    secrets.put_secret_value(SecretId=DEMO_SECRET_NAME, SecretString=json.dumps({**value, "client_secret": new_secret}))
    driver.wait("the newest state packaged", lambda: settled_on(driver, "50.2"))
    assert driver.dead_letters() == 0
    assert tasks.log_lines(SECRET_REREAD) > rereads


def test_a_benchling_outage_longer_than_any_receive_limit_is_ridden_out(tasks: LocalTasks,
                                                                        driver: DemoDriver) -> None:
    driver.sandbox.api.outage(25)  # every call 503s: 12 retry steps of 0.5 to 2 s, far past 5 receives
    started = time.monotonic()
    for i in range(5):
        update(driver, f"60.{i}")
    driver.wait("the newest state packaged after the outage", lambda: settled_on(driver, "60.4"))
    assert time.monotonic() - started >= 20  # nothing could be packaged during the outage
    assert driver.dead_letters() == 0
    assert tasks.log_lines("event failed; will retry") >= 2


def test_the_other_worker_finishes_after_a_killed_holders_lease_expires(tasks: LocalTasks,
                                                                        driver: DemoDriver,
                                                                        tmp_path: Path) -> None:
    driver.sandbox.api.export_delay_seconds = 6.0  # the holder is mid-export when it dies
    update(driver, "70.0")
    driver.wait("a worker taking the entry's lease", lambda: tasks.lease_holder(ENTRY_ID) is not None)
    holder = tasks.lease_holder(ENTRY_ID)
    assert holder is not None
    tasks.kill(holder)
    driver.wait("the surviving worker packaging the entry", lambda: settled_on(driver, "70.0"))
    assert driver.dead_letters() == 0
    assert missing_objects(driver.s3, driver.aws.bucket, f"benchling/{DISPLAY_ID}") == []
    driver.sandbox.api.export_delay_seconds = 0.0
