"""The packages steps: the bucket packages go to (checked: it exists and these credentials can read it),
the package name prefix and the metadata key that links a package to its Benchling entry, and the Quilt
workflow every revision goes through.

The bucket defaults to the profile's, else the Quilt stack's; its region is kept so the wizard can note
a bucket that is not in the deployment region. The bucket must be versioned: a new revision overwrites
each object in place (and prunes what the entry no longer has), so on an unversioned bucket the earlier
revisions would point at data that is gone. Setup offers to turn versioning on (``--bucket-versioning``
when not interactive) and stops otherwise.

The workflow is asked after the bucket: in a terminal as a choice among the bucket's own workflows
(``setup/workflows.py``), otherwise from ``--workflow``. The check refuses a workflow the bucket does not
define, naming the ones it does, and a bucket that requires a workflow when none is chosen and it has no
default — mistakes the packager would otherwise report at run time, one failed revision after another.
``none`` (or an empty answer) means no workflow.
"""

from __future__ import annotations

from benchling_webhook.config.models import PackagesConfig
from benchling_webhook.errors import ValidationFailedError
from benchling_webhook.setup.questions import Choice
from benchling_webhook.setup.quilt import QuiltStep
from benchling_webhook.setup.services import SetupServices
from benchling_webhook.setup.step import Finding, Interview, ProfileDraft, Step
from benchling_webhook.setup.validate import normalize_bucket
from benchling_webhook.setup.workflows import WORKFLOWS_KEY, WorkflowCatalog

NO_WORKFLOW = "none"


class BucketStep(Step):
    """The package bucket; ``region`` is known once the check has run."""

    subject = "bucket"

    def __init__(self, quilt: QuiltStep, old: PackagesConfig | None) -> None:
        self.quilt = quilt
        self.old = old
        self.bucket: str | None = None
        self.region: str | None = None
        self.unversioned = False  # known after a check found versioning off
        self.enable_versioning = False

    def collect(self, interview: Interview, services: SetupServices) -> None:
        if not interview.repeating:
            self.bucket = (self.old.bucket if self.old else None) or self.quilt.config.bucket
        answer = interview.ask("bucket", self.bucket)
        self.bucket = normalize_bucket(answer) if answer else None
        if self.unversioned or interview.given("bucket_versioning") is not None:
            self.enable_versioning = interview.ask("bucket_versioning", "on") == "on"

    def check(self, services: SetupServices) -> list[Finding]:
        if not self.bucket:
            return []
        info = services.verify_bucket(self.bucket)
        self.region = info.region
        found = [Finding("success", f"bucket {info.name} is reachable ({info.region})")]
        status = services.bucket_versioning(info.name)
        if status == "Enabled":
            return found
        if self.enable_versioning:
            services.enable_bucket_versioning(info.name)
            return [*found, Finding("success", f"turned on versioning for bucket {info.name}")]
        self.unversioned = True
        state = "suspended" if status == "Suspended" else "off"
        raise ValidationFailedError(
            f"bucket {info.name} has versioning {state}: each package revision overwrites its objects in place, "
            "so earlier revisions would lose their data",
            hint="turn it on when asked, or pass --bucket-versioning (needs s3:PutBucketVersioning)")

    def build(self, draft: ProfileDraft) -> None:
        draft.packages.update(bucket=self.bucket or "")


class PackageNamesStep(Step):
    """The package name prefix (``<prefix>/<entry id>``) and the metadata key."""

    def __init__(self, old: PackagesConfig | None) -> None:
        self.prefix = old.prefix if old else "benchling"
        self.metadata_key = old.metadata_key if old else "experiment_id"

    def collect(self, interview: Interview, services: SetupServices) -> None:
        self.prefix = interview.ask("prefix", self.prefix) or "benchling"
        self.metadata_key = interview.ask("metadata_key", self.metadata_key) or "experiment_id"

    def build(self, draft: ProfileDraft) -> None:
        draft.packages.update(prefix=self.prefix, metadata_key=self.metadata_key)


class WorkflowStep(Step):
    """``packages.workflow``: a workflow of the package bucket, or none."""

    subject = "workflow"

    def __init__(self, bucket: BucketStep, old: PackagesConfig | None) -> None:
        self.bucket = bucket
        self.workflow: str | None = old.workflow if old else None
        self._catalog: tuple[str, WorkflowCatalog | None] | None = None

    def _workflows(self, services: SetupServices) -> WorkflowCatalog | None:
        bucket = self.bucket.bucket or ""
        if self._catalog is None or self._catalog[0] != bucket:
            self._catalog = (bucket, services.bucket_workflows(bucket))
        return self._catalog[1]

    def collect(self, interview: Interview, services: SetupServices) -> None:
        choices: tuple[Choice, ...] = ()
        default = self.workflow or NO_WORKFLOW
        if interview.interactive and self.bucket.bucket and interview.given("workflow") is None:
            catalog = self._workflows(services)
            if catalog is None:  # nothing to choose from: no question
                self.workflow = None
                return
            choices = (*(Choice(f"{key} ({name})" if name != key else key, key)
                         for key, name in sorted(catalog.workflows.items())),
                       Choice("no workflow" + (f" (the bucket's default: {catalog.default})" if catalog.default
                                               else ""), NO_WORKFLOW))
            if default not in {c.value for c in choices}:
                default = catalog.default or NO_WORKFLOW
        answer = interview.ask("workflow", default, **({"choices": choices} if choices else {}))
        self.workflow = None if not answer or answer == NO_WORKFLOW else answer

    def check(self, services: SetupServices) -> list[Finding]:
        if not self.bucket.bucket:
            return []
        catalog = self._workflows(services)
        if catalog is None:
            if self.workflow:
                raise ValidationFailedError(
                    f"Quilt workflow '{self.workflow}' cannot be used: bucket {self.bucket.bucket} defines no "
                    f"workflows (s3://{self.bucket.bucket}/{WORKFLOWS_KEY} does not exist)",
                    hint="leave the workflow empty (--workflow none), or add it to the bucket's workflows first")
            return []
        if self.workflow and self.workflow not in catalog.workflows:
            raise ValidationFailedError(
                f"Quilt workflow '{self.workflow}' is not one of the workflows in {catalog.location}",
                hint=f"choose one of: {catalog.listed()} (or --workflow none)")
        if self.workflow:
            return [Finding("success", f"packages go through Quilt workflow {self.workflow} "
                                       f"({catalog.workflows[self.workflow]})")]
        if catalog.default:
            return [Finding("info", f"no workflow chosen: Quilt applies the bucket's default workflow, "
                                    f"{catalog.default}")]
        if catalog.required:
            raise ValidationFailedError(
                f"bucket {self.bucket.bucket} requires a Quilt workflow ({catalog.location}) and has no default",
                hint=f"choose one of: {catalog.listed()}")
        return [Finding("info", "packages go through no Quilt workflow (the bucket does not require one)")]

    def build(self, draft: ProfileDraft) -> None:
        draft.packages.update(workflow=self.workflow)
