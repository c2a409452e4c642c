from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from benchling_webhook.errors import JwksUnavailableError
from benchling_webhook.sandbox.signing import WebhookSigner
from benchling_webhook.server.security.jwks import JwksCache, parse_jwks
from tests.helpers import FakeClock

URL = "https://apps.example/api/v1/apps/{app_definition_id}/jwks"


class JwksEndpoint:
    """A transport stub standing in for the JWKS host (unit tier: no network)."""

    def __init__(self, signer: WebhookSigner) -> None:
        self.document: Any = signer.jwks()
        self.status = 200
        self.fetches: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.fetches.append(str(request.url))
        if self.status != 200:
            return httpx.Response(self.status, json={"error": "down"})
        return httpx.Response(200, json=self.document)


@pytest.fixture
def endpoint() -> JwksEndpoint:
    return JwksEndpoint(WebhookSigner())


def cache(endpoint: JwksEndpoint, clock: FakeClock, **kwargs: Any) -> JwksCache:
    return JwksCache(URL, clock=clock, transport=httpx.MockTransport(endpoint), **kwargs)


def test_keys_are_fetched_once_and_cached_until_the_ttl(endpoint: JwksEndpoint) -> None:
    clock = FakeClock()
    jwks = cache(endpoint, clock, ttl=600)

    async def scenario() -> None:
        first = await jwks.keys("appdef_1")
        assert await jwks.keys("appdef_1") is first
        clock.advance(599)
        await jwks.keys("appdef_1")
        assert len(endpoint.fetches) == 1
        clock.advance(2)
        await jwks.keys("appdef_1")
        assert len(endpoint.fetches) == 2

    asyncio.run(scenario())
    assert endpoint.fetches[0] == "https://apps.example/api/v1/apps/appdef_1/jwks"


def test_ttl_is_capped_at_six_hours(endpoint: JwksEndpoint) -> None:
    clock = FakeClock()
    jwks = cache(endpoint, clock, ttl=24 * 3600)

    async def scenario() -> None:
        await jwks.keys("appdef_1")
        clock.advance(6 * 3600 - 1)
        await jwks.keys("appdef_1")
        assert len(endpoint.fetches) == 1
        clock.advance(2)
        await jwks.keys("appdef_1")

    asyncio.run(scenario())
    assert len(endpoint.fetches) == 2


def test_concurrent_first_requests_share_one_fetch(endpoint: JwksEndpoint) -> None:
    jwks = cache(endpoint, FakeClock())

    async def scenario() -> None:
        results = await asyncio.gather(*[jwks.keys("appdef_1") for _ in range(20)])
        assert all(r == results[0] for r in results)

    asyncio.run(scenario())
    assert len(endpoint.fetches) == 1


def test_refetch_on_miss_is_rate_limited(endpoint: JwksEndpoint) -> None:
    clock = FakeClock()
    jwks = cache(endpoint, clock, refetch_interval=30)

    async def scenario() -> None:
        await jwks.keys("appdef_1")
        assert await jwks.refresh_on_miss("appdef_1") is None  # just fetched
        clock.advance(31)
        assert await jwks.refresh_on_miss("appdef_1") is not None
        assert await jwks.refresh_on_miss("appdef_1") is None

    asyncio.run(scenario())
    assert len(endpoint.fetches) == 2


def test_failed_refresh_keeps_the_cached_keys(endpoint: JwksEndpoint) -> None:
    clock = FakeClock()
    jwks = cache(endpoint, clock, ttl=60, retry_interval=5)

    async def scenario() -> None:
        keys = await jwks.keys("appdef_1")
        endpoint.status = 503
        clock.advance(61)
        assert await jwks.keys("appdef_1") == keys
        assert await jwks.keys("appdef_1") == keys  # within retry_interval: no new fetch
        clock.advance(31)
        assert await jwks.refresh_on_miss("appdef_1") is None  # failed: nothing new

    asyncio.run(scenario())
    assert len(endpoint.fetches) == 3


def test_no_keys_and_fetch_failing_is_unavailable_and_throttled(endpoint: JwksEndpoint) -> None:
    clock = FakeClock()
    endpoint.status = 500
    jwks = cache(endpoint, clock, retry_interval=5)

    async def scenario() -> None:
        for _ in range(3):
            with pytest.raises(JwksUnavailableError):
                await jwks.keys("appdef_1")
        clock.advance(6)
        endpoint.status = 200
        assert await jwks.keys("appdef_1")

    asyncio.run(scenario())
    assert len(endpoint.fetches) == 2


@pytest.mark.parametrize("document", [{"keys": []}, {"keys": [{"kty": "RSA", "n": "x", "e": "AQAB"}]}, [1, 2],
                                      {"keys": [{"kty": "EC", "crv": "P-256", "x": "@@", "y": "!!"}]}])
def test_jwks_without_usable_keys_is_unavailable(endpoint: JwksEndpoint, document: Any) -> None:
    endpoint.document = document
    with pytest.raises(JwksUnavailableError):
        asyncio.run(cache(endpoint, FakeClock()).keys("appdef_1"))


def test_unreachable_host_is_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    jwks = JwksCache(URL, transport=httpx.MockTransport(refuse))
    with pytest.raises(JwksUnavailableError, match="ConnectError"):
        asyncio.run(jwks.keys("appdef_1"))


def test_parse_jwks_skips_other_keys_and_keeps_every_p256_key() -> None:
    a, b = WebhookSigner(), WebhookSigner()
    document = {"keys": [a.jwk(), {"kty": "oct", "k": "c2VjcmV0"}, b.jwk(), {**a.jwk(), "crv": "P-384"}]}
    assert len(parse_jwks(document)) == 2
