"""The local Benchling sandbox: a small HTTP server that speaks the subset of Benchling we use.

It is part of the package (``demo`` runs it) and powers the functional and end-to-end tests, so the
server and the worker talk to it over real HTTP exactly as they talk to Benchling.

Structure (built to be extended by several modules):

* ``SandboxState`` holds everything mutable — the signing key(s), and the stores the API routers add
  (entries, exports, canvases…). Routers reach it through ``StateDep``; tests reach it directly to
  seed data, inject faults and assert on what the app did.
* ``create_sandbox_app(state)`` builds the FastAPI app from a list of routers (``_routers()``): this
  module provides the JWKS route; ``sandbox/api.py`` (token, entries, folders, exports, tasks, files),
  ``sandbox/canvases.py`` (app canvases), ``sandbox/apps.py`` (configuration items, app sessions) and
  ``sandbox/tenant.py`` (listing entries over a large generated tenant) add theirs there.
* ``SandboxServer`` runs the app under uvicorn in a background thread on a free loopback port.

Key rotation: ``state.rotate_key()`` makes a new signer current; the old key stays published in the JWKS
until ``keep_old=False`` (or ``retire_key``) — the way Benchling rotates, so a verifier that caches the
JWKS must refetch it on a miss.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse

from benchling_webhook.sandbox.api import BenchlingApiState
from benchling_webhook.sandbox.apps import AppStore
from benchling_webhook.sandbox.canvases import CanvasStore
from benchling_webhook.sandbox.signing import WebhookSigner

DEFAULT_TENANT = "acme-bio"
DEFAULT_APP_DEFINITION_ID = "appdef_T4nB7cWq1s"


@dataclass
class SandboxState:
    """All mutable state of one sandbox; routers read and write it under ``lock``.

    Fault knobs for tests: ``jwks_status`` (answer the JWKS with this HTTP status) and
    ``jwks_delay_seconds`` (answer it this late).
    """

    signer: WebhookSigner = field(default_factory=WebhookSigner)
    tenant: str = DEFAULT_TENANT
    app_definition_id: str = DEFAULT_APP_DEFINITION_ID
    # Keys published in the JWKS besides the current signer's (old keys during a rotation).
    extra_keys: list[WebhookSigner] = field(default_factory=list)
    jwks_fetches: int = 0
    jwks_status: int = 200
    jwks_delay_seconds: float = 0.0
    # Every request the sandbox served, as (method, path): lets tests assert what the app called.
    requests: list[tuple[str, str]] = field(default_factory=list)
    # App canvases (sandbox/canvases.py): every canvas plus the history of POST/PATCH bodies.
    canvases: CanvasStore = field(default_factory=CanvasStore)
    base_url: str | None = None  # set by SandboxServer once it listens
    webhook_target: str | None = None  # the server ``/sandbox/send`` relays signed webhooks to
    # REST subset (token, entries, exports/tasks, files) and its fault knobs: sandbox/api.py.
    api: BenchlingApiState = field(default_factory=BenchlingApiState.seeded)
    # App Configuration items per installation and app sessions: sandbox/apps.py.
    apps: AppStore = field(default_factory=AppStore.seeded)
    lock: threading.RLock = field(default_factory=threading.RLock)

    # -- keys ---------------------------------------------------------------------------------------
    def jwks(self) -> dict[str, Any]:
        with self.lock:
            return {"keys": [self.signer.jwk(), *(k.jwk() for k in self.extra_keys)]}

    def rotate_key(self, keep_old: bool = True, signer: WebhookSigner | None = None) -> WebhookSigner:
        """Make a new key current (and published); the old one stays published unless ``keep_old=False``."""
        new = signer or WebhookSigner()
        with self.lock:
            if keep_old:
                self.extra_keys.insert(0, self.signer)
            self.signer = new
        return new

    def retire_key(self, kid: str) -> None:
        """Stop publishing an old key."""
        with self.lock:
            self.extra_keys = [k for k in self.extra_keys if k.kid != kid]

    # -- webhooks -----------------------------------------------------------------------------------
    def envelope(self, message: dict[str, Any], app_id: str = "app_Zf3kQ8wLm2Xv",
                 channel: str | None = None) -> dict[str, Any]:
        """A webhook envelope from this sandbox's tenant and app around ``message`` (lifecycle messages such
        as ``v2-beta.app.configuration.updated`` come on the ``app_signals`` channel)."""
        if channel is None:
            channel = "app_signals" if ".app." in str(message.get("type", "")) else "events"
        return {
            "version": "0",
            "baseURL": self.base_url or f"https://{self.tenant}.benchling.com",
            "tenantId": "ten_sandbox000",
            "app": {"id": app_id},
            "appDefinition": {"id": self.app_definition_id, "versionNumber": "1.0.0"},
            "channel": channel,
            "message": message,
        }

    def signed(self, payload: dict[str, Any] | bytes | str, webhook_id: str | None = None,
               timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
        """(body, headers) of a webhook signed with the current key, as Benchling would post it."""
        if isinstance(payload, dict):
            body = json.dumps(payload).encode()
        else:
            body = payload.encode() if isinstance(payload, str) else payload
        return body, self.signer.sign(body, webhook_id=webhook_id, timestamp=timestamp)

    def record(self, method: str, path: str) -> None:
        with self.lock:
            self.requests.append((method, path))


def get_state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


StateDep = Annotated[SandboxState, Depends(get_state)]
"""Routers declare ``state: StateDep`` to get the sandbox's state."""


