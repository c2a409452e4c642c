"""The contract between the inbox consumer and the event processing.

The consumer (``runner.py``) owns SQS: receiving, keeping in-flight messages invisible while they
are processed, deleting after success, retrying and dead-lettering. The processor owns meaning: it
``handle()``s one message at a time (called concurrently) and returns once the work that covers the
message is done. Coalescing happens inside the processor: several ``handle()`` calls for the same entry
may be satisfied by one export, and all of them return when it finishes.
"""

from __future__ import annotations

from typing import Protocol

from benchling_webhook.errors import BenchlingWebhookError
from benchling_webhook.server.events import InboxMessage


class PermanentFailure(BenchlingWebhookError):
    """Retrying cannot help (entry deleted, no access): dead-letter now, with this reason."""


class EventProcessor(Protocol):
    async def handle(self, message: InboxMessage) -> None:
        """Process (or join the processing of) one event; raise to retry, ``PermanentFailure`` to dead-letter."""
        ...

    async def aclose(self) -> None:
        """Finish or abandon in-flight work on shutdown."""
        ...
