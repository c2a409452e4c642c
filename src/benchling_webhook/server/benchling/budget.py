"""``ApiBudget``: one token bucket for every Benchling API call a process makes, live work first.

Benchling limits requests per tenant over a window (docs/benchling.md, "Rate limits"). A worker task
spends that budget on two kinds of work: *live* events (a webhook someone is waiting for) and *backfill*
events (entries that existed before the app, queued by ``benchling-webhook backfill``):

* the bucket refills at ``rate`` tokens a second up to ``burst``, and **every** API request takes a token;
* a live request never waits for a token: it takes one even from an empty bucket (the balance goes below
  zero), so live work goes exactly as fast as before there was a bucket, and whatever it spends is no
  longer there for the backfill;
* a backfill request waits until the bucket holds a token. Alone, the backfill gets the whole rate; next to
  live work it gets what live work leaves;
* Benchling's answers say how many calls the tenant has left in its current window and when it resets
  (``x-rate-limit-remaining``, ``x-rate-limit-reset``); ``BudgetTransport`` passes them on (``observe``).
  Backfill requests leave the window's last ``window_reserve`` calls to live ones — about what packaging one
  entry costs — so a webhook that arrives late in a window does not wait for the reset; live requests wait
  only for an empty window. In the window's last ``RESERVE_RELEASE_SECONDS`` the reserve is released to
  the backfill (a webhook arriving then waits at most that long for the reset), so the backfill can use
  the whole budget rather than all of it but the reserve;
* a 429 (``BudgetTransport`` sees it) holds every request until the window resets, instead of letting
  each one find out on its own.

Tokens are not the only thing a backfill could take from a live event: CPU (uploads, building the
manifest) and the emulators' or AWS's round trips are shared too. ``LiveWork`` counts the live runs going
on; a backfill run steps aside between its steps, and its requests wait, while there is one
(``yield_to_live``), so a webhook that arrives during a backfill is packaged about as fast as without one.

Which kind a call is comes from a context variable set around the work (``call_with_priority``); the
default is live.

The budget is per process. The stack gives each task a fixed share of the tenant's budget
(``BENCHLING_API_RATE`` = the tenant's rate / ``maxTasks``), so the tasks' backfills together never exceed
it whatever the scaling does, at the price of leaving a share unused while fewer tasks run
(docs/container.md says why).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import IntEnum
from typing import ParamSpec, TypeVar

import httpx

from benchling_webhook.server.benchling.retry import rate_limit_wait

P = ParamSpec("P")
T = TypeVar("T")
# Calls of the tenant's window a backfill leaves to live events: about what packaging one entry costs
# (entry, export, task polls, an attachment or two, the canvas; docs/benchling.md, "API calls").
WINDOW_RESERVE = 8.0
# … until the window resets this soon: reserved calls not taken by then would be lost with the window.
RESERVE_RELEASE_SECONDS = 1.5
# Two answers whose windows end this close together are about the same window.
SAME_WINDOW_SECONDS = 0.5


class Priority(IntEnum):
    LIVE = 0
    BACKFILL = 1


_PRIORITY: ContextVar[Priority] = ContextVar("benchling_call_priority", default=Priority.LIVE)


def current_priority() -> Priority:
    return _PRIORITY.get()


def call_with_priority(priority: Priority, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``fn`` with every Benchling call it makes (in this thread) counted as ``priority``."""
    token = _PRIORITY.set(priority)
    try:
        return fn(*args, **kwargs)
    finally:
        _PRIORITY.reset(token)


class LiveWork:
    """The live runs in progress; backfill runs wait between their steps while there is one.

    Args:
        max_pause: the longest one wait lasts, so a steady stream of live events slows a backfill run
            down but cannot hold it forever.
    """

    def __init__(self, max_pause: float = 60.0) -> None:
        self.max_pause = max_pause
        self._running = 0
        self._cond = threading.Condition()

    @contextmanager
    def running(self) -> Iterator[None]:
        """Around a live run."""
        with self._cond:
            self._running += 1
        try:
            yield
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()

    def yield_to_live(self, stop: threading.Event | None = None) -> None:
        """In a backfill run (``Priority.BACKFILL`` in this thread): wait while a live run is in progress."""
        if current_priority() is not Priority.BACKFILL:
            return
        deadline = time.monotonic() + self.max_pause
        with self._cond:
            while self._running and not (stop is not None and stop.is_set()) and time.monotonic() < deadline:
                self._cond.wait(0.1)


@dataclass
class BudgetStats:
    """What the bucket granted and how long it held everyone after a 429 (for logs and benchmarks)."""

    live: int = 0
    backfill: int = 0
    rate_limited: int = 0
    held_seconds: float = 0.0


