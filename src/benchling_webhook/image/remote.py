"""The remote image build: AWS CodeBuild in the user's account builds the context and pushes to ECR.

For a machine without Docker. The context is zipped to the deployer's artefact bucket, a CodeBuild project
(``benchling-webhook-image``, privileged mode for Docker-in-Docker, x86_64 or arm64 build hosts) builds it
with the buildspec below, and its CloudWatch log is streamed to the terminal while it runs. A build that
does not succeed raises ``ImageBuildError`` with its last log lines; nothing else has been touched yet, so
the stack stays as it was. The project and its service role are created on first use and updated after.

CodeBuild facts relied on: an S3 source is ``bucket/key`` of a zip; ``buildspecOverride`` takes inline
YAML; the standard images run Docker only in ``privilegedMode``; build logs go to the project's
``logsConfig`` group, one stream per build named after the build id's UUID
(https://docs.aws.amazon.com/codebuild/latest/userguide/welcome.html).
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable
from typing import Any

from benchling_webhook.aws.artefacts import artefact_bucket, ensure_private_bucket
from benchling_webhook.errors import ImageBuildError
from benchling_webhook.image.build import ECR_REPOSITORY, PLATFORMS, ImageObserver, Target
from benchling_webhook.image.context import BuildContext

PROJECT = "benchling-webhook-image"
ROLE = "benchling-webhook-image-build"
LOG_GROUP = f"/aws/codebuild/{PROJECT}"
CONTEXT_PREFIX = "image-context/"
BUILD_HOSTS = {
    "x86_64": ("LINUX_CONTAINER", "aws/codebuild/amazonlinux2-x86_64-standard:5.0"),
    "arm64": ("ARM_CONTAINER", "aws/codebuild/amazonlinux2-aarch64-standard:3.0"),
}
FAILED_LOG_LINES = 20
BUILDSPEC = """\
version: 0.2
phases:
  pre_build:
    commands:
      - aws ecr get-login-password --region "$AWS_REGION" | docker login --username AWS --password-stdin "$REGISTRY"
  build:
    commands:
      - docker build --platform "$PLATFORM" -t "$IMAGE_URI" .
      - docker push "$IMAGE_URI"
