"""Which image a deploy runs, and how it is built when none is named: three ways, chosen in one place.

1. ``--image-uri`` or the profile's ``deployment.imageUri``: used as it is, nothing is built.
2. A local Docker build, when a daemon answers (``docker info``).
3. Otherwise a remote build in the user's own account: AWS CodeBuild builds the same context from S3
   (``image.remote``) — so a machine with only ``pip install benchling-webhook`` and AWS credentials can
   deploy.

``--image-build local|remote|none`` (or ``deployment.imageBuild``) overrides the automatic choice; the
choice is announced in one line. Both builds push to the ``benchling-webhook`` ECR repository (scan on
push, immutable tags, the last few images kept) under a tag derived from the context's content and the
architecture, so an image that is already there is not built again.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from benchling_webhook.constants import ImageBuildMode
from benchling_webhook.errors import DockerUnavailableError, ImageBuildError
from benchling_webhook.image.context import BuildContext, write_context

ECR_REPOSITORY = "benchling-webhook"
KEEP_IMAGES = 10
PLATFORMS = {"x86_64": "linux/amd64", "arm64": "linux/arm64"}
Runner = Callable[..., "subprocess.CompletedProcess[str]"]


class ImageObserver(Protocol):
    def stage(self, text: str) -> None: ...

    def log(self, line: str) -> None: ...


@dataclass(frozen=True)
class ImageRequest:
    image_uri: str | None = None  # --image-uri
    profile_image_uri: str | None = None  # deployment.imageUri
    mode: ImageBuildMode = ImageBuildMode.AUTO
    architecture: str = "x86_64"


@dataclass(frozen=True)
class Target:
    """Where a build pushes: the registry, the repository URI and the tag."""

    account: str
    region: str
    tag: str

    @property
    def registry(self) -> str:
        return f"{self.account}.dkr.ecr.{self.region}.amazonaws.com"

    @property
    def uri(self) -> str:
        return f"{self.registry}/{ECR_REPOSITORY}:{self.tag}"


class Builder(Protocol):
    def build(self, context: BuildContext, target: Target, architecture: str, observer: ImageObserver) -> None: ...


class DockerCli:
    """The few docker commands a local build-and-push needs (an injectable runner: no daemon runs in tests)."""

    def __init__(self, run: Runner = subprocess.run, which: Callable[[str], str | None] = shutil.which) -> None:
        self._run = run
        self._which = which

    def unavailable_reason(self) -> str | None:
        if not self._which("docker"):
            return "the docker command is not installed"
        probe = self._run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True,
                          timeout=20)
        return None if probe.returncode == 0 else "no Docker daemon is reachable"

    def __call__(self, *args: str, input: str | None = None) -> None:
        done = self._run(["docker", *args], capture_output=True, text=True, input=input)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout or "").strip().splitlines()[-1:] or ["no output"]
            raise DockerUnavailableError(f"docker {args[0]} failed: {tail[0]}")


class LocalDockerBuilder:
    def __init__(self, docker: DockerCli, ecr: Callable[[], Any]) -> None:
        self.docker = docker
        self._ecr = ecr

    def build(self, context: BuildContext, target: Target, architecture: str, observer: ImageObserver) -> None:
        observer.stage(f"building {target.uri} (docker build, {PLATFORMS[architecture]})")
        self.docker("build", "--platform", PLATFORMS[architecture], "-t", target.uri, str(context.directory))
        user, password = ecr_login(self._ecr())
        self.docker("login", "--username", user, "--password-stdin", target.registry, input=password)
        observer.stage(f"pushing {target.uri}")
        self.docker("push", target.uri)


def ecr_login(ecr: Any) -> tuple[str, str]:
    import base64

    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    user, password = base64.b64decode(token).decode().split(":", 1)
    return user, password


def ensure_repository(ecr: Any) -> None:
    """The repository builds push to: scanned on push, immutable tags, the last ``KEEP_IMAGES`` kept."""
    with contextlib.suppress(ecr.exceptions.RepositoryAlreadyExistsException):
        ecr.create_repository(repositoryName=ECR_REPOSITORY, imageTagMutability="IMMUTABLE",
                              imageScanningConfiguration={"scanOnPush": True})
    # Re-applied every time, so a repository created by hand or by an older version converges too.
    ecr.put_image_scanning_configuration(repositoryName=ECR_REPOSITORY,
                                         imageScanningConfiguration={"scanOnPush": True})
    ecr.put_image_tag_mutability(repositoryName=ECR_REPOSITORY, imageTagMutability="IMMUTABLE")
    ecr.put_lifecycle_policy(repositoryName=ECR_REPOSITORY, lifecyclePolicyText=json.dumps(LIFECYCLE_POLICY))


LIFECYCLE_POLICY = {"rules": [{
    "rulePriority": 1,
    "description": f"keep the last {KEEP_IMAGES} images",
    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": KEEP_IMAGES},
    "action": {"type": "expire"},
}]}


def image_exists(ecr: Any, tag: str) -> bool:
    try:
        found = ecr.describe_images(repositoryName=ECR_REPOSITORY, imageIds=[{"imageTag": tag}])
    except ecr.exceptions.ImageNotFoundException:
        return False
    return bool(found.get("imageDetails"))


class ImageResolver:
    """Turns an ``ImageRequest`` into the URI to deploy, building and pushing when needed."""

    def __init__(self, *, ecr: Callable[[], Any], docker: DockerCli, remote: Builder,
                 local: Builder | None = None) -> None:
        self._ecr = ecr
        self.docker = docker
        self.remote = remote
        self.local = local or LocalDockerBuilder(docker, ecr)

    def resolve(self, request: ImageRequest, *, account: str, region: str, observer: ImageObserver,
                dry_run: bool = False) -> str:
        """The URI to deploy. ``dry_run`` names the image a build would push, without building it."""
        if request.image_uri or request.profile_image_uri:
            uri = str(request.image_uri or request.profile_image_uri)
            source = "--image-uri" if request.image_uri else "the profile's deployment.imageUri"
            observer.stage(f"image: {uri} (from {source}; nothing to build)")
            return uri
        if request.mode is ImageBuildMode.NONE:
            raise ImageBuildError("no image to deploy and image builds are off (--image-build none)",
                                  hint="pass --image-uri URI or set deployment.imageUri in the profile")
        with tempfile.TemporaryDirectory(prefix="benchling-webhook-image-") as scratch:
            context = write_context(Path(scratch))
            target = Target(account=account, region=region, tag=f"{context.tag}-{request.architecture}")
            ecr = self._ecr()
            ensure_repository(ecr)
            if image_exists(ecr, target.tag):
                observer.stage(f"image: {target.uri} is already in ECR (same version and content); not rebuilt")
                return target.uri
            builder, why = self.choose(request.mode)
            if dry_run:
                observer.stage(f"image: dry run, not built: {target.uri} ({why})")
                return target.uri
            observer.stage(f"image: {why}")
            builder.build(context, target, request.architecture, observer)
        return target.uri

    def choose(self, mode: ImageBuildMode) -> tuple[Builder, str]:
        """The builder for ``mode`` (auto, local or remote) and the one line that tells the user which and why."""
        if mode is ImageBuildMode.REMOTE:
            return self.remote, "building remotely in AWS CodeBuild (--image-build remote)"
        reason = self.docker.unavailable_reason()
        if mode is ImageBuildMode.LOCAL:
            if reason:
                raise DockerUnavailableError(f"{reason} (--image-build local)")
            return self.local, "building locally with Docker (--image-build local)"
        if reason is None:
            return self.local, "building locally with Docker (--image-build remote builds in AWS CodeBuild)"
        return self.remote, f"{reason}: building remotely in AWS CodeBuild in your account"
