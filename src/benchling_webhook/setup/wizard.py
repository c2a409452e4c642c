"""The setup wizard: steps from nothing (or an existing profile) to a valid profile.

1. Quilt catalog → region → Quilt stack and its outputs, or values by hand (``quilt.py``); with an Athena
   database, the workgroup and results location of linked-package queries (``athena.py``);
2. Benchling app manifest (first run) and client credentials, validated with a token request
   (``benchling.py``);
3. package bucket (validated), prefix, metadata key and the Quilt workflow among the bucket's
   own (``packages.py``);
4. deployment region, image, existing VPC (validated) or a new one (``deployment.py``); sizing and cost
   options, each shown with what it costs or saves (``sizing.py``);
5. the result: a ``SetupResult`` the CLI summarises and ``save_setup`` writes.

Each step collects, checks and builds (``step.py``). Every value comes from its flag if given, else from
the asker with the existing profile's value as the default. Interactive runs check each step right after
collecting it and offer to re-enter it; non-interactive runs first collect everything (so one error lists
every missing flag) and then run the checks. Nothing is written until ``save_setup``: Ctrl-C at any
question leaves the old profile as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchling_webhook.config.models import ProfileConfig, QuiltConfig
from benchling_webhook.config.secret import BenchlingCredentials
from benchling_webhook.errors import BenchlingWebhookError
from benchling_webhook.setup.athena import AthenaStep
from benchling_webhook.setup.benchling import BenchlingStep, ManifestStep
from benchling_webhook.setup.deployment import DeploymentStep, VpcStep
from benchling_webhook.setup.packages import BucketStep, PackageNamesStep, WorkflowStep
from benchling_webhook.setup.questions import Asker, Notify
from benchling_webhook.setup.quilt import QuiltStep
from benchling_webhook.setup.secrets import region_of_arn
from benchling_webhook.setup.services import SetupServices
from benchling_webhook.setup.sizing import SizingStep
from benchling_webhook.setup.step import Finding, Interview, ProfileDraft, Step


@dataclass
class SetupResult:
    """The new profile (secret ARN still the old one) and the secret to write, if it changed."""

    config: ProfileConfig
    secret: BenchlingCredentials | None
    notes: list[str] = field(default_factory=list)


class SetupWizard:
    """Runs the steps in order and returns a ``SetupResult``; writes nothing.

    Args:
        asker: asks what the flags do not answer (questionary, non-interactive, or scripted in tests).
        services: discovery and live checks.
        answers: flag values by question name (``{"tenant": "acme"}``); ``None`` means not given.
        benchling_base_url: the Benchling API base override (a local sandbox), else the profile's.
        notify: ``notify(level, text)`` narration, see ``setup/questions.py``.
    """

    def __init__(self, asker: Asker, services: SetupServices, *, profile: str,
                 existing: ProfileConfig | None = None, answers: Mapping[str, str | None] | None = None,
                 benchling_base_url: str | None = None, skip_validation: bool = False,
                 notify: Notify | None = None) -> None:
        self.asker = asker
        self.services = services
        self.existing = existing
        self.skip_validation = skip_validation
        self.notify: Notify = notify or (lambda level, text: None)
        self.interview = Interview(asker, answers or {}, self.notify)
        sections = (existing.benchling, existing.packages, existing.deployment) if existing else (None, None, None)
        old_benchling, old_packages, old_deployment = sections
        quilt = QuiltStep(existing.quilt if existing else QuiltConfig(), skip_validation=skip_validation)
        deployment = DeploymentStep(quilt, old_deployment)
        vpc = VpcStep(deployment, old_deployment)
        self.benchling = BenchlingStep(old_benchling, benchling_base_url)
        self.bucket = BucketStep(quilt, old_packages)
        self.sections: tuple[tuple[str, tuple[Step, ...]], ...] = (
            ("Quilt catalog", (quilt, AthenaStep(quilt))),
            ("Benchling app", (ManifestStep(old_benchling, profile), self.benchling)),
            ("Packages", (self.bucket, PackageNamesStep(old_packages), WorkflowStep(self.bucket, old_packages))),
            ("Deployment", (deployment, vpc, SizingStep(deployment, vpc, old_deployment))),
        )

    @property
    def steps(self) -> list[Step]:
        return [step for _, steps in self.sections for step in steps]

    def run(self) -> SetupResult:
        deferred: list[Step] = []
        for number, (title, steps) in enumerate(self.sections, start=1):
            self.notify("step", f"Step {number}/{len(self.sections) + 1} · {title}")
            for step in steps:
                step.collect(self.interview, self.services)
                if self.skip_validation:
                    continue
                if self.asker.interactive:
                    self._check_until_accepted(step)
                else:
                    deferred.append(step)
        self.asker.raise_if_incomplete()
        if deferred:
            self.notify("step", "Checking the values")
        for step in deferred:
            self._report(step.check(self.services))
        return self._result()

    def _check_until_accepted(self, step: Step) -> None:
        """Check now; on a refusal, offer to re-enter the step's values (declined: the error stands)."""
        while True:
            try:
                self._report(step.check(self.services))
                return
            except BenchlingWebhookError as exc:
                self.notify("warning", exc.message + (f" — {exc.hint}" if exc.hint else ""))
                if not self.asker.confirm(f"Re-enter the {step.subject}?", default=True):
                    raise
                step.collect(self.interview.again(), self.services)

    def _report(self, findings: list[Finding]) -> None:
        for level, text in findings:
            self.notify(level, text)

    def _result(self) -> SetupResult:
        old = self.existing
        draft = ProfileDraft(deployment=old.deployment.model_dump() if old else {})
        for step in self.steps:
            step.build(draft)
        config = draft.to_config()
        if old is not None:  # sections the wizard does not ask about are kept as they were
            config = config.model_copy(update={"logging": old.logging, "security": old.security})
        return SetupResult(config=config, secret=self.benchling.secret_to_write(config, self.services),
                           notes=self._notes(config))

    def _notes(self, config: ProfileConfig) -> list[str]:
        """What to know before deploying, shown after the summary."""
        notes = []
        region = config.deployment.region
        if self.bucket.region and region and self.bucket.region != region:
            notes.append(f"the bucket is in {self.bucket.region} and the stack in {region}: "
                         "cross-region traffic is slower and costs more")
        vpc = config.deployment.vpc
        if vpc is not None and not vpc.private_subnet_ids and self.skip_validation:
            notes.append("the VPC's subnets were not discovered (--skip-validation): "
                         "re-run setup without it before deploying")
        return notes


