"""Verify a webhook the way Benchling signs it (docs/benchling.md) and say why it failed.

Benchling follows Standard Webhooks, but with ECDSA P-256 / SHA-256 instead of HMAC:

    signed bytes      = f"{webhook-id}.{webhook-timestamp}.".encode() + raw body (never re-serialised)
    webhook-signature = space-separated "<version>,<base64 DER>"; versions containing "der" count

One valid signature under any published key suffices (keys rotate). This is what benchling-sdk's
``verify()`` checks; it is re-implemented here over ``cryptography`` with parsed keys from
``JwksCache`` because the SDK rebuilds the key from JWK on every call and raises ``ValueError`` /
``binascii.Error`` on garbled headers. Every failure is a ``SignatureError`` whose ``reason`` is safe
to return to the caller (the server answers 401 with it). Checks run cheapest first: headers and the
timestamp before any elliptic-curve work, so junk costs microseconds.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from benchling_webhook.errors import SignatureError
from benchling_webhook.server.security.jwks import JwksCache

TOLERANCE_SECONDS = 300
MAX_SIGNATURES = 8  # bound the EC work a single request can ask for
_ECDSA = ec.ECDSA(hashes.SHA256())


def parse_signatures(header: str) -> list[bytes]:
    """The DER signatures of a ``webhook-signature`` header (non-``der`` versions are skipped)."""
    signatures: list[bytes] = []
    for part in header.split():
        version, sep, value = part.partition(",")
        if not sep or "der" not in version:
            continue
        try:
            signatures.append(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            continue
        if len(signatures) >= MAX_SIGNATURES:
            break
    return signatures


class SignatureVerifier:
    """Checks ``webhook-*`` headers and the raw body against the app's published keys."""

    def __init__(self, jwks: JwksCache, tolerance: int = TOLERANCE_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:
        self.jwks = jwks
        self.tolerance = tolerance
        self._clock = clock

    def check_headers(self, webhook_id: str | None, timestamp: str | None,
                      signature: str | None) -> tuple[str, int, list[bytes]]:
        """Header checks that need no key; returns (id, timestamp, DER signatures)."""
        if not webhook_id:
            raise SignatureError("missing webhook-id header")
        if not timestamp:
            raise SignatureError("missing webhook-timestamp header")
        if not signature:
            raise SignatureError("missing webhook-signature header")
        try:
            ts = int(timestamp.strip())
        except ValueError:
            raise SignatureError("webhook-timestamp is not a unix time in seconds") from None
        now = self._clock()
        if ts < now - self.tolerance:
            raise SignatureError("webhook-timestamp is too old (more than 5 minutes)")
        if ts > now + self.tolerance:
            raise SignatureError("webhook-timestamp is in the future (more than 5 minutes)")
        signatures = parse_signatures(signature)
        if not signatures:
            raise SignatureError("webhook-signature has no usable signature (expected v1der,<base64>)")
        return webhook_id, ts, signatures

    async def verify(self, app_definition_id: str, webhook_id: str | None, timestamp: str | None,
                     signature: str | None, body: bytes) -> None:
        """Return if the request is authentic; raise ``SignatureError`` (or ``JwksUnavailableError``)."""
        webhook_id, _, signatures = self.check_headers(webhook_id, timestamp, signature)
        signed = f"{webhook_id}.{timestamp}.".encode() + body
        if _matches(await self.jwks.keys(app_definition_id), signatures, signed):
            return
        fresh = await self.jwks.refresh_on_miss(app_definition_id)
        if fresh is not None and _matches(fresh, signatures, signed):
            return
        raise SignatureError("webhook-signature does not match any of the app's signing keys")


def _matches(keys: tuple[ec.EllipticCurvePublicKey, ...], signatures: list[bytes], signed: bytes) -> bool:
    for der in signatures:
        for key in keys:
            try:
                key.verify(der, signed, _ECDSA)
                return True
            except (InvalidSignature, ValueError):
                continue
    return False
