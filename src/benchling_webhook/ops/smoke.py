"""Smoke test of a deployed (or any) webhook endpoint, over real HTTP with httpx.

Checks, in order: ``/health`` answers healthy and not degraded, ``/health/ready`` and ``/health/live``
answer 200, an unsigned webhook on ``/`` is refused with 401 (so signature verification is on), and
the suffixed paths Benchling posts to (``/lifecycle``, ``/event``, ``/canvas``) are routed to the app
(anything but 404/405/5xx; 401 expected). Each call's latency is measured. The base URL is used as
printed by ``deploy`` — with or without a trailing slash or a stage path — never producing ``//health``.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from benchling_webhook.errors import ConfigError

WEBHOOK_PATHS = ("/lifecycle", "/event", "/canvas")
# What an unsigned delivery looks like; the server must refuse it before reading it.
_UNSIGNED_BODY = json.dumps({"version": "0", "baseURL": "https://smoke-test.benchling.com",
                             "app": {"id": "app_smoketest"}, "appDefinition": {"id": "appdef_smoketest"},
                             "channel": "app_signals", "message": {"type": "v2.app.installed"}}).encode()


@dataclass(frozen=True)
class CheckResult:
    name: str
    method: str
    path: str
    passed: bool
    status: int | None = None
    latency_ms: float | None = None
    detail: str = ""


@dataclass(frozen=True)
class SmokeReport:
    base_url: str
    checks: tuple[CheckResult, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    def latency_summary(self) -> tuple[float, float, float] | None:
        """``(min, median, max)`` in ms over the calls that got an answer."""
        values = [c.latency_ms for c in self.checks if c.latency_ms is not None and c.status is not None]
        return (min(values), statistics.median(values), max(values)) if values else None

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.base_url, "passed": self.passed,
                "checks": [{"name": c.name, "method": c.method, "path": c.path, "passed": c.passed,
                            "status": c.status, "latency_ms": c.latency_ms, "detail": c.detail} for c in self.checks]}


def normalize_base_url(url: str) -> str:
    """``https://x.example.com/prod/`` → ``https://x.example.com/prod`` (query and fragment dropped)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"'{url}' is not an http(s) URL", hint="pass the endpoint as printed by deploy, "
                          "e.g. --url https://abc123.execute-api.us-east-1.amazonaws.com")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _reason(response: Any) -> str:
    try:
        data = response.json()
    except ValueError:
        return str(response.text)[:120].strip()
    if isinstance(data, dict):
        for key in ("reason", "detail", "error", "message", "status"):
            if data.get(key):
                return str(data[key])[:200]
    return ""


def _judge_health(response: Any) -> tuple[bool, str]:
    try:
        data = response.json()
    except ValueError:
        return False, "not a JSON health answer (is this the webhook endpoint?)"
    if not isinstance(data, dict) or response.status_code != 200:
        return False, f"unexpected answer: {_reason(response) or response.status_code}"
    version = data.get("version", "?")
    if data.get("status") == "degraded":
        return False, f"degraded (version {version}): the reason is in the service log (benchling-webhook logs)"
    if data.get("status") != "healthy":
        return False, f"status {data.get('status')!r} (version {version})"
    return True, f"healthy, version {version}"


def _judge_unsigned(response: Any) -> tuple[bool, str]:
    if response.status_code == 401:
        return True, f"refused: {_reason(response) or 'unauthorized'}"
    if 200 <= response.status_code < 300:
        return False, "ACCEPTED an unsigned webhook: signature verification is off"
    return False, f"expected 401, got {response.status_code}: {_reason(response)}"


def _judge_route(response: Any) -> tuple[bool, str]:
    if response.status_code in (404, 405):
        return False, "not routed to the webhook server"
    if response.status_code >= 500:
        return False, f"server error: {_reason(response)}"
    return True, f"routed ({_reason(response) or response.status_code})"


def run_smoke_test(url: str, *, timeout: float = 10.0, transport: Any = None,
                   clock: Callable[[], float] = time.perf_counter) -> SmokeReport:
    """Run every check against ``url`` and return the report (it never raises for a failing check)."""
    import httpx

    base = normalize_base_url(url)
    plan: list[tuple[str, str, str, Callable[[Any], tuple[bool, str]]]] = [
        ("health", "GET", "/health", _judge_health),
        ("ready", "GET", "/health/ready", lambda r: (r.status_code == 200, _reason(r) or str(r.status_code))),
        ("live", "GET", "/health/live", lambda r: (r.status_code == 200, _reason(r) or str(r.status_code))),
        ("unsigned webhook refused", "POST", "/", _judge_unsigned),
        *((f"route {p}", "POST", p, _judge_route) for p in WEBHOOK_PATHS),
    ]
    results = []
    headers = {"content-type": "application/json", "user-agent": "benchling-webhook-smoke-test"}
    with httpx.Client(timeout=timeout, transport=transport, follow_redirects=False) as client:
        for name, method, path, judge in plan:
            started = clock()
            try:
                response = client.request(method, base + path, headers=headers,
                                          content=_UNSIGNED_BODY if method == "POST" else None)
            except httpx.HTTPError as exc:
                results.append(CheckResult(name, method, path, False, None, (clock() - started) * 1000,
                                           f"no answer: {type(exc).__name__}"))
                continue
            latency = (clock() - started) * 1000
            passed, detail = judge(response)
            results.append(CheckResult(name, method, path, passed, response.status_code, latency, detail))
    return SmokeReport(base_url=base, checks=tuple(results))




def with_verification(report: SmokeReport, verification: bool | None) -> SmokeReport:
    """The report plus a check of the deployed task definition's signature setting (when it is known):
    an endpoint can refuse an unsigned test request for other reasons while not checking signatures."""
    if verification is None:
        return report
    detail = "on (ENABLE_WEBHOOK_VERIFICATION)" if verification else \
        "OFF: the service accepts unsigned webhooks (security.enableVerification: false)"
    check = CheckResult("signature verification", "ECS", "task definition", verification, None, None, detail)
    return replace(report, checks=(*report.checks, check))
