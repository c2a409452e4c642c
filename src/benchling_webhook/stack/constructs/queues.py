"""The inbox: a FIFO queue the webhook route writes to before it answers, its FIFO dead-letter queue, and the
backfill queue ``benchling-webhook backfill`` fills (FIFO too, so a re-sent batch de-duplicates).

Content-based de-duplication is off because the server sets ``MessageDeduplicationId`` (and the group id)
to the ``webhook-id`` header: Benchling's redeliveries of one webhook collapse, distinct webhooks with
identical bodies do not. The worker dead-letters poison events itself with the reason attached, and gives
up on an event by its age rather than by how often it was received: an event whose entry another task
holds is put back and received again, many times over. So the redrive policy's ``maxReceiveCount`` is
SQS's maximum, 1000 (docs/aws.md, *SQS*): only a backstop for a worker that dies mid-message over and over.

The backfill queue shares the dead-letter queue (a backfill event that fails for good is dead-lettered with
its reason like any event) and keeps messages 14 days: the CLI queues at most a window ahead of the workers,
so nothing waits that long unless the workers stop.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

BACKSTOP_MAX_RECEIVE_COUNT = 1000  # SQS's maximum


class InboxQueues(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        common: dict[str, Any] = {
            "fifo": True,
            "content_based_deduplication": False,
            "encryption": sqs.QueueEncryption.SQS_MANAGED,
            "enforce_ssl": True,
        }
        self.dead_letter = sqs.Queue(self, "DeadLetter", retention_period=Duration.days(14), **common)

        def worker_queue(name: str, retention: Duration) -> sqs.Queue:
            """A queue the worker takes events from: long polls, 15 minutes per event, the DLQ as backstop."""
            return sqs.Queue(self, name, retention_period=retention, visibility_timeout=Duration.minutes(15),
                             receive_message_wait_time=Duration.seconds(20),
                             dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=BACKSTOP_MAX_RECEIVE_COUNT,
                                                                   queue=self.dead_letter),
                             **common)

        self.inbox = worker_queue("Inbox", Duration.days(4))
        self.backfill = worker_queue("Backfill", Duration.days(14))
