"""Package-revision events to the worker (Quilt Platform mode): an EventBridge rule and a queue.

The Quilt stack announces each new revision with a ``package-revision`` event on the account's default
event bus (docs/quilt.md). A rule matches the events of the package bucket whose package name starts with
``<prefix>/`` (``constants.package_revision_pattern``) and sends them to a standard queue (order does not
matter: the worker compares each event with the package's ``latest`` revision). The queue's policy lets
only that rule send (the target adds it, conditioned on the rule's ARN); messages the worker fails on go
to a dead-letter queue after ``MAX_RECEIVES`` deliveries. The task role may only consume the queue.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from benchling_webhook.constants import package_revision_pattern

MAX_RECEIVES = 5


class RevisionEvents(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, bucket: str, prefix: str) -> None:
        super().__init__(scope, construct_id)
        common: dict[str, Any] = {"encryption": sqs.QueueEncryption.SQS_MANAGED, "enforce_ssl": True}
        self.dead_letter = sqs.Queue(self, "DeadLetter", retention_period=Duration.days(14), **common)
        self.queue = sqs.Queue(
            self, "Queue",
            retention_period=Duration.days(1),  # an event older than a day no longer changes what a canvas shows
            visibility_timeout=Duration.minutes(2),
            receive_message_wait_time=Duration.seconds(20),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=MAX_RECEIVES, queue=self.dead_letter),
            **common,
        )
        pattern = package_revision_pattern(bucket, prefix)
        self.rule = events.Rule(
            self, "Rule", description="Quilt package revisions of benchling-webhook's packages",
            event_pattern=events.EventPattern(source=pattern["source"], detail_type=pattern["detail-type"],
                                              detail=pattern["detail"]),
        )
        self.rule.add_target(targets.SqsQueue(self.queue))
