"""A scripted asker and mock services for the setup wizard's unit tests."""

from __future__ import annotations

from typing import Any
from unittest.mock import Mock

from benchling_webhook.setup.discovery import CatalogInfo, QuiltStack
from benchling_webhook.setup.questions import Question
from benchling_webhook.setup.services import SetupServices
from benchling_webhook.setup.validate import BucketInfo, WorkgroupInfo

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:bw-abc"
STACK = QuiltStack("quilt", "arn:aws:cloudformation:us-east-1:1:stack/quilt/x", "us-east-1",
                   {"QuiltWebHost": "https://quilt.example.com", "PackagerQueueUrl": "https://sqs/q",
                    "UserAthenaDatabaseName": "db", "UserBucket": "quilt-data"})
FRESH = {"catalog": "https://quilt.example.com", "tenant": "acme.benchling.com", "app_definition_id": "appdef_1",
         "client_id": "client_1", "client_secret": "s3cret"}


class ScriptedAsker:
    """Answers from a script; records every question with the default it was offered."""

    interactive = True

    def __init__(self, answers: dict[str, Any], confirms: list[bool] | None = None) -> None:
        self.answers = {k: list(v) if isinstance(v, list) else [v] for k, v in answers.items()}
        self.confirms = list(confirms or [])
        self.asked: list[tuple[str, str | None]] = []
        self.questions: dict[str, Question] = {}  # as last asked: choices/instructions carry the costs
        self.confirmed: list[str] = []

    def ask(self, question: Question, default: str | None) -> str | None:
        self.asked.append((question.name, default))
        self.questions[question.name] = question
        queue = self.answers.get(question.name)
        answer = queue.pop(0) if queue else None
        return default if answer is None else answer

    def confirm(self, message: str, default: bool = True) -> bool:
        self.confirmed.append(message)
        return self.confirms.pop(0) if self.confirms else default

    def raise_if_incomplete(self) -> None:
        return None


def mock_services() -> Mock:
    services = Mock(spec=SetupServices)
    services.catalog_info.return_value = CatalogInfo("quilt.example.com", "https://quilt.example.com/config.json",
                                                     "us-east-1")
    services.quilt_stacks.return_value = [STACK]
    services.verify_bucket.side_effect = lambda name: BucketInfo(name, "us-east-1")
    services.bucket_versioning.return_value = "Enabled"
    services.default_region.return_value = "us-west-2"
    services.list_vpcs.return_value = []
    services.read_secret.return_value = {"client_secret": "stored"}
    services.athena_workgroup.return_value = WorkgroupInfo("primary", None, enforced=False)
    services.bucket_workflows.return_value = None
    services.quilt_stack_vpc.return_value = None
    return services
