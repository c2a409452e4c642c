"""``ApiBudget``: one token bucket for every Benchling API call a process makes, live work first.

Benchling limits requests per tenant over a window (docs/benchling.md, "Rate limits"). A worker task
spends that budget on two kinds of work: *live* events (a webhook someone is waiting for) and *backfill*
events (entries that existed before the app, queued by ``benchling-webhook backfill``). The bucket
decides who calls next:

* it refills at ``rate`` tokens a second up to ``burst``; each API request takes one token;
* a live request takes a token whenever one is there, and is served before any waiting backfill request;
* a backfill request takes one only while more than ``reserve`` tokens are left, so a webhook that
  arrives during a backfill finds tokens at once instead of queueing behind it. With nothing live, the
  backfill still gets the whole refill rate: the bucket hovers at the reserve and every new token goes;
* Benchling's answers say how many calls the tenant has left in its current window and when it resets
  (``x-rate-limit-remaining``, ``x-rate-limit-reset``); ``BudgetTransport`` passes them on (``observe``).
  Backfill calls also leave ``reserve`` of the *window* for live ones, so a window emptied early by a burst
  does not make a webhook wait for the reset; nobody calls once it is empty;
* a 429 (``BudgetTransport`` sees it) holds every caller until the window resets, instead of letting
  each request find out on its own.

Tokens are not the only thing a backfill could take from a live event: CPU (uploads, building the
manifest) and the emulators' or AWS's round trips are shared too. ``LiveWork`` counts the live runs going
on; a backfill run steps aside between its steps while there is one (``yield_to_live``), so a webhook
that arrives during a backfill is packaged about as fast as without one.

Which kind a call is comes from a context variable set around the work (``call_with_priority``); the
default is live, so everything outside a backfill run keeps its speed.

The budget is per process. The stack gives each task a fixed share of the tenant's budget
(``BENCHLING_API_RATE`` = the tenant's rate / ``maxTasks``), so the tasks together never exceed it
whatever the scaling does, at the price of leaving a share unused while fewer tasks run
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
        reserve: tokens backfill requests leave for live ones (default: half of ``burst``).
        live: the live runs in progress; a backfill request waits while there is one (``LiveWork``).
        clock: monotonic seconds.
    """

    def __init__(self, rate: float, *, burst: float | None = None, reserve: float | None = None,
                 live: LiveWork | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else max(2.0, 2.0 * rate)
        self.reserve = min(reserve if reserve is not None else self.burst / 2, self.burst - 1)
        self.live = live
        self._clock = clock
        self._tokens = self.burst
        self._stamp = clock()
        self._hold_until = 0.0
        self._live_waiting = 0
        self._window_left = 0.0  # the tenant's calls left in its window, as Benchling last said …
        self._window_ends = 0.0  # … until then (monotonic); unknown once it has passed
        self._cond = threading.Condition()
        self.stats = BudgetStats()

    def try_take(self, priority: Priority) -> float:
        """Take a token now (returns 0.0) or say how long to wait before asking again (seconds > 0)."""
        with self._cond:
            return self._try_take(priority, self._live_waiting)

    def acquire(self, priority: Priority | None = None) -> float:
        """Block until a token is granted; returns the seconds waited."""
        priority = current_priority() if priority is None else priority
        live = priority is Priority.LIVE
        started = self._clock()
        if not live and self.live is not None:
            self.live.yield_to_live()
        with self._cond:
            if live:
                self._live_waiting += 1
            try:
                while (delay := self._try_take(priority, self._live_waiting)) > 0:
                    self._cond.wait(delay)
            finally:
                if live:
                    self._live_waiting -= 1
                    self._cond.notify_all()  # backfill callers may go once no live caller waits
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
            self._tokens, self._stamp = 0.0, self._hold_until  # the bucket refills from the reset on

    def observe(self, remaining: float, reset: float) -> None:
        """Benchling said the tenant has ``remaining`` calls left in a window that resets in ``reset`` seconds."""
        with self._cond:
            self._window_left, self._window_ends = remaining, self._clock() + max(0.0, reset)
            self._cond.notify_all()

    def _try_take(self, priority: Priority, live_waiting: int) -> float:
        now = self._clock()
        if now < self._hold_until:
            return self._hold_until - now
        self._tokens = min(self.burst, self._tokens + max(0.0, now - self._stamp) * self.rate)
        self._stamp = now
        live = priority is Priority.LIVE
        floor = 1.0 if live else 1.0 + self.reserve
        window_known = now < self._window_ends
        if window_known and self._window_left < floor:
            return max(self._window_ends - now, 0.001)  # what is left of the window is not for this caller
        if self._tokens >= floor and (live or live_waiting == 0):
            self._tokens -= 1.0
            if window_known:
                self._window_left -= 1.0
            if live:
                self.stats.live += 1
            else:
                self.stats.backfill += 1
            return 0.0
        missing = max(floor - self._tokens, 0.0)
        # A backfill caller blocked only by waiting live callers re-checks after one token's time.
        return max(missing / self.rate, 1.0 / self.rate if missing == 0 else 0.0, 0.001)


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
