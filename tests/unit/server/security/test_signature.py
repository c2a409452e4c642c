from __future__ import annotations

import asyncio
import base64
import time

import httpx
import pytest

from benchling_webhook.errors import SignatureError
from benchling_webhook.sandbox.signing import WebhookSigner
from benchling_webhook.server.security.jwks import JwksCache
from benchling_webhook.server.security.signature import SignatureVerifier, parse_signatures

BODY = b'{"message": {"type": "v2.entry.created"}}'


def verifier(*published: WebhookSigner, now: float | None = None) -> SignatureVerifier:
    document = {"keys": [s.jwk() for s in published]}
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=document))
    jwks = JwksCache("https://jwks.example/{app_definition_id}", transport=transport)
    return SignatureVerifier(jwks, clock=(lambda: now) if now is not None else time.time)


def verify(v: SignatureVerifier, headers: dict[str, str], body: bytes = BODY) -> None:
    asyncio.run(v.verify("appdef_1", headers.get("webhook-id"), headers.get("webhook-timestamp"),
                         headers.get("webhook-signature"), body))


def test_a_benchling_style_signature_verifies() -> None:
    signer = WebhookSigner()
    verify(verifier(signer), signer.sign(BODY))


def test_any_published_key_and_any_listed_signature_may_match() -> None:
    old, new = WebhookSigner(), WebhookSigner()
    headers = new.sign(BODY)
    junk = "v1der," + base64.b64encode(b"\x30\x06\x02\x01\x01\x02\x01\x01").decode()
    headers["webhook-signature"] = f"v1,aG1hYw== {junk} {headers['webhook-signature']}"
    verify(verifier(old, new), headers)


def test_signed_bytes_are_id_dot_timestamp_dot_raw_body() -> None:
    signer = WebhookSigner()
    headers = signer.sign(BODY, webhook_id="msg_abc", timestamp=1_700_000_000)
    v = verifier(signer, now=1_700_000_010)
    verify(v, headers)
    with pytest.raises(SignatureError, match="does not match"):
        verify(v, {**headers, "webhook-id": "msg_abd"})
    with pytest.raises(SignatureError, match="does not match"):
        verify(v, headers, BODY + b"\n")


@pytest.mark.parametrize(("delta", "message"), [(-301, "too old"), (301, "in the future")])
def test_tolerance_is_five_minutes(delta: int, message: str) -> None:
    signer = WebhookSigner()
    headers = signer.sign(BODY, timestamp=1_700_000_000)
    verify(verifier(signer, now=1_700_000_000 + 300), headers)
    with pytest.raises(SignatureError, match=message):
        verify(verifier(signer, now=1_700_000_000 - delta), headers)


def test_header_problems_are_found_before_any_key_is_fetched() -> None:
    v = verifier(WebhookSigner())
    with pytest.raises(SignatureError, match="missing webhook-signature"):
        verify(v, {"webhook-id": "msg_1", "webhook-timestamp": str(int(time.time()))})
    assert v.jwks.fetches == 0


@pytest.mark.parametrize(("header", "count"), [
    ("v1der,MEUCIQ==", 1), ("v1,abc v1der,MEUCIQ== v2der,MEQ=", 2), ("v1der,@@@", 0), ("der", 0), ("", 0),
    (" ".join(["v1der,MEUCIQ=="] * 50), 8),
])
def test_parse_signatures(header: str, count: int) -> None:
    assert len(parse_signatures(header)) == count
