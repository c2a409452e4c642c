"""Image choice and the Dockerfile. No Docker daemon here: docker is a recorded fake runner (say so), ECR is
moto; the Dockerfile is checked as text for what the image must be: slim
Python base, non-root user, the package installed from the repository, a health check without curl."""

from __future__ import annotations

import base64
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from benchling_webhook import __version__
from benchling_webhook.errors import DockerUnavailableError
from benchling_webhook.stack.image import DockerCli, resolve_image, source_root
from benchling_webhook.stack.inputs import COMMAND, HEALTH_CHECK

DOCKERFILE = Path(__file__).resolve().parents[3] / "docker" / "Dockerfile"


class FakeRunner:
    """Records docker commands; ``fail`` names a sub-command that exits non-zero."""

    def __init__(self, fail: str | None = None) -> None:
        self.calls: list[list[str]] = []
        self.inputs: list[str | None] = []
        self.fail = fail

    def __call__(self, args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append(args)
        self.inputs.append(kwargs.get("input"))
        code = 1 if self.fail and args[1] == self.fail else 0
        return subprocess.CompletedProcess(args, code, stdout="", stderr="boom: denied\n" if code else "")


class FakeEcr:
    class exceptions:
        class RepositoryAlreadyExistsException(Exception):
            pass

    def __init__(self) -> None:
        self.created: list[str] = []

    def create_repository(self, repositoryName: str, **_: Any) -> None:
        self.created.append(repositoryName)

    def get_authorization_token(self) -> dict[str, Any]:
        token = base64.b64encode(b"AWS:secret-password").decode()
        return {"authorizationData": [{"authorizationToken": token}]}


def _resolve(runner: FakeRunner, which: Any = lambda _: "/usr/bin/docker", **kwargs: Any) -> str:
    ecr = FakeEcr()
    return resolve_image(kwargs.get("flag"), kwargs.get("profile"), kwargs.get("tag"), account="123456789012",
                         region="eu-west-1", ecr=lambda: ecr, docker=DockerCli(run=runner, which=which))


def test_flag_then_profile_image_win_without_docker() -> None:
    runner = FakeRunner()
    assert _resolve(runner, flag="a/b:1", profile="c/d:2") == "a/b:1"
    assert _resolve(runner, profile="c/d:2") == "c/d:2"
    assert runner.calls == []


def test_no_docker_binary_or_daemon_is_a_clear_error() -> None:
    with pytest.raises(DockerUnavailableError, match="the docker command is not installed") as err:
        _resolve(FakeRunner(), which=lambda _: None)
    assert err.value.hint == "set deployment.imageUri in the profile or pass --image-uri to use a pushed image"
    with pytest.raises(DockerUnavailableError, match="no Docker daemon is reachable"):
        _resolve(FakeRunner(fail="info"))


def test_build_login_push_to_the_accounts_ecr_repository() -> None:
    runner = FakeRunner()
    uri = _resolve(runner)
    assert uri == f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/benchling-webhook:{__version__}"
    assert [c[1] for c in runner.calls] == ["info", "build", "login", "push"]
    build = runner.calls[1]
    assert build[build.index("-f") + 1] == str(DOCKERFILE) and build[-1] == str(source_root())
    assert runner.inputs[2] == "secret-password"  # the password goes through stdin, never argv
    assert "secret-password" not in " ".join(" ".join(c) for c in runner.calls)
    with pytest.raises(DockerUnavailableError, match="docker push failed: boom: denied"):
        _resolve(FakeRunner(fail="push"))


def test_dockerfile_is_slim_non_root_and_checks_health_without_curl() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM python:3\.\d+-slim$", text, re.M)
    users = re.findall(r"^USER (\S+)$", text, re.M)
    assert users and users[-1] != "root"
    assert "EXPOSE 8080" in text
    health = re.search(r"HEALTHCHECK .*?CMD (\[.*?\])$", text, re.S | re.M)
    assert health is not None and "curl" not in text.split("HEALTHCHECK")[1]
    import json

    assert json.loads(health.group(1)) == HEALTH_CHECK[1:]  # the same check the task definition runs
    cmd = re.findall(r"^CMD (\[.*\])$", text, re.M)
    assert json.loads(cmd[-1]) == COMMAND
    assert "pip install" in text and "COPY src" in text  # the package from this repository