class ApiBudget:
    """Thread-safe token bucket with two priorities (see the module docstring).

    Args:
        rate: tokens (requests) per second.
        burst: the most tokens the bucket holds (default: two seconds of ``rate``, at least 2).
        window_reserve: calls of the tenant's window backfill requests leave to live ones.
        live: the live runs in progress; a backfill request waits while there is one (``LiveWork``).
        clock: monotonic seconds.
    """

    def __init__(self, rate: float, *, burst: float | None = None, window_reserve: float = WINDOW_RESERVE,
                 live: LiveWork | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else max(2.0, 2.0 * rate)
        self.window_reserve = window_reserve
        self.live = live
        self._clock = clock
        self._tokens = self.burst
        self._stamp = clock()
        self._hold_until = 0.0
        self._window_left = 0.0  # the tenant's calls left in its window, as Benchling last said …
        self._window_ends = 0.0  # … until then (monotonic); unknown once it has passed
        self._cond = threading.Condition()
        self.stats = BudgetStats()

    @property
    def tokens(self) -> float:
        """The balance now (below zero after live requests outran the rate)."""
        with self._cond:
            self._refill(self._clock())
            return self._tokens

    def try_take(self, priority: Priority) -> float:
        """Take a token now (returns 0.0) or say how long to wait before asking again (seconds > 0)."""
        with self._cond:
            return self._try_take(priority)

    def acquire(self, priority: Priority | None = None) -> float:
        """Block until a token is granted; returns the seconds waited."""
        priority = current_priority() if priority is None else priority
        started = self._clock()
        if priority is Priority.BACKFILL and self.live is not None:
            self.live.yield_to_live()
        with self._cond:
            while (delay := self._try_take(priority)) > 0:
                self._cond.wait(delay)
        return self._clock() - started

    def hold(self, seconds: float) -> None:
        """Benchling answered 429: nobody calls for ``seconds`` (the window's reset), and the bucket empties."""
        with self._cond:
            now = self._clock()
            until = now + max(0.0, seconds)
            self.stats.rate_limited += 1
            if until > self._hold_until:
                self.stats.held_seconds += until - max(self._hold_until, now)
                self._hold_until = until
            self._tokens, self._stamp = min(self._tokens, 0.0), self._hold_until  # refills from the reset on

    def observe(self, remaining: float, reset: float) -> None:
        """Benchling said the tenant has ``remaining`` calls left in a window that resets in ``reset`` seconds.

        Answers arrive out of order: one from a request sent before others still in flight says more is left
        than is. Within the same window the lower count therefore stands; a later window starts afresh.
        """
        with self._cond:
            now = self._clock()
            ends = now + max(0.0, reset)
            if now < self._window_ends and abs(ends - self._window_ends) < SAME_WINDOW_SECONDS:
                remaining = min(remaining, self._window_left)
            self._window_left, self._window_ends = remaining, ends
            self._cond.notify_all()

    def _refill(self, now: float) -> None:
        self._tokens = min(self.burst, self._tokens + max(0.0, now - self._stamp) * self.rate)
        self._stamp = max(self._stamp, now)

    def _try_take(self, priority: Priority) -> float:
        now = self._clock()
        if now < self._hold_until:
            return self._hold_until - now
        self._refill(now)
        live = priority is Priority.LIVE
        window_known = now < self._window_ends
        release = self._window_ends - RESERVE_RELEASE_SECONDS  # from then on the reserve is the backfill's too
        reserve = self.window_reserve if not live and now < release else 0.0
        if window_known and self._window_left < 1.0 + reserve:
            # What is left of the window is not for this caller: until the reserve is released, or the reset.
            wait_until = release if reserve and self._window_left >= 1.0 else self._window_ends
            return max(wait_until - now, 0.001)
        if not live and self._tokens < 1.0:
            return (1.0 - self._tokens) / self.rate
        self._tokens -= 1.0
        if window_known:
            self._window_left -= 1.0
        if live:
            self.stats.live += 1
        else:
            self.stats.backfill += 1
        return 0.0


class BudgetTransport(httpx.BaseTransport):
    """Takes a token from ``budget`` for every Benchling API request (``/api/…``) and tells it of a 429.

    Downloads (pre-signed URLs, usually S3) are not Benchling API calls and pass untouched. It sits under
    ``RetryTransport``, so every attempt — a retry too — pays its token.
    """

    def __init__(self, inner: httpx.BaseTransport, budget: ApiBudget) -> None:
        self._inner = inner
        self.budget = budget

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        counted = request.url.path.startswith("/api/")
        if counted:
            self.budget.acquire()
        response = self._inner.handle_request(request)
        if not counted:
            return response
        wait = rate_limit_wait(response.headers, time.time())
        if response.status_code == 429:
            self.budget.hold(1.0 if wait is None else wait)
        elif wait is not None and (remaining := _number(response.headers.get("x-rate-limit-remaining"))) is not None:
            self.budget.observe(remaining, wait)
        return response

    def close(self) -> None:
        self._inner.close()


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
