from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.functional.ops.support import (
    API_GROUP,
    SERVICE_GROUP,
    access_line,
    create_deployed_stack,
    now_ms,
    put_events,
    server_line,
)
from tests.helpers import CLI, minimal_profile, write_profile


@pytest.fixture
def deployed(aws, isolation: Path):  # type: ignore[no-untyped-def]
    write_profile(isolation, "dev", minimal_profile())
    create_deployed_stack(aws.client("cloudformation"))
    logs = aws.client("logs")
    start = now_ms() - 120_000
    put_events(logs, SERVICE_GROUP, [
        (start + 1_000, server_line("webhook queued", webhook_id="msg_1", event_type="v2.entry.created",
                                    entry_id="etr_1")),
        (start + 3_000, server_line("export failed", level="ERROR", entry_id="etr_1", reason="task FAILED")),
        (start + 4_000, "plain text line [not markup] WARNING here"),
    ])
    put_events(logs, API_GROUP, [(start + 2_000, access_line("/event", 202)),
                                 (start + 2_500, access_line("/health", 200))])
    return logs


def test_logs_are_merged_labelled_and_readable(cli, deployed) -> None:  # type: ignore[no-untyped-def]
    result = cli("logs", "--profile", "dev", "--since", "10m")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    assert [line.split()[2:4] for line in lines] == [["service", "INFO"], ["api", "INFO"], ["service", "ERROR"],
                                                     ["service", "WARNING"]]
    assert lines[0].endswith("webhook queued  event=v2.entry.created  entry=etr_1  webhook=msg_1")
    assert "/event → 202" in lines[1] and "latency=12 ms" in lines[1]
    assert lines[2].endswith("export failed  entry=etr_1  reason=task FAILED")
    assert lines[3].endswith("plain text line [not markup] WARNING here")
    assert "BenchlingWebhookStack-dev (us-east-1): service + api logs of the last 10m" in result.stderr


def test_health_type_filter_and_json(cli, deployed) -> None:  # type: ignore[no-untyped-def]
    result = cli("logs", "--profile", "dev", "--type", "api", "--include-health", "--json")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["source"], r["fields"]["path"]) for r in rows] == [("api", "/event"), ("api", "/health")]
    result = cli("logs", "--profile", "dev", "--filter", "export failed")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 1 and "export failed" in result.stdout


def test_empty_window_says_so_and_suggests_a_wider_since(cli, deployed) -> None:  # type: ignore[no-untyped-def]
    result = cli("logs", "--profile", "dev", "--since", "30s")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert ("no log events in the last 30s (health checks are hidden: --include-health shows them)"
            in result.stderr)
    assert "hint: widen the window, e.g. --since 2h or --since 1d" in result.stderr


def test_bad_since_and_missing_stack_are_explained(cli, aws, isolation: Path) -> None:  # type: ignore[no-untyped-def]
    write_profile(isolation, "dev", minimal_profile())
    result = cli("logs", "--profile", "dev", "--since", "yesterday")
    assert result.exit_code == 2
    assert "error: --since 'yesterday' is not a duration" in result.stderr
    assert "hint: use a number and a unit, e.g. 10m, 2h or 1d" in result.stderr
    result = cli("logs", "--profile", "dev")
    assert result.exit_code == 1
    assert "error: stack BenchlingWebhookStack-dev does not exist in us-east-1" in result.stderr
    assert "hint: deploy it first: benchling-webhook deploy --profile dev" in result.stderr


def test_follow_prints_new_events_until_ctrl_c(deployed) -> None:  # type: ignore[no-untyped-def]
    import os

    import pexpect

    child = pexpect.spawn(CLI[0], [*CLI[1:], "logs", "--profile", "dev", "--follow", "--type", "service"],
                          env=dict(os.environ), encoding="utf-8", timeout=60)
    try:
        child.expect_exact("webhook queued")
        child.expect_exact("plain text line")
        put_events(deployed, SERVICE_GROUP, [(now_ms(), server_line("arrived later", entry_id="etr_2"))],
                   stream="s2")
        child.expect_exact("arrived later")
        child.sendintr()
        child.expect(pexpect.EOF)
        output = child.before
    finally:
        child.close()
    assert child.exitstatus == 0
    assert "webhook queued" not in output  # printed once, not again on later polls
