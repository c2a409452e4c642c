"""Where the canvas's linked-package queries run: the Athena workgroup and the query results location.

Asked right after the Quilt stack, only when there is an Athena database to query. Defaults: the
profile's values (same Quilt stack), else the Quilt stack's outputs (``setup/discovery.py``), else the
``primary`` workgroup and no explicit location — the stack then uses a prefix of the package bucket.

The live check reads the workgroup: it must exist and be enabled, and when it *enforces* its settings
Athena writes results to the workgroup's own location whatever the caller asks, so that location is the
one stored (and the one the stack lets the task role write).
"""

from __future__ import annotations

from benchling_webhook.constants import ATHENA_RESULTS_PREFIX
from benchling_webhook.setup.quilt import QuiltStep
from benchling_webhook.setup.services import SetupServices
from benchling_webhook.setup.step import Finding, Interview, ProfileDraft, Step

DEFAULT_WORKGROUP = "primary"


def _same_place(a: str | None, b: str | None) -> bool:
    return (a or "").rstrip("/") == (b or "").rstrip("/")


class AthenaStep(Step):
    """The workgroup and results location of linked-package queries (none without an Athena database)."""

    subject = "Athena workgroup"

    def __init__(self, quilt: QuiltStep) -> None:
        self.quilt = quilt
        self.workgroup: str | None = None
        self.results: str | None = None

    @property
    def asked(self) -> bool:
        return bool(self.quilt.config.database)

    def collect(self, interview: Interview, services: SetupServices) -> None:
        if not self.asked:
            if {"athena_workgroup", "athena_results_location"} & interview.answers.keys():
                interview.say("warning", "--athena-workgroup/--athena-results-location are ignored without an "
                                         "Athena database (no linked-package queries)")
            return
        if not interview.repeating:
            old, quilt = self.quilt.old, self.quilt.config
            same = (old.stack_arn, old.catalog) == (quilt.stack_arn, quilt.catalog)
            self.workgroup = (old.athena_workgroup if same else None) or quilt.athena_workgroup or DEFAULT_WORKGROUP
            self.results = (old.athena_results_location if same else None) or quilt.athena_results_location
        self.workgroup = interview.ask("athena_workgroup", self.workgroup) or DEFAULT_WORKGROUP
        self.results = interview.ask("athena_results_location", self.results) or None

    def check(self, services: SetupServices) -> list[Finding]:
        if not self.asked:
            return []
        name = self.workgroup or DEFAULT_WORKGROUP
        info = services.athena_workgroup(self.quilt.config.region or services.default_region(), name)
        if info is None:
            return [Finding("warning", f"these AWS credentials may not read Athena workgroup {name}: not checked")]
        if info.enforced and info.output_location:
            findings = []
            if self.results and not _same_place(self.results, info.output_location):
                findings.append(Finding("warning", f"workgroup {name} enforces its own results location, so "
                                                   f"{self.results} would not be used"))
            self.results = info.output_location
            return [*findings, Finding("success", f"Athena workgroup {name} writes query results to "
                                                  f"{info.output_location} (enforced by the workgroup); the stack "
                                                  "lets the task role write there")]
        where = self.results or f"s3://<package bucket>/{ATHENA_RESULTS_PREFIX}"
        return [Finding("success", f"Athena workgroup {name}: query results go to {where}")]

    def build(self, draft: ProfileDraft) -> None:  # without a database both are None: nothing to query
        draft.quilt.update(athena_workgroup=self.workgroup, athena_results_location=self.results)
