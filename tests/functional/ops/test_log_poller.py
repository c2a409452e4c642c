from __future__ import annotations

from benchling_webhook.ops.logs import LogQuery, LogSource, fetch_events, iter_log_events
from tests.functional.ops.support import API_GROUP, SERVICE_GROUP, access_line, now_ms, put_events, server_line

SOURCES = (LogSource("service", SERVICE_GROUP), LogSource("api", API_GROUP))


def test_events_of_both_groups_merge_in_time_order_across_pages(aws) -> None:  # type: ignore[no-untyped-def]
    logs = aws.client("logs")
    base = now_ms() - 60_000
    put_events(logs, SERVICE_GROUP, [(base + i * 10, server_line(f"service {i}")) for i in range(0, 12, 2)])
    put_events(logs, API_GROUP, [(base + i * 10, access_line(f"/e{i}", 202)) for i in range(1, 12, 2)])
    query = LogQuery(SOURCES, base - 1000)
    events = list(iter_log_events(logs, query, page_size=2))
    assert [e.source for e in events] == ["service", "api"] * 6
    assert [e.timestamp for e in events] == sorted(e.timestamp for e in events)
    assert len({(e.group, e.event_id) for e in events}) == 12


def test_health_checks_are_hidden_unless_asked(aws) -> None:  # type: ignore[no-untyped-def]
    logs = aws.client("logs")
    start = now_ms() - 10_000
    put_events(logs, API_GROUP, [(start + 1, access_line("/health", 200)), (start + 2, access_line("/event", 401)),
                                 (start + 3, access_line("/prod/health/ready", 200))])
    shown = [e.fields.get("path") for e in iter_log_events(logs, LogQuery(SOURCES, start))]
    assert shown == ["/event"]
    everything = list(iter_log_events(logs, LogQuery(SOURCES, start, include_health=True)))
    assert len(everything) == 3


def test_missing_group_has_no_events(aws) -> None:  # type: ignore[no-untyped-def]
    assert fetch_events(aws.client("logs"), LogQuery((LogSource("service", "/nope"),), 0), 0) == []


def test_follow_yields_new_and_late_events_once(aws) -> None:  # type: ignore[no-untyped-def]
    logs = aws.client("logs")
    start = now_ms() - 5_000
    put_events(logs, SERVICE_GROUP, [(start + 1, server_line("first")), (start + 2, server_line("second"))])
    polls: list[float] = []
    arrivals = [
        [(now_ms(), server_line("third"))],
        # Ingested late: older than "third" but within the overlap window, must still appear once.
        [(start + 3, server_line("late")), (now_ms(), server_line("fourth"))],
        [],
    ]

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        batch = arrivals.pop(0)
        if batch:
            put_events(logs, SERVICE_GROUP, batch, stream=f"s{len(polls) + 1}")

    query = LogQuery(SOURCES, start)
    texts = [e.text for e in iter_log_events(logs, query, follow=True, sleep=sleep, poll_interval=0.5, max_polls=4)]
    assert texts == ["first", "second", "third", "late", "fourth"]
    assert polls == [0.5, 0.5, 0.5]


def test_filter_text_is_an_exact_phrase(aws) -> None:  # type: ignore[no-untyped-def]
    logs = aws.client("logs")
    start = now_ms() - 5_000
    put_events(logs, SERVICE_GROUP, [(start + 1, server_line("webhook queued")), (start + 2, server_line("queued"))])
    query = LogQuery.create((SOURCES[0],), "1m", filter_text="webhook queued")
    assert [e.text for e in iter_log_events(logs, query)] == ["webhook queued"]