def save_setup(result: SetupResult, profile: str, services: SetupServices, store: Any) -> Path:
    """Write the secret (if it changed) and then the profile, atomically; returns the profile path."""
    config = result.config
    if result.secret is not None:
        old_arn = config.benchling.secret_arn
        reuse = old_arn if region_of_arn(old_arn) == config.deployment.region else None
        arn = services.store_secret(config.deployment.region, profile, result.secret, reuse)
        config = config.model_copy(update={"benchling": config.benchling.model_copy(update={"secret_arn": arn})})
    return Path(store.save(profile, config))


def check_profile_names(profile: str, aws_profile: str | None, *, profile_exists: bool,
                        benchling_profiles: list[str], aws_profiles: list[str]) -> str | None:
    """Catch ``--profile``/``--aws-profile`` mix-ups: raise when ``--aws-profile`` names one of our
    profiles (it would fail anyway), return a warning when ``--profile`` looks like an AWS profile."""
    from benchling_webhook.errors import AwsCredentialsError

    if aws_profile and aws_profile not in aws_profiles and aws_profile in benchling_profiles:
        raise AwsCredentialsError(
            f"AWS profile '{aws_profile}' is not configured",
            hint=f"'{aws_profile}' is a benchling-webhook profile: did you mean --profile {aws_profile}?",
        )
    if not profile_exists and profile in aws_profiles and profile != "default":
        return (f"'{profile}' is an AWS profile, but --profile names a benchling-webhook profile (none is called "
                f"'{profile}' yet); for AWS credentials use --aws-profile {profile}")
    return None
