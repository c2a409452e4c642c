"""Where the canvas's linked-package queries run: the Athena workgroup and the query results location.

Asked right after the Quilt stack, only when there is an Athena database to query. Defaults: the
profile's values (same Quilt stack), else the Quilt stack's workgroup (``setup/discovery.py``), else
``new``: the stack creates a workgroup of its own whose query results Athena manages, so no results
bucket is needed (``stack/constructs/athena.py``). A profile made before that choice existed, with no
workgroup, keeps ``primary`` and a prefix of the package bucket.

The live check reads the workgroup: it must exist and be enabled, and when it *enforces* its settings
Athena writes results to the workgroup's own location whatever the caller asks, so that location is the
one stored (and the one the stack lets the task role write). A workgroup taken from the Quilt stack that
fails the check is not usable: setup says why and chooses ``new`` instead; a workgroup the user named
stays an error to fix.
"""

from __future__ import annotations

from benchling_webhook.constants import ATHENA_RESULTS_PREFIX
from benchling_webhook.errors import BenchlingWebhookError
from benchling_webhook.setup.quilt import QuiltStep
from benchling_webhook.setup.services import SetupServices
from benchling_webhook.setup.step import Finding, Interview, ProfileDraft, Step

DEFAULT_WORKGROUP = "primary"
NEW_WORKGROUP = "new"
MANAGED_RESULTS = ("the stack creates an Athena workgroup of its own with AWS-managed query results: Athena keeps "
                   "each result for 24 hours, so no results bucket is needed and the task role gets no S3 rights "
                   "for them")


def _same_place(a: str | None, b: str | None) -> bool:
    return (a or "").rstrip("/") == (b or "").rstrip("/")


class AthenaStep(Step):
    """The workgroup and results location of linked-package queries (none without an Athena database)."""

    subject = "Athena workgroup"

    def __init__(self, quilt: QuiltStep) -> None:
        self.quilt = quilt
        self.workgroup: str | None = None
        self.results: str | None = None
        self._from_quilt = False  # the workgroup is the Quilt stack's, not one the user named

    @property
    def asked(self) -> bool:
        return bool(self.quilt.config.database)

    @property
    def new(self) -> bool:
        return self.workgroup == NEW_WORKGROUP

    def collect(self, interview: Interview, services: SetupServices) -> None:
        if not self.asked:
            if {"athena_workgroup", "athena_results_location"} & interview.answers.keys():
                interview.say("warning", "--athena-workgroup/--athena-results-location are ignored without an "
                                         "Athena database (no linked-package queries)")
            return
        if not interview.repeating:
            old, quilt = self.quilt.old, self.quilt.config
            if (old.stack_arn, old.catalog) == (quilt.stack_arn, quilt.catalog) and old.database:
                self.workgroup = NEW_WORKGROUP if old.create_athena_workgroup else \
                    old.athena_workgroup or DEFAULT_WORKGROUP
                self.results = old.athena_results_location
            else:
                self.workgroup = quilt.athena_workgroup or NEW_WORKGROUP
                self.results = quilt.athena_results_location
        self.workgroup = interview.ask("athena_workgroup", self.workgroup) or NEW_WORKGROUP
        self._from_quilt = self.workgroup == self.quilt.config.athena_workgroup and not interview.given(
            "athena_workgroup")
        if self.new:  # Athena manages the results: no location to ask for (a flag's is reported by the check)
            self.results = interview.given("athena_results_location")
            return
        self.results = interview.ask("athena_results_location", self.results) or None

    def check(self, services: SetupServices) -> list[Finding]:
        if not self.asked:
            return []
        if self.new:
            findings = []
            if self.results:
                findings.append(Finding("warning", f"{self.results} is not used: the new workgroup's query results "
                                                   "are managed by Athena"))
                self.results = None
            why = "the Quilt stack has no Athena workgroup of its own" if not self.quilt.config.athena_workgroup \
                else "you chose a new workgroup"
            return [*findings, Finding("info", f"{why}, so {MANAGED_RESULTS}")]
        name = self.workgroup or DEFAULT_WORKGROUP
        try:
            info = services.athena_workgroup(self.quilt.config.region or services.default_region(), name)
        except BenchlingWebhookError as exc:
            if not self._from_quilt:
                raise
            self.workgroup, self.results = NEW_WORKGROUP, None
            return [Finding("warning", f"the Quilt stack's Athena workgroup {name} is not usable ({exc.message}), so "
                                       f"{MANAGED_RESULTS}")]
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

    def build(self, draft: ProfileDraft) -> None:  # without a database all are empty: nothing to query
        if self.asked and self.new:
            draft.quilt.update(athena_workgroup=None, athena_results_location=None, create_athena_workgroup=True)
        else:
            draft.quilt.update(athena_workgroup=self.workgroup if self.asked else None,
                               athena_results_location=self.results if self.asked else None,
                               create_athena_workgroup=None)
