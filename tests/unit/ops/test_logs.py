from __future__ import annotations

from datetime import timedelta
from unittest.mock import Mock

import pytest

from benchling_webhook.errors import ConfigError
from benchling_webhook.ops.logs import (
    LogQuery,
    LogSource,
    iter_log_events,
    log_sources,
    parse_message,
    parse_since,
    to_filter_pattern,
    to_log_event,
)


@pytest.mark.parametrize(("text", "expected"), [("10m", timedelta(minutes=10)), ("2h", timedelta(hours=2)),
                                                ("1d", timedelta(days=1)), (" 30S ", timedelta(seconds=30))])
def test_since_durations(text: str, expected: timedelta) -> None:
    assert parse_since(text) == expected


@pytest.mark.parametrize("text", ["", "10", "m", "0m", "1y", "ten minutes"])
def test_bad_since_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError, match="is not a duration"):
        parse_since(text)


def test_filter_text_becomes_a_phrase_but_patterns_pass() -> None:
    assert to_filter_pattern("webhook queued") == '"webhook queued"'
    assert to_filter_pattern('{ $.level = "ERROR" }') == '{ $.level = "ERROR" }'
    assert to_filter_pattern("  ") is None


def test_server_json_line_is_rendered_with_its_event_fields() -> None:
    level, text, fields = parse_message('{"ts":"x","level":"WARNING","logger":"l","msg":"event failed; will retry",'
                                        '"webhook_id":"msg_1","event_type":"v2.entry.updated.fields",'
                                        '"entry_id":"etr_9","canvas_id":null,"reason":"429","exc_type":"E","exc":"x"}')
    assert (level, text) == ("WARNING", "event failed; will retry")
    assert fields == {"event_type": "v2.entry.updated.fields", "entry_id": "etr_9", "webhook_id": "msg_1",
                      "reason": "429", "error": "E: x"}


def test_access_line_level_follows_the_status() -> None:
    level, text, fields = parse_message('{"requestId":"r","routeKey":"ANY /{proxy+}","path":"/event","status":"503",'
                                        '"latency":"40","integrationError":"-"}')
    assert (level, text) == ("ERROR", "/event → 503")
    assert fields == {"path": "/event", "latency": "40 ms", "requestId": "r"}


def test_plain_lines_and_health_detection() -> None:
    assert parse_message("2026 WARN something odd") == ("WARNING", "2026 WARN something odd", {})
    assert parse_message("{not json") == (None, "{not json", {})
    source = LogSource("service", "g")
    health = to_log_event({"timestamp": 1, "message": '127.0.0.1 - "GET /health HTTP/1.1" 200', "eventId": "1"},
                          source)
    assert health.is_health_check
    assert not to_log_event({"timestamp": 1, "message": "POST /event 401", "eventId": "2"}, source).is_health_check


def test_log_sources_by_type_and_missing_outputs() -> None:
    outputs = {"ServiceLogGroup": "/svc", "ApiAccessLogGroup": "/api"}
    assert [s.label for s in log_sources(outputs, "all")] == ["service", "api"]
    assert log_sources(outputs, "api") == (LogSource("api", "/api"),)
    with pytest.raises(ConfigError, match="the stack has no ServiceLogGroup output"):
        log_sources({}, "service")


def test_poller_stops_after_one_pass_without_follow() -> None:
    logs = Mock()
    logs.get_paginator.return_value.paginate.return_value = [{"events": [
        {"timestamp": 5, "message": "b", "eventId": "2", "logStreamName": "s"},
        {"timestamp": 1, "message": "a", "eventId": "1", "logStreamName": "s"}]}]
    sleep = Mock()
    events = list(iter_log_events(logs, LogQuery((LogSource("service", "g"),), 0), sleep=sleep))
    assert [e.text for e in events] == ["a", "b"]
    sleep.assert_not_called()
    logs.get_paginator.return_value.paginate.assert_called_once_with(logGroupName="g", startTime=0)
