from __future__ import annotations

import httpx
import pytest

from benchling_webhook.errors import ConfigError
from benchling_webhook.ops.smoke import normalize_base_url, run_smoke_test


@pytest.mark.parametrize(("url", "expected"), [
    ("https://abc.execute-api.us-east-1.amazonaws.com/", "https://abc.execute-api.us-east-1.amazonaws.com"),
    ("https://x.example.com/prod//?a=1", "https://x.example.com/prod"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
])
def test_base_url_never_gives_a_double_slash(url: str, expected: str) -> None:
    assert normalize_base_url(url) == expected


def test_non_http_url_is_refused() -> None:
    with pytest.raises(ConfigError):
        normalize_base_url("example.com")


def test_unrouted_paths_and_accepted_unsigned_webhooks_fail() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path == "/prod/health":
            return httpx.Response(200, json={"status": "healthy", "version": "1.0", "timestamp": "t"})
        if request.url.path.startswith("/prod/health/"):
            return httpx.Response(200, json={"status": "ok"})
        if request.url.path == "/prod/":
            return httpx.Response(202, json={"status": "queued"})
        return httpx.Response(404, json={"detail": "Not Found"})

    ticks = iter(range(0, 1000, 5))
    report = run_smoke_test("https://x.example.com/prod/", transport=httpx.MockTransport(handler),
                            clock=lambda: next(ticks) / 1000)  # every call takes 5 ms
    assert seen[:4] == ["/prod/health", "/prod/health/ready", "/prod/health/live", "/prod/"]
    results = {c.name: c for c in report.checks}
    assert results["health"].passed and results["health"].detail == "healthy, version 1.0"
    assert not results["unsigned webhook refused"].passed
    unsigned = results["unsigned webhook refused"]
    assert unsigned.detail == "ACCEPTED an unsigned webhook: signature verification is off"
    assert not results["route /event"].passed
    assert results["route /event"].detail == "not routed to the webhook server"
    assert not report.passed
    assert report.latency_summary() == pytest.approx((5.0, 5.0, 5.0))
