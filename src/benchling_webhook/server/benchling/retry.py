"""Retrying HTTP transport for every Benchling call (API, token and file downloads).

Why a transport and not benchling-sdk's ``RetryStrategy``: the SDK's backoff has no jitter, ignores
``x-rate-limit-reset`` and does not cover the OAuth token request or raw ``api`` calls. Retrying at
the httpx transport covers every request made through the client — including the canvas code's calls
through ``BenchlingClient.sdk`` — in one place, so the SDK's own retries are switched off.

Policy: 429 and 5xx (and connection errors/timeouts) are retried up to ``max_attempts`` times. A 429
waits until the window resets (``x-rate-limit-reset``, seconds, or ``Retry-After``) plus a little
jitter so that several workers do not stampede at the same instant; other failures back off
exponentially with full jitter. A wait longer than ``max_delay`` is not attempted: the error goes up
and the inbox retries the whole event later, so one event never holds a worker slot for minutes.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable

import httpx

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_EPOCH_THRESHOLD = 1_000_000_000  # a reset value this large is a unix time, not a number of seconds


def rate_limit_wait(headers: httpx.Headers, now: float) -> float | None:
    """Seconds until the rate-limit window resets, from ``x-rate-limit-reset`` / ``Retry-After``."""
    for name in ("x-rate-limit-reset", "x-ratelimit-reset", "retry-after"):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            value = float(raw)
        except ValueError:
            continue
        if value >= _EPOCH_THRESHOLD:
            value -= now
        return max(0.0, value)
    return None


def compute_delay(attempt: int, response: httpx.Response | None, *, base_delay: float, max_delay: float,
                  rand: Callable[[], float] = random.random, now: float | None = None) -> float:
    """How long to wait before retry number ``attempt`` (1-based).

    Exponential backoff with full jitter, or — when Benchling said when the window resets — that
    time plus up to 20 % (at least 0.1 s) of jitter. May exceed ``max_delay``; the caller decides.
    """
    if response is not None and response.status_code == 429:
        reset = rate_limit_wait(response.headers, time.time() if now is None else now)
        if reset is not None:
            return reset + max(0.1, reset * 0.2) * rand()
    ceiling = min(max_delay, base_delay * 2.0 ** (attempt - 1))
    return ceiling * rand()


class RetryTransport(httpx.BaseTransport):
    """Wraps an httpx transport; retries 429/5xx/transport errors with backoff (see module doc)."""

    def __init__(self, inner: httpx.BaseTransport | None = None, *, max_attempts: int = 5,
                 base_delay: float = 0.5, max_delay: float = 30.0,
                 sleep: Callable[[float], object] = time.sleep,
                 rand: Callable[[], float] = random.random) -> None:
        self._inner = inner or httpx.HTTPTransport()
        self.max_attempts = max(1, max_attempts)
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._sleep = sleep
        self._rand = rand

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        attempt = 1
        while True:
            try:
                response = self._inner.handle_request(request)
            except httpx.TransportError as exc:
                if attempt >= self.max_attempts:
                    raise
                delay = compute_delay(attempt, None, base_delay=self.base_delay, max_delay=self.max_delay,
                                      rand=self._rand)
                log.warning("benchling request failed, retrying", extra={
                    "method": request.method, "path": request.url.path, "error": type(exc).__name__,
                    "attempt": attempt, "delay": round(delay, 2)})
            else:
                if response.status_code not in RETRY_STATUSES or attempt >= self.max_attempts:
                    return response
                delay = compute_delay(attempt, response, base_delay=self.base_delay, max_delay=self.max_delay,
                                      rand=self._rand)
                if delay > self.max_delay:
                    return response  # the window is too far away: let the inbox retry the event later
                response.close()
                log.warning("benchling request refused, retrying", extra={
                    "method": request.method, "path": request.url.path, "status": response.status_code,
                    "attempt": attempt, "delay": round(delay, 2)})
            # Request bodies we send (JSON, form data) are bytes already in memory: resending is safe.
            self._sleep(delay)
            attempt += 1

    def close(self) -> None:
        self._inner.close()

