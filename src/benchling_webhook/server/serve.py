"""Run a server process by role: ``web`` (uvicorn + ``create_app``), ``worker`` (``InboxConsumer``) or
``all`` (both on one event loop) — what ``benchling-webhook serve`` and the container run.

The worker's event processing comes from ``server/worker/processor.py::create_processor(settings)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Coroutine, Iterator
from typing import Any

from pydantic import ValidationError

from benchling_webhook.constants import EnvVars, ServerRole
from benchling_webhook.errors import ConfigError
from benchling_webhook.server.settings import ServerSettings
from benchling_webhook.server.tuning import GuardedHttpToolsProtocol, guarded, tune_process
from benchling_webhook.server.worker.protocol import EventProcessor
from benchling_webhook.server.worker.revisions import WorkerLoops, with_revision_events
from benchling_webhook.server.worker.runner import InboxConsumer

logger = logging.getLogger(__name__)



def load_settings() -> ServerSettings:
    """``ServerSettings`` from the environment; invalid values become one ``ConfigError`` naming them."""
    try:
        return ServerSettings()
    except ValidationError as exc:
        names = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})) or "settings"
        raise ConfigError(f"invalid server environment: {names}",
                          hint="correct the value of each variable named; deploy sets them from the profile") from None


async def create_event_processor(settings: ServerSettings) -> EventProcessor:
    """The worker's processor, imported here so the web role never loads the packaging stack."""
    from benchling_webhook.server.worker.processor import create_processor

    return create_processor(settings)


async def create_consumer(settings: ServerSettings) -> InboxConsumer | WorkerLoops:
    if not settings.inbox_queue_url:
        raise ConfigError(f"{EnvVars.INBOX_QUEUE_URL} is not set", hint="the worker role needs the inbox queue URL")
    processor = await create_event_processor(settings)
    inbox = InboxConsumer(processor, settings, max_in_flight=max(50, settings.worker_concurrency * 25))
    return with_revision_events(inbox, processor, settings)


async def run_worker(settings: ServerSettings) -> None:
    """The worker role until SIGTERM/SIGINT (graceful: in-flight events get a grace period)."""
    consumer = await create_consumer(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, consumer.stop)
    await consumer.run()


def serve(settings: ServerSettings, host: str = "0.0.0.0", port: int | None = None, role: ServerRole = "web") -> None:
    """Run the process in ``role`` until SIGTERM/SIGINT. Configuration errors raise before serving."""
    from benchling_webhook.server.logging import configure_logging

    configure_logging(settings.log_level)
    if role == "worker":
        tune_process(settings.server_tuning, role)
        _run_loop(run_worker(settings))
    else:
        _run_loop(_serve_http(settings, host, port or settings.port, role))


async def _serve_http(settings: ServerSettings, host: str, port: int, role: ServerRole) -> None:
    """uvicorn on this loop; in role ``all`` the consumer is built first (so a bad config fails fast) and
    runs inside the app's lifespan (uvicorn's SIGTERM handling stops both)."""
    import uvicorn

    from benchling_webhook.server.app import create_app

    background = (await create_consumer(settings),) if role == "all" else ()
    app = create_app(settings, background=background)
    tuned = tune_process(settings.server_tuning, role)  # after start-up: the heap it settles is complete
    # Headers must arrive within the read timeout, tuned or not (the body's own limit is the handler's).
    http = guarded(tuned if isinstance(tuned, type) and issubclass(tuned, GuardedHttpToolsProtocol)
                   else GuardedHttpToolsProtocol, settings.read_timeout_seconds)
    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, proxy_headers=False,
                            server_header=False, timeout_graceful_shutdown=25, lifespan="on", http=http)
    await _server_class()(config).serve()


def _flush_logs() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()


def _server_class() -> type:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, writing buffered log lines before it re-raises the signal that stopped it (which
        ends the process without ``atexit``, so ``logging.shutdown`` would never flush them)."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            with super().capture_signals():
                try:
                    yield
                finally:
                    _flush_logs()

    return Server


def _run_loop(coro: Coroutine[Any, Any, None]) -> None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
        asyncio.run(coro)
        return
    uvloop.run(coro)
