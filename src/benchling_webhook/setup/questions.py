"""The wizard's questions as data, and the ``Asker`` protocol that asks them.

Every question has a flag (``--tenant`` for ``tenant``): ``setup --yes`` answers from flags and the
existing profile, an interactive run asks for the rest. The CLI provides the asker (questionary in a
terminal, a non-interactive one that lists every missing flag in CI); unit tests script one. The asker
sees only a ``Question`` and a default: flags, validation against the outside world and the order of
the questions are the steps' business (``setup/step.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from benchling_webhook.setup.validate import (
    check_app_definition_id,
    check_bucket_name,
    check_email,
    check_image_uri,
    check_region,
    check_required,
    check_s3_location,
    check_segment,
    check_task_count,
    check_tenant,
    check_vpc_id,
    check_workflow,
    check_workgroup,
)

NEW_VPC = "new"
CPU_UNITS = ("256", "512", "1024", "2048", "4096")


@dataclass(frozen=True)
class Choice:
    title: str
    value: str


@dataclass(frozen=True)
class Question:
    """One prompted value; ``check`` returns an error message or ``None``."""

    name: str
    message: str
    required: bool = True
    secret: bool = False
    check: Callable[[str], str | None] | None = None
    instruction: str | None = None
    choices: tuple[Choice, ...] = ()

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def problem(self, value: str) -> str | None:
        """Why ``value`` is not acceptable, or ``None``."""
        if not value.strip():
            return "a value is required" if self.required else None
        if self.choices and value not in {c.value for c in self.choices}:
            return "choose one of: " + ", ".join(c.value for c in self.choices)
        return self.check(value) if self.check else None


class Asker(Protocol):
    """Asks questions; ``ask`` returns ``None`` only when a non-interactive run lacks a value."""

    @property
    def interactive(self) -> bool: ...

    def ask(self, question: Question, default: str | None) -> str | None: ...

    def confirm(self, message: str, default: bool = True) -> bool: ...

    def raise_if_incomplete(self) -> None:
        """Raise one error naming every missing flag (non-interactive), else do nothing."""
        ...


Notify = Callable[[str, str], None]
"""``notify(level, text)`` with level ``step|info|success|warning``: narration the CLI renders."""


QUESTIONS: dict[str, Question] = {q.name: q for q in (
    Question("catalog", "Quilt catalog URL", required=False,
             instruction="(the web address of your Quilt catalog; empty if you have no Quilt stack)"),
    Question("quilt_stack", "Several Quilt stacks serve this catalog. Which one?"),
    Question("quilt_queue_url", "Quilt packager queue URL", required=False,
             instruction="(empty: packages are built directly with quilt3)"),
    Question("quilt_database", "Athena database of the Quilt catalog", required=False,
             instruction="(empty: no linked-package search)"),
    Question("tenant", "Benchling tenant", check=check_tenant,
             instruction="(acme, acme.benchling.com or https://acme.benchling.com)"),
    Question("app_definition_id", "App definition id", check=check_app_definition_id,
             instruction="(appdef_…, Developer Console → Apps → your app)"),
    Question("client_id", "Client id", check=check_required),
    Question("client_secret", "Client secret", secret=True),
    Question("manifest_path", "Write the app manifest to"),
    Question("bucket", "S3 bucket for packages", check=check_bucket_name),
    Question("bucket_versioning", "The bucket's versioning is off. Turn it on?",
             choices=(Choice("on: keep the data of every package revision", "on"),
                      Choice("off: stop here (packages need a versioned bucket)", "off"))),
    Question("prefix", "Package name prefix", check=check_segment, instruction="(packages are <prefix>/<entry id>)"),
    Question("metadata_key", "Metadata key linking packages to entries", check=check_segment),
    Question("workflow", "Quilt workflow for the packages", required=False, check=check_workflow,
             instruction="(a workflow of the bucket's .quilt/workflows/config.yml; 'none' for no workflow)"),
    Question("region", "AWS region to deploy to", check=check_region),
    Question("image_uri", "Container image URI", required=False, check=check_image_uri,
             instruction="(empty: build it from this package at deploy time)"),
    Question("vpc_id", "VPC", required=False, check=check_vpc_id,
             instruction="(an existing VPC id, or 'new' to create one with 2 AZs and NAT gateways)"),
    Question("athena_workgroup", "Athena workgroup for linked-package queries", check=check_workgroup,
             instruction="(the Quilt stack's, or 'new': the stack creates one, query results managed by Athena)"),
    Question("athena_results_location", "Athena query results location", required=False, check=check_s3_location,
             instruction="(s3://bucket/prefix/; empty: s3://<package bucket>/.benchling-webhook/athena-results/)"),
    # The sizing questions get their choices/instructions (with costs) when asked, see setup/sizing.py.
    Question("nat_gateways", "NAT gateways of the new VPC", choices=(Choice("2", "2"), Choice("1", "1"))),
    Question("cpu", "Task CPU (1024 units = 1 vCPU)", choices=tuple(Choice(c, c) for c in CPU_UNITS)),
    Question("memory", "Task memory (MiB)"),
    Question("min_tasks", "Minimum running tasks", check=check_task_count),
    Question("max_tasks", "Maximum tasks", check=check_task_count),
    Question("fargate_spot", "Fargate Spot", choices=(Choice("off", "off"), Choice("on", "on"))),
    Question("alarm_email", "Alarm email", required=False, check=check_email,
             instruction="(optional: the alarms exist either way; this address gets them by email via SNS)"),
)}
