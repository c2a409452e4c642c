"""A stand-in for the Quilt stack's packaging engine and its package-revision events, on the emulator.

In Quilt Platform mode the worker sends each revision request to the Quilt stack's packager queue and
learns that the revision exists from a ``package-revision`` event (docs/quilt.md). ``SandboxPackager`` plays
the Quilt stack's part for the demo and the tests: it receives the packager queue's messages, packages
everything under ``source_prefix`` with quilt3 — the metadata read from ``metadata_uri``, the ``workflow``
if one is named — as the real engine does, and puts the event on the emulator's default EventBridge bus.
A rule there like the stack's (``constants.package_revision_pattern``) routes it to the revision-events
queue the worker drains. Content identical to the latest revision makes no revision and no event.

It runs in a thread of the process that starts it; ``emitted`` lists the events it put, oldest first.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from benchling_webhook.constants import PACKAGE_REVISION_EVENT, QUILT_EVENT_SOURCE
from benchling_webhook.sandbox.moto_server import MotoServer

log = logging.getLogger(__name__)

EMULATOR_CREDENTIALS = ("local-emulator", "local-emulator")  # what the emulator accepts; not secrets


def revision_event_detail(bucket: str, handle: str, top_hash: str) -> dict[str, Any]:
    """The ``detail`` of a ``package-revision`` event, as the Quilt stack publishes it."""
    return {"version": "0.1", "type": "created", "bucket": bucket, "handle": handle, "topHash": top_hash}


class SandboxPackager:
    """Receives ``queue_url`` (the packager queue on ``moto``), packages, emits events; ``start``/``stop``."""

    def __init__(self, moto: MotoServer, queue_url: str, *, wait_seconds: int = 1) -> None:
        self._moto = moto
        self.queue_url = queue_url
        self._wait = wait_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.emitted: list[dict[str, Any]] = []
        self.failures: list[str] = []

    def start(self) -> SandboxPackager:
        self._thread = threading.Thread(target=self._loop, name="sandbox-packager", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        sqs = self._moto.client("sqs")
        while not self._stop.is_set():
            try:
                answer = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                             WaitTimeSeconds=self._wait)
            except Exception as exc:  # the emulator is going away (close) or hiccuped: try again
                if self._stop.wait(0.2):
                    return
                log.debug("packager queue receive failed: %r", exc)
                continue
            for message in answer.get("Messages", []):
                try:
                    self.package(json.loads(message["Body"]))
                except Exception as exc:  # the real engine fails such a request too; the demo shows it
                    self.failures.append(f"{type(exc).__name__}: {exc}")
                    log.warning("sandbox packager failed: %r", exc)
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def package(self, request: dict[str, Any]) -> str | None:
        """Create the revision one packager message asks for; its top hash, or None when nothing changed."""
        from benchling_webhook.server.worker.package import DirectPackager, read_latest
        from benchling_webhook.server.worker.s3io import PackageLocation, StoredObject

        bucket, _, prefix = str(request["source_prefix"]).removeprefix("s3://").partition("/")
        s3 = self._moto.client("s3")
        location = PackageLocation(s3, bucket, prefix)
        objects = [StoredObject(key, location.key(key), size, None) for key, size in
                   sorted(location.list_objects().items())]
        metadata = json.loads(s3.get_object(Bucket=bucket, Key=location.key(request["metadata_uri"]))["Body"].read())
        name = str(request["package_name"])
        packager = DirectPackager(self._moto.endpoint_url, workflow=request.get("workflow"),
                                  credentials=EMULATOR_CREDENTIALS)
        top_hash, created = packager.publish(location, name, objects, metadata, str(request.get("commit_message")),
                                             read_latest(s3, bucket, name))
        if not created or top_hash is None:
            return None
        detail = revision_event_detail(bucket, name, top_hash)
        self._moto.client("events").put_events(Entries=[{
            "Source": QUILT_EVENT_SOURCE, "DetailType": PACKAGE_REVISION_EVENT, "Detail": json.dumps(detail)}])
        self.emitted.append(detail)
        return top_hash
