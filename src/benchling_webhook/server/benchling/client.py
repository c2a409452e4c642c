"""``BenchlingClient``: the worker's view of Benchling, built on benchling-sdk.

* Auth: OAuth2 client credentials (``POST /api/v2/token``); the SDK caches the token until shortly
  before ``expires_in`` runs out, so a package revision costs one token call at most.
* Base URL: ``settings.benchling_url_for(tenant)`` (``BENCHLING_BASE_URL`` overrides it in tests).
* Retries: one ``RetryTransport`` under a shared ``httpx.Client`` serves the SDK, the token request
  and file downloads (see ``retry.py``); the SDK's own retry strategy is off so nothing retries twice.
  Under it, an optional ``BudgetTransport`` makes every API request (each retry too) take a token from
  the process's ``ApiBudget`` (``budget.py``), live calls before backfill ones.
* Timeouts: every request is bounded (the SDK passes ``api_timeout`` per call; downloads use the
  client's read timeout per chunk).
* Entries, exports, tasks and linked objects (``bulk_get``) are fetched as raw JSON through ``sdk.api``:
  the worker stores the record verbatim, and raw JSON keeps fields the SDK's models do not know (new
  note-part types).

Errors leave as ``BenchlingApiError(status, retryable)`` / ``BenchlingAuthError``; callers decide
what is permanent for them (a 404 on the entry is, a 404 on an expired download URL is not).

A 401 — the token request refused, or a call with a token Benchling no longer accepts — usually means
the client secret was rotated: the secret is cached for minutes. ``on_unauthorized`` (the provider's)
then re-reads the secret at once, the client switches to the new credentials (or drops its token when
they did not change), and the call is made once more.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from typing import IO, TYPE_CHECKING, Any, Protocol, cast
from urllib.parse import quote

import httpx

from benchling_webhook.constants import EnvVars
from benchling_webhook.errors import BenchlingApiError, BenchlingAuthError, BenchlingWebhookError
from benchling_webhook.server.benchling.budget import ApiBudget, BudgetTransport
from benchling_webhook.server.benchling.retry import RETRY_STATUSES, RetryTransport, rate_limit_wait

if TYPE_CHECKING:
    from benchling_sdk.benchling import Benchling

    from benchling_webhook.server.settings import ServerSettings

log = logging.getLogger(__name__)

DOWNLOAD_CHUNK = 1024 * 1024
SECRET_REREAD = "Benchling refused the credentials (HTTP 401); the secret was read again and the call is retried once"
# Linked object type → (collection, ids parameter, answer key) of its ``GET /<collection>:bulk-get``.
BULK_GET = {
    "custom_entity": ("custom-entities", "customEntityIds", "customEntities"),
    "dna_sequence": ("dna-sequences", "dnaSequenceIds", "dnaSequences"),
    "aa_sequence": ("aa-sequences", "aaSequenceIds", "aaSequences"),
    "entry": ("entries", "entryIds", "entries"),
}


class ClientCredentials(Protocol):
    """What the client needs from the Benchling secret (``config.secret.BenchlingCredentials`` fits)."""

    tenant: str
    client_id: str

    @property
    def client_secret(self) -> Any: ...  # str or pydantic SecretStr


class BenchlingClient:
    """Benchling API calls the worker makes, plus ``.sdk`` (``benchling_sdk.Benchling``) for everything else.

    Usage::

        client = create_benchling_client(settings, secret)
        entry = client.get_entry("etr_Ab12Cd34")        # raw JSON of the entry
        canvas = client.sdk.apps.get_canvas_by_id(...)  # any SDK service, same retries and timeouts

    Thread-safe for concurrent use (httpx.Client and the SDK's token cache are).
    """

    def __init__(self, base_url: str, client_id: str, client_secret: str, *,
                 transport: httpx.BaseTransport | None = None, api_timeout: float = 30.0,
                 download_timeout: float = 60.0, max_attempts: int = 5, max_retry_delay: float = 30.0,
                 sleep: Callable[[float], object] | None = None, budget: ApiBudget | None = None,
                 on_unauthorized: Callable[[BenchlingClient], None] | None = None) -> None:
        from benchling_sdk.benchling import Benchling
        from benchling_sdk.helpers.retry_helpers import RetryStrategy

        self.base_url = base_url.rstrip("/")
        retry_kwargs: dict[str, Any] = {"max_attempts": max_attempts, "max_delay": max_retry_delay}
        if sleep is not None:
            retry_kwargs["sleep"] = sleep
        if budget is not None:
            transport = BudgetTransport(transport or httpx.HTTPTransport(), budget)
        self._http = httpx.Client(
            transport=RetryTransport(transport, **retry_kwargs),
            timeout=httpx.Timeout(download_timeout, connect=10.0, pool=30.0),
            follow_redirects=True,
        )
        self._auth = _SwappableAuth(self._oauth(client_id, client_secret))
        self._api_url = f"{self.base_url}/api/v2"
        self.on_unauthorized = on_unauthorized
        timeout = api_timeout
        # The SDK only ever calls ``get_authorization_header`` on it (duck-typed, not an ``AuthorizationMethod``).
        self._sdk = Benchling(self.base_url, cast(Any, self._auth), retry_strategy=RetryStrategy.no_retries(),
                              httpx_client=self._http,
                              client_decorator=lambda c: c.with_timeout(timeout, increase_only=False))

    @property
    def sdk(self) -> Benchling:
        """The underlying ``benchling_sdk.Benchling`` (apps, canvases, anything not wrapped here)."""
        return self._sdk

    def use_credentials(self, client_id: str, client_secret: str) -> None:
        """Authenticate from now on with these credentials, starting with a fresh token."""
        self._auth.inner = self._oauth(client_id, client_secret)

    def _oauth(self, client_id: str, client_secret: str) -> Any:
        from benchling_sdk.auth.client_credentials_oauth2 import ClientCredentialsOAuth2

        return ClientCredentialsOAuth2(client_id, client_secret, httpx_client=self._http,
                                       token_url=f"{self.base_url}/api/v2/token")

    # -- the worker's calls -------------------------------------------------------------------

    def get_entry(self, entry_id: str) -> dict[str, Any]:
        """``GET /entries/{id}``: the entry object (not the ``{"entry": ...}`` wrapper)."""
        body = self._get(f"/api/v2/entries/{_seg(entry_id)}", f"get entry {entry_id}")
        entry = body.get("entry", body)
        if not isinstance(entry, dict) or "id" not in entry:
            raise BenchlingApiError(f"get entry {entry_id}: unexpected response", retryable=True)
        return entry

    def start_export(self, entry_id: str) -> str:
        """``POST /exports {"id": entry_id}`` → task id."""
        body = self._call(f"export entry {entry_id}",
                          lambda: self._sdk.api.post_response("/api/v2/exports", {"id": entry_id}).parsed)
        task_id = (body or {}).get("taskId")
        if not isinstance(task_id, str) or not task_id:
            raise BenchlingApiError(f"export entry {entry_id}: no task id in the response", retryable=True)
        return task_id

    def get_task(self, task_id: str) -> dict[str, Any]:
        """``GET /tasks/{id}``: ``{"status": RUNNING|SUCCEEDED|FAILED, "response": {...}, "message": ...}``."""
        return self._get(f"/api/v2/tasks/{_seg(task_id)}", f"get task {task_id}")

    def list_app_configuration_items(self, app_id: str) -> list[Any]:
        """``GET /app-configuration-items?appId=…``, every page, as benchling-sdk models (``UnknownType`` for
        an item the SDK cannot read). Read through the SDK so its models index them by path."""
        from benchling_sdk.models import ListAppConfigurationItemsSort

        def every_page() -> list[Any]:
            pages = self._sdk.apps.list_app_configuration_items(
                app_id=app_id, page_size=100, sort=ListAppConfigurationItemsSort.CREATEDATASC)
            return [item for page in pages for item in page]

        items: list[Any] = self._call(f"read the configuration of {app_id}", every_page)
        return items

    def iter_entry_pages(self, *, page_size: int = 100, **filters: Any) -> Iterator[list[Any]]:
        """``GET /entries`` page by page through benchling-sdk's ``entries.list_entries`` (its filter
        arguments: ``modified_at``, ``project_id``, ``schema_id``, ``ids``, ``sort``, ``archive_reason``…);
        each page is a list of the SDK's ``Entry`` models. Pages are fetched lazily, one call each."""
        pages = iter(self._sdk.entries.list_entries(page_size=page_size, **filters))
        while True:
            page: list[Any] | None = self._call("list entries", lambda: next(pages, None))
            if page is None:
                return
            yield page

    def get_folder(self, folder_id: str) -> dict[str, Any]:
        """``GET /folders/{id}``: ``{"id", "name", "parentFolderId", "projectId", …}``."""
        return self._get(f"/api/v2/folders/{_seg(folder_id)}", f"get folder {folder_id}")

    def get_external_file(self, entry_id: str, file_id: str) -> dict[str, Any]:
        """``GET /entries/{id}/external-files/{fileId}``: ``{"id", "downloadURL", "size", "expiresAt"}``."""
        body = self._get(f"/api/v2/entries/{_seg(entry_id)}/external-files/{_seg(file_id)}",
                         f"get attachment {file_id} of {entry_id}")
        meta = body.get("externalFile", body)
        if not isinstance(meta, dict) or not meta.get("downloadURL"):
            raise BenchlingApiError(f"attachment {file_id}: no download URL", retryable=True)
        return meta

    def bulk_get(self, kind: str, ids: list[str]) -> list[dict[str, Any]]:
        """``GET /<collection>:bulk-get?<ids>=a,b``: the named objects of one type (id, name, web URL, and
        an entry's display id), in one call; ``returning`` keeps the answer to those fields."""
        collection, parameter, key = BULK_GET[kind]
        fields = ["id", "name", "webURL"] + (["displayId"] if kind == "entry" else [])
        returning = ",".join(f"{key}.{field}" for field in fields)
        query = f"{parameter}={quote(','.join(ids), safe=',')}&returning={quote(returning, safe=',')}"
        body = self._get(f"/api/v2/{collection}:bulk-get?{query}", f"bulk get {len(ids)} {kind}")
        records = body.get(key)
        return [r for r in records if isinstance(r, dict)] if isinstance(records, list) else []

    @contextmanager
    def open_download(self, url: str) -> Iterator[httpx.Response]:
        """Stream a (pre-signed) download URL; the caller iterates ``response.iter_bytes()``.

        No Benchling credentials are sent: download URLs are pre-signed and usually point at S3.
        """
        # benchling-sdk's typed services (``sdk.apps.*``) copy the bearer token into the shared client's
        # default headers; it must not travel to a pre-signed URL (S3 refuses a second auth mechanism).
        request = self._http.build_request("GET", url)
        request.headers.pop("authorization", None)
        try:
            with closing(self._http.send(request, stream=True)) as response:
                if response.status_code >= 400:
                    raise BenchlingApiError(f"download failed with HTTP {response.status_code}",
                                            status=response.status_code, retryable=True)
                yield response
        except httpx.HTTPError as exc:
            raise BenchlingApiError(f"download failed: {type(exc).__name__}", retryable=True) from exc

    def download_to(self, url: str, sink: IO[bytes], chunk_size: int = DOWNLOAD_CHUNK) -> int:
        """Copy a download URL into ``sink`` chunk by chunk; returns the number of bytes."""
        total = 0
        with self.open_download(url) as response:
            try:
                for chunk in response.iter_bytes(chunk_size):
                    sink.write(chunk)
                    total += len(chunk)
            except httpx.HTTPError as exc:
                raise BenchlingApiError(f"download interrupted: {type(exc).__name__}", retryable=True) from exc
        return total

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> BenchlingClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing -----------------------------------------------------------------------------

    def _get(self, path: str, what: str) -> dict[str, Any]:
        body = self._call(what, lambda: self._sdk.api.get_response(path).parsed)
        if not isinstance(body, dict):
            raise BenchlingApiError(f"{what}: empty response", retryable=True)
        return body

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        try:
            return self._call_once(what, fn)
        except (BenchlingAuthError, BenchlingApiError) as exc:
            if self.on_unauthorized is None or not _unauthorized(exc):
                raise
            self.on_unauthorized(self)  # re-read the secret (see the module docstring), then once more
            return self._call_once(what, fn)

    def _call_once(self, what: str, fn: Callable[[], Any]) -> Any:
        from benchling_sdk.errors import BenchlingError

        self._authorize()
        try:
            return fn()
        except BenchlingError as exc:
            raise _api_error(what, exc) from None
        except httpx.HTTPError as exc:
            raise BenchlingApiError(f"{what}: {type(exc).__name__}", retryable=True) from None

    def _authorize(self) -> None:
        """Get (or reuse) the bearer token, so token failures read as auth problems, not entry problems."""
        from benchling_sdk.errors import BenchlingError

        try:
            self._auth.get_authorization_header(self._api_url)
        except BenchlingError as exc:
            if exc.status_code in (400, 401, 403):
                raise BenchlingAuthError(
                    f"Benchling refused the app's client credentials (HTTP {exc.status_code})",
                    hint=f"check client_id/client_secret in the {EnvVars.BENCHLING_SECRET} secret",
                    status=exc.status_code) from None
            raise BenchlingApiError(f"token request failed with HTTP {exc.status_code}",
                                    status=exc.status_code, retryable=True) from None
        except httpx.HTTPError as exc:
            raise BenchlingApiError(f"token request failed: {type(exc).__name__}", retryable=True) from None


