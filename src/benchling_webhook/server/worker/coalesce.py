"""Per-key coalescing of work: many events about one entry → few runs.

Benchling sends one ``v2.entry.updated.fields`` event per edited field, so a user filling in a form
produces a burst. Exporting once per event would waste the tenant's rate limit and create a revision
per keystroke. Instead every ``submit(key, context)``:

* joins the key's *pending* job if there is one (not started yet), or creates one;
* a pending job starts once no new event has joined for ``quiet`` seconds, but at most ``max_wait``
  after its first event (a steady trickle cannot postpone it forever), and never while a run of the
  same key is still going;
* an event that arrives while a run is going cannot be covered by it (the run may have read the entry
  before the change), so it opens the next pending job: at most one re-run follows, however many
  events arrive meanwhile;
* every ``submit`` returns — or raises — with the outcome of the run that covers it. The inbox deletes
  a message only then, so a crash leaves every joined message in flight and they come back.

Runs of different keys proceed in parallel, at most ``concurrency`` at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

C = TypeVar("C")
R = TypeVar("R")


@dataclass
class _Job(Generic[C, R]):
    key: str
    first: float
    last: float
    future: asyncio.Future[R]
    contexts: list[C] = field(default_factory=list)
    joined: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class Coalescer(Generic[C, R]):
    """Runs ``run(key, contexts)`` for coalesced groups of ``submit`` calls (see module doc).

    ``contexts`` are the values given to ``submit`` by the calls the run covers, in arrival order.
    """

    def __init__(self, run: Callable[[str, list[C]], Awaitable[R]], *, quiet: float, max_wait: float,
                 concurrency: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._run = run
        self.quiet = quiet
        self.max_wait = max(max_wait, 0.0)
        self._clock = clock
        self._slots = asyncio.Semaphore(concurrency)
        self._pending: dict[str, _Job[C, R]] = {}
        self._running: dict[str, _Job[C, R]] = {}
        self.runs = 0  # how many runs started (for logs and benchmarks)

    @property
    def busy(self) -> bool:
        return bool(self._pending or self._running)

    async def submit(self, key: str, context: C) -> R:
        job = self._pending.get(key)
        now = self._clock()
        if job is None:
            job = _Job(key=key, first=now, last=now, future=asyncio.get_running_loop().create_future())
            job.future.add_done_callback(_consume)
            self._pending[key] = job
            job.task = asyncio.create_task(self._drive(job), name=f"coalesce:{key}")
        job.contexts.append(context)
        job.last = now
        job.joined.set()
        return await asyncio.shield(job.future)

    async def _drive(self, job: _Job[C, R]) -> None:
        try:
            await self._quiet_period(job)
            while (previous := self._running.get(job.key)) is not None:
                await asyncio.wait([previous.future])
            async with self._slots:
                self._pending.pop(job.key, None)  # from here on, new events open the next job
                self._running[job.key] = job
                self.runs += 1
                log.debug("coalesced run starts", extra={"key": job.key, "events": len(job.contexts)})
                result = await self._run(job.key, list(job.contexts))
            job.future.set_result(result)
        except asyncio.CancelledError:
            if not job.future.done():
                job.future.set_exception(RuntimeError("cancelled: the worker is shutting down"))
            raise
        except BaseException as exc:  # every joined caller gets the failure (and retries or dead-letters)
            if not job.future.done():
                job.future.set_exception(exc)
        finally:
            if self._pending.get(job.key) is job:
                self._pending.pop(job.key)
            if self._running.get(job.key) is job:
                self._running.pop(job.key)

    async def _quiet_period(self, job: _Job[C, R]) -> None:
        while True:
            deadline = min(job.last + self.quiet, job.first + self.max_wait)
            delay = deadline - self._clock()
            if delay <= 0:
                return
            job.joined.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(job.joined.wait(), delay)

    async def aclose(self, grace: float = 10.0) -> None:
        """Cancel jobs that have not started; give running ones ``grace`` seconds, then cancel them."""
        for job in list(self._pending.values()):
            if job.task is not None and self._running.get(job.key) is not job:
                job.task.cancel()
        running = [j.task for j in self._running.values() if j.task is not None]
        if running:
            _, late = await asyncio.wait(running, timeout=grace)
            for task in late:
                task.cancel()
        tasks = [j.task for j in [*self._pending.values(), *self._running.values()] if j.task is not None]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


def _consume(future: asyncio.Future[Any]) -> None:
    # Mark the outcome as retrieved even when every caller went away (no "never retrieved" noise).
    if not future.cancelled():
        future.exception()
