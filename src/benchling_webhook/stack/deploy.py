"""The deploy pipeline: plan → render → confirm → execute → record → report.

    identity (STS: credentials + account)      pre-flight, fails before any work
      → VPC discovery (existing VPC only)      aws.ec2.validate_vpc
      → image (flag, profile, or build+push)    image.build.ImageResolver (local Docker or CodeBuild)
      → synthesize_inputs(...) -> Template      stack.synth (in-process CDK, node)
      → RemoteState.condition()                 stack.state: create / update / recreate / clear / wait / abort
      → [upload template to S3 if > 51,200 B]   TemplateUploader
      → Planner.plan() -> DeployPlan            stack.plan (change set; frozen data)
      → + estimated monthly cost                stack.cost (price table; what each option saves)
      → observer.review(plan, ask)              the CLI renders the plan and confirms unless --yes
      → Executor.execute(plan, observer.event)  ChangeSetExecutor, or DisplayOnlyExecutor for --dry-run
      → Recorder.record(report)                 deployments.json (NoopRecorder for --dry-run)
      → DeploymentReport                        the CLI prints the webhook URL and outputs

Each collaborator is injected by ``create_deployer``; the ``DeployObserver`` is how the pipeline talks to
the user (the CLI implements it with rich; tests with a list). AWS errors are wrapped once, here, into
``DeployError(where, what, hint)``; lower layers let botocore errors propagate.

The change set carries the stack's tags (``stack_tags``): the profile, the package version, who deployed
(the caller's ARN) and when. CloudFormation copies stack tags onto the resources that take tags, so a
redeploy that would change nothing but who and when is still a no-op: its change set is dropped, and the
stack keeps the tags of the deploy that last changed it.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from benchling_webhook import __version__
from benchling_webhook.aws.cloudformation import CloudFormation, StackEvent, iter_stack_events
from benchling_webhook.aws.errors import service_error
from benchling_webhook.config.models import ProfileConfig
from benchling_webhook.errors import BenchlingWebhookError, ConfigError, DeployCancelled, DeployError, StackStateError
from benchling_webhook.stack.cost import estimate_monthly_cost
from benchling_webhook.stack.execute import ChangeSetExecutor, DisplayOnlyExecutor, Executor
from benchling_webhook.stack.inputs import build_stack_inputs
from benchling_webhook.stack.plan import DeployPlan, Planner
from benchling_webhook.stack.report import DeploymentRecorder, DeploymentReport, NoopRecorder, Recorder
from benchling_webhook.stack.state import RemoteState, StackAction, StackCondition, is_terminal
from benchling_webhook.stack.synth import Template


@dataclass(frozen=True)
class DeployRequest:
    profile_name: str
    config: ProfileConfig
    image_uri: str | None = None
    yes: bool = False
    dry_run: bool = False
    wait: bool = False
    image_build: str | None = None  # --image-build; None: the profile's deployment.imageBuild
    allow_unverified: bool = False  # --allow-unverified-webhooks: deploy with signature checks off


class DeployObserver(Protocol):
    """How the pipeline narrates and asks; generators and services never print."""

    def stage(self, text: str) -> None: ...

    def confirm(self, question: str) -> bool: ...

    def review(self, plan: DeployPlan, ask: bool) -> bool: ...

    def event(self, event: StackEvent) -> None: ...

    def log(self, line: str) -> None: ...  # a line of a remote image build's log


@contextmanager
def aws_step(where: str) -> Iterator[None]:
    """Wrap AWS service errors of one pipeline step into ``DeployError`` (credential errors pass through)."""
    try:
        yield
    except BenchlingWebhookError:
        raise
    except Exception as exc:
        if (refused := service_error(exc)) is None:
            raise
        raise DeployError(where, f"{refused.code}: {refused.message or exc}", hint=refused.hint) from None


TAG_PROFILE = "benchling-webhook:profile"
TAG_VERSION = "benchling-webhook:version"
TAG_DEPLOYED_BY = "benchling-webhook:deployed-by"
TAG_DEPLOYED_AT = "benchling-webhook:deployed-at"
_STAMP = (TAG_DEPLOYED_BY, TAG_DEPLOYED_AT)
_TAG_VALUE_UNSAFE = re.compile(r"[^\w\s.:/=+\-@]")  # what a tag value may hold


def stack_tags(profile_name: str, who: str, at: datetime) -> dict[str, str]:
    """The stack's tags: profile, package version, the caller's ARN and the UTC time of the deploy."""
    return {TAG_PROFILE: profile_name, TAG_VERSION: __version__,
            TAG_DEPLOYED_BY: _TAG_VALUE_UNSAFE.sub("_", who)[:256] or "unknown",
            TAG_DEPLOYED_AT: at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}


def only_stamp_changes(plan: DeployPlan, current: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    """The change set changes nothing but the who/when tags (an unchanged stack deployed again)."""
    if plan.action != "update" or plan.is_empty:
        return False
    unstamped = {k: v for k, v in wanted.items() if k not in _STAMP}
    kept = {k: v for k, v in current.items() if k not in _STAMP}
    return kept == unstamped and all(change.action == "Modify" and set(change.scope) == {"Tags"}
                                     for change in plan.changes)


class TemplateUploader:
    """Puts an over-size template into a per-account bucket so CloudFormation can read it by URL."""

    def __init__(self, s3: Callable[[], Any]) -> None:
        self._s3 = s3

    def upload(self, template: Template, account: str, region: str) -> str:
        s3 = self._s3()
        bucket = f"benchling-webhook-templates-{account}-{region}"
        try:
            s3.head_bucket(Bucket=bucket)
        except Exception:
            kwargs: dict[str, Any] = {"Bucket": bucket}
            if region != "us-east-1":
                kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
            s3.create_bucket(**kwargs)
            s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
                "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True})
        key = f"{template.stack_name}/{hashlib.sha256(template.body.encode()).hexdigest()[:16]}.json"
        s3.put_object(Bucket=bucket, Key=key, Body=template.body.encode(), ContentType="application/json")
        return f"https://{bucket}.s3.{region}.amazonaws.com/{key}"


class Deployer:
    """Runs the pipeline above with injected collaborators."""

    def __init__(self, *, cfn: CloudFormation, sts: Any, planner: Planner, executor: Executor, recorder: Recorder,
                 synthesize: Callable[[ProfileConfig, str, str], Template],
                 resolve_image: Callable[[DeployRequest, str, str, DeployObserver], str],
                 complete_vpc: Callable[[ProfileConfig], ProfileConfig] = lambda c: c,
                 uploader: TemplateUploader | None = None, clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC), event_interval: float = 5.0) -> None:
        self.cfn = cfn
        self.sts = sts
        self.planner = planner
        self.executor = executor
        self.recorder = recorder
        self.synthesize = synthesize
        self.resolve_image = resolve_image
        self.complete_vpc = complete_vpc
        self.uploader = uploader
        self.clock = clock
        self.now = now
        self.event_interval = event_interval

    def deploy(self, request: DeployRequest, observer: DeployObserver) -> DeploymentReport:
        started = self.clock()
        with aws_step("checking AWS credentials"):
            identity = self.sts.get_caller_identity()
        account, region = identity["Account"], self.cfn.region
        observer.stage(f"deploying profile {request.profile_name} to account {account}, region {region}")
        self._confirm_unverified(request, observer)
        with aws_step("validating the VPC"):
            config = self.complete_vpc(request.config)
        with aws_step("preparing the container image"):
            image = self.resolve_image(request, account, region, observer)
        observer.stage("synthesizing the stack")
        template = self.synthesize(config, request.profile_name, image)
        stack = template.stack_name
        with aws_step(f"reading stack {stack}"):
            condition = self._settle(RemoteState(self.cfn, stack).condition(), stack, request, observer)
        template_url = None
        if template.needs_upload and self.uploader is not None:
            observer.stage(f"uploading the {template.size:,}-byte template to S3 (over the inline limit)")
            with aws_step("uploading the template"):
                template_url = self.uploader.upload(template, account, region)
        observer.stage("computing the change set")
        tags = stack_tags(request.profile_name, identity.get("Arn", ""), self.now())
        with aws_step("creating the change set"):
            plan = self.planner.plan(template, create=condition.action is StackAction.CREATE,
                                     template_url=template_url, image_uri=image, tags=tags)
            current = {t["Key"]: t["Value"] for t in (self.cfn.describe(stack) or {}).get("Tags") or []}
            if only_stamp_changes(plan, current, tags):
                self.cfn.delete_change_set(plan.change_set_id, stack)
                plan = replace(plan, action="none", change_set_id="", changes=())
        plan = replace(plan, cost=estimate_monthly_cost(build_stack_inputs(config, request.profile_name, image),
                                                        region))
        if not observer.review(plan, not request.dry_run):
            with aws_step("discarding the change set"):
                DisplayOnlyExecutor(self.cfn).execute(plan, observer.event)
            raise DeployCancelled()
        with aws_step(f"deploying {stack}"):
            result = self.executor.execute(plan, observer.event)
            outputs = self.cfn.outputs(stack)
        report = DeploymentReport(
            stack_name=stack, region=region, status=result.status, outputs=outputs, image_uri=image,
            changed=result.executed, seconds=self.clock() - started, who=identity.get("Arn", ""), account=account,
            dry_run=request.dry_run, summary=plan.summary(),
        )
        if result.executed:
            self.recorder.record(report)
        return report

    @staticmethod
    def _confirm_unverified(request: DeployRequest, observer: DeployObserver) -> None:
        """Signature checks off is deployed only on an explicit yes: the flag, or a question ``--yes`` skips not."""
        if request.config.security.enable_verification or request.dry_run:
            return
        observer.stage("WARNING: security.enableVerification is false: the endpoint will accept unsigned webhooks")
        if request.allow_unverified:
            return
        hint = ("pass --allow-unverified-webhooks to deploy it anyway, or set security.enableVerification: true "
                f"(benchling-webhook config show --profile {request.profile_name})")
        if request.yes or not observer.confirm("Deploy with webhook signature verification OFF?"):
            raise ConfigError("webhook signature verification is off in this profile; not deploying it without "
                              "an explicit confirmation", hint=hint)

    def _settle(self, condition: StackCondition, name: str, request: DeployRequest,
                observer: DeployObserver) -> StackCondition:
        """Apply the state rules until the stack can take a change set (create or update)."""
        stack = self.cfn.describe(name) or {}
        if condition.action is StackAction.WAIT:
            if not request.wait:
                raise StackStateError(name, str(condition.status), hint=condition.hint)
            observer.stage(f"{condition.message}; waiting for it to finish")
            self._follow(stack["StackId"], observer)
            return self._settle(RemoteState(self.cfn, name).condition(), name, request, observer)
        if condition.action is StackAction.ABORT:
            raise StackStateError(name, str(condition.status), hint=condition.hint)
        if condition.action is StackAction.RECREATE:
            if request.dry_run:
                raise StackStateError(name, str(condition.status), hint=condition.hint)
            if not (request.yes or observer.confirm(f"{condition.message}. Delete it and create it again?")):
                raise StackStateError(name, str(condition.status), hint=condition.hint)
        if condition.action in {StackAction.RECREATE, StackAction.CLEAR}:
            observer.stage(f"{condition.message}; deleting {name}")
            self.cfn.delete_stack(name)
            self._follow(stack["StackId"], observer)
            return RemoteState(self.cfn, name).condition()
        return condition

    def _follow(self, stack_id: str, observer: DeployObserver) -> None:
        for event in iter_stack_events(self.cfn, stack_id, set(), is_done=is_terminal,
                                       interval=self.event_interval):
            observer.event(event)


def create_deployer(session: Any, store: Any, profile_name: str, *, region: str, dry_run: bool = False,
                    docker: Any = None, remote_builder: Any = None,
                    sleep: Callable[[float], None] = time.sleep) -> Deployer:
    """Wire the production pipeline (``dry_run`` swaps in the display-only executor and the no-op recorder)."""
    from benchling_webhook.aws.session import client_config
    from benchling_webhook.constants import ImageBuildMode
    from benchling_webhook.image.build import DockerCli, ImageRequest, ImageResolver
    from benchling_webhook.image.remote import CodeBuildBuilder
    from benchling_webhook.stack.inputs import build_stack_inputs
    from benchling_webhook.stack.synth import complete_vpc, synthesize_inputs

    def client(service: str) -> Any:
        return session.client(service, region_name=region, config=client_config())

    cfn = CloudFormation(client("cloudformation"), sleep=sleep)
    resolver = ImageResolver(ecr=lambda: client("ecr"), docker=docker or DockerCli(),
                             remote=remote_builder or CodeBuildBuilder(client, sleep=sleep))

    def image(request: DeployRequest, account: str, region_: str, observer: DeployObserver) -> str:
        deployment = request.config.deployment
        wanted = ImageRequest(request.image_uri, deployment.image_uri,
                              ImageBuildMode(request.image_build or deployment.image_build), deployment.architecture)
        return resolver.resolve(wanted, account=account, region=region_, observer=observer, dry_run=request.dry_run)

    def synth(config: ProfileConfig, name: str, image_uri: str) -> Template:
        return synthesize_inputs(build_stack_inputs(config, name, image_uri))

    return Deployer(
        cfn=cfn, sts=client("sts"), planner=Planner(cfn),
        executor=DisplayOnlyExecutor(cfn) if dry_run else ChangeSetExecutor(cfn),
        recorder=NoopRecorder() if dry_run else DeploymentRecorder(store, profile_name),
        synthesize=synth, resolve_image=image, complete_vpc=lambda c: complete_vpc(c, lambda: client("ec2")),
        uploader=TemplateUploader(lambda: client("s3")),
    )


__all__ = ["DeployObserver", "DeployPlan", "DeployRequest", "Deployer", "create_deployer"]
