"""Worker fixtures: a Benchling client on the sandbox, settings pointing at sandbox + moto."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from benchling_webhook.sandbox.api import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from benchling_webhook.sandbox.benchling import SandboxServer
from benchling_webhook.sandbox.moto_server import MotoServer
from benchling_webhook.sandbox.signing import new_webhook_id
from benchling_webhook.sandbox.tenant import GeneratedTenant, generate_tenant
from benchling_webhook.server.benchling.client import BenchlingClient
from benchling_webhook.server.events import InboxMessage
from benchling_webhook.server.settings import ServerSettings
from benchling_webhook.server.worker.processor import EntryEventProcessor, create_processor
from benchling_webhook.server.worker.runner import InboxConsumer
from tests.helpers import FakeClock, load_fixture, run_consumer_until

if TYPE_CHECKING:
    from tests.functional.worker.backfill_support import Deployed


@pytest.fixture(autouse=True)
def _no_quilt3_manifest_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """quilt3 caches manifests by top hash across tests; after a moto reset the same top hash comes back
    with new object versions, so a cached manifest would point at versions that no longer exist."""
    import quilt3.util

    monkeypatch.setattr(quilt3.util, "IS_CACHE_ENABLED", False)


@pytest.fixture
def clock() -> FakeClock:
    """The retry policy's waits are recorded on it instead of slept."""
    return FakeClock()


@pytest.fixture
def benchling(sandbox: SandboxServer, clock: FakeClock) -> Iterator[BenchlingClient]:
    client = BenchlingClient(sandbox.url, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, sleep=clock.sleep)
    yield client
    client.close()


BUCKET = "quilt-packages"
ENTRY_ID = "etr_Ab12Cd34"
DISPLAY_ID = "EXP26000042"
PACKAGE = f"benchling/{DISPLAY_ID}"
PREFIX = f"benchling/{DISPLAY_ID}/"
SECRET_NAME = "benchling-webhook/sandbox"


@pytest.fixture
def s3(aws: MotoServer) -> Any:
    client = aws.client("s3")
    client.create_bucket(Bucket=BUCKET)
    client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return client


@pytest.fixture
def settings(aws: MotoServer, sandbox: SandboxServer, s3: Any) -> ServerSettings:
    aws.client("secretsmanager").create_secret(Name=SECRET_NAME, SecretString=json.dumps({
        "tenant": "acme-bio", "client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET,
        "app_definition_id": "appdef_T4nB7cWq1s"}))
    return ServerSettings(PACKAGE_BUCKET=BUCKET, AWS_ENDPOINT_URL=aws.endpoint_url, AWS_REGION="us-east-1",
                          BENCHLING_BASE_URL=sandbox.url, BenchlingSecret=SECRET_NAME,
                          COALESCE_QUIET_SECONDS=0.05, COALESCE_MAX_SECONDS=1.0, EXPORT_TIMEOUT_SECONDS=20)


def inbox_message(sandbox: SandboxServer, message: dict[str, Any], webhook_id: str | None = None) -> InboxMessage:
    """An inbox message as the web role stores it, around a ``message`` from this sandbox's tenant."""
    return InboxMessage.model_validate({"webhookId": webhook_id or new_webhook_id(),
                                        "receivedAt": datetime.now(UTC).isoformat(),
                                        "envelope": sandbox.state.envelope(message)})


def entry_event(sandbox: SandboxServer, entry_id: str = ENTRY_ID,
                kind: str = "v2.entry.updated.fields") -> InboxMessage:
    message = load_fixture("benchling/webhooks/entry-updated-fields.json")["message"]
    return inbox_message(sandbox, {**message, "type": kind, "resourceId": entry_id})


def create(settings: ServerSettings, canvas: bool = False, **kwargs: Any) -> EntryEventProcessor:
    """The processor as ``serve --role worker`` builds it; canvas rendering (and app sessions) off unless
    ``canvas`` or hooks are given."""
    if not canvas:
        kwargs.setdefault("canvas_hooks", None)
    processor = create_processor(settings, **kwargs)
    processor.pipeline.export_retry_delay = 0.05
    processor.pipeline.export_first_poll = 0.05
    return processor


def handle(settings: ServerSettings, *messages: InboxMessage, **kwargs: Any) -> list[BaseException | None]:
    """Handle ``messages`` concurrently on a fresh processor; the outcome of each call (None = done)."""

    async def scenario() -> list[BaseException | None]:
        processor = create(settings, **kwargs)
        try:
            results = await asyncio.gather(*(processor.handle(m) for m in messages), return_exceptions=True)
        finally:
            await processor.aclose()
        return [r if isinstance(r, BaseException) else None for r in results]

    return asyncio.run(scenario())


def inbox_consumer(settings: ServerSettings) -> InboxConsumer:
    """The worker's consumer (inbox and backfill queue) on a fresh processor: 1 s polls, no retry backoff.

    Visibility well above the heartbeat: a loaded CI machine must not let in-flight messages reappear."""
    return InboxConsumer(create(settings), settings, wait_time_seconds=1, visibility_timeout=30,
                         backoff_base=0.0, shutdown_grace=5.0)


def consume_until(settings: ServerSettings, done: Callable[[InboxConsumer], bool],
                  timeout: float = 60.0) -> InboxConsumer:
    """Run ``inbox_consumer`` until ``done(consumer)``; returns the stopped consumer."""

    async def scenario() -> InboxConsumer:
        consumer = inbox_consumer(settings)
        await run_consumer_until(consumer, lambda: done(consumer), timeout)
        return consumer

    return asyncio.run(scenario())


def send(sqs: Any, settings: ServerSettings, *messages: InboxMessage) -> None:
    """What the web role does: one message per webhook, MessageGroupId = webhook id."""
    for m in messages:
        sqs.send_message(QueueUrl=settings.inbox_queue_url, MessageBody=m.to_body(), MessageGroupId=m.webhook_id,
                         MessageDeduplicationId=m.webhook_id)


def keys(s3: Any, prefix: str = PREFIX) -> set[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return {item["Key"][len(prefix):] for page in pages for item in page.get("Contents", [])}


def read_json(s3: Any, key: str) -> Any:
    return json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def revisions(s3: Any, name: str = PACKAGE) -> list[str]:
    """Timestamp pointers of a package: one per revision pushed."""
    return sorted(k for k in keys(s3, f".quilt/named_packages/{name}/") if k != "latest")


@pytest.fixture
def tenant(sandbox: SandboxServer) -> GeneratedTenant:
    """250 generated entries (every 50th archived) besides the fixture entry."""
    return generate_tenant(sandbox.state.api, 250, archived_every=50)


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[BenchlingClient]:
    with BenchlingClient(sandbox.url, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET) as c:
        yield c


@pytest.fixture
def deployed(aws: MotoServer, sandbox: SandboxServer, settings: ServerSettings, isolation: Path) -> Deployed:
    """A profile ``dev`` deployed on moto (stack outputs, queues, secret) whose tenant is the sandbox."""
    from tests.functional.worker.backfill_support import deploy

    return deploy(aws, sandbox, settings, isolation)
