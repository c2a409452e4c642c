"""The Benchling app secret (``BenchlingSecret``: name or ARN in Secrets Manager), parsed and cached.

Shared by the web role (the app definition id selects the JWKS; tenant and app are checked against every
envelope) and the worker (client credentials). Values are cached for ``ttl`` seconds; after that the
next read returns the cached value at once and refreshes it in the background, so a rotation is picked
up without putting Secrets Manager on the request path. A failed refresh keeps the old value.

While the secret cannot be read (not created yet, not JSON, fields missing) the server runs *degraded*:
every read retries at most once per ``recheck_interval``, so a secret created late heals the server
without a restart. Error messages name the secret and the missing fields, never a value; the model
keeps ``client_secret`` as ``SecretStr`` and ignores extra keys, so no repr can leak them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from benchling_webhook.aws.errors import error_code
from benchling_webhook.config.secret import BenchlingCredentials
from benchling_webhook.constants import EnvVars
from benchling_webhook.errors import SecretUnavailableError

if TYPE_CHECKING:
    from benchling_webhook.server.settings import ServerSettings

logger = logging.getLogger(__name__)


_SHAPE_HINT = ("store it as a JSON object with the keys tenant, client_id, client_secret and app_definition_id "
               "(benchling-webhook setup writes it)")


def parse_secret(raw: str, secret_id: str = EnvVars.BENCHLING_SECRET) -> BenchlingCredentials:
    """Validate the secret's JSON; errors name fields only (pydantic's messages would echo values)."""
    try:
        data = json.loads(raw)
    except ValueError:
        raise SecretUnavailableError(f"secret {secret_id} is not JSON", hint=_SHAPE_HINT) from None
    if not isinstance(data, dict):
        raise SecretUnavailableError(f"secret {secret_id} is not a JSON object", hint=_SHAPE_HINT)
    try:
        return BenchlingCredentials.model_validate(data)
    except ValidationError as exc:
        missing = sorted({str(e["loc"][0]) for e in exc.errors() if e["type"] == "missing" and e["loc"]})
        invalid = sorted({str(e["loc"][0]) for e in exc.errors() if e["type"] != "missing" and e["loc"]})
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + \
                ([f"invalid {', '.join(invalid)}"] if invalid else [])
        raise SecretUnavailableError(f"secret {secret_id}: {'; '.join(parts)}", hint=_SHAPE_HINT) from None


class BenchlingSecretStore:
    """Reads and caches the secret ``BenchlingSecret`` names (see the module docstring).

    Args:
        secret_id: name or ARN; ``None`` makes every read fail with a clear reason.
        client_factory: builds a Secrets Manager client (default: boto3 with the process's settings).
    """

    def __init__(self, secret_id: str | None, client_factory: Callable[[], Any] | None = None,
                 ttl: float = 300.0, recheck_interval: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.secret_id = secret_id
        self._client_factory = client_factory or _default_client
        self._client: Any = None
        self.ttl = ttl
        self.recheck_interval = recheck_interval
        self._clock = clock
        self._value: BenchlingCredentials | None = None
        self._loaded_at = 0.0
        self._error: SecretUnavailableError | None = None
        self._failed_at: float | None = None
        self._lock = threading.Lock()
        self._refresh: asyncio.Task[Any] | None = None

    @property
    def cached(self) -> BenchlingCredentials | None:
        return self._value

    def get(self) -> BenchlingCredentials:
        """The secret (blocking on a fetch when nothing usable is cached)."""
        with self._lock:
            now = self._clock()
            if self._value is not None and now - self._loaded_at < self.ttl:
                return self._value
            if self._value is None and self._error is not None and self._failed_at is not None \
                    and now - self._failed_at < self.recheck_interval:
                raise self._error
            return self._load()

    def reload(self) -> BenchlingCredentials:
        """Read the secret again now (Benchling refused the cached credentials: it may have been rotated),
        unless it was read less than ``recheck_interval`` ago — a burst of refusals costs one read."""
        with self._lock:
            if self._value is not None and self._clock() - self._loaded_at < self.recheck_interval:
                return self._value
            return self._load()

    async def aget(self) -> BenchlingCredentials:
        """Like ``get`` but never blocks the loop: fetches run in a thread, expiry refreshes in background."""
        value = self._value
        if value is not None:
            if self._clock() - self._loaded_at >= self.ttl and self._refresh is None:
                self._refresh = asyncio.get_running_loop().create_task(self._background_refresh())
            return value
        if self._error is not None and self._failed_at is not None \
                and self._clock() - self._failed_at < self.recheck_interval:
            raise self._error
        return await asyncio.to_thread(self.get)

    async def _background_refresh(self) -> None:
        try:
            await asyncio.to_thread(self.get)
        except SecretUnavailableError:
            pass
        finally:
            self._refresh = None

    def _load(self) -> BenchlingCredentials:
        try:
            value = parse_secret(self._fetch(), self.secret_id or EnvVars.BENCHLING_SECRET)
        except SecretUnavailableError as exc:
            self._failed_at = self._clock()
            if self._value is not None:
                logger.warning("secret refresh failed; keeping the cached value", extra={"reason": exc.reason})
                self._loaded_at = self._clock()  # retry after another TTL, not on every request
                return self._value
            self._error = exc
            raise
        self._value, self._loaded_at, self._error, self._failed_at = value, self._clock(), None, None
        return value

    def _fetch(self) -> str:
        if not self.secret_id:
            raise SecretUnavailableError(f"{EnvVars.BENCHLING_SECRET} is not set",
                                         hint=f"set {EnvVars.BENCHLING_SECRET} to the name or ARN of the app's secret")
        try:
            if self._client is None:
                self._client = self._client_factory()
            answer = self._client.get_secret_value(SecretId=self.secret_id)
        except Exception as exc:  # botocore's errors are many; each becomes a reason without values
            code = error_code(exc) or type(exc).__name__
            raise SecretUnavailableError(f"cannot read secret {self.secret_id} ({code})",
                                         hint="create the secret, or grant the task role "
                                              "secretsmanager:GetSecretValue") from None
        raw = answer.get("SecretString")
        if not isinstance(raw, str):
            raise SecretUnavailableError(f"secret {self.secret_id} has no SecretString", hint=_SHAPE_HINT)
        return raw


def _default_client() -> Any:
    import boto3

    return boto3.client("secretsmanager")  # honours AWS_REGION and AWS_ENDPOINT_URL


def create_secret_store(settings: ServerSettings) -> BenchlingSecretStore:
    """The store for ``settings.benchling_secret`` with the settings' region and endpoint."""

    def client() -> Any:
        import boto3

        return boto3.client("secretsmanager", region_name=settings.aws_region,
                            endpoint_url=settings.aws_endpoint_url)

    return BenchlingSecretStore(settings.benchling_secret, client_factory=client)
