"""A deployed benchling-webhook stack as ``logs``/``test`` see it: outputs in moto, log groups with events."""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

from benchling_webhook.constants import StackOutputs, stack_name_for

SERVICE_GROUP = "/bw/dev/service"
API_GROUP = "/bw/dev/api"


def create_deployed_stack(cfn: Any, profile: str = "dev", **outputs: str) -> str:
    """A stack named like the profile's, whose outputs name the log groups (and the endpoint if given)."""
    values = {StackOutputs.SERVICE_LOG_GROUP: SERVICE_GROUP, StackOutputs.API_LOG_GROUP: API_GROUP, **outputs}
    template = {"Resources": {"Inbox": {"Type": "AWS::SQS::Queue"}},
                "Outputs": {key: {"Value": value} for key, value in values.items()}}
    name = stack_name_for(profile)
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(template))
    return name


def now_ms() -> int:
    return int(time.time() * 1000)


def put_events(logs: Any, group: str, events: list[tuple[int, str | dict[str, Any]]], stream: str = "s1") -> None:
    """Create the group/stream if needed and append ``(timestamp_ms, message)`` events."""
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=group)
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[
        {"timestamp": ts, "message": m if isinstance(m, str) else json.dumps(m)} for ts, m in sorted(
            events, key=lambda e: e[0])])


def server_line(msg: str, level: str = "INFO", **fields: Any) -> dict[str, Any]:
    return {"ts": "2026-01-01T00:00:00.000Z", "level": level, "logger": "benchling_webhook.server.webhooks",
            "msg": msg, **fields}


def access_line(path: str, status: int) -> dict[str, Any]:
    """The stack's HTTP API access-log format (stack/constructs/api.py ACCESS_LOG_FORMAT)."""
    return {"requestId": "req-1", "ip": "203.0.113.9", "requestTime": "01/Jan/2026:00:00:00 +0000",
            "routeKey": "ANY /{proxy+}" if path != "/" else "ANY /", "path": path, "status": str(status),
            "responseLength": "17", "latency": "12", "integrationStatus": str(status), "integrationError": "-"}