def create_benchling_client(settings: ServerSettings, credentials: ClientCredentials,
                            **kwargs: Any) -> BenchlingClient:
    """Build the client for the tenant in the secret (``BENCHLING_BASE_URL`` wins when set)."""
    return BenchlingClient(settings.benchling_url_for(credentials.tenant), credentials.client_id,
                           _raw(credentials.client_secret), **kwargs)


class SecretSource(Protocol):
    def get(self) -> ClientCredentials: ...

    def reload(self) -> ClientCredentials:
        """The secret read again now (unless it was read moments ago)."""
        ...


class BenchlingClientProvider:
    """The current ``BenchlingClient`` for the current secret; a rotated secret gets a new client.

    Call it (``provider()``) wherever a client is needed; the secret store caches the secret, and the
    client (with its token cache) is reused as long as the credentials stay the same.
    """

    def __init__(self, settings: ServerSettings, secrets: SecretSource,
                 factory: Callable[..., BenchlingClient] = create_benchling_client) -> None:
        self._settings = settings
        self._secrets = secrets
        self._factory = factory
        self._lock = threading.Lock()
        self._key: tuple[str, str, str] | None = None
        self._client: BenchlingClient | None = None
        self._retired: list[BenchlingClient] = []

    def __call__(self) -> BenchlingClient:
        credentials = self._secrets.get()
        key = _key(credentials)
        with self._lock:
            if self._client is None or key != self._key:
                if self._client is not None:
                    self._retired.append(self._client)  # may still be in use by a running job
                self._client = self._factory(self._settings, credentials, on_unauthorized=self.unauthorized)
                self._key = key
            return self._client

    def unauthorized(self, client: BenchlingClient) -> None:
        """Benchling answered 401 to ``client``: re-read the secret; the client takes its credentials (new
        ones after a rotation; the same ones with a fresh token otherwise)."""
        credentials = self._secrets.reload()
        key = _key(credentials)
        with self._lock:
            rotated = key != self._key
            if self._client is client:
                self._key = key
        log.warning(SECRET_REREAD, extra={"credentials_changed": rotated})
        client.use_credentials(credentials.client_id, _raw(credentials.client_secret))

    def close(self) -> None:
        with self._lock:
            for client in [*self._retired, *([self._client] if self._client else [])]:
                client.close()
            self._retired, self._client, self._key = [], None, None