def _jwks_router() -> APIRouter:
    router = APIRouter(tags=["jwks"])

    @router.get("/api/v1/apps/{app_definition_id}/jwks")
    async def jwks(app_definition_id: str, state: StateDep) -> JSONResponse:
        with state.lock:
            state.jwks_fetches += 1
            status, delay = state.jwks_status, state.jwks_delay_seconds
        if delay:
            await asyncio.sleep(delay)
        if status != 200:
            return JSONResponse({"error": {"message": "injected failure"}}, status_code=status)
        if app_definition_id != state.app_definition_id:
            return JSONResponse({"error": {"message": f"app {app_definition_id} not found"}}, status_code=404)
        return JSONResponse(state.jwks())

    return router


def _routers() -> list[APIRouter]:
    """Every router of the sandbox. Add yours here (one line each), importing inside this function."""
    from benchling_webhook.sandbox.api import create_api_router

    routers = [_jwks_router(), create_api_router()]
    from benchling_webhook.sandbox.canvases import create_canvases_router

    routers.append(create_canvases_router())
    from benchling_webhook.sandbox.apps import create_apps_router

    routers.append(create_apps_router())
    from benchling_webhook.sandbox.tenant import create_tenant_router

    routers.append(create_tenant_router())
    from benchling_webhook.sandbox.relay import create_relay_router

    routers.append(create_relay_router())
    return routers


def create_sandbox_app(state: SandboxState) -> FastAPI:
    """The sandbox's ASGI app over ``state``."""
    app = FastAPI(title="Benchling sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.sandbox = state

    @app.middleware("http")
    async def _record(request: Request, call_next: Callable[[Request], Any]) -> Response:
        state = get_state(request)
        state.record(request.method, request.url.path)
        response: Response = await call_next(request)
        limit = state.api.rate_limit
        if limit is not None and request.url.path.startswith("/api/v2/") and response.status_code != 429:
            response.headers.update(limit.headers())
        return response

    for router in _routers():
        app.include_router(router)
    return app


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


class ThreadedUvicorn:
    """Any ASGI app under uvicorn in a daemon thread on loopback (port 0 = a free one).

    Used for the sandbox, and by tests and ``demo`` to run the webhook server itself over real HTTP.
    ``lifespan="on"`` runs the app's startup/shutdown like a real process does; ``http`` is uvicorn's HTTP
    protocol (the webhook server's tests pass the one ``serve`` uses).
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0,
                 lifespan: Literal["auto", "on", "off"] = "off",
                 name: str = "uvicorn", http: Any = "auto") -> None:
        self.app = app
        self._http = http
        self.host = host
        self._sock = _bind(host, port)
        self.port = int(self._sock.getsockname()[1])
        self._lifespan = lifespan
        self._name = name
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> ThreadedUvicorn:
        import uvicorn

        # proxy_headers off, as in ``serve``: X-Forwarded-For must not rewrite the peer the app sees.
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan=self._lifespan,
                                log_config=None, http=self._http, proxy_headers=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]},
                                        name=self._name, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{self._name} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            if self._thread is not None:
                self._thread.join(timeout=10)
            self._server = None
        self._sock.close()

    def __enter__(self) -> ThreadedUvicorn:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


class SandboxServer:
    """The sandbox under uvicorn in a daemon thread on loopback (port 0 = a free one).

    Usage::

        with SandboxServer() as sandbox:
            env[EnvVars.BENCHLING_JWKS_URL] = sandbox.jwks_url_template
            body, headers = sandbox.state.signed(sandbox.state.envelope({...}))
    """

    def __init__(self, state: SandboxState | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = state or SandboxState()
        self.host = host
        self._app: FastAPI | None = None
        self._uvicorn = ThreadedUvicorn(None, host, port, name="benchling-sandbox")
        self.port = self._uvicorn.port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def jwks_url_template(self) -> str:
        """Value for ``BENCHLING_JWKS_URL``."""
        return self.url + "/api/v1/apps/{app_definition_id}/jwks"

    def start(self, timeout: float = 10.0) -> SandboxServer:
        self.state.base_url = self.state.base_url or self.url
        self._app = create_sandbox_app(self.state)
        self._uvicorn.app = self._app
        self._uvicorn.start(timeout)
        return self

    def reset(self, state: SandboxState | None = None) -> SandboxState:
        """Swap in fresh state (between tests); the server keeps running on the same port."""
        new = state or SandboxState()
        new.base_url = new.base_url or self.url
        self.state = new
        if self._app is not None:
            self._app.state.sandbox = new
        return new

    def stop(self) -> None:
        self._uvicorn.stop()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