"""


def context_zip(context: BuildContext) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in context.files:
            archive.write(path, path.name)
    return buffer.getvalue()


def role_policy(target: Target, bucket: str) -> dict[str, Any]:
    """What the build may do: read its context, write its log, push to the one repository."""
    repository = f"arn:aws:ecr:{target.region}:{target.account}:repository/{ECR_REPOSITORY}"
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"],
         "Resource": f"arn:aws:s3:::{bucket}/{CONTEXT_PREFIX}*"},
        {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": f"arn:aws:logs:{target.region}:{target.account}:log-group:{LOG_GROUP}*"},
        {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {"Effect": "Allow", "Resource": repository, "Action": [
            "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
            "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage"]},
    ]}


TRUST_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


class CodeBuildBuilder:
    """Builds and pushes the image with CodeBuild; clients come from ``client(service)``."""

    def __init__(self, client: Callable[[str], Any], *, sleep: Callable[[float], None] = time.sleep,
                 poll_interval: float = 5.0, timeout_minutes: int = 30) -> None:
        self._client = client
        self._sleep = sleep
        self.poll_interval = poll_interval
        self.timeout_minutes = timeout_minutes

    def build(self, context: BuildContext, target: Target, architecture: str, observer: ImageObserver) -> None:
        bucket = artefact_bucket(target.account, target.region)
        key = f"{CONTEXT_PREFIX}{target.tag}.zip"
        s3 = self._client("s3")
        ensure_private_bucket(s3, bucket, target.region)
        s3.put_object(Bucket=bucket, Key=key, Body=context_zip(context))
        observer.stage(f"uploaded the build context to s3://{bucket}/{key}")
        role_arn = self._ensure_role(target, bucket)
        self._ensure_project(role_arn, bucket, key, architecture)
        codebuild = self._client("codebuild")
        environment_type, image = BUILD_HOSTS[architecture]
        build = codebuild.start_build(
            projectName=PROJECT, sourceTypeOverride="S3", sourceLocationOverride=f"{bucket}/{key}",
            buildspecOverride=BUILDSPEC, environmentTypeOverride=environment_type, imageOverride=image,
            privilegedModeOverride=True,
            environmentVariablesOverride=[
                {"name": "IMAGE_URI", "value": target.uri, "type": "PLAINTEXT"},
                {"name": "REGISTRY", "value": target.registry, "type": "PLAINTEXT"},
                {"name": "PLATFORM", "value": PLATFORMS[architecture], "type": "PLAINTEXT"},
            ])["build"]
        observer.stage(f"CodeBuild {build['id']} started; its log follows")
        log = BuildLog(self._client("logs"), build["id"], observer)
        final = self._follow(build["id"], log)
        status = final.get("buildStatus", "UNKNOWN")
        if status != "SUCCEEDED":
            tail = log.lines[-FAILED_LOG_LINES:] or ["(the build wrote no log)"]
            raise ImageBuildError(
                f"the remote image build ended {status} in phase {final.get('currentPhase', '?')}; "
                f"the stack was not touched. Last log lines:\n" + "\n".join(f"  {line}" for line in tail),
                hint=f"the whole log is in CloudWatch Logs group {LOG_GROUP}; "
                     "or pass --image-uri to deploy an image built elsewhere")
        observer.stage(f"pushed {target.uri}")

    def _follow(self, build_id: str, log: BuildLog) -> dict[str, Any]:
        """Poll the build until it completes, streaming new log lines as they appear."""
        codebuild = self._client("codebuild")
        while True:
            build = dict(codebuild.batch_get_builds(ids=[build_id])["builds"][0])
            log.read(build)
            if build.get("buildComplete") or build.get("buildStatus") not in {None, "IN_PROGRESS"}:
                log.read(build)  # what was written between the last read and completion
                return build
            self._sleep(self.poll_interval)

    def _ensure_role(self, target: Target, bucket: str) -> str:
        iam = self._client("iam")
        try:
            arn = iam.get_role(RoleName=ROLE)["Role"]["Arn"]
        except iam.exceptions.NoSuchEntityException:
            arn = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST_POLICY),
                                  Description="benchling-webhook: build the container image in CodeBuild",
                                  )["Role"]["Arn"]
        iam.put_role_policy(RoleName=ROLE, PolicyName="build-and-push",
                            PolicyDocument=json.dumps(role_policy(target, bucket)))
        return str(arn)

    def _ensure_project(self, role_arn: str, bucket: str, key: str, architecture: str) -> None:
        codebuild = self._client("codebuild")
        environment_type, image = BUILD_HOSTS[architecture]
        project: dict[str, Any] = {
            "name": PROJECT,
            "description": "benchling-webhook: builds the server image from the context the CLI uploads",
            "source": {"type": "S3", "location": f"{bucket}/{key}", "buildspec": BUILDSPEC},
            "artifacts": {"type": "NO_ARTIFACTS"},
            "environment": {"type": environment_type, "image": image, "computeType": "BUILD_GENERAL1_SMALL",
                            "privilegedMode": True},
            "serviceRole": role_arn,
            "timeoutInMinutes": self.timeout_minutes,
            "logsConfig": {"cloudWatchLogs": {"status": "ENABLED", "groupName": LOG_GROUP}},
        }
        # Everything that varies per build (source, buildspec, host, variables) is a start_build override,
        # so an existing project needs no update.
        if not codebuild.batch_get_projects(names=[PROJECT]).get("projects"):
            codebuild.create_project(**project)


class BuildLog:
    """Reads a build's CloudWatch log stream forward from where it stopped; keeps every line it showed."""

    def __init__(self, logs: Any, build_id: str, observer: ImageObserver) -> None:
        self._logs = logs
        self._stream = build_id.split(":", 1)[-1]
        self._observer = observer
        self._token: str | None = None
        self.lines: list[str] = []

    def read(self, build: dict[str, Any]) -> None:
        where = build.get("logs") or {}
        kwargs: dict[str, Any] = {"logGroupName": where.get("groupName") or LOG_GROUP,
                                  "logStreamName": where.get("streamName") or self._stream, "startFromHead": True}
        while True:
            if self._token:
                kwargs["nextToken"] = self._token
            try:
                page = self._logs.get_log_events(**kwargs)
            except self._logs.exceptions.ResourceNotFoundException:
                return  # the build has not written anything yet
            for event in page.get("events", []):
                line = str(event.get("message", "")).rstrip("\n")
                self.lines.append(line)
                self._observer.log(line)
            token = page.get("nextForwardToken")
            if not page.get("events") or token in {None, self._token}:
                self._token = token or self._token
                return
            self._token = token
