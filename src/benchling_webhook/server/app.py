"""``create_app(settings)``: the FastAPI app of the web role (docs/architecture.md).

Wiring, in one place: the secret store, the JWKS cache and verifier, the allowlist and the inbox are
built here from ``ServerSettings`` (or injected by tests), held by a ``ServerRuntime`` on
``app.state.runtime``, and closed by the lifespan. ``WebhookApp`` hands webhook POSTs to the plain-ASGI
``WebhookEndpoint`` (see ``routes/webhooks.py``) before any of FastAPI's per-request machinery; FastAPI
serves health and the OpenAPI docs.

Errors map to HTTP in one table, ``routes/webhooks.py::ERROR_ANSWERS``: the webhook handler answers
with it, and so does the one exception handler of FastAPI's routes — anything unexpected is logged and
answered 503, never 500, so Benchling retries.

Configuration problems do not stop the process: it starts *degraded* (``/health`` says why, webhooks
get 503) and heals when the secret appears. Disabling verification is logged loudly at start-up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from benchling_webhook import __version__
from benchling_webhook.constants import EnvVars
from benchling_webhook.errors import ConfigError
from benchling_webhook.server.deps import ServerRuntime
from benchling_webhook.server.inbox import Inbox, create_inbox
from benchling_webhook.server.routes import health, webhooks
from benchling_webhook.server.secrets import BenchlingSecretStore, create_secret_store
from benchling_webhook.server.security.allowlist import AllowList
from benchling_webhook.server.security.jwks import JwksCache
from benchling_webhook.server.security.signature import SignatureVerifier
from benchling_webhook.server.settings import ServerSettings, get_settings

logger = logging.getLogger(__name__)


class WebhookApp(FastAPI):
    """FastAPI whose webhook POSTs skip FastAPI's per-request layers (the ack path's CPU budget is tight)."""

    webhook_endpoint: webhooks.WebhookEndpoint | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        endpoint = self.webhook_endpoint
        if endpoint is not None and scope["type"] == "http" and scope["method"] == "POST" \
                and webhooks.is_webhook_path(scope["path"]):
            await endpoint(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            super().openapi()["paths"].update(webhooks.openapi_paths())
        return super().openapi()


class BackgroundService(Protocol):
    """Something that runs beside the web role in one process (the inbox consumer in role ``all``)."""

    async def run(self) -> None: ...

    def stop(self) -> None: ...


def create_runtime(settings: ServerSettings, *, inbox: Inbox | None = None,
                   secrets: BenchlingSecretStore | None = None, jwks: JwksCache | None = None) -> ServerRuntime:
    """The web role's collaborators from ``settings``; tests inject any of them."""
    problems: list[str] = []
    try:
        allowlist = AllowList(settings.webhook_allow_list)
    except ConfigError as exc:
        problems.append(exc.message)
        allowlist = AllowList([])
    verifier = None
    if settings.enable_webhook_verification:
        verifier = SignatureVerifier(jwks or JwksCache(settings.benchling_jwks_url))
    inbox_factory = None
    if inbox is not None:
        inbox_factory = lambda: inbox  # noqa: E731
    elif settings.inbox_queue_url:
        url = settings.inbox_queue_url
        inbox_factory = lambda: create_inbox(url, settings.aws_region, settings.sqs_endpoint_url)  # noqa: E731
    else:
        problems.append(f"{EnvVars.INBOX_QUEUE_URL} is not set")
    return ServerRuntime(settings=settings, secrets=secrets or create_secret_store(settings), verifier=verifier,
                         allowlist=allowlist, inbox_factory=inbox_factory,
                         config_problem="; ".join(problems) or None)


def create_app(settings: ServerSettings | None = None, *, inbox: Inbox | None = None,
               secrets: BenchlingSecretStore | None = None, jwks: JwksCache | None = None,
               background: tuple[BackgroundService, ...] = ()) -> FastAPI:
    """The web app. ``background`` services start and stop with it (role ``all``)."""
    settings = settings or get_settings()
    runtime = create_runtime(settings, inbox=inbox, secrets=secrets, jwks=jwks)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if runtime.verifier is None:
            logger.warning(f"WEBHOOK SIGNATURE VERIFICATION IS DISABLED ({EnvVars.ENABLE_WEBHOOK_VERIFICATION}=false): "
                           "anyone who can reach this endpoint can inject events")
        _, problem = await runtime.readiness()
        if problem:
            logger.warning("starting degraded", extra={"reason": problem})
        else:
            logger.info("webhook server ready", extra={"version": __version__})
        tasks = [asyncio.create_task(service.run(), name=type(service).__name__) for service in background]
        summaries = asyncio.create_task(_summarise_rejections(webhooks.REJECTIONS), name="rejection-summary")
        try:
            yield
        finally:
            summaries.cancel()
            webhooks.REJECTIONS.flush()
            for service in background:
                service.stop()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            await runtime.aclose()

    # The API docs describe every route; behind the public edge they are off unless API_DOCS says otherwise.
    docs: dict[str, Any] = {} if settings.api_docs else {"docs_url": None, "redoc_url": None, "openapi_url": None}
    app = WebhookApp(title="benchling-webhook", version=__version__, lifespan=lifespan,
                     description="Receives Benchling webhooks, verifies them and queues them for the worker.", **docs)
    app.state.runtime = runtime
    app.include_router(health.router)
    app.webhook_endpoint = webhooks.WebhookEndpoint(runtime)
    app.add_exception_handler(Exception, _error_response)
    return app


async def _summarise_rejections(rejections: webhooks.RejectionLog) -> None:
    """Write the refused-requests summary every interval, also when no new refusal comes to trigger it."""
    while True:
        await asyncio.sleep(rejections.interval)
        rejections.flush()


async def _error_response(_: Request, exc: Exception) -> JSONResponse:
    """FastAPI's routes answer errors from the same table as the webhook handler."""
    status, payload = webhooks.error_answer(exc)
    return JSONResponse(payload, status_code=status)
