from __future__ import annotations

import httpx
import pytest

from benchling_webhook.server.benchling.retry import RetryTransport, compute_delay, rate_limit_wait
from tests.helpers import FakeClock


def _response(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers)


def test_rate_limit_wait_reads_seconds_epoch_and_retry_after() -> None:
    assert rate_limit_wait(httpx.Headers({"x-rate-limit-reset": "7"}), now=1000.0) == 7.0
    assert rate_limit_wait(httpx.Headers({"x-rate-limit-reset": "1795183210"}), now=1795183200.0) == 10.0
    assert rate_limit_wait(httpx.Headers({"retry-after": "3"}), now=0.0) == 3.0
    assert rate_limit_wait(httpx.Headers({"x-rate-limit-reset": "soon"}), now=0.0) is None
    assert rate_limit_wait(httpx.Headers({}), now=0.0) is None


def test_429_waits_for_the_reset_plus_bounded_jitter() -> None:
    response = _response(429, **{"x-rate-limit-reset": "10"})
    assert compute_delay(1, response, base_delay=0.5, max_delay=30, rand=lambda: 0.0) == 10.0
    assert compute_delay(1, response, base_delay=0.5, max_delay=30, rand=lambda: 1.0) == pytest.approx(12.0)


def test_backoff_is_exponential_full_jitter_capped() -> None:
    delays = [compute_delay(n, _response(503), base_delay=0.5, max_delay=4, rand=lambda: 1.0) for n in range(1, 7)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert compute_delay(3, None, base_delay=0.5, max_delay=4, rand=lambda: 0.25) == 0.5


class _Script(httpx.BaseTransport):
    """Answers from a list; records requests. (Unit tier: the sandbox covers the HTTP path.)"""

    def __init__(self, answers: list[httpx.Response | Exception]) -> None:
        self.answers = answers
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def _client(script: _Script, clock: FakeClock | None = None, **kwargs: object) -> httpx.Client:
    sleep = (clock or FakeClock()).sleep
    transport = RetryTransport(script, sleep=sleep, rand=lambda: 0.0, **kwargs)  # type: ignore[arg-type]
    return httpx.Client(transport=transport, base_url="http://benchling.test")


def test_retries_429_then_succeeds_honouring_reset() -> None:
    script = _Script([_response(429, **{"x-rate-limit-reset": "2"}), _response(200)])
    clock = FakeClock()
    assert _client(script, clock).get("/api/v2/entries/x").status_code == 200
    assert clock.waits == [2.0]
    assert len(script.requests) == 2


def test_resends_post_bodies_on_retry() -> None:
    script = _Script([_response(502), _response(200)])
    _client(script).post("/api/v2/exports", json={"id": "etr_1"})
    assert [r.content for r in script.requests] == [b'{"id":"etr_1"}'] * 2


def test_gives_up_after_max_attempts_with_the_last_answer() -> None:
    script = _Script([_response(503) for _ in range(3)])
    clock = FakeClock()
    assert _client(script, clock, max_attempts=3).get("/x").status_code == 503
    assert len(clock.waits) == 2


def test_does_not_wait_longer_than_max_delay() -> None:
    script = _Script([_response(429, **{"x-rate-limit-reset": "120"})])
    clock = FakeClock()
    assert _client(script, clock, max_delay=30).get("/x").status_code == 429
    assert clock.waits == []


def test_client_errors_are_not_retried() -> None:
    script = _Script([_response(404)])
    assert _client(script).get("/x").status_code == 404
    assert len(script.requests) == 1


def test_transport_errors_are_retried_then_raised() -> None:
    script = _Script([httpx.ConnectError("refused"), _response(200)])
    assert _client(script).get("/x").status_code == 200
    script = _Script([httpx.ReadTimeout("slow"), httpx.ReadTimeout("slow")])
    with pytest.raises(httpx.ReadTimeout):
        _client(script, max_attempts=2).get("/x")
