"""The three ways to an image, against moto (server mode): ECR, S3, IAM, CodeBuild and CloudWatch Logs.

Two parts cannot run here and are replaced, each said where: Docker (no daemon; a recording runner stands in
for the docker CLI) and a CodeBuild build's own work (moto records builds and reports them SUCCEEDED without
running them; the test writes the log the build would write, and a failing build is a wrapper that reports
FAILED, which moto cannot).
"""

from __future__ import annotations

import base64
import io
import json
import subprocess
import time
import zipfile
from typing import Any

import boto3
import pytest

from benchling_webhook import __version__
from benchling_webhook.errors import DockerUnavailableError, ImageBuildError
from benchling_webhook.image.build import (
    ECR_REPOSITORY,
    KEEP_IMAGES,
    DockerCli,
    ImageBuildMode,
    ImageRequest,
    ImageResolver,
)
from benchling_webhook.image.remote import LOG_GROUP, PROJECT, CodeBuildBuilder
from benchling_webhook.sandbox.moto_server import MotoServer

ACCOUNT, REGION = "123456789012", "us-east-1"
REGISTRY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"


class RecordingDocker:
    """Stands in for the docker CLI (no daemon here): records each command; ``daemon=False`` fails ``info``."""

    def __init__(self, daemon: bool = True) -> None:
        self.daemon = daemon
        self.calls: list[list[str]] = []
        self.inputs: list[str | None] = []

    def __call__(self, args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append(args)
        self.inputs.append(kwargs.get("input"))
        code = 1 if args[1] == "info" and not self.daemon else 0
        return subprocess.CompletedProcess(args, code, stdout="", stderr="")


class Narration:
    """The observer; when CodeBuild starts, it writes the log lines the build would write (``build_log``)."""

    def __init__(self, logs: Any, build_log: list[str]) -> None:
        self.stages: list[str] = []
        self.lines: list[str] = []
        self._logs = logs
        self._build_log = build_log

    def stage(self, text: str) -> None:
        self.stages.append(text)
        if text.startswith("CodeBuild ") and self._build_log:
            stream = text.split()[1].split(":", 1)[1]
            if not self._logs.describe_log_groups(logGroupNamePrefix=LOG_GROUP)["logGroups"]:
                self._logs.create_log_group(logGroupName=LOG_GROUP)
            self._logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName=stream)
            self._logs.put_log_events(logGroupName=LOG_GROUP, logStreamName=stream, logEvents=[
                {"timestamp": int(time.time() * 1000) + i, "message": line} for i, line in enumerate(self._build_log)])

    def log(self, line: str) -> None:
        self.lines.append(line)


