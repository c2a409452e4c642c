"""The inbox's dead-letter queue as ``status`` and ``redrive`` see it: its depth, its oldest message, and
why its messages are there.

Where dead letters come from (``server/worker/runner.py``): the worker sends an event it gives up on to the
FIFO DLQ with a ``reason`` message attribute; SQS's own redrive policy of the inbox and of the backfill queue
(a backstop of 1,000 receives: the worker gives up by age) moves whole messages there without one.

**Grouping reasons.** A reason is grouped by what failed, not by how often: ``group_reason`` keeps the first
line, drops the age and attempt count the worker writes when it gives up ("gave up after 3601 s and 9
attempts; last error: X" and "gave up after 3700 s and 14 attempts; last error: X" both become "gave up:
X"), and masks Benchling ids (``etr_Ab12Cd34`` → ``etr_…``) so one error on many entries is one row.
Everything else (the error class and message) is kept as written.

**Oldest message.** CloudWatch's ``ApproximateAgeOfOldestMessage`` (the maximum over the last 5 minutes) is
the true figure. Without a datapoint (a queue CloudWatch has not sampled yet, or an emulator) a peek of up
to 10 messages (``VisibilityTimeout=0``: nothing is hidden) gives the oldest ``SentTimestamp`` among them,
a lower bound (``age_is_lower_bound``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

NO_REASON = "moved by the queue's redrive policy (no reason recorded)"
MAX_REASON = 200
_GAVE_UP = re.compile(r"^gave up after \d+ s and \d+ attempts?; last error: ")
_BENCHLING_ID = re.compile(r"\b([a-z]{2,5})_(?=[A-Za-z0-9]*[A-Z0-9])[A-Za-z0-9]{6,}\b")


def group_reason(reason: str | None) -> str:
    """The row a dead letter's ``reason`` attribute is counted under (see the module docstring)."""
    lines = (reason or "").strip().splitlines()
    text = lines[0].strip() if lines else ""
    if not text:
        return NO_REASON
    text = _GAVE_UP.sub("gave up: ", text)
    text = _BENCHLING_ID.sub(r"\1_…", text)
    return text if len(text) <= MAX_REASON else text[:MAX_REASON - 1] + "…"


def redrive_command(profile: str) -> str:
    """The command that sends the profile's dead letters back."""
    return f"benchling-webhook redrive --profile {profile}"


def queue_name(queue_url: str) -> str:
    """The queue's name (the last segment of its URL): CloudWatch's ``QueueName`` dimension."""
    return queue_url.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class DeadLetterState:
    """How many dead letters wait and how old the oldest is (``None``: empty or unknown)."""

    url: str
    depth: int | None  # visible + in flight (a redrive in progress hides what it handles); None: unreadable
    oldest_age_s: float | None = None
    age_is_lower_bound: bool = False  # from a peek of at most 10 messages, not from CloudWatch
    error: str = ""  # why the queue could not be read

    @property
    def empty(self) -> bool:
        return self.depth == 0


def get_dead_letter_state(sqs: Any, url: str, *, cloudwatch: Any | None = None,
                          now: datetime | None = None) -> DeadLetterState:
    """Depth from ``GetQueueAttributes``; the oldest message's age from CloudWatch, else from a peek. A queue
    AWS will not show (missing, access denied) gives a state with ``error`` set, not an exception."""
    from benchling_webhook.aws.errors import service_error

    try:
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    except Exception as exc:
        if (refused := service_error(exc)) is None:
            raise
        return DeadLetterState(url, None, error=f"{refused.code}: {refused.message}".rstrip(": "))
    depth = sum(int(attrs.get(name, 0)) for name in ("ApproximateNumberOfMessages",
                                                      "ApproximateNumberOfMessagesNotVisible"))
    if depth == 0:
        return DeadLetterState(url, 0)
    end = now or datetime.now(UTC)
    if cloudwatch is not None:
        answer = cloudwatch.get_metric_statistics(
            Namespace="AWS/SQS", MetricName="ApproximateAgeOfOldestMessage",
            Dimensions=[{"Name": "QueueName", "Value": queue_name(url)}],
            StartTime=end - timedelta(minutes=5), EndTime=end, Period=300, Statistics=["Maximum"])
        points = [p["Maximum"] for p in answer.get("Datapoints") or [] if "Maximum" in p]
        if points:
            return DeadLetterState(url, depth, float(max(points)))
    return DeadLetterState(url, depth, _peek_oldest_age(sqs, url, end), age_is_lower_bound=True)


def _peek_oldest_age(sqs: Any, url: str, now: datetime) -> float | None:
    answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=0,
                                 MessageSystemAttributeNames=["SentTimestamp"])
    sent = [int(m["Attributes"]["SentTimestamp"]) for m in answer.get("Messages") or []
            if "SentTimestamp" in (m.get("Attributes") or {})]
    if not sent:
        return None
    return max(0.0, now.timestamp() - min(sent) / 1000)