class CurrentClient:
    """Looks like a ``BenchlingClient`` but resolves the provider's current client on every access."""

    def __init__(self, provider: Callable[[], BenchlingClient]) -> None:
        self._provider = provider

    @property
    def sdk(self) -> Benchling:
        return self._provider().sdk

    def get_entry(self, entry_id: str) -> dict[str, Any]:
        # Resolved when called (in a worker thread), not when the attribute is looked up (maybe on the loop):
        # the provider may have to fetch the secret.
        return self._provider().get_entry(entry_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._provider(), name)


class _SwappableAuth:
    """The SDK's authorization method, whose credentials ``BenchlingClient.use_credentials`` can replace
    (the SDK keeps the object it was built with)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def get_authorization_header(self, base_url: str) -> str:
        header: str = self.inner.get_authorization_header(base_url)
        return header


def _unauthorized(exc: BenchlingWebhookError) -> bool:
    """The token request was refused, or Benchling no longer accepts the token."""
    return isinstance(exc, BenchlingAuthError) or getattr(exc, "status", None) == 401


def _raw(secret: Any) -> str:
    return secret.get_secret_value() if hasattr(secret, "get_secret_value") else str(secret)


def _key(credentials: ClientCredentials) -> tuple[str, str, str]:
    digest = hashlib.sha256(_raw(credentials.client_secret).encode()).hexdigest()
    return credentials.tenant, credentials.client_id, digest


def _seg(value: str) -> str:
    return quote(value, safe="")


def _api_error(what: str, exc: Any) -> BenchlingApiError:
    status = int(exc.status_code)
    detail = _error_detail(exc)
    message = f"{what}: HTTP {status}" + (f" ({detail})" if detail else "")
    wait = rate_limit_wait(httpx.Headers(dict(exc.headers or {})), time.time()) if status == 429 else None
    return BenchlingApiError(message, status=status, retryable=status in RETRY_STATUSES or status == 401,
                             retry_after=wait)


def _error_detail(exc: Any) -> str:
    body = exc.json if isinstance(exc.json, dict) else None
    error = body.get("error") if body else None
    if isinstance(error, dict):
        text = error.get("userMessage") or error.get("message")
        if isinstance(text, str):
            return text[:200]
    return ""
