"""The packages steps: the bucket packages go to (checked: it exists and these credentials can read it),
then the package name prefix and the metadata key that links a package to its Benchling entry.

The bucket defaults to the profile's, else the Quilt stack's; its region is kept so the wizard can note
a bucket that is not in the deployment region. The bucket must be versioned: a new revision overwrites
each object in place (and prunes what the entry no longer has), so on an unversioned bucket the earlier
revisions would point at data that is gone. Setup offers to turn versioning on (``--bucket-versioning``
when not interactive) and stops otherwise.
"""

from __future__ import annotations

from benchling_webhook.config.models import PackagesConfig
from benchling_webhook.errors import ValidationFailedError
from benchling_webhook.setup.quilt import QuiltStep
from benchling_webhook.setup.services import SetupServices
from benchling_webhook.setup.step import Finding, Interview, ProfileDraft, Step
from benchling_webhook.setup.validate import normalize_bucket


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
