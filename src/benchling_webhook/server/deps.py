"""``ServerRuntime`` (the collaborators of one web process) and the FastAPI dependencies that expose it.

``create_app`` builds one runtime and stores it on ``app.state.runtime``; the health routes get it via
``RuntimeDep`` and the webhook fast path holds it directly. Collaborators are created lazily (the inbox
opens no connection until the first event) so the app also works under an ASGI transport that never
runs the lifespan.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from benchling_webhook.config.secret import BenchlingCredentials
from benchling_webhook.constants import EnvVars
from benchling_webhook.errors import ConfigError, SecretUnavailableError
from benchling_webhook.server.inbox import Inbox
from benchling_webhook.server.secrets import BenchlingSecretStore
from benchling_webhook.server.security.allowlist import AllowList
from benchling_webhook.server.security.signature import SignatureVerifier
from benchling_webhook.server.settings import ServerSettings

logger = logging.getLogger(__name__)


@dataclass
class ServerRuntime:
    """Settings plus the services the web role needs; ``config_problem`` marks a static misconfiguration."""

    settings: ServerSettings
    secrets: BenchlingSecretStore
    verifier: SignatureVerifier | None
    allowlist: AllowList
    inbox_factory: Callable[[], Inbox] | None
    config_problem: str | None = None
    _inbox: Inbox | None = field(default=None, init=False)

    @property
    def inbox(self) -> Inbox:
        if self._inbox is None:
            if self.inbox_factory is None:
                raise ConfigError(f"{EnvVars.INBOX_QUEUE_URL} is not set")
            self._inbox = self.inbox_factory()
        return self._inbox

    async def readiness(self) -> tuple[BenchlingCredentials | None, str | None]:
        """(secret, None) when webhooks can be accepted, else (maybe secret, reason). Re-reads the secret."""
        if self.config_problem:
            return None, self.config_problem
        try:
            secret = await self.secrets.aget()
        except SecretUnavailableError as exc:
            return None, exc.one_line()
        if self.verifier is not None and not secret.app_definition_id:
            return secret, f"secret {self.secrets.secret_id} has no app_definition_id (needed to verify webhooks)"
        return secret, None

    async def aclose(self) -> None:
        if self._inbox is not None:
            await self._inbox.aclose()
            self._inbox = None


def get_runtime(request: Request) -> ServerRuntime:
    runtime: ServerRuntime = request.app.state.runtime
    return runtime


def get_settings_dep(request: Request) -> ServerSettings:
    return get_runtime(request).settings


RuntimeDep = Annotated[ServerRuntime, Depends(get_runtime)]
SettingsDep = Annotated[ServerSettings, Depends(get_settings_dep)]
