"""Which container image a deploy runs, building and pushing it to ECR when none is given.

``--image-uri`` beats ``deployment.imageUri``; with neither, the image is built from this source tree's
``docker/Dockerfile`` and pushed to the account's ``benchling-webhook`` ECR repository (created if missing),
tagged with the package version (or ``deployment.imageTag``). That needs a Docker daemon and a source
checkout; without them the deploy stops with ``DockerUnavailableError`` before touching the stack.
Docker is driven through an injectable runner so the logic is tested without a daemon.
"""

from __future__ import annotations

import base64
import contextlib
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchling_webhook import __version__
from benchling_webhook.errors import DockerUnavailableError
from benchling_webhook.stack.inputs import DEFAULT_ECR_REPOSITORY

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


def source_root() -> Path | None:
    """The repository root holding ``docker/Dockerfile`` (None for an installed wheel)."""
    root = Path(__file__).resolve().parents[3]
    return root if (root / "docker" / "Dockerfile").is_file() and (root / "pyproject.toml").is_file() else None


class DockerCli:
    """The few docker commands a build-and-push needs."""

    def __init__(self, run: Runner = subprocess.run, which: Callable[[str], str | None] = shutil.which) -> None:
        self._run = run
        self._which = which

    def unavailable_reason(self) -> str | None:
        if not self._which("docker"):
            return "the docker command is not installed"
        probe = self._run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True,
                          timeout=20)
        return None if probe.returncode == 0 else "no Docker daemon is reachable (docker info failed)"

    def __call__(self, *args: str, input: str | None = None) -> None:
        done = self._run(["docker", *args], capture_output=True, text=True, input=input)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout or "").strip().splitlines()[-1:] or ["no output"]
            raise DockerUnavailableError(f"docker {args[0]} failed: {tail[0]}")


def resolve_image(image_uri: str | None, profile_image_uri: str | None, image_tag: str | None, *,
                  account: str, region: str, ecr: Callable[[], Any], docker: DockerCli,
                  on_stage: Callable[[str], None] = lambda _: None) -> str:
    """The image URI to deploy; builds and pushes one only when neither the flag nor the profile names it."""
    if image_uri or profile_image_uri:
        return str(image_uri or profile_image_uri)
    reason = docker.unavailable_reason()
    if reason:
        raise DockerUnavailableError(reason)
    root = source_root()
    if root is None:
        raise DockerUnavailableError("this installation has no source tree with docker/Dockerfile to build from")
    client = ecr()
    with contextlib.suppress(client.exceptions.RepositoryAlreadyExistsException):
        client.create_repository(repositoryName=DEFAULT_ECR_REPOSITORY,
                                 imageScanningConfiguration={"scanOnPush": True})
    registry = f"{account}.dkr.ecr.{region}.amazonaws.com"
    uri = f"{registry}/{DEFAULT_ECR_REPOSITORY}:{image_tag or __version__}"
    on_stage(f"building {uri} (docker build)")
    docker("build", "--platform", "linux/amd64", "-f", str(root / "docker" / "Dockerfile"), "-t", uri, str(root))
    token = client.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    user, password = base64.b64decode(token).decode().split(":", 1)
    docker("login", "--username", user, "--password-stdin", registry, input=password)
    on_stage(f"pushing {uri}")
    docker("push", uri)
    return uri
