"""``JwksCache``: Benchling's webhook signing keys, fetched over HTTP and kept as parsed public keys.

Design:

* keys are parsed once into ``cryptography`` public-key objects (rebuilding the key per call costs
  ~17 µs; benchling-sdk's ``verify()`` does that on every request);
* entries live ``ttl`` seconds (capped at 6 h, docs/benchling.md) — Benchling rotates keys;
* a signature that matches no cached key may trigger **one** refetch (``refresh_on_miss``), at most
  once per ``refetch_interval`` per app, so junk traffic cannot become a JWKS-fetch flood;
* concurrent fetches of one app's keys are coalesced behind a lock;
* a fetch is bounded by ``fetch_timeout``; when a refresh fails the previous keys stay in use (a JWKS
  outage must not stop verified traffic) and the failure is logged; with no keys at all the caller gets
  ``JwksUnavailableError`` (the server answers 503 so Benchling retries).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from benchling_webhook.errors import JwksUnavailableError

logger = logging.getLogger(__name__)

MAX_TTL_SECONDS = 6 * 3600


@dataclass
class _Entry:
    keys: tuple[ec.EllipticCurvePublicKey, ...]
    fetched_at: float
    expires_at: float


def _b64url_int(value: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")


def parse_jwks(document: Any) -> tuple[ec.EllipticCurvePublicKey, ...]:
    """The P-256 public keys of a JWKS document; other or malformed keys are skipped."""
    keys: list[ec.EllipticCurvePublicKey] = []
    entries = document.get("keys") if isinstance(document, dict) else None
    for jwk in entries if isinstance(entries, list) else []:
        if not isinstance(jwk, dict) or jwk.get("kty") != "EC" or jwk.get("crv", "P-256") != "P-256":
            continue
        try:
            numbers = ec.EllipticCurvePublicNumbers(_b64url_int(jwk["x"]), _b64url_int(jwk["y"]), ec.SECP256R1())
            keys.append(numbers.public_key())
        except (KeyError, TypeError, ValueError):
            logger.warning("skipping a malformed key in the JWKS", extra={"kid": str(jwk.get("kid"))})
    return tuple(keys)


class JwksCache:
    """Parsed JWKS per app definition id (see the module docstring for the policy)."""

    def __init__(self, url_template: str, ttl: float = 3600.0, refetch_interval: float = 30.0,
                 fetch_timeout: float = 3.0, retry_interval: float = 5.0, clock: Callable[[], float] = time.monotonic,
                 transport: Any = None) -> None:
        self.url_template = url_template
        self.ttl = min(ttl, MAX_TTL_SECONDS)
        self.refetch_interval = refetch_interval
        self.fetch_timeout = fetch_timeout
        self.retry_interval = retry_interval
        self._clock = clock
        self._transport = transport
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._last_attempt: dict[str, float] = {}
        self.fetches = 0

    def url_for(self, app_definition_id: str) -> str:
        return self.url_template.replace("{app_definition_id}", app_definition_id)

    async def keys(self, app_definition_id: str) -> tuple[ec.EllipticCurvePublicKey, ...]:
        """The cached keys, fetched first if missing or expired."""
        entry = self._entries.get(app_definition_id)
        if entry is not None and self._clock() < entry.expires_at:
            return entry.keys
        return await self._refresh(app_definition_id, since=None)

    async def refresh_on_miss(self, app_definition_id: str) -> tuple[ec.EllipticCurvePublicKey, ...] | None:
        """Fresh keys after a verification miss; ``None`` if a fetch happened within ``refetch_interval``
        (or this one failed)."""
        now = self._clock()
        last = self._last_attempt.get(app_definition_id)
        if last is not None and now - last < self.refetch_interval:
            return None
        keys = await self._refresh(app_definition_id, since=now)
        entry = self._entries.get(app_definition_id)
        return keys if entry is not None and entry.fetched_at >= now else None

    async def _refresh(self, app_definition_id: str, since: float | None) -> tuple[ec.EllipticCurvePublicKey, ...]:
        lock = self._locks.setdefault(app_definition_id, asyncio.Lock())
        async with lock:
            now = self._clock()
            entry = self._entries.get(app_definition_id)
            if entry is not None and now < entry.expires_at and (since is None or entry.fetched_at >= since):
                return entry.keys  # refreshed by another request while this one waited
            last = self._last_attempt.get(app_definition_id)
            if since is None and last is not None and now - last < self.retry_interval:
                # The last fetch failed moments ago: do not hammer the JWKS endpoint.
                if entry is not None:
                    return entry.keys
                raise JwksUnavailableError("cannot fetch the webhook signing keys (retrying shortly)")
            self._last_attempt[app_definition_id] = now
            try:
                keys = await self._fetch(app_definition_id)
            except JwksUnavailableError as exc:
                if entry is not None:
                    logger.warning("JWKS refresh failed; keeping the cached keys", extra={"reason": str(exc)})
                    return entry.keys
                raise
            fetched = self._clock()
            self._entries[app_definition_id] = _Entry(keys, fetched, fetched + self.ttl)
            return keys

    async def _fetch(self, app_definition_id: str) -> tuple[ec.EllipticCurvePublicKey, ...]:
        import httpx

        url = self.url_for(app_definition_id)
        self.fetches += 1
        try:
            async with httpx.AsyncClient(timeout=self.fetch_timeout, transport=self._transport) as client:
                response = await client.get(url, headers={"accept": "application/json"})
        except httpx.HTTPError as exc:
            raise JwksUnavailableError(f"cannot fetch the webhook signing keys ({type(exc).__name__})") from None
        if response.status_code != 200:
            raise JwksUnavailableError(f"cannot fetch the webhook signing keys (HTTP {response.status_code})")
        try:
            keys = parse_jwks(response.json())
        except ValueError:
            raise JwksUnavailableError("the webhook signing keys are not valid JSON") from None
        if not keys:
            raise JwksUnavailableError("the JWKS holds no P-256 key")
        logger.info("fetched webhook signing keys", extra={"keys": len(keys), "app_definition_id": app_definition_id})
        return keys