class FailingCodeBuild:
    """moto's CodeBuild client, except that builds report FAILED in the BUILD phase (moto cannot fail one)."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def batch_get_builds(self, ids: list[str]) -> dict[str, Any]:
        answer = self._real.batch_get_builds(ids=ids)
        for build in answer["builds"]:
            build.update(buildStatus="FAILED", currentPhase="BUILD", buildComplete=True)
        return dict(answer)


def _client(aws: MotoServer, fail: bool = False) -> Any:
    def client(service: str) -> Any:
        made = boto3.client(service, region_name=REGION, endpoint_url=aws.endpoint_url)
        return FailingCodeBuild(made) if fail and service == "codebuild" else made
    return client


def _resolver(aws: MotoServer, docker: RecordingDocker, *, fail: bool = False) -> ImageResolver:
    client = _client(aws, fail)
    return ImageResolver(ecr=lambda: client("ecr"), docker=DockerCli(run=docker, which=lambda _: "/usr/bin/docker"),
                         remote=CodeBuildBuilder(client, sleep=lambda _: None, poll_interval=0))


def _resolve(aws: MotoServer, docker: RecordingDocker, request: ImageRequest, build_log: list[str] | None = None,
             fail: bool = False) -> tuple[str, Narration]:
    narration = Narration(_client(aws)("logs"), build_log or [])
    uri = _resolver(aws, docker, fail=fail).resolve(request, account=ACCOUNT, region=REGION, observer=narration)
    return uri, narration


def test_a_named_image_is_used_and_nothing_is_built(aws: MotoServer) -> None:
    docker = RecordingDocker()
    uri, said = _resolve(aws, docker, ImageRequest(image_uri="a/b:1", profile_image_uri="c/d:2"))
    assert uri == "a/b:1" and said.stages == ["image: a/b:1 (from --image-uri; nothing to build)"]
    uri, _ = _resolve(aws, docker, ImageRequest(profile_image_uri="c/d:2"))
    assert uri == "c/d:2" and docker.calls == []
    assert boto3.client("ecr", region_name=REGION).describe_repositories()["repositories"] == []


def test_with_a_docker_daemon_auto_builds_locally_and_pushes_to_a_hardened_repository(aws: MotoServer) -> None:
    docker = RecordingDocker()
    uri, said = _resolve(aws, docker, ImageRequest(architecture="arm64"))
    assert uri.startswith(f"{REGISTRY}/{ECR_REPOSITORY}:{__version__}-") and uri.endswith("-arm64")
    assert "image: building locally with Docker (--image-build remote builds in AWS CodeBuild)" in said.stages
    assert [c[1] for c in docker.calls] == ["info", "build", "login", "push"]
    build = docker.calls[1]
    assert build[build.index("--platform") + 1] == "linux/arm64" and build[-3:-1] == ["-t", uri]
    ecr = boto3.client("ecr", region_name=REGION)
    (repo,) = ecr.describe_repositories()["repositories"]
    assert repo["imageTagMutability"] == "IMMUTABLE" and repo["imageScanningConfiguration"]["scanOnPush"]
    rule = json.loads(ecr.get_lifecycle_policy(repositoryName=ECR_REPOSITORY)["lifecyclePolicyText"])["rules"][0]
    assert rule["selection"]["countNumber"] == KEEP_IMAGES and rule["action"]["type"] == "expire"


def test_an_image_already_in_ecr_is_not_built_again(aws: MotoServer) -> None:
    first, _ = _resolve(aws, RecordingDocker(), ImageRequest())
    ecr = boto3.client("ecr", region_name=REGION)
    ecr.put_image(repositoryName=ECR_REPOSITORY, imageTag=first.rsplit(":", 1)[1],
                  imageManifest=json.dumps({"schemaVersion": 2, "layers": [],
                                            "mediaType": "application/vnd.docker.distribution.manifest.v2+json"}))
    docker = RecordingDocker()
    again, said = _resolve(aws, docker, ImageRequest())
    assert again == first and [c[1] for c in docker.calls] == []
    assert any("already in ECR" in s for s in said.stages)


def test_without_docker_auto_builds_remotely_in_codebuild_and_streams_its_log(aws: MotoServer) -> None:
    uri, said = _resolve(aws, RecordingDocker(daemon=False), ImageRequest(),
                         build_log=["Step 1/12 : FROM python:3.11-slim", "pushed"])
    assert "image: no Docker daemon is reachable: building remotely in AWS CodeBuild in your account" in said.stages
    assert said.lines == ["Step 1/12 : FROM python:3.11-slim", "pushed"]
    assert said.stages[-1] == f"pushed {uri}" and uri.endswith("-x86_64")
    s3 = boto3.client("s3", region_name=REGION)
    bucket = f"benchling-webhook-templates-{ACCOUNT}-{REGION}"
    (obj,) = s3.list_objects_v2(Bucket=bucket)["Contents"]
    with zipfile.ZipFile(io.BytesIO(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())) as archive:
        assert sorted(archive.namelist()) == sorted(["Dockerfile", "pylock.toml",
                                                     f"benchling_webhook-{__version__}-py3-none-any.whl"])
    codebuild = boto3.client("codebuild", region_name=REGION)
    (project,) = codebuild.batch_get_projects(names=[PROJECT])["projects"]
    assert project["environment"]["privilegedMode"] is True
    assert project["serviceRole"].endswith(":role/benchling-webhook-image-build")
    iam = boto3.client("iam", region_name=REGION)
    policy = iam.get_role_policy(RoleName="benchling-webhook-image-build", PolicyName="build-and-push")
    statements = policy["PolicyDocument"]["Statement"]
    assert any(s["Resource"].endswith(f":repository/{ECR_REPOSITORY}") and "ecr:PutImage" in s["Action"]
               for s in statements)
    assert codebuild.list_builds_for_project(projectName=PROJECT)["ids"]


def test_a_dry_run_names_the_image_without_building_it(aws: MotoServer) -> None:
    docker = RecordingDocker(daemon=False)
    narration = Narration(_client(aws)("logs"), [])
    uri = _resolver(aws, docker).resolve(ImageRequest(), account=ACCOUNT, region=REGION, observer=narration,
                                         dry_run=True)
    assert narration.stages[-1].startswith(f"image: dry run, not built: {uri} (")
    assert boto3.client("codebuild", region_name=REGION).list_builds()["ids"] == []


def test_a_failed_remote_build_shows_its_last_log_lines(aws: MotoServer) -> None:
    log = [f"line {i}" for i in range(30)] + ["ERROR: failed to solve: process did not complete"]
    with pytest.raises(ImageBuildError) as err:
        _resolve(aws, RecordingDocker(daemon=False), ImageRequest(mode=ImageBuildMode.REMOTE), build_log=log,
                 fail=True)
    message = err.value.message
    assert message.startswith("the remote image build ended FAILED in phase BUILD; the stack was not touched")
    assert "ERROR: failed to solve" in message and "line 11" in message and "line 10\n" not in message
    assert LOG_GROUP in (err.value.hint or "")


def test_modes_none_and_local_without_a_daemon_are_clear_errors(aws: MotoServer) -> None:
    with pytest.raises(ImageBuildError, match="image builds are off") as err:
        _resolve(aws, RecordingDocker(), ImageRequest(mode=ImageBuildMode.NONE))
    assert err.value.hint == "pass --image-uri URI or set deployment.imageUri in the profile"
    with pytest.raises(DockerUnavailableError, match="no Docker daemon is reachable"):
        _resolve(aws, RecordingDocker(daemon=False), ImageRequest(mode=ImageBuildMode.LOCAL))


def test_ecr_login_password_is_never_in_a_command_line(aws: MotoServer) -> None:
    docker = RecordingDocker()
    _resolve(aws, docker, ImageRequest())
    (password,) = [i for i in docker.inputs if i]
    token = boto3.client("ecr", region_name=REGION).get_authorization_token()
    assert password == base64.b64decode(token["authorizationData"][0]["authorizationToken"]).decode().split(":")[1]
    assert all(password not in " ".join(call) for call in docker.calls)


def test_image_build_command_builds_remotely_and_prints_the_uri(cli, aws, isolation) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import minimal_profile, write_profile

    profile = minimal_profile()
    profile["deployment"]["architecture"] = "arm64"
    write_profile(isolation, "default", profile)
    result = cli("image", "build", "--image-build", "remote")
    assert result.exit_code == 0, result.output
    uri = result.stdout.strip()
    assert uri.startswith(f"{REGISTRY}/{ECR_REPOSITORY}:{__version__}-") and uri.endswith("-arm64")
    assert "image: building remotely in AWS CodeBuild (--image-build remote)" in result.stderr
    (build_id,) = aws.client("codebuild").list_builds()["ids"]
    assert f"CodeBuild {build_id} started" in result.stderr
