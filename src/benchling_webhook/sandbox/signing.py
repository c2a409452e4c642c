"""Sign webhook bodies exactly like Benchling does, with an EC P-256 key this process owns.

Benchling signs the Standard-Webhooks way but with ECDSA P-256 / SHA-256 instead of HMAC
(docs/benchling.md):

    signed bytes      = f"{webhook-id}.{webhook-timestamp}.".encode() + raw body
    webhook-signature = "v1der," + base64(DER(signature))

and publishes the public keys as a JWKS. ``WebhookSigner`` is the sandbox's side of that contract: the
tests, ``demo`` and the benchmarks sign with it, and the server verifies against its ``jwks()`` served
over HTTP by the sandbox — so verification is exercised end to end without Benchling.
"""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec


def _b64url_uint(value: int, size: int = 32) -> str:
    return base64.urlsafe_b64encode(value.to_bytes(size, "big")).rstrip(b"=").decode()


def new_webhook_id() -> str:
    """A Benchling-looking webhook id (``msg_…``)."""
    return "msg_" + secrets.token_hex(12)


class WebhookSigner:
    """An EC P-256 signing key plus the Benchling header format.

    Usage::

        signer = WebhookSigner()
        headers = signer.sign(body)           # webhook-id, webhook-timestamp, webhook-signature
        jwks = signer.jwks()                  # {"keys": [{"kty": "EC", "crv": "P-256", ...}]}
    """

    def __init__(self, key: ec.EllipticCurvePrivateKey | None = None, kid: str | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._key = key or ec.generate_private_key(ec.SECP256R1())
        self.kid = kid or "sandbox-" + secrets.token_hex(4)
        self._clock = clock

    @classmethod
    def from_pem(cls, pem: bytes, kid: str | None = None) -> WebhookSigner:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("not an EC private key")
        return cls(key, kid=kid)

    def private_pem(self) -> bytes:
        return self._key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())

    def jwk(self) -> dict[str, Any]:
        """The public key as a JWK, in the shape Benchling's JWKS endpoint returns."""
        numbers = self._key.public_key().public_numbers()
        return {"kty": "EC", "crv": "P-256", "kid": self.kid, "use": "sig", "alg": "ES256",
                "x": _b64url_uint(numbers.x), "y": _b64url_uint(numbers.y)}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.jwk()]}

    def signature(self, body: bytes, webhook_id: str, timestamp: int | str) -> str:
        """The ``webhook-signature`` value for these exact bytes."""
        signed = f"{webhook_id}.{timestamp}.".encode() + body
        der = self._key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return "v1der," + base64.b64encode(der).decode()

    def sign(self, body: bytes | str, webhook_id: str | None = None,
             timestamp: int | None = None) -> dict[str, str]:
        """Headers Benchling would send with ``body`` (timestamp defaults to now)."""
        raw = body.encode() if isinstance(body, str) else body
        webhook_id = webhook_id or new_webhook_id()
        ts = int(self._clock()) if timestamp is None else int(timestamp)
        return {
            "webhook-id": webhook_id,
            "webhook-timestamp": str(ts),
            "webhook-signature": self.signature(raw, webhook_id, ts),
            "content-type": "application/json",
        }
